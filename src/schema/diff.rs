//! Comparing two snapshots: a structured list of changes, printed one line per difference.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::model::{
    ident, Column, ColumnName, Constraint, Domain, EnumType, Extension, Function, FunctionName,
    Index, QualifiedName, Schema, Sequence, Snapshot, Table, Trigger, TriggerName, View,
};

/// What changed from one [`Snapshot`] to another, made by [`Snapshot::diff`].
///
/// It is structured, so that a program can walk it ([`changes`](Self::changes)), and it
/// prints one line per difference, sorted by object kind (in the order of [`ObjectKind`]) and
/// then by name:
///
/// ```text
/// + table app.labels
/// - column app.tasks.priority app.priority
/// ~ column app.tasks.title: type text -> character varying(200)
/// ~ index app.tasks_open_idx: definition CREATE INDEX ... -> CREATE INDEX ...
/// ```
///
/// `+` is an object only the second snapshot has, `-` one only the first has, `~` one both
/// have with a difference. A renamed object shows as removed and added. The parts of a table
/// (its columns and constraints) are listed when the table is in both snapshots; an added or
/// removed table carries them in its [`Object::Table`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SchemaDiff {
    changes: Vec<Change>,
}

impl SchemaDiff {
    /// Whether the two snapshots are equal.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The changes, in display order.
    pub fn changes(&self) -> &[Change] {
        &self.changes
    }

    /// The printed lines, one per difference (what `Display` joins with newlines).
    pub fn lines(&self) -> Vec<String> {
        self.changes.iter().flat_map(Change::lines).collect()
    }
}

impl fmt::Display for SchemaDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.lines().join("\n"))
    }
}

impl IntoIterator for SchemaDiff {
    type Item = Change;
    type IntoIter = std::vec::IntoIter<Change>;

    fn into_iter(self) -> Self::IntoIter {
        self.changes.into_iter()
    }
}

/// One object that was added, removed or altered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
// A diff holds a handful of changes; plain (unboxed) objects keep matching on them simple.
#[allow(clippy::large_enum_variant)]
pub enum Change {
    /// Only in the second snapshot.
    Added(Object),
    /// Only in the first snapshot.
    Removed(Object),
    /// In both, different.
    Altered {
        /// As the first snapshot has it.
        before: Object,
        /// As the second snapshot has it.
        after: Object,
        /// What differs, for people; `before` and `after` have the exact values.
        differences: Vec<Difference>,
    },
}

impl Change {
    /// The kind of object that changed.
    pub fn kind(&self) -> ObjectKind {
        self.object().kind()
    }

    /// The object: the added or removed one, or for an alteration the object as it is after.
    pub fn object(&self) -> &Object {
        match self {
            Change::Added(object) | Change::Removed(object) => object,
            Change::Altered { after, .. } => after,
        }
    }

    /// The printed lines of this change: one, or for an alteration one per difference.
    pub fn lines(&self) -> Vec<String> {
        match self {
            Change::Added(object) => vec![format!("+ {}", object.headline())],
            Change::Removed(object) => vec![format!("- {}", object.headline())],
            Change::Altered {
                after, differences, ..
            } => differences
                .iter()
                .map(|difference| {
                    format!("~ {} {}: {difference}", after.kind_label(), after.name())
                })
                .collect(),
        }
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.lines().join("\n"))
    }
}

/// One attribute of an object that differs, rendered for people: `type text -> integer`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Difference {
    /// What differs: `type`, `default`, `definition`, `comment`, `constraint <name>`...
    pub attribute: String,
    /// The value before, or `None` when there was none.
    pub before: Option<String>,
    /// The value after, or `None` when there is none.
    pub after: Option<String>,
}

impl fmt::Display for Difference {
    /// `attribute before -> after`, absent values as `none`. Multi-line values (function
    /// bodies, view queries) show only the first changed line of each side:
    /// `definition, line 5: old line -> new line`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (before, after) = (self.before.as_deref(), self.after.as_deref());
        if let (Some(before), Some(after)) = (before, after) {
            if before.contains('\n') || after.contains('\n') {
                if let Some(changed) = ChangedLines::between(before, after) {
                    return write!(
                        f,
                        "{}, line {}: {} -> {}",
                        self.attribute, changed.line, changed.before, changed.after
                    );
                }
            }
        }
        let show = |value: Option<&str>| value.map_or_else(|| "none".to_owned(), one_line);
        write!(f, "{} {} -> {}", self.attribute, show(before), show(after))
    }
}

/// The first stretch of lines that differs between two texts, rendered for one line of output.
struct ChangedLines {
    /// Its first line (1-based).
    line: usize,
    before: String,
    after: String,
}

impl ChangedLines {
    /// `None` when the texts differ only in line endings or trailing whitespace of the whole.
    fn between(before: &str, after: &str) -> Option<ChangedLines> {
        let before: Vec<&str> = before.lines().collect();
        let after: Vec<&str> = after.lines().collect();
        let common_start = before
            .iter()
            .zip(&after)
            .take_while(|(b, a)| b == a)
            .count();
        let common_end = before[common_start..]
            .iter()
            .rev()
            .zip(after[common_start..].iter().rev())
            .take_while(|(b, a)| b == a)
            .count();
        let before = &before[common_start..before.len() - common_end];
        let after = &after[common_start..after.len() - common_end];
        if before.is_empty() && after.is_empty() {
            return None;
        }
        Some(ChangedLines {
            line: common_start + 1,
            before: stretch(before),
            after: stretch(after),
        })
    }
}

/// A stretch of changed lines in one line: the first, and how many there are in all.
fn stretch(lines: &[&str]) -> String {
    match lines {
        [] => "(no line)".to_owned(),
        [line] => one_line(line),
        [first, ..] => format!("{} ... ({} lines)", one_line(first), lines.len()),
    }
}

/// A value on one line: every run of whitespace (newlines included) becomes one space.
fn one_line(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The kinds of objects a snapshot holds, in the order a diff lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ObjectKind {
    /// A schema.
    Schema,
    /// An extension.
    Extension,
    /// An enum type.
    Enum,
    /// A domain.
    Domain,
    /// A sequence.
    Sequence,
    /// A table.
    Table,
    /// A column of a table.
    Column,
    /// A constraint of a table.
    Constraint,
    /// An index.
    Index,
    /// A view.
    View,
    /// A materialized view.
    MaterializedView,
    /// A function, procedure or aggregate.
    Function,
    /// A trigger.
    Trigger,
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ObjectKind::Schema => "schema",
            ObjectKind::Extension => "extension",
            ObjectKind::Enum => "enum",
            ObjectKind::Domain => "domain",
            ObjectKind::Sequence => "sequence",
            ObjectKind::Table => "table",
            ObjectKind::Column => "column",
            ObjectKind::Constraint => "constraint",
            ObjectKind::Index => "index",
            ObjectKind::View => "view",
            ObjectKind::MaterializedView => "materialized view",
            ObjectKind::Function => "function",
            ObjectKind::Trigger => "trigger",
        })
    }
}

/// One object of a snapshot with its name, as a [`Change`] carries it. The values are the
/// snapshot's own (see [`Snapshot`] for what each holds).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Object {
    /// A schema.
    Schema {
        /// Its name.
        name: String,
        /// The schema.
        schema: Schema,
    },
    /// An extension.
    Extension {
        /// Its name.
        name: String,
        /// The extension.
        extension: Extension,
    },
    /// A table, with its columns and constraints.
    Table {
        /// Its name.
        name: QualifiedName,
        /// The table.
        table: Table,
    },
    /// A column of a table.
    Column {
        /// The table.
        table: QualifiedName,
        /// The column (its name included).
        column: Column,
    },
    /// A table constraint.
    Constraint {
        /// The table.
        table: QualifiedName,
        /// The constraint's name.
        name: String,
        /// The constraint.
        constraint: Constraint,
    },
    /// An index.
    Index {
        /// Its name (in the schema of its table).
        name: QualifiedName,
        /// The index.
        index: Index,
    },
    /// A sequence.
    Sequence {
        /// Its name.
        name: QualifiedName,
        /// The sequence.
        sequence: Sequence,
    },
    /// A view.
    View {
        /// Its name.
        name: QualifiedName,
        /// The view.
        view: View,
    },
    /// A materialized view.
    MaterializedView {
        /// Its name.
        name: QualifiedName,
        /// The materialized view.
        view: View,
    },
    /// A function, procedure or aggregate.
    Function {
        /// Its name and argument types.
        name: FunctionName,
        /// The function.
        function: Function,
    },
    /// A trigger.
    Trigger {
        /// Its table and name.
        name: TriggerName,
        /// The trigger.
        trigger: Trigger,
    },
    /// An enum type.
    Enum {
        /// Its name.
        name: QualifiedName,
        /// The enum type.
        enum_type: EnumType,
    },
    /// A domain.
    Domain {
        /// Its name.
        name: QualifiedName,
        /// The domain.
        domain: Domain,
    },
}

impl Object {
    /// Its kind.
    pub fn kind(&self) -> ObjectKind {
        match self {
            Object::Schema { .. } => ObjectKind::Schema,
            Object::Extension { .. } => ObjectKind::Extension,
            Object::Table { .. } => ObjectKind::Table,
            Object::Column { .. } => ObjectKind::Column,
            Object::Constraint { .. } => ObjectKind::Constraint,
            Object::Index { .. } => ObjectKind::Index,
            Object::Sequence { .. } => ObjectKind::Sequence,
            Object::View { .. } => ObjectKind::View,
            Object::MaterializedView { .. } => ObjectKind::MaterializedView,
            Object::Function { .. } => ObjectKind::Function,
            Object::Trigger { .. } => ObjectKind::Trigger,
            Object::Enum { .. } => ObjectKind::Enum,
            Object::Domain { .. } => ObjectKind::Domain,
        }
    }

    /// Its full name as the diff prints it: `app.tasks`, `app.tasks.title` (a column),
    /// `app.tasks.tasks_pkey` (a constraint), `app.touch()` (a function).
    pub fn name(&self) -> String {
        match self {
            Object::Schema { name, .. } | Object::Extension { name, .. } => {
                ident(name).into_owned()
            }
            Object::Table { name, .. }
            | Object::Index { name, .. }
            | Object::Sequence { name, .. }
            | Object::View { name, .. }
            | Object::MaterializedView { name, .. }
            | Object::Enum { name, .. }
            | Object::Domain { name, .. } => name.to_string(),
            Object::Column { table, column } => ColumnName {
                table: table.clone(),
                name: column.name.clone(),
            }
            .to_string(),
            Object::Constraint { table, name, .. } => format!("{table}.{}", ident(name)),
            Object::Function { name, .. } => name.to_string(),
            Object::Trigger { name, .. } => name.to_string(),
        }
    }

    /// The word a diff line starts with: the kind, except that routines say which they are
    /// (`procedure`, `aggregate`).
    fn kind_label(&self) -> String {
        match self {
            Object::Function { function, .. } => function.kind.to_string(),
            other => other.kind().to_string(),
        }
    }

    /// What an added or removed object's line says: kind, name and a one-line summary.
    fn headline(&self) -> String {
        let summary = match self {
            Object::Extension { extension, .. } => Some(format!(
                "version {}, schema {}",
                extension.version,
                ident(&extension.schema)
            )),
            Object::Column { column, .. } => Some(column_spec(column)),
            Object::Constraint { constraint, .. } => Some(constraint.definition.clone()),
            Object::Index { index, .. } => Some(index.definition.clone()),
            Object::Sequence { sequence, .. } => Some(sequence.data_type.clone()),
            Object::Trigger { trigger, .. } => Some(trigger.definition.clone()),
            Object::Enum { enum_type, .. } => Some(format!("({})", labels(&enum_type.labels))),
            Object::Domain { domain, .. } => Some(domain_spec(domain)),
            Object::Schema { .. }
            | Object::Table { .. }
            | Object::View { .. }
            | Object::MaterializedView { .. }
            | Object::Function { .. } => None,
        };
        let mut line = format!("{} {}", self.kind_label(), self.name());
        if let Some(summary) = summary {
            line.push(' ');
            line.push_str(&one_line(&summary));
        }
        line
    }
}

/// A column as its definition reads: `integer not null default 0`.
fn column_spec(column: &Column) -> String {
    let mut spec = column.data_type.clone();
    if let Some(collation) = &column.collation {
        spec.push_str(&format!(" collate {collation}"));
    }
    if column.not_null {
        spec.push_str(" not null");
    }
    if let Some(default) = &column.default {
        spec.push_str(&format!(" default {default}"));
    }
    if let Some(expression) = &column.generated {
        spec.push_str(&format!(" generated always as ({expression}) stored"));
    }
    if let Some(identity) = &column.identity {
        spec.push_str(&format!(" {}", identity.generation));
    }
    spec
}

/// A domain as its definition reads: `integer not null default 0 CHECK (...)`.
fn domain_spec(domain: &Domain) -> String {
    let mut spec = domain.base_type.clone();
    if let Some(collation) = &domain.collation {
        spec.push_str(&format!(" collate {collation}"));
    }
    if domain.not_null {
        spec.push_str(" not null");
    }
    if let Some(default) = &domain.default {
        spec.push_str(&format!(" default {default}"));
    }
    for definition in domain.constraints.values() {
        spec.push_str(&format!(" {definition}"));
    }
    spec
}

fn labels(labels: &[String]) -> String {
    labels
        .iter()
        .map(|label| quote(label))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A SQL string literal, for comments and labels: [`crate::quote::literal`], which reads back
/// the same whatever `standard_conforming_strings` is and stays on one line.
fn quote(text: &str) -> String {
    crate::quote::literal(text)
}

fn comment(comment: &Option<String>) -> Option<String> {
    comment.as_deref().map(quote)
}

fn nullability(not_null: bool) -> Option<String> {
    Some(if not_null { "not null" } else { "null" }.to_owned())
}

fn shown<T: ToString>(value: &T) -> Option<String> {
    Some(value.to_string())
}

/// The differences of one object, gathered attribute by attribute.
#[derive(Default)]
struct Differences(Vec<Difference>);

impl Differences {
    /// Records `attribute` when its renderings differ.
    fn check(
        &mut self,
        attribute: impl Into<String>,
        before: Option<String>,
        after: Option<String>,
    ) {
        if before != after {
            self.0.push(Difference {
                attribute: attribute.into(),
                before,
                after,
            });
        }
    }
}

// The comparisons destructure each struct completely, so that a field added to the model
// without a comparison here fails to compile: a diff is empty exactly when the snapshots are
// equal.

fn compare_schemas(before: &Schema, after: &Schema) -> Vec<Difference> {
    let Schema { comment: c } = before;
    let mut d = Differences::default();
    d.check("comment", comment(c), comment(&after.comment));
    d.0
}

fn compare_extensions(before: &Extension, after: &Extension) -> Vec<Difference> {
    let Extension {
        schema,
        version,
        comment: c,
    } = before;
    let mut d = Differences::default();
    d.check(
        "schema",
        Some(ident(schema).into_owned()),
        Some(ident(&after.schema).into_owned()),
    );
    d.check("version", shown(version), shown(&after.version));
    d.check("comment", comment(c), comment(&after.comment));
    d.0
}

/// The table's own attributes; columns and constraints are compared one by one elsewhere.
fn compare_tables(before: &Table, after: &Table) -> Vec<Difference> {
    let Table {
        columns,
        constraints: _,
        unlogged,
        options,
        partition_key,
        partition_bound,
        parents,
        comment: c,
    } = before;
    let persistence =
        |unlogged: bool| Some(if unlogged { "unlogged" } else { "logged" }.to_owned());
    let names = |parents: &[QualifiedName]| {
        (!parents.is_empty()).then(|| {
            parents
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        })
    };
    let mut d = Differences::default();
    d.check(
        "column order",
        common_order(columns, &after.columns),
        common_order(&after.columns, columns),
    );
    d.check(
        "persistence",
        persistence(*unlogged),
        persistence(after.unlogged),
    );
    d.check("options", options.clone(), after.options.clone());
    d.check(
        "partition key",
        partition_key.clone(),
        after.partition_key.clone(),
    );
    d.check(
        "partition bound",
        partition_bound.clone(),
        after.partition_bound.clone(),
    );
    d.check("parents", names(parents), names(&after.parents));
    d.check("comment", comment(c), comment(&after.comment));
    d.0
}

/// The order of the columns of `columns` that `other` has too (added or dropped columns are
/// changes of their own), as `a, b, c`.
fn common_order(columns: &[Column], other: &[Column]) -> Option<String> {
    let names: Vec<&str> = columns
        .iter()
        .filter(|column| other.iter().any(|o| o.name == column.name))
        .map(|column| column.name.as_str())
        .collect();
    Some(names.join(", "))
}

fn compare_columns(before: &Column, after: &Column) -> Vec<Difference> {
    let Column {
        name: _,
        data_type,
        not_null,
        default,
        generated,
        identity,
        collation,
        comment: c,
    } = before;
    let mut d = Differences::default();
    d.check("type", shown(data_type), shown(&after.data_type));
    d.check("collation", collation.clone(), after.collation.clone());
    d.check(
        "nullability",
        nullability(*not_null),
        nullability(after.not_null),
    );
    d.check("default", default.clone(), after.default.clone());
    d.check("generated", generated.clone(), after.generated.clone());
    d.check(
        "identity",
        identity.as_ref().map(|i| i.generation.to_string()),
        after.identity.as_ref().map(|i| i.generation.to_string()),
    );
    if let (Some(identity), Some(after_identity)) = (identity, &after.identity) {
        d.check(
            "identity sequence",
            shown(&identity.sequence),
            shown(&after_identity.sequence),
        );
    }
    d.check("comment", comment(c), comment(&after.comment));
    d.0
}

fn compare_constraints(before: &Constraint, after: &Constraint) -> Vec<Difference> {
    let Constraint {
        kind,
        definition,
        comment: c,
    } = before;
    let mut d = Differences::default();
    d.check("kind", shown(kind), shown(&after.kind));
    d.check("definition", shown(definition), shown(&after.definition));
    d.check("comment", comment(c), comment(&after.comment));
    d.0
}

fn compare_indexes(before: &Index, after: &Index) -> Vec<Difference> {
    let Index {
        table,
        definition,
        comment: c,
    } = before;
    let mut d = Differences::default();
    d.check("table", shown(table), shown(&after.table));
    d.check("definition", shown(definition), shown(&after.definition));
    d.check("comment", comment(c), comment(&after.comment));
    d.0
}

fn compare_sequences(before: &Sequence, after: &Sequence) -> Vec<Difference> {
    let Sequence {
        data_type,
        options,
        owned_by,
        comment: c,
    } = before;
    let (o, a) = (options, &after.options);
    let cycle = |cycle: bool| Some(if cycle { "cycle" } else { "no cycle" }.to_owned());
    let mut d = Differences::default();
    d.check("type", shown(data_type), shown(&after.data_type));
    d.check("start", shown(&o.start), shown(&a.start));
    d.check("increment", shown(&o.increment), shown(&a.increment));
    d.check("minvalue", shown(&o.min), shown(&a.min));
    d.check("maxvalue", shown(&o.max), shown(&a.max));
    d.check("cache", shown(&o.cache), shown(&a.cache));
    d.check("cycle", cycle(o.cycle), cycle(a.cycle));
    d.check(
        "owned by",
        owned_by.as_ref().map(ToString::to_string),
        after.owned_by.as_ref().map(ToString::to_string),
    );
    d.check("comment", comment(c), comment(&after.comment));
    d.0
}

fn compare_views(before: &View, after: &View) -> Vec<Difference> {
    let View {
        definition,
        options,
        comment: c,
    } = before;
    let mut d = Differences::default();
    d.check("definition", shown(definition), shown(&after.definition));
    d.check("options", options.clone(), after.options.clone());
    d.check("comment", comment(c), comment(&after.comment));
    d.0
}

fn compare_functions(before: &Function, after: &Function) -> Vec<Difference> {
    let Function {
        kind,
        definition,
        comment: c,
    } = before;
    let mut d = Differences::default();
    d.check("kind", shown(kind), shown(&after.kind));
    d.check("definition", shown(definition), shown(&after.definition));
    d.check("comment", comment(c), comment(&after.comment));
    d.0
}

fn compare_triggers(before: &Trigger, after: &Trigger) -> Vec<Difference> {
    let Trigger {
        definition,
        firing,
        comment: c,
    } = before;
    let mut d = Differences::default();
    d.check("definition", shown(definition), shown(&after.definition));
    d.check("firing", shown(firing), shown(&after.firing));
    d.check("comment", comment(c), comment(&after.comment));
    d.0
}

fn compare_enums(before: &EnumType, after: &EnumType) -> Vec<Difference> {
    let EnumType {
        labels: l,
        comment: c,
    } = before;
    let mut d = Differences::default();
    d.check("labels", Some(labels(l)), Some(labels(&after.labels)));
    d.check("comment", comment(c), comment(&after.comment));
    d.0
}

fn compare_domains(before: &Domain, after: &Domain) -> Vec<Difference> {
    let Domain {
        base_type,
        not_null,
        default,
        collation,
        constraints,
        comment: c,
    } = before;
    let mut d = Differences::default();
    d.check("type", shown(base_type), shown(&after.base_type));
    d.check("collation", collation.clone(), after.collation.clone());
    d.check(
        "nullability",
        nullability(*not_null),
        nullability(after.not_null),
    );
    d.check("default", default.clone(), after.default.clone());
    let names: BTreeSet<&String> = constraints.keys().chain(after.constraints.keys()).collect();
    for name in names {
        d.check(
            format!("constraint {}", ident(name)),
            constraints.get(name).cloned(),
            after.constraints.get(name).cloned(),
        );
    }
    d.check("comment", comment(c), comment(&after.comment));
    d.0
}

/// Adds the changes between two maps of one kind, in key order.
fn diff_maps<K: Ord, V>(
    before: &BTreeMap<K, V>,
    after: &BTreeMap<K, V>,
    object: impl Fn(&K, &V) -> Object,
    compare: impl Fn(&V, &V) -> Vec<Difference>,
    changes: &mut Vec<Change>,
) {
    let keys: BTreeSet<&K> = before.keys().chain(after.keys()).collect();
    for key in keys {
        match (before.get(key), after.get(key)) {
            (Some(old), None) => changes.push(Change::Removed(object(key, old))),
            (None, Some(new)) => changes.push(Change::Added(object(key, new))),
            (Some(old), Some(new)) => {
                let differences = compare(old, new);
                if !differences.is_empty() {
                    changes.push(Change::Altered {
                        before: object(key, old),
                        after: object(key, new),
                        differences,
                    });
                }
            }
            (None, None) => {}
        }
    }
}

/// The tables both snapshots have.
fn common_tables<'a>(
    before: &'a Snapshot,
    after: &'a Snapshot,
) -> impl Iterator<Item = (&'a QualifiedName, &'a Table, &'a Table)> {
    before
        .tables
        .iter()
        .filter_map(|(name, old)| after.tables.get(name).map(|new| (name, old, new)))
}

impl Snapshot {
    /// What changed from `self` to `other`: empty exactly when the two are equal.
    ///
    /// ```
    /// use pelican::schema::Snapshot;
    ///
    /// let empty = Snapshot::default();
    /// assert!(empty.diff(&empty.clone()).is_empty());
    /// ```
    pub fn diff(&self, other: &Snapshot) -> SchemaDiff {
        let mut changes = Vec::new();
        let c = &mut changes;
        diff_maps(
            &self.schemas,
            &other.schemas,
            |name, schema| Object::Schema {
                name: name.clone(),
                schema: schema.clone(),
            },
            compare_schemas,
            c,
        );
        diff_maps(
            &self.extensions,
            &other.extensions,
            |name, extension| Object::Extension {
                name: name.clone(),
                extension: extension.clone(),
            },
            compare_extensions,
            c,
        );
        diff_maps(
            &self.enums,
            &other.enums,
            |name, enum_type| Object::Enum {
                name: name.clone(),
                enum_type: enum_type.clone(),
            },
            compare_enums,
            c,
        );
        diff_maps(
            &self.domains,
            &other.domains,
            |name, domain| Object::Domain {
                name: name.clone(),
                domain: domain.clone(),
            },
            compare_domains,
            c,
        );
        diff_maps(
            &self.sequences,
            &other.sequences,
            |name, sequence| Object::Sequence {
                name: name.clone(),
                sequence: sequence.clone(),
            },
            compare_sequences,
            c,
        );
        diff_maps(
            &self.tables,
            &other.tables,
            |name, table| Object::Table {
                name: name.clone(),
                table: table.clone(),
            },
            compare_tables,
            c,
        );
        for (table, old, new) in common_tables(self, other) {
            let by_name = |columns: &[Column]| -> BTreeMap<String, Column> {
                columns
                    .iter()
                    .map(|column| (column.name.clone(), column.clone()))
                    .collect()
            };
            diff_maps(
                &by_name(&old.columns),
                &by_name(&new.columns),
                |_, column| Object::Column {
                    table: table.clone(),
                    column: column.clone(),
                },
                compare_columns,
                c,
            );
        }
        for (table, old, new) in common_tables(self, other) {
            diff_maps(
                &old.constraints,
                &new.constraints,
                |name, constraint| Object::Constraint {
                    table: table.clone(),
                    name: name.clone(),
                    constraint: constraint.clone(),
                },
                compare_constraints,
                c,
            );
        }
        diff_maps(
            &self.indexes,
            &other.indexes,
            |name, index| Object::Index {
                name: name.clone(),
                index: index.clone(),
            },
            compare_indexes,
            c,
        );
        diff_maps(
            &self.views,
            &other.views,
            |name, view| Object::View {
                name: name.clone(),
                view: view.clone(),
            },
            compare_views,
            c,
        );
        diff_maps(
            &self.materialized_views,
            &other.materialized_views,
            |name, view| Object::MaterializedView {
                name: name.clone(),
                view: view.clone(),
            },
            compare_views,
            c,
        );
        diff_maps(
            &self.functions,
            &other.functions,
            |name, function| Object::Function {
                name: name.clone(),
                function: function.clone(),
            },
            compare_functions,
            c,
        );
        diff_maps(
            &self.triggers,
            &other.triggers,
            |name, trigger| Object::Trigger {
                name: name.clone(),
                trigger: trigger.clone(),
            },
            compare_triggers,
            c,
        );
        SchemaDiff { changes }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::model::{IdentityGeneration, SequenceOptions};
    use crate::schema::Identity;

    fn difference(attribute: &str, before: Option<&str>, after: Option<&str>) -> String {
        Difference {
            attribute: attribute.into(),
            before: before.map(Into::into),
            after: after.map(Into::into),
        }
        .to_string()
    }

    #[test]
    fn single_line_values_show_in_full_and_absent_ones_as_none() {
        assert_eq!(
            difference("type", Some("text"), Some("integer")),
            "type text -> integer"
        );
        assert_eq!(difference("default", None, Some("0")), "default none -> 0");
        assert_eq!(difference("default", Some("0"), None), "default 0 -> none");
    }

    #[test]
    fn multi_line_values_show_the_first_changed_stretch() {
        let before = "CREATE FUNCTION f()\nBEGIN\n    x := 1;\n    RETURN x;\nEND;\n";
        // One line changed.
        let after = before.replace("x := 1;", "x := 2;");
        assert_eq!(
            difference("definition", Some(before), Some(&after)),
            "definition, line 3: x := 1; -> x := 2;"
        );
        // A line inserted.
        let after = before.replace("    RETURN x;\n", "    x := x + 1;\n    RETURN x;\n");
        assert_eq!(
            difference("definition", Some(before), Some(&after)),
            "definition, line 4: (no line) -> x := x + 1;"
        );
        // Several lines replaced by one.
        let after = "CREATE FUNCTION f()\nBEGIN\n    RETURN 1;\nEND;\n";
        assert_eq!(
            difference("definition", Some(before), Some(after)),
            "definition, line 3: x := 1; ... (2 lines) -> RETURN 1;"
        );
        // Only the final newline differs: nothing line-wise, so both are shown on one line.
        assert_eq!(
            difference("definition", Some("a\nb\n"), Some("a\nb")),
            "definition a b -> a b"
        );
        // A multi-line value against none is flattened.
        assert_eq!(
            difference("comment", Some("'two\nlines'"), None),
            "comment 'two lines' -> none"
        );
    }

    fn column(name: &str, data_type: &str) -> Column {
        Column {
            name: name.into(),
            data_type: data_type.into(),
            not_null: false,
            default: None,
            generated: None,
            identity: None,
            collation: None,
            comment: None,
        }
    }

    fn table(columns: Vec<Column>) -> Table {
        Table {
            columns,
            ..Table::default()
        }
    }

    #[test]
    fn a_table_in_both_lists_its_column_changes_after_every_table_change() {
        let name = QualifiedName::new("app", "Tasks");
        let mut before = Snapshot::default();
        before.tables.insert(
            name.clone(),
            table(vec![
                column("id", "bigint"),
                column("title", "text"),
                column("gone", "int"),
            ]),
        );
        before
            .tables
            .insert(QualifiedName::new("app", "old"), Table::default());
        let mut after = Snapshot::default();
        let mut id = column("id", "bigint");
        id.not_null = true;
        id.identity = Some(Identity {
            generation: IdentityGeneration::Always,
            sequence: SequenceOptions {
                start: 1,
                increment: 1,
                min: 1,
                max: i64::MAX,
                cache: 1,
                cycle: false,
            },
        });
        let mut title = column("title", "character varying(200)");
        title.comment = Some("it's the title".into());
        after.tables.insert(name.clone(), table(vec![title, id]));
        after
            .tables
            .insert(QualifiedName::new("app", "new"), Table::default());

        let diff = before.diff(&after);
        assert_eq!(
            diff.lines(),
            [
                // Sorted by name as PostgreSQL stores it: "Tasks" before "new".
                "~ table app.\"Tasks\": column order id, title -> title, id",
                "+ table app.new",
                "- table app.old",
                "- column app.\"Tasks\".gone int",
                "~ column app.\"Tasks\".id: nullability null -> not null",
                "~ column app.\"Tasks\".id: identity none -> generated always as identity",
                "~ column app.\"Tasks\".title: type text -> character varying(200)",
                "~ column app.\"Tasks\".title: comment none -> 'it''s the title'",
            ]
        );
        let kinds: Vec<ObjectKind> = diff.changes().iter().map(Change::kind).collect();
        assert_eq!(
            kinds,
            [
                ObjectKind::Table,
                ObjectKind::Table,
                ObjectKind::Table,
                ObjectKind::Column,
                ObjectKind::Column,
                ObjectKind::Column,
            ]
        );
        match &diff.changes()[4] {
            Change::Altered {
                before: Object::Column { column: old, .. },
                after: Object::Column { table, column: new },
                differences,
            } => {
                assert_eq!(table, &name);
                assert!(!old.not_null && new.not_null);
                assert_eq!(differences.len(), 2);
            }
            other => panic!("{other:?}"),
        }
        assert!(after.diff(&after.clone()).is_empty());
        assert_eq!(after.diff(&before).lines().len(), diff.lines().len());
    }

    #[test]
    fn added_objects_carry_a_one_line_summary() {
        let mut after = Snapshot::default();
        let mut domain = Domain {
            base_type: "integer".into(),
            not_null: true,
            default: Some("0".into()),
            collation: None,
            constraints: BTreeMap::new(),
            comment: None,
        };
        domain
            .constraints
            .insert("small".into(), "CHECK (VALUE < 10)".into());
        after
            .domains
            .insert(QualifiedName::new("app", "priority"), domain);
        after.enums.insert(
            QualifiedName::new("app", "state"),
            EnumType {
                labels: vec!["todo".into(), "won't".into()],
                comment: None,
            },
        );
        after.views.insert(
            QualifiedName::new("app", "v"),
            View {
                definition: " SELECT 1\n  FROM x;".into(),
                options: None,
                comment: None,
            },
        );
        assert_eq!(
            Snapshot::default().diff(&after).to_string(),
            "+ enum app.state ('todo', 'won''t')\n\
             + domain app.priority integer not null default 0 CHECK (VALUE < 10)\n\
             + view app.v"
        );
    }
}

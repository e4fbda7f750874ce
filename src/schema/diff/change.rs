//! The `Change` type: an object added, removed or changed, its kind, and each difference of
//! a changed object, printed one line each.

use std::fmt;

use super::render::{attributes, column_spec, domain_spec, labels, range_spec};
use crate::schema::grant::Grant;
use crate::schema::model::{
    ident, Column, ColumnName, Constraint, Domain, EnumType, Extension, Function, FunctionName,
    Index, QualifiedName, Schema, Sequence, Table, Trigger, TriggerName, View,
};
use crate::schema::types::{CompositeType, RangeType};

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
pub(super) struct ChangedLines {
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
pub(super) fn stretch(lines: &[&str]) -> String {
    match lines {
        [] => "(no line)".to_owned(),
        [line] => one_line(line),
        [first, ..] => format!("{} ... ({} lines)", one_line(first), lines.len()),
    }
}

/// A value on one line: every run of whitespace (newlines included) becomes one space.
pub(super) fn one_line(value: &str) -> String {
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
    /// A composite type.
    CompositeType,
    /// A range type.
    RangeType,
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
    /// A privilege granted on an object.
    Grant,
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ObjectKind::Schema => "schema",
            ObjectKind::Extension => "extension",
            ObjectKind::Enum => "enum",
            ObjectKind::CompositeType => "composite type",
            ObjectKind::RangeType => "range type",
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
            ObjectKind::Grant => "grant",
        })
    }
}

/// One object of a snapshot with its name, as a [`Change`] carries it. The values are the
/// snapshot's own (see [`Snapshot`](crate::schema::Snapshot) for what each holds).
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
    /// A composite type.
    CompositeType {
        /// Its name.
        name: QualifiedName,
        /// The composite type.
        composite_type: CompositeType,
    },
    /// A range type.
    RangeType {
        /// Its name.
        name: QualifiedName,
        /// The range type.
        range_type: RangeType,
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
    /// A privilege granted on an object (snapshots taken with privileges).
    Grant(Grant),
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
            Object::CompositeType { .. } => ObjectKind::CompositeType,
            Object::RangeType { .. } => ObjectKind::RangeType,
            Object::Domain { .. } => ObjectKind::Domain,
            Object::Grant(_) => ObjectKind::Grant,
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
            | Object::CompositeType { name, .. }
            | Object::RangeType { name, .. }
            | Object::Domain { name, .. } => name.to_string(),
            Object::Column { table, column } => ColumnName {
                table: table.clone(),
                name: column.name.clone(),
            }
            .to_string(),
            Object::Constraint { table, name, .. } => format!("{table}.{}", ident(name)),
            Object::Function { name, .. } => name.to_string(),
            Object::Trigger { name, .. } => name.to_string(),
            Object::Grant(grant) => grant.to_string(),
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
            Object::CompositeType { composite_type, .. } => {
                Some(format!("({})", attributes(&composite_type.attributes)))
            }
            Object::RangeType { range_type, .. } => Some(range_spec(range_type)),
            Object::Domain { domain, .. } => Some(domain_spec(domain)),
            Object::Schema { .. }
            | Object::Table { .. }
            | Object::View { .. }
            | Object::MaterializedView { .. }
            | Object::Function { .. }
            | Object::Grant(_) => None,
        };
        let mut line = format!("{} {}", self.kind_label(), self.name());
        if let Some(summary) = summary {
            line.push(' ');
            line.push_str(&one_line(&summary));
        }
        line
    }
}

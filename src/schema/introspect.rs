//! Reading a [`Snapshot`] from `pg_catalog`: one statement (`catalog.sql`), decoded here.

use std::collections::BTreeMap;

use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, Row};

use super::depend::ObjectRef;
use super::model::{
    Column, ColumnName, Constraint, ConstraintKind, Domain, EnumType, Extension, Function,
    FunctionKind, FunctionName, GeneratedKind, Identity, IdentityGeneration, Index, Policy,
    PolicyCommand, QualifiedName, Schema, Sequence, SequenceOptions, Snapshot, Table, Trigger,
    TriggerFiring, TriggerName, View,
};
use super::types::{Attribute, CompositeType, RangeType};
use crate::error::Error;

/// The whole catalog query. One statement sees one state of the catalog, so the snapshot is
/// consistent without a transaction of our own (which could not be opened if the caller's
/// client is already in one).
const CATALOG_QUERY: &str = include_str!("catalog.sql");

const CONTEXT: &str = "could not read the schema snapshot from pg_catalog";

/// Reads the objects of `schemas` (every non-system schema when empty), leaving out the
/// tables and functions named in `ignored`.
pub(crate) async fn read(
    client: &Client,
    schemas: &[String],
    ignored: &[&str],
) -> Result<Snapshot, Error> {
    let params: [(&(dyn ToSql + Sync), Type); 2] =
        [(&schemas, Type::TEXT_ARRAY), (&ignored, Type::TEXT_ARRAY)];
    // query_typed: one round trip, no prepared statement left behind.
    let rows = client
        .query_typed(CATALOG_QUERY, &params)
        .await
        .map_err(|error| Error::database(CONTEXT, error))?;
    let mut builder = Builder::default();
    for row in &rows {
        let row = CatalogRow::decode(row).map_err(|error| Error::database(CONTEXT, error))?;
        builder.add(row);
    }
    Ok(builder.finish())
}

/// One row of the catalog query: the object's kind and its positional fields.
struct CatalogRow {
    kind: String,
    text: Vec<Option<String>>,
    flags: Vec<Option<bool>>,
    numbers: Vec<Option<i64>>,
}

impl CatalogRow {
    fn decode(row: &Row) -> Result<Self, tokio_postgres::Error> {
        Ok(CatalogRow {
            kind: row.try_get(0)?,
            text: row.try_get::<_, Option<_>>(1)?.unwrap_or_default(),
            flags: row.try_get::<_, Option<_>>(2)?.unwrap_or_default(),
            numbers: row.try_get::<_, Option<_>>(3)?.unwrap_or_default(),
        })
    }

    /// Text field `index`, taken out of the row (each is read once).
    fn text(&mut self, index: usize) -> Option<String> {
        self.text.get_mut(index).and_then(Option::take)
    }

    /// A text field that is never NULL.
    fn string(&mut self, index: usize) -> String {
        self.text(index).unwrap_or_default()
    }

    /// The qualified name in text fields `index` (schema) and `index + 1` (name).
    fn name(&mut self, index: usize) -> QualifiedName {
        QualifiedName::new(self.string(index), self.string(index + 1))
    }

    /// A text field that is empty when absent (`reloptions`, `attidentity`).
    fn non_empty(&mut self, index: usize) -> Option<String> {
        self.text(index).filter(|text| !text.is_empty())
    }

    fn flag(&self, index: usize) -> bool {
        self.flags.get(index).copied().flatten().unwrap_or(false)
    }

    fn number(&self, index: usize) -> Option<i64> {
        self.numbers.get(index).copied().flatten()
    }

    /// Sequence options from numbers `start..start + 5` and flag `cycle`.
    fn sequence_options(&self, start: usize, cycle: usize) -> Option<SequenceOptions> {
        Some(SequenceOptions {
            start: self.number(start)?,
            increment: self.number(start + 1)?,
            min: self.number(start + 2)?,
            max: self.number(start + 3)?,
            cache: self.number(start + 4)?,
            cycle: self.flag(cycle),
        })
    }
}

/// Collects rows in any order; parts of tables and domains are attached at the end.
#[derive(Default)]
struct Builder {
    snapshot: Snapshot,
    /// (table, attnum, column).
    columns: Vec<(QualifiedName, i64, Column)>,
    /// (table, name, constraint).
    constraints: Vec<(QualifiedName, String, Constraint)>,
    /// (table, name, policy).
    policies: Vec<(QualifiedName, String, Policy)>,
    /// (table, position, parent).
    parents: Vec<(QualifiedName, i64, QualifiedName)>,
    /// (domain, name, definition).
    domain_constraints: Vec<(QualifiedName, String, String)>,
}

impl Builder {
    /// Files one row; the field layout of each kind is written above its branch in
    /// `catalog.sql`. Kinds or codes the query does not produce are skipped.
    fn add(&mut self, mut row: CatalogRow) {
        let snapshot = &mut self.snapshot;
        match row.kind.as_str() {
            "schema" => {
                let name = row.string(0);
                let comment = row.text(1);
                snapshot.schemas.insert(name, Schema { comment });
            }
            "extension" => {
                let name = row.string(0);
                let extension = Extension {
                    schema: row.string(1),
                    version: row.string(2),
                    comment: row.text(3),
                };
                snapshot.extensions.insert(name, extension);
            }
            "table" => {
                let name = row.name(0);
                let table = Table {
                    comment: row.text(2),
                    options: row.non_empty(3),
                    partition_key: row.text(4),
                    partition_bound: row.text(5),
                    unlogged: row.flag(0),
                    row_security: row.flag(1),
                    force_row_security: row.flag(2),
                    ..Table::default()
                };
                snapshot.tables.insert(name, table);
            }
            "policy" => {
                let command = match row.string(3).as_str() {
                    "*" => PolicyCommand::All,
                    "r" => PolicyCommand::Select,
                    "a" => PolicyCommand::Insert,
                    "w" => PolicyCommand::Update,
                    "d" => PolicyCommand::Delete,
                    _ => return,
                };
                let table = row.name(0);
                let name = row.string(2);
                let policy = Policy {
                    command,
                    permissive: row.flag(0),
                    using: row.text(4),
                    with_check: row.text(5),
                    roles: row.text.drain(6..).flatten().collect(),
                };
                self.policies.push((table, name, policy));
            }
            "parent" => {
                let table = row.name(0);
                let parent = row.name(2);
                let position = row.number(0).unwrap_or_default();
                self.parents.push((table, position, parent));
            }
            "column" => {
                let table = row.name(0);
                let name = row.string(2);
                let generation = match row.string(6).as_str() {
                    "a" => Some(IdentityGeneration::Always),
                    "d" => Some(IdentityGeneration::ByDefault),
                    _ => None,
                };
                let identity =
                    generation
                        .zip(row.sequence_options(1, 1))
                        .map(|(generation, sequence)| Identity {
                            generation,
                            sequence,
                        });
                let column = Column {
                    name,
                    data_type: row.string(3),
                    not_null: row.flag(0),
                    default: row.text(4),
                    generated: row.text(5),
                    generated_kind: if row.flag(2) {
                        GeneratedKind::Virtual
                    } else {
                        GeneratedKind::Stored
                    },
                    identity,
                    collation: row.text(7),
                    comment: row.text(8),
                };
                let position = row.number(0).unwrap_or_default();
                self.columns.push((table, position, column));
            }
            "constraint" => {
                let kind = match row.string(3).as_str() {
                    "p" => ConstraintKind::PrimaryKey,
                    "u" => ConstraintKind::Unique,
                    "c" => ConstraintKind::Check,
                    "f" => ConstraintKind::ForeignKey,
                    "x" => ConstraintKind::Exclusion,
                    _ => return,
                };
                let table = row.name(0);
                let name = row.string(2);
                let constraint = Constraint {
                    kind,
                    definition: row.string(4),
                    comment: row.text(5),
                };
                self.constraints.push((table, name, constraint));
            }
            "index" => {
                let schema = row.string(0);
                let name = QualifiedName::new(schema.clone(), row.string(1));
                let index = Index {
                    table: QualifiedName::new(schema, row.string(2)),
                    definition: row.string(3),
                    comment: row.text(4),
                };
                snapshot.indexes.insert(name, index);
            }
            "sequence" => {
                let Some(options) = row.sequence_options(0, 0) else {
                    return;
                };
                let name = row.name(0);
                let owned_by = match (row.text(3), row.text(4), row.text(5)) {
                    (Some(schema), Some(table), Some(column)) => Some(ColumnName {
                        table: QualifiedName::new(schema, table),
                        name: column,
                    }),
                    _ => None,
                };
                let sequence = Sequence {
                    data_type: row.string(2),
                    options,
                    owned_by,
                    comment: row.text(6),
                };
                snapshot.sequences.insert(name, sequence);
            }
            "view" | "materialized view" => {
                let name = row.name(0);
                let view = View {
                    definition: row.string(2),
                    options: row.non_empty(3),
                    comment: row.text(4),
                };
                if row.kind == "view" {
                    snapshot.views.insert(name, view);
                } else {
                    snapshot.materialized_views.insert(name, view);
                }
            }
            "function" => {
                let kind = match row.string(3).as_str() {
                    "f" => FunctionKind::Function,
                    "p" => FunctionKind::Procedure,
                    "a" => FunctionKind::Aggregate,
                    "w" => FunctionKind::Window,
                    _ => return,
                };
                let name = FunctionName {
                    schema: row.string(0),
                    name: row.string(1),
                    arguments: row.string(2),
                };
                let function = Function {
                    kind,
                    definition: row.string(4),
                    comment: row.text(5),
                };
                snapshot.functions.insert(name, function);
            }
            "trigger" => {
                let firing = match row.string(4).as_str() {
                    "O" => TriggerFiring::Enabled,
                    "D" => TriggerFiring::Disabled,
                    "R" => TriggerFiring::Replica,
                    "A" => TriggerFiring::Always,
                    _ => return,
                };
                let name = TriggerName {
                    table: row.name(0),
                    name: row.string(2),
                };
                let trigger = Trigger {
                    definition: row.string(3),
                    firing,
                    comment: row.text(5),
                };
                snapshot.triggers.insert(name, trigger);
            }
            "enum" => {
                let name = row.name(0);
                let comment = row.text(2);
                let labels = row.text.drain(3..).flatten().collect();
                snapshot.enums.insert(name, EnumType { labels, comment });
            }
            "composite" => {
                let name = row.name(0);
                let comment = row.text(2);
                let fields: Vec<Option<String>> = row.text.drain(3..).collect();
                let attributes = fields
                    .chunks(3)
                    .map(|field| Attribute {
                        name: field[0].clone().unwrap_or_default(),
                        data_type: field.get(1).cloned().flatten().unwrap_or_default(),
                        collation: field.get(2).cloned().flatten(),
                    })
                    .collect();
                let composite = CompositeType {
                    attributes,
                    comment,
                };
                snapshot.composite_types.insert(name, composite);
            }
            "range" => {
                let name = row.name(0);
                let range = RangeType {
                    subtype: row.string(2),
                    collation: row.text(3),
                    canonical: row.text(4),
                    subtype_diff: row.text(5),
                    comment: row.text(6),
                };
                snapshot.range_types.insert(name, range);
            }
            "domain" => {
                let name = row.name(0);
                let domain = Domain {
                    base_type: row.string(2),
                    not_null: row.flag(0),
                    default: row.text(3),
                    collation: row.text(4),
                    constraints: BTreeMap::new(),
                    comment: row.text(5),
                };
                snapshot.domains.insert(name, domain);
            }
            "domain constraint" => {
                let domain = row.name(0);
                self.domain_constraints
                    .push((domain, row.string(2), row.string(3)));
            }
            "depend" => {
                let object = object_ref(&mut row, 0);
                let used = object_ref(&mut row, 4);
                if let (Some(object), Some(used)) = (object, used) {
                    snapshot
                        .dependencies
                        .entry(object)
                        .or_default()
                        .insert(used);
                }
            }
            _ => {}
        }
    }

    fn finish(mut self) -> Snapshot {
        let tables = &mut self.snapshot.tables;
        self.columns
            .sort_by(|(a, a_position, _), (b, b_position, _)| {
                (a, a_position).cmp(&(b, b_position))
            });
        for (table, _, column) in self.columns {
            if let Some(table) = tables.get_mut(&table) {
                table.columns.push(column);
            }
        }
        for (table, name, constraint) in self.constraints {
            if let Some(table) = tables.get_mut(&table) {
                table.constraints.insert(name, constraint);
            }
        }
        for (table, name, policy) in self.policies {
            if let Some(table) = tables.get_mut(&table) {
                table.policies.insert(name, policy);
            }
        }
        self.parents
            .sort_by(|(a, a_position, _), (b, b_position, _)| {
                (a, a_position).cmp(&(b, b_position))
            });
        for (table, _, parent) in self.parents {
            if let Some(table) = tables.get_mut(&table) {
                table.parents.push(parent);
            }
        }
        for (domain, name, definition) in self.domain_constraints {
            if let Some(domain) = self.snapshot.domains.get_mut(&domain) {
                domain.constraints.insert(name, definition);
            }
        }
        self.snapshot
    }
}

/// The object named by text fields `at..at + 4` of a `depend` row (kind, schema, name,
/// detail).
fn object_ref(row: &mut CatalogRow, at: usize) -> Option<ObjectRef> {
    let kind = row.string(at);
    let name = row.name(at + 1);
    let detail = row.string(at + 3);
    let column = |table: QualifiedName, name: String| ColumnName { table, name };
    Some(match kind.as_str() {
        "relation" => ObjectRef::Relation(name),
        "column" => ObjectRef::Column(column(name, detail)),
        "function" => ObjectRef::Function(FunctionName {
            schema: name.schema,
            name: name.name,
            arguments: detail,
        }),
        "type" => ObjectRef::Type(name),
        "default" => ObjectRef::Default(column(name, detail)),
        "constraint" => ObjectRef::Constraint(name, detail),
        "trigger" => ObjectRef::Trigger(TriggerName {
            table: name,
            name: detail,
        }),
        _ => return None,
    })
}

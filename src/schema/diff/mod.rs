//! Comparing two snapshots: a structured list of changes, printed one line per difference.
//!
//! One file per object kind compares that kind's attributes (`namespaces`, `tables`,
//! `constraints`, `views`, `routines`, `types`); `change` holds what a comparison yields.
//! Each comparison destructures its struct completely, so that a field added to the model
//! without a comparison fails to compile: a diff is empty exactly when the snapshots' objects
//! are equal. [`Snapshot::dependencies`] is not compared: who uses what follows from the
//! definitions compared here, so a line for it would only repeat one of theirs.

mod change;
mod constraints;
mod differences;
mod namespaces;
mod render;
mod routines;
mod tables;
#[cfg(test)]
mod tests;
mod types;
mod views;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::schema::model::{Column, QualifiedName, Snapshot, Table};

pub use change::{Change, Difference, Object, ObjectKind};
use constraints::*;
use namespaces::*;
use routines::*;
use tables::*;
use types::*;
use views::*;

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
    /// What changed from `self` to `other`: empty exactly when their objects are equal (the
    /// [`dependencies`](Snapshot::dependencies) between them, which follow from their
    /// definitions, are not listed).
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
            &self.composite_types,
            &other.composite_types,
            |name, composite_type| Object::CompositeType {
                name: name.clone(),
                composite_type: composite_type.clone(),
            },
            compare_composites,
            c,
        );
        diff_maps(
            &self.range_types,
            &other.range_types,
            |name, range_type| Object::RangeType {
                name: name.clone(),
                range_type: range_type.clone(),
            },
            compare_ranges,
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
        for grant in self.privileges.difference(&other.privileges) {
            c.push(Change::Removed(Object::Grant(grant.clone())));
        }
        for grant in other.privileges.difference(&self.privileges) {
            c.push(Change::Added(Object::Grant(grant.clone())));
        }
        SchemaDiff { changes }
    }
}

//! Partitioned tables, partitions and inheritance: parents created before their children and
//! dropped after; partitions attached and detached (`ALTER TABLE ... ATTACH/DETACH PARTITION`),
//! children inheriting and no longer (`INHERIT` / `NO INHERIT`); and what PostgreSQL copies
//! from a parent by itself (columns, constraints, a partition's indexes), which the plan must
//! not write a second time.

use std::collections::BTreeMap;

use super::hazard::Hazard;
use super::PlannedStatement;
use crate::schema::{Column, Constraint, ConstraintKind, Index, QualifiedName, Table};

/// `items` in an order where each table comes after its parents among them (otherwise in the
/// order given, so the result is deterministic).
pub(super) fn parents_first<T>(
    mut items: Vec<T>,
    name: impl Fn(&T) -> &QualifiedName,
    parents: impl Fn(&T) -> &[QualifiedName],
) -> Vec<T> {
    let mut placed = Vec::with_capacity(items.len());
    while !items.is_empty() {
        let ready = (0..items.len())
            .find(|&at| {
                parents(&items[at])
                    .iter()
                    .all(|parent| !items.iter().any(|other| name(other) == parent))
            })
            // A circle can't exist in PostgreSQL; should the snapshot hold one, keep going.
            .unwrap_or(0);
        placed.push(items.remove(ready));
    }
    placed
}

/// Whether the table stays a child of `parent` (for a partition, with the same bound).
pub(super) fn still_child(source: &Table, target: &Table, parent: &QualifiedName) -> bool {
    source.parents.contains(parent)
        && target.parents.contains(parent)
        && source.partition_bound == target.partition_bound
}

/// Whether `parent` has the constraint a child holds as its copy: same kind and definition,
/// same name (a partition's copy of a primary key or unique constraint is named after it).
fn copied_from(parent: &Table, partition: bool, name: &str, constraint: &Constraint) -> bool {
    parent.constraints.iter().any(|(parent_name, c)| {
        c.kind == constraint.kind
            && c.definition == constraint.definition
            && (parent_name == name
                || (partition
                    && matches!(
                        constraint.kind,
                        ConstraintKind::PrimaryKey | ConstraintKind::Unique
                    )))
    })
}

/// Whether the constraint `name` of `table` (as `tables` has it) comes from a parent by
/// itself, given the table on the other side of the plan (`other`, `None` when it is created
/// or dropped): PostgreSQL copies it when a child is created, when the parent gains it, and
/// (all but a `CHECK`, which must be there first) when a partition is attached. A copy stays
/// behind when the child is detached.
pub(super) fn copied_constraint(
    tables: &BTreeMap<QualifiedName, Table>,
    table: &Table,
    other: Option<&Table>,
    name: &str,
    constraint: &Constraint,
    adding: bool,
) -> bool {
    let partition = table.partition_bound.is_some();
    table.parents.iter().any(|parent| {
        let Some(parent_table) = tables.get(parent) else {
            return false;
        };
        if !copied_from(parent_table, partition, name, constraint) {
            return false;
        }
        match other {
            None => true,
            Some(other) if still_child(other, table, parent) => true,
            Some(_) => adding && partition && constraint.kind != ConstraintKind::Check,
        }
    })
}

/// `(unique, what follows USING)`: an index's definition without its name and table.
fn index_body(definition: &str) -> (bool, &str) {
    let unique = definition.starts_with("CREATE UNIQUE");
    let body = definition
        .find(" USING ")
        .map_or(definition, |at| &definition[at..]);
    (unique, body)
}

/// Whether `index` is a partition's copy of an index of its partitioned table (which
/// PostgreSQL makes when the partition is created or attached, or the parent gains the
/// index), given the partition on the other side of the plan.
pub(super) fn copied_index(
    tables: &BTreeMap<QualifiedName, Table>,
    indexes: &BTreeMap<QualifiedName, Index>,
    index: &Index,
    other: Option<&Table>,
    adding: bool,
) -> bool {
    let Some(table) = tables.get(&index.table) else {
        return false;
    };
    if table.partition_bound.is_none() {
        return false;
    }
    let body = index_body(&index.definition);
    table.parents.iter().any(|parent| {
        let parent_has_it = indexes
            .values()
            .any(|i| &i.table == parent && index_body(&i.definition) == body);
        parent_has_it && (adding || other.is_none_or(|other| still_child(other, table, parent)))
    })
}

/// An index's definition as it must run: on a partitioned table, for every partition too
/// (`pg_get_indexdef` prints `ON ONLY`, which would leave the partitions without it).
pub(super) fn index_sql(definition: &str) -> String {
    definition.replacen(" ON ONLY ", " ON ", 1)
}

/// The column of a child that a parent gives it, as the parent defines it (a comment is not
/// inherited).
pub(super) fn inherited_column(
    tables: &BTreeMap<QualifiedName, Table>,
    parents: &[QualifiedName],
    column: &str,
) -> Option<Column> {
    parents
        .iter()
        .filter_map(|parent| tables.get(parent))
        .find_map(|parent| parent.column(column))
        .map(|column| {
            let mut column = column.clone();
            column.comment = None;
            column
        })
}

/// Detached partitions and children that no longer inherit: before anything else changes
/// (an inherited column or constraint can't be dropped while it is one).
pub(super) fn detach(
    name: &QualifiedName,
    source: &Table,
    target: &Table,
) -> Vec<PlannedStatement> {
    source
        .parents
        .iter()
        .filter(|parent| !still_child(source, target, parent))
        .map(|parent| PlannedStatement {
            sql: if source.partition_bound.is_some() {
                format!("ALTER TABLE {parent} DETACH PARTITION {name}")
            } else {
                format!("ALTER TABLE {name} NO INHERIT {parent}")
            },
            hazards: vec![Hazard::AccessExclusive],
        })
        .collect()
}

/// Partitions attached and children that start to inherit: once their columns and
/// constraints are what the parent requires.
pub(super) fn attach(
    name: &QualifiedName,
    source: &Table,
    target: &Table,
) -> Vec<PlannedStatement> {
    target
        .parents
        .iter()
        .filter(|parent| !still_child(source, target, parent))
        .map(|parent| match &target.partition_bound {
            Some(bound) => PlannedStatement {
                sql: format!("ALTER TABLE {parent} ATTACH PARTITION {name} {bound}"),
                hazards: vec![
                    Hazard::AccessExclusive,
                    Hazard::ScansUnderLock,
                    Hazard::FailsOnExistingRows,
                ],
            },
            None => PlannedStatement {
                sql: format!("ALTER TABLE {name} INHERIT {parent}"),
                hazards: vec![Hazard::AccessExclusive],
            },
        })
        .collect()
}

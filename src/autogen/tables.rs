//! The statements for schemas, tables, columns, constraints and indexes, in an order that
//! works: schemas first; partitions detached, constraints and indexes that go away before the
//! tables change; then renames, new tables (parents before their children), column changes,
//! dropped tables (children first) and schemas; then the constraints, partitions attached,
//! indexes that are new, and foreign keys last (once every table and key exists; one leaning
//! on a key that changes is dropped and added around it, `rekeyed`). The other kinds
//! (`phases`) are placed around these, each group where what it needs exists.

use std::collections::BTreeSet;

use super::columns::{add_column, alter_column, column_definition, drop_column};
use super::depend::Reshaped;
use super::hazard::Hazard;
use super::hierarchy;
use super::renames::Confirmed;
use super::set_aside::SetAside;
use super::statement::{comment_sql, statement};
use super::PlannedStatement;
use crate::schema::{ident, Column, ConstraintKind, QualifiedName, Snapshot, Table};

/// A table of the target with the source table it comes from (same name, or renamed).
struct Pair<'a> {
    name: &'a QualifiedName,
    target: &'a Table,
    source: Option<(&'a QualifiedName, &'a Table)>,
}

fn pairs<'a>(from: &'a Snapshot, to: &'a Snapshot, renames: &'a Confirmed) -> Vec<Pair<'a>> {
    let pairs = to
        .tables
        .iter()
        .map(|(name, target)| {
            let source_name = renames.table_source(name).unwrap_or(name);
            let source = from.tables.get_key_value(source_name);
            Pair {
                name,
                target,
                source,
            }
        })
        .collect();
    hierarchy::parents_first(pairs, |p| p.name, |p| &p.target.parents)
}

/// The source column a target column comes from.
fn source_column<'a>(
    renames: &Confirmed,
    table: &QualifiedName,
    source: &'a Table,
    target: &str,
) -> Option<&'a Column> {
    let name = renames.column_source(table, target).unwrap_or(target);
    source.column(name)
}

/// Whether a source column is still there in the target (under its name or a new one).
fn kept(renames: &Confirmed, table: &QualifiedName, target: &Table, column: &str) -> bool {
    target
        .columns
        .iter()
        .any(|c| renames.column_source(table, &c.name).unwrap_or(&c.name) == column)
}

/// Every statement from `from` to `to`, in order.
pub(super) fn statements(
    from: &Snapshot,
    to: &Snapshot,
    renames: &Confirmed,
) -> Vec<PlannedStatement> {
    let pairs = pairs(from, to, renames);
    let sources: Vec<&QualifiedName> = pairs.iter().filter_map(|p| p.source.map(|s| s.0)).collect();
    let mut out = Vec::new();

    for schema in to.schemas.keys().filter(|s| !from.schemas.contains_key(*s)) {
        out.push(statement(
            format!("CREATE SCHEMA {}", ident(schema)),
            vec![],
        ));
    }

    let retyped_enums = super::enums::replaced_types(from, to);
    let table_pairs: Vec<_> = pairs.iter().map(|p| (p.name, p.source, p.target)).collect();
    let reshaped = Reshaped::of(from, renames, &table_pairs, &retyped_enums);
    let changed_tables = pairs
        .iter()
        .filter(|p| {
            p.source
                .is_none_or(|(s_name, s)| s_name != p.name || s.columns != p.target.columns)
        })
        .map(|p| p.name)
        .collect();
    let others = super::phases::plan(from, to, renames, &reshaped, &changed_tables);
    out.extend(others.after_schemas);
    out.extend(others.drops_first);
    out.extend(super::enums::creates(&from.enums, &to.enums));
    out.extend(super::types::creates(from, to));
    out.extend(super::enums::replaces(from, to));
    out.extend(others.before_tables);

    for pair in &pairs {
        if let Some((source_name, source)) = pair.source {
            out.extend(super::policies::drops(source_name, source, pair.target));
            out.extend(hierarchy::detach(source_name, source, pair.target));
        }
    }

    // Constraints that go away or change, foreign keys first (others may be what they
    // reference); those of dropped tables too, so tables drop in any order.
    let rekeyed = super::rekeyed::tables(
        from,
        to,
        pairs
            .iter()
            .filter_map(|p| p.source.map(|(s_name, s)| (s_name, s, p.name, p.target))),
    );
    let mut dropped_constraints = Vec::new();
    for (name, table) in &from.tables {
        let target = pairs
            .iter()
            .find(|p| p.source.is_some_and(|(s, _)| s == name))
            .map(|p| p.target);
        for (constraint_name, constraint) in &table.constraints {
            let same = target
                .and_then(|t| t.constraints.get(constraint_name))
                .is_some_and(|c| {
                    c.definition == constraint.definition && c.kind == constraint.kind
                })
                && !super::rekeyed::leans_on(constraint, &rekeyed);
            // A parent's copy goes with the parent's constraint, or with the table.
            let copied = hierarchy::copied_constraint(
                &from.tables,
                table,
                target,
                constraint_name,
                constraint,
                false,
            );
            // A check set aside is dropped already.
            if !same && !copied && !others.set_aside.has_check(name, constraint_name) {
                dropped_constraints.push((
                    constraint.kind != ConstraintKind::ForeignKey,
                    name,
                    constraint_name,
                ));
            }
        }
    }
    dropped_constraints.sort();
    for (_, table, constraint) in dropped_constraints {
        let existing = to.tables.contains_key(table) || sources.contains(&table);
        let mut hazards = vec![];
        if existing {
            hazards.push(Hazard::AccessExclusive);
        }
        out.push(statement(
            format!("ALTER TABLE {table} DROP CONSTRAINT {}", ident(constraint)),
            hazards,
        ));
    }

    for (name, index) in &from.indexes {
        if super::matviews::on_matview(from, index)
            || to
                .indexes
                .get(name)
                .is_some_and(|i| i.definition == index.definition)
        {
            continue;
        }
        let other = pairs
            .iter()
            .find(|p| p.source.is_some_and(|(s, _)| *s == index.table))
            .map(|p| p.target);
        if hierarchy::copied_index(&from.tables, &from.indexes, index, other, false) {
            continue;
        }
        out.push(statement(
            format!("DROP INDEX {name}"),
            vec![Hazard::AccessExclusive],
        ));
    }

    for (old, new) in &renames.tables {
        out.push(statement(
            format!("ALTER TABLE {old} RENAME TO {}", ident(&new.name)),
            vec![Hazard::BreaksClients, Hazard::AccessExclusive],
        ));
    }

    for pair in &pairs {
        match pair.source {
            None => create_table(&mut out, pair.name, pair.target, to),
            Some((source_name, source)) => {
                let sides = Sides {
                    from,
                    to,
                    renames,
                    retyped_enums: &retyped_enums,
                    set_aside: &others.set_aside,
                };
                let names = (source_name, pair.name);
                alter_table(&mut out, &sides, names, source, pair.target)
            }
        }
    }

    out.extend(others.after_tables);

    let dropped: Vec<&QualifiedName> = from
        .tables
        .keys()
        .filter(|n| !sources.contains(n))
        .collect();
    let dropped = hierarchy::parents_first(dropped, |n| n, |n| &from.tables[*n].parents);
    for name in dropped.into_iter().rev() {
        out.push(statement(
            format!("DROP TABLE {name}"),
            vec![Hazard::DeletesData, Hazard::NotReversible],
        ));
    }

    out.extend(others.after_dropped_tables);
    out.extend(super::types::drops(from, to));
    out.extend(super::enums::drops(&from.enums, &to.enums));
    out.extend(others.before_dropped_schemas);

    for schema in from.schemas.keys().filter(|s| !to.schemas.contains_key(*s)) {
        out.push(statement(format!("DROP SCHEMA {}", ident(schema)), vec![]));
    }

    // New and changed constraints: foreign keys last, once every table they name exists.
    let mut added_constraints = Vec::new();
    for pair in &pairs {
        for (constraint_name, constraint) in &pair.target.constraints {
            let same = pair
                .source
                .filter(|(s_name, _)| !others.set_aside.has_check(s_name, constraint_name))
                .and_then(|(_, s)| s.constraints.get(constraint_name))
                .is_some_and(|c| {
                    c.definition == constraint.definition && c.kind == constraint.kind
                })
                && !super::rekeyed::leans_on(constraint, &rekeyed);
            let copied = hierarchy::copied_constraint(
                &to.tables,
                pair.target,
                pair.source.map(|(_, s)| s),
                constraint_name,
                constraint,
                true,
            );
            if !same && !copied {
                added_constraints.push((
                    constraint.kind == ConstraintKind::ForeignKey,
                    pair.name,
                    constraint_name,
                    constraint,
                    pair.source.is_some(),
                ));
            }
        }
    }
    added_constraints.sort_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
    let mut foreign_keys = Vec::new();
    for (_, table, constraint_name, constraint, existing) in added_constraints {
        let mut hazards = vec![];
        // A constraint added NOT VALID checks no existing row: only the brief lock.
        let checks_rows = !constraint.definition.ends_with(" NOT VALID");
        if existing {
            hazards.push(Hazard::AccessExclusive);
        }
        if existing && checks_rows {
            hazards.push(match constraint.kind {
                ConstraintKind::PrimaryKey | ConstraintKind::Unique | ConstraintKind::Exclusion => {
                    Hazard::BuildsIndexUnderWriteLock
                }
                ConstraintKind::Check | ConstraintKind::ForeignKey => Hazard::ScansUnderLock,
            });
            hazards.push(Hazard::FailsOnExistingRows);
        }
        let added = statement(
            format!(
                "ALTER TABLE {table} ADD CONSTRAINT {} {}",
                ident(constraint_name),
                constraint.definition
            ),
            hazards,
        );
        // A foreign key may reference a column whose only key is a new unique index.
        match constraint.kind {
            ConstraintKind::ForeignKey => foreign_keys.push(added),
            _ => out.push(added),
        }
    }

    for pair in &pairs {
        if let Some((_, source)) = pair.source {
            out.extend(hierarchy::attach(pair.name, source, pair.target));
        }
    }

    for (name, index) in &to.indexes {
        if super::matviews::on_matview(to, index)
            || from
                .indexes
                .get(name)
                .is_some_and(|i| i.definition == index.definition)
        {
            continue;
        }
        let other = pairs
            .iter()
            .find(|p| *p.name == index.table)
            .and_then(|p| p.source.map(|(_, s)| s));
        if hierarchy::copied_index(&to.tables, &to.indexes, index, other, true) {
            continue;
        }
        let existing = from.tables.contains_key(&index.table);
        let hazards = if existing {
            vec![Hazard::BuildsIndexUnderWriteLock]
        } else {
            vec![]
        };
        out.push(statement(hierarchy::index_sql(&index.definition), hazards));
    }
    out.extend(foreign_keys);

    // Comments: new objects' and changed ones'.
    for pair in &pairs {
        let before = pair.source.map(|(_, s)| s);
        if before.map_or(pair.target.comment.is_some(), |s| {
            s.comment != pair.target.comment
        }) {
            out.push(statement(
                comment_sql("TABLE", &pair.name.to_string(), &pair.target.comment),
                vec![],
            ));
        }
        for column in &pair.target.columns {
            let old = before.and_then(|s| source_column(renames, pair.name, s, &column.name));
            if old.map_or(column.comment.is_some(), |c| c.comment != column.comment) {
                let name = format!("{}.{}", pair.name, ident(&column.name));
                out.push(statement(
                    comment_sql("COLUMN", &name, &column.comment),
                    vec![],
                ));
            }
        }
    }
    for pair in &pairs {
        out.extend(super::policies::creates(
            pair.name,
            pair.source.map(|(_, s)| s),
            pair.target,
        ));
    }
    out.extend(others.last);
    out
}

/// `CREATE TABLE`, then what makes the columns a parent gives differ from the parent's.
fn create_table(
    out: &mut Vec<PlannedStatement>,
    name: &QualifiedName,
    table: &Table,
    to: &Snapshot,
) {
    // Columns a parent gives are not written again (a partition can't list any).
    let inherited = |c: &Column| hierarchy::inherited_column(&to.tables, &table.parents, &c.name);
    let columns: Vec<String> = table
        .columns
        .iter()
        .filter(|c| inherited(c).is_none())
        .map(|c| format!("    {}", column_definition(c)))
        .collect();
    let unlogged = if table.unlogged { "UNLOGGED " } else { "" };
    let mut sql = match (&table.partition_bound, table.parents.as_slice()) {
        (Some(bound), [parent]) => {
            format!("CREATE {unlogged}TABLE {name} PARTITION OF {parent} {bound}")
        }
        (_, parents) => {
            let mut sql = format!(
                "CREATE {unlogged}TABLE {name} (\n{}\n)",
                columns.join(",\n")
            );
            if columns.is_empty() {
                sql = format!("CREATE {unlogged}TABLE {name} ()");
            }
            if !parents.is_empty() {
                let names: Vec<String> = parents.iter().map(ToString::to_string).collect();
                sql.push_str(&format!(" INHERITS ({})", names.join(", ")));
            }
            sql
        }
    };
    if let Some(key) = &table.partition_key {
        sql.push_str(&format!(" PARTITION BY {key}"));
    }
    sql.push_str(&super::storage::with_clause(table));
    out.push(statement(sql, vec![]));
    // A table the plan creates risks nothing.
    let mut changes = Vec::new();
    for column in &table.columns {
        if let Some(mut parent_column) = inherited(column) {
            // An inheritance child never takes its parent's identity; a partition shares it
            // from PostgreSQL 17 on, and a snapshot leaves it to the parent.
            parent_column.identity = None;
            alter_column(&mut changes, name, &parent_column, column, false, false);
        }
    }
    out.extend(changes.into_iter().map(|c| statement(c.sql, vec![])));
}

/// The version of a child's column to start from once its parents have changed: a column
/// whose parent changes it is changed by PostgreSQL too (added, dropped, altered).
enum Start {
    /// The column as the source has it (or nothing: a new column of the table's own).
    Own(Option<Column>),
    /// As the parents leave it.
    FromParents(Column),
    /// Dropped with the parent's.
    DroppedByParent,
}

fn start(
    from: &Snapshot,
    to: &Snapshot,
    source: &Table,
    target: &Table,
    column: &str,
    own: Option<&Column>,
) -> Start {
    for parent in &target.parents {
        if !hierarchy::still_child(source, target, parent) {
            continue;
        }
        let before = from.tables.get(parent).and_then(|p| p.column(column));
        let after = to.tables.get(parent).and_then(|p| p.column(column));
        match (before, after, own) {
            (None, Some(after), _) => {
                let mut column = after.clone();
                column.comment = None;
                return Start::FromParents(column);
            }
            (Some(_), None, _) => return Start::DroppedByParent,
            (Some(before), Some(after), Some(own)) => {
                let mut column = own.clone();
                if before.data_type != after.data_type || before.collation != after.collation {
                    column.data_type = after.data_type.clone();
                    column.collation = after.collation.clone();
                }
                if before.default != after.default {
                    column.default = after.default.clone();
                }
                if before.not_null != after.not_null {
                    column.not_null = after.not_null;
                }
                return Start::FromParents(column);
            }
            _ => {}
        }
    }
    Start::Own(own.cloned())
}

/// What every table's changes are planned against.
struct Sides<'a> {
    from: &'a Snapshot,
    to: &'a Snapshot,
    renames: &'a Confirmed,
    /// The column types of enum types the plan replaces.
    retyped_enums: &'a BTreeSet<String>,
    /// Defaults dropped before the routines they call.
    set_aside: &'a SetAside,
}

/// The statements that turn an existing table into its target: renamed columns, storage,
/// columns added, changed and dropped.
fn alter_table(
    out: &mut Vec<PlannedStatement>,
    sides: &Sides<'_>,
    (source_name, name): (&QualifiedName, &QualifiedName),
    source: &Table,
    target: &Table,
) {
    let Sides {
        from,
        to,
        renames,
        retyped_enums,
        set_aside,
    } = *sides;
    for ((table, old), new) in &renames.columns {
        if table == name {
            out.push(statement(
                format!(
                    "ALTER TABLE {name} RENAME COLUMN {} TO {}",
                    ident(old),
                    ident(new)
                ),
                vec![Hazard::BreaksClients, Hazard::AccessExclusive],
            ));
        }
    }
    out.extend(super::storage::alter(name, source, target));
    for column in &target.columns {
        let own = source_column(renames, name, source, &column.name);
        match start(from, to, source, target, &column.name, own) {
            Start::Own(None) => out.push(add_column(name, column)),
            Start::Own(Some(mut old)) | Start::FromParents(mut old) => {
                if set_aside.has_default(source_name, &old.name) {
                    old.default = None;
                }
                let retyped = retyped_enums.contains(&old.data_type);
                let via_text = super::enums::is_enum(to, &column.data_type)
                    || super::enums::is_enum(from, &old.data_type);
                alter_column(out, name, &old, column, retyped, via_text);
            }
            Start::DroppedByParent => {}
        }
    }
    for column in &source.columns {
        if !kept(renames, name, target, &column.name)
            && !matches!(
                start(from, to, source, target, &column.name, Some(column)),
                Start::DroppedByParent
            )
        {
            out.push(drop_column(name, &column.name));
        }
    }
}

/// Column order is not acted on (it would take a table rewrite): said as a note.
pub(super) fn order_notes(from: &Snapshot, to: &Snapshot, renames: &Confirmed) -> Vec<String> {
    let mut notes = Vec::new();
    for pair in pairs(from, to, renames) {
        let Some((_, source)) = pair.source else {
            continue;
        };
        let target_order: Vec<&str> = pair
            .target
            .columns
            .iter()
            .filter_map(|c| {
                source_column(renames, pair.name, source, &c.name).map(|o| o.name.as_str())
            })
            .collect();
        let source_order: Vec<&str> = source
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .filter(|n| target_order.contains(n))
            .collect();
        if source_order != target_order {
            notes.push(format!(
                "table {}: the columns are in another order ({} instead of {}); autogenerate \
                 doesn't reorder columns (it would rewrite the table)",
                pair.name,
                source_order.join(", "),
                target_order.join(", ")
            ));
        }
    }
    notes
}

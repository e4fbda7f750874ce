//! The statements for schemas, tables, columns, constraints and indexes, in an order that
//! works: schemas first; constraints and indexes that go away before the tables change; then
//! renames, new tables, column changes, dropped tables and schemas; then the constraints
//! (foreign keys last, once every table exists) and indexes that are new. The other kinds
//! (`phases`) are placed around these, each group where what it needs exists.

use super::hazard::Hazard;
use super::renames::Confirmed;
use super::PlannedStatement;
use crate::quote::literal;
use crate::schema::{ident, Column, ConstraintKind, QualifiedName, Snapshot, Table};

/// A statement with its hazards.
pub(super) fn statement(sql: String, hazards: Vec<Hazard>) -> PlannedStatement {
    PlannedStatement { sql, hazards }
}

/// A table of the target with the source table it comes from (same name, or renamed).
struct Pair<'a> {
    name: &'a QualifiedName,
    target: &'a Table,
    source: Option<(&'a QualifiedName, &'a Table)>,
}

fn pairs<'a>(from: &'a Snapshot, to: &'a Snapshot, renames: &'a Confirmed) -> Vec<Pair<'a>> {
    to.tables
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
        .collect()
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

fn column_definition(column: &Column) -> String {
    let mut sql = format!("{} {}", ident(&column.name), column.data_type);
    if let Some(collation) = &column.collation {
        sql.push_str(&format!(" COLLATE {collation}"));
    }
    if let Some(expression) = &column.generated {
        sql.push_str(&format!(" GENERATED ALWAYS AS ({expression}) STORED"));
    } else if let Some(default) = &column.default {
        sql.push_str(&format!(" DEFAULT {default}"));
    }
    if let Some(identity) = &column.identity {
        let o = identity.sequence;
        let generation = match identity.generation {
            crate::schema::IdentityGeneration::Always => "ALWAYS",
            crate::schema::IdentityGeneration::ByDefault => "BY DEFAULT",
        };
        sql.push_str(&format!(
            " GENERATED {generation} AS IDENTITY (START WITH {} INCREMENT BY {} MINVALUE {} MAXVALUE {} CACHE {}{})",
            o.start,
            o.increment,
            o.min,
            o.max,
            o.cache,
            if o.cycle { " CYCLE" } else { " NO CYCLE" }
        ));
    }
    if column.not_null {
        sql.push_str(" NOT NULL");
    }
    sql
}

/// `COMMENT ON {what} {name} IS ...`, `NULL` when there is none.
pub(super) fn comment_sql(what: &str, name: &str, comment: &Option<String>) -> String {
    format!(
        "COMMENT ON {what} {name} IS {}",
        comment.as_deref().map_or("NULL".to_owned(), literal)
    )
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

    let changed_tables = pairs
        .iter()
        .filter(|p| {
            p.source
                .is_none_or(|(s_name, s)| s_name != p.name || s.columns != p.target.columns)
        })
        .map(|p| p.name)
        .collect();
    let reshaped = reshaped(from, renames, &pairs);
    let others = super::phases::plan(from, to, renames, reshaped, &changed_tables);
    out.extend(others.after_schemas);
    out.extend(others.drops_first);
    out.extend(super::enums::creates(&from.enums, &to.enums));
    out.extend(others.before_tables);

    // Constraints that go away or change, foreign keys first (others may be what they
    // reference); those of dropped tables too, so tables drop in any order.
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
                });
            if !same {
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
            None => out.push(create_table(pair.name, pair.target)),
            Some((_, source)) => alter_table(&mut out, renames, pair.name, source, pair.target),
        }
    }

    out.extend(others.after_tables);

    for name in from.tables.keys().filter(|n| !sources.contains(n)) {
        out.push(statement(
            format!("DROP TABLE {name}"),
            vec![Hazard::DeletesData, Hazard::NotReversible],
        ));
    }

    out.extend(others.after_dropped_tables);
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
                .and_then(|(_, s)| s.constraints.get(constraint_name))
                .is_some_and(|c| {
                    c.definition == constraint.definition && c.kind == constraint.kind
                });
            if !same {
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
    for (_, table, constraint_name, constraint, existing) in added_constraints {
        let mut hazards = vec![];
        if existing {
            hazards.push(Hazard::AccessExclusive);
            hazards.push(match constraint.kind {
                ConstraintKind::PrimaryKey | ConstraintKind::Unique | ConstraintKind::Exclusion => {
                    Hazard::BuildsIndexUnderWriteLock
                }
                ConstraintKind::Check | ConstraintKind::ForeignKey => Hazard::ScansUnderLock,
            });
            hazards.push(Hazard::FailsOnExistingRows);
        }
        out.push(statement(
            format!(
                "ALTER TABLE {table} ADD CONSTRAINT {} {}",
                ident(constraint_name),
                constraint.definition
            ),
            hazards,
        ));
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
        let existing = from.tables.contains_key(&index.table);
        let hazards = if existing {
            vec![Hazard::BuildsIndexUnderWriteLock]
        } else {
            vec![]
        };
        out.push(statement(index.definition.clone(), hazards));
    }

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
    out.extend(others.last);
    out
}

/// Whether some table loses a column, changes a column's type, or is renamed or dropped: what
/// a view over it may not survive.
fn reshaped(from: &Snapshot, renames: &Confirmed, pairs: &[Pair<'_>]) -> bool {
    if !renames.tables.is_empty() || !renames.columns.is_empty() {
        return true;
    }
    let kept = pairs.iter().filter(|p| p.source.is_some()).count();
    if kept < from.tables.len() {
        return true;
    }
    pairs.iter().any(|pair| {
        let Some((_, source)) = pair.source else {
            return false;
        };
        source.columns.iter().any(|old| {
            pair.target
                .column(&old.name)
                .is_none_or(|new| new.data_type != old.data_type || new.collation != old.collation)
        })
    })
}

fn create_table(name: &QualifiedName, table: &Table) -> PlannedStatement {
    let columns: Vec<String> = table
        .columns
        .iter()
        .map(|c| format!("    {}", column_definition(c)))
        .collect();
    statement(
        format!("CREATE TABLE {name} (\n{}\n)", columns.join(",\n")),
        vec![],
    )
}

fn alter_table(
    out: &mut Vec<PlannedStatement>,
    renames: &Confirmed,
    name: &QualifiedName,
    source: &Table,
    target: &Table,
) {
    let lock = Hazard::AccessExclusive;
    for ((table, old), new) in &renames.columns {
        if table == name {
            out.push(statement(
                format!(
                    "ALTER TABLE {name} RENAME COLUMN {} TO {}",
                    ident(old),
                    ident(new)
                ),
                vec![Hazard::BreaksClients, lock],
            ));
        }
    }
    for column in &target.columns {
        let Some(old) = source_column(renames, name, source, &column.name) else {
            let mut hazards = vec![lock];
            if column.not_null
                && column.default.is_none()
                && column.identity.is_none()
                && column.generated.is_none()
            {
                hazards.push(Hazard::FailsOnExistingRows);
            }
            if column.generated.is_some() || column.identity.is_some() {
                hazards.push(Hazard::RewritesTable);
            }
            out.push(statement(
                format!(
                    "ALTER TABLE {name} ADD COLUMN {}",
                    column_definition(column)
                ),
                hazards,
            ));
            continue;
        };
        let column_sql = format!("ALTER TABLE {name} ALTER COLUMN {}", ident(&column.name));
        let retyped = old.data_type != column.data_type || old.collation != column.collation;
        // A default of the old type may not cast to the new one: it goes first, and the
        // target's default comes back after the type changed.
        let default_in_the_way = retyped && old.default.is_some() && column.generated.is_none();
        if default_in_the_way {
            out.push(statement(format!("{column_sql} DROP DEFAULT"), vec![lock]));
        }
        if retyped {
            let collation = column
                .collation
                .as_ref()
                .map(|c| format!(" COLLATE {c}"))
                .unwrap_or_default();
            out.push(statement(
                format!(
                    "{column_sql} TYPE {}{collation} USING {}::{}",
                    column.data_type,
                    ident(&column.name),
                    column.data_type
                ),
                vec![lock, Hazard::RewritesTable, Hazard::NotReversible],
            ));
        }
        if (old.default != column.default || default_in_the_way) && column.generated.is_none() {
            match &column.default {
                Some(default) => out.push(statement(
                    format!("{column_sql} SET DEFAULT {default}"),
                    vec![lock],
                )),
                None if !default_in_the_way => {
                    out.push(statement(format!("{column_sql} DROP DEFAULT"), vec![lock]))
                }
                None => {}
            }
        }
        if old.not_null != column.not_null {
            if column.not_null {
                out.push(statement(
                    format!("{column_sql} SET NOT NULL"),
                    vec![lock, Hazard::ScansUnderLock, Hazard::FailsOnExistingRows],
                ));
            } else {
                out.push(statement(format!("{column_sql} DROP NOT NULL"), vec![lock]));
            }
        }
    }
    for column in &source.columns {
        if !kept(renames, name, target, &column.name) {
            out.push(statement(
                format!("ALTER TABLE {name} DROP COLUMN {}", ident(&column.name)),
                vec![lock, Hazard::DeletesData, Hazard::NotReversible],
            ));
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

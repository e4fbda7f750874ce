//! The statements for one column: its definition in `CREATE TABLE` / `ADD COLUMN`, and the
//! `ALTER COLUMN`s that turn one version of it into another (type, default, `NOT NULL`,
//! identity, generated expression), in an order PostgreSQL accepts.

use super::hazard::Hazard;
use super::statement::{sequence_options, statement};
use super::PlannedStatement;
use crate::quote::literal;
use crate::schema::{ident, Column, GeneratedKind, Identity, IdentityGeneration, QualifiedName};

fn generation(identity: &Identity) -> &'static str {
    match identity.generation {
        IdentityGeneration::Always => "ALWAYS",
        IdentityGeneration::ByDefault => "BY DEFAULT",
    }
}

/// `GENERATED ... AS IDENTITY (...)`, every sequence option spelled out.
fn identity_clause(identity: &Identity) -> String {
    format!(
        "GENERATED {} AS IDENTITY ({})",
        generation(identity),
        sequence_options(&identity.sequence)
    )
}

/// Whether `old` must be dropped and added again to become `new`: a new or changed
/// expression, a change between stored and virtual, or a virtual column that becomes a plain
/// one (`DROP EXPRESSION` keeps stored values only).
pub(super) fn recomputed(old: &Column, new: &Column) -> bool {
    let virtual_gone = old.generated.is_some()
        && old.generated_kind == GeneratedKind::Virtual
        && new.generated.is_none();
    virtual_gone
        || (new.generated.is_some()
            && (new.generated != old.generated || new.generated_kind != old.generated_kind))
}

/// A column as `CREATE TABLE` and `ADD COLUMN` write it.
pub(super) fn column_definition(column: &Column) -> String {
    let mut sql = format!("{} {}", ident(&column.name), column.data_type);
    if let Some(collation) = &column.collation {
        sql.push_str(&format!(" COLLATE {collation}"));
    }
    if let Some(expression) = &column.generated {
        let kind = column.generated_kind.keyword();
        sql.push_str(&format!(" GENERATED ALWAYS AS ({expression}) {kind}"));
    } else if let Some(default) = &column.default {
        sql.push_str(&format!(" DEFAULT {default}"));
    }
    if let Some(identity) = &column.identity {
        sql.push(' ');
        sql.push_str(&identity_clause(identity));
    }
    if column.not_null {
        sql.push_str(" NOT NULL");
    }
    sql
}

/// `ALTER TABLE ... ADD COLUMN`, with what it risks on an existing table.
pub(super) fn add_column(table: &QualifiedName, column: &Column) -> PlannedStatement {
    let mut hazards = vec![Hazard::AccessExclusive];
    if column.not_null
        && column.default.is_none()
        && column.identity.is_none()
        && column.generated.is_none()
    {
        hazards.push(Hazard::FailsOnExistingRows);
    }
    let stored = column.generated.is_some() && column.generated_kind == GeneratedKind::Stored;
    if stored || column.identity.is_some() {
        hazards.push(Hazard::RewritesTable);
    }
    statement(
        format!(
            "ALTER TABLE {table} ADD COLUMN {}",
            column_definition(column)
        ),
        hazards,
    )
}

/// `ALTER TABLE ... DROP COLUMN`.
pub(super) fn drop_column(table: &QualifiedName, column: &str) -> PlannedStatement {
    statement(
        format!("ALTER TABLE {table} DROP COLUMN {}", ident(column)),
        vec![
            Hazard::AccessExclusive,
            Hazard::DeletesData,
            Hazard::NotReversible,
        ],
    )
}

/// The statements that turn column `old` of `table` into `new` (same name: renames are done
/// before). `retyped_elsewhere` when the column's enum type is being replaced by the plan:
/// its default was dropped around that and is set again here.
pub(super) fn alter_column(
    out: &mut Vec<PlannedStatement>,
    table: &QualifiedName,
    old: &Column,
    new: &Column,
    retyped_elsewhere: bool,
    via_text: bool,
) {
    let lock = Hazard::AccessExclusive;
    let column_sql = format!("ALTER TABLE {table} ALTER COLUMN {}", ident(&new.name));
    if recomputed(old, new) {
        // No way to change or add an expression in place before PostgreSQL 17, nor to turn a
        // virtual column into a stored or a plain one: the column goes and comes back,
        // computed again from the other columns.
        let mut dropped = drop_column(table, &old.name);
        // The values are computed again, not lost (unless the column becomes a plain one).
        if old.generated.is_some() && new.generated.is_some() {
            dropped.hazards = vec![lock, Hazard::RewritesTable];
        }
        out.push(dropped);
        out.push(add_column(table, new));
        if new.comment.is_some() && old.comment == new.comment {
            // The comments step sees no change; the column that had it is gone.
            out.push(statement(
                format!(
                    "COMMENT ON COLUMN {table}.{} IS {}",
                    ident(&new.name),
                    literal(new.comment.as_deref().unwrap_or_default())
                ),
                vec![],
            ));
        }
        return;
    }
    if old.generated.is_some() && new.generated.is_none() {
        // The values stay, as plain data.
        out.push(statement(
            format!("{column_sql} DROP EXPRESSION"),
            vec![lock],
        ));
    }
    if old.identity.is_some() && new.identity.is_none() {
        out.push(statement(format!("{column_sql} DROP IDENTITY"), vec![lock]));
    }
    let retyped = old.data_type != new.data_type || old.collation != new.collation;
    // A default of the old type may not cast to the new one: it goes first, and the target's
    // default comes back after the type changed.
    let default_in_the_way = retyped && old.default.is_some() && new.generated.is_none();
    if default_in_the_way {
        out.push(statement(format!("{column_sql} DROP DEFAULT"), vec![lock]));
    }
    if retyped {
        let collation = new
            .collation
            .as_ref()
            .map(|c| format!(" COLLATE {c}"))
            .unwrap_or_default();
        // PostgreSQL casts an enum only to and from text: a number or another enum goes
        // through its text.
        let textual = |t: &str| t == "text" || t.starts_with("character");
        let direct = textual(&old.data_type) || textual(&new.data_type);
        let via = if via_text && !direct { "::text" } else { "" };
        out.push(statement(
            format!(
                "{column_sql} TYPE {}{collation} USING {}{via}::{}",
                new.data_type,
                ident(&new.name),
                new.data_type
            ),
            vec![lock, Hazard::RewritesTable, Hazard::NotReversible],
        ));
    }
    let default_gone = default_in_the_way || (retyped_elsewhere && old.default.is_some());
    if (old.default != new.default || default_gone) && new.generated.is_none() {
        match &new.default {
            Some(default) => out.push(statement(
                format!("{column_sql} SET DEFAULT {default}"),
                vec![lock],
            )),
            None if !default_gone => {
                out.push(statement(format!("{column_sql} DROP DEFAULT"), vec![lock]))
            }
            None => {}
        }
    }
    if old.not_null != new.not_null {
        if new.not_null {
            out.push(statement(
                format!("{column_sql} SET NOT NULL"),
                vec![lock, Hazard::ScansUnderLock, Hazard::FailsOnExistingRows],
            ));
        } else {
            out.push(statement(format!("{column_sql} DROP NOT NULL"), vec![lock]));
        }
    }
    match (&old.identity, &new.identity) {
        (None, Some(identity)) => out.push(statement(
            format!("{column_sql} ADD {}", identity_clause(identity)),
            vec![lock],
        )),
        (Some(before), Some(after)) if before != after => {
            let mut sql = column_sql.clone();
            if before.generation != after.generation {
                sql.push_str(&format!(" SET GENERATED {}", generation(after)));
            }
            let (b, a) = (before.sequence, after.sequence);
            let options = [
                (b.start != a.start, format!(" SET START WITH {}", a.start)),
                (
                    b.increment != a.increment,
                    format!(" SET INCREMENT BY {}", a.increment),
                ),
                (b.min != a.min, format!(" SET MINVALUE {}", a.min)),
                (b.max != a.max, format!(" SET MAXVALUE {}", a.max)),
                (b.cache != a.cache, format!(" SET CACHE {}", a.cache)),
                (
                    b.cycle != a.cycle,
                    if a.cycle {
                        " SET CYCLE"
                    } else {
                        " SET NO CYCLE"
                    }
                    .to_owned(),
                ),
            ];
            for (changed, option) in options {
                if changed {
                    sql.push_str(&option);
                }
            }
            out.push(statement(sql, vec![lock]));
        }
        _ => {}
    }
}

//! The comments of schemas, constraints and indexes, last, once every object exists: those of
//! new objects (and of objects dropped and created again, which lose theirs) and those that
//! changed.

use std::collections::BTreeSet;

use super::renames::Confirmed;
use super::statement::{comment_sql, statement};
use super::PlannedStatement;
use crate::schema::{ident, QualifiedName, Snapshot};

/// Whether a comment must be written: `old` is the comment before, `None` when the object is
/// new (or created again).
fn written(old: Option<&Option<String>>, new: &Option<String>) -> bool {
    old.map_or(new.is_some(), |old| old != new)
}

/// `created_views`: the views and materialized views the plan creates (their indexes are
/// created again with them).
pub(super) fn statements(
    from: &Snapshot,
    to: &Snapshot,
    renames: &Confirmed,
    created_views: &BTreeSet<QualifiedName>,
) -> Vec<PlannedStatement> {
    let mut out = Vec::new();
    for (name, schema) in &to.schemas {
        let old = from.schemas.get(name).map(|s| &s.comment);
        if written(old, &schema.comment) {
            out.push(statement(
                comment_sql("SCHEMA", &ident(name), &schema.comment),
                vec![],
            ));
        }
    }
    for (table_name, table) in &to.tables {
        let source_name = renames.table_source(table_name).unwrap_or(table_name);
        let source = from.tables.get(source_name);
        for (name, constraint) in &table.constraints {
            let old = source
                .and_then(|s| s.constraints.get(name))
                .filter(|c| c.definition == constraint.definition && c.kind == constraint.kind)
                .map(|c| &c.comment);
            if written(old, &constraint.comment) {
                let target = format!("{} ON {table_name}", ident(name));
                out.push(statement(
                    comment_sql("CONSTRAINT", &target, &constraint.comment),
                    vec![],
                ));
            }
        }
    }
    for (name, index) in &to.indexes {
        let old = from
            .indexes
            .get(name)
            .filter(|i| i.definition == index.definition && !created_views.contains(&index.table))
            .map(|i| &i.comment);
        if written(old, &index.comment) {
            out.push(statement(
                comment_sql("INDEX", &name.to_string(), &index.comment),
                vec![],
            ));
        }
    }
    out
}

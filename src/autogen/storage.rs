//! A table's persistence and storage parameters: `CREATE UNLOGGED TABLE ... WITH (...)`,
//! `ALTER TABLE ... SET LOGGED / UNLOGGED`, `SET (...)` and `RESET (...)`.

use super::hazard::Hazard;
use super::PlannedStatement;
use crate::schema::{QualifiedName, Table};

/// `fillfactor=70, autovacuum_enabled=false` as `(name, value)` pairs.
fn parameters(options: &Option<String>) -> Vec<(&str, &str)> {
    options
        .as_deref()
        .unwrap_or_default()
        .split(", ")
        .filter(|option| !option.is_empty())
        .map(|option| option.split_once('=').unwrap_or((option, "")))
        .collect()
}

/// ` WITH (...)` for `CREATE TABLE`, or nothing.
pub(super) fn with_clause(table: &Table) -> String {
    table
        .options
        .as_ref()
        .map(|options| format!(" WITH ({options})"))
        .unwrap_or_default()
}

/// The statements that change an existing table's persistence and storage parameters.
pub(super) fn alter(name: &QualifiedName, source: &Table, target: &Table) -> Vec<PlannedStatement> {
    let mut out = Vec::new();
    if source.unlogged != target.unlogged {
        out.push(PlannedStatement {
            sql: format!(
                "ALTER TABLE {name} SET {}",
                if target.unlogged {
                    "UNLOGGED"
                } else {
                    "LOGGED"
                }
            ),
            hazards: vec![Hazard::AccessExclusive, Hazard::RewritesTable],
        });
    }
    let (before, after) = (parameters(&source.options), parameters(&target.options));
    let reset: Vec<&str> = before
        .iter()
        .filter(|(key, _)| !after.iter().any(|(k, _)| k == key))
        .map(|(key, _)| *key)
        .collect();
    if !reset.is_empty() {
        out.push(PlannedStatement {
            sql: format!("ALTER TABLE {name} RESET ({})", reset.join(", ")),
            hazards: vec![Hazard::AccessExclusive],
        });
    }
    let set: Vec<String> = after
        .iter()
        .filter(|option| !before.contains(option))
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    if !set.is_empty() {
        out.push(PlannedStatement {
            sql: format!("ALTER TABLE {name} SET ({})", set.join(", ")),
            hazards: vec![Hazard::AccessExclusive],
        });
    }
    out
}

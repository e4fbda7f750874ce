//! Domains: created after the enum types (a domain may be over one) and before the functions
//! and tables that use them, dropped after; default, `NOT NULL` and check constraints altered
//! in place. A new base type or collation would take a new domain and a cast of every column:
//! not written, and said so (see `unsupported`).

use std::collections::BTreeMap;

use super::hazard::Hazard;
use super::statement::{comment_sql, statement};
use super::PlannedStatement;
use crate::schema::{ident, Domain, QualifiedName};

fn create(name: &QualifiedName, domain: &Domain) -> Vec<PlannedStatement> {
    let mut sql = format!("CREATE DOMAIN {name} AS {}", domain.base_type);
    if let Some(collation) = &domain.collation {
        sql.push_str(&format!(" COLLATE {collation}"));
    }
    if let Some(default) = &domain.default {
        sql.push_str(&format!(" DEFAULT {default}"));
    }
    if domain.not_null {
        sql.push_str(" NOT NULL");
    }
    for (constraint, definition) in &domain.constraints {
        sql.push_str(&format!(" CONSTRAINT {} {definition}", ident(constraint)));
    }
    let mut out = vec![statement(sql, vec![])];
    if domain.comment.is_some() {
        out.push(statement(
            comment_sql("DOMAIN", &name.to_string(), &domain.comment),
            vec![],
        ));
    }
    out
}

fn alter(name: &QualifiedName, old: &Domain, new: &Domain, out: &mut Vec<PlannedStatement>) {
    let alter = format!("ALTER DOMAIN {name}");
    let checks = [Hazard::ScansUnderLock, Hazard::FailsOnExistingRows];
    if old.default != new.default {
        let sql = match &new.default {
            Some(default) => format!("{alter} SET DEFAULT {default}"),
            None => format!("{alter} DROP DEFAULT"),
        };
        out.push(statement(sql, vec![]));
    }
    if old.not_null != new.not_null {
        if new.not_null {
            out.push(statement(format!("{alter} SET NOT NULL"), checks.to_vec()));
        } else {
            out.push(statement(format!("{alter} DROP NOT NULL"), vec![]));
        }
    }
    for (constraint, definition) in &old.constraints {
        if new.constraints.get(constraint) != Some(definition) {
            out.push(statement(
                format!("{alter} DROP CONSTRAINT {}", ident(constraint)),
                vec![],
            ));
        }
    }
    for (constraint, definition) in &new.constraints {
        if old.constraints.get(constraint) != Some(definition) {
            out.push(statement(
                format!("{alter} ADD CONSTRAINT {} {definition}", ident(constraint)),
                checks.to_vec(),
            ));
        }
    }
    if old.comment != new.comment {
        out.push(statement(
            comment_sql("DOMAIN", &name.to_string(), &new.comment),
            vec![],
        ));
    }
}

/// Whether `old` can become `new` in place (same base type and collation).
fn alterable(old: &Domain, new: &Domain) -> bool {
    old.base_type == new.base_type && old.collation == new.collation
}

/// Before the functions and tables: new domains and changes to those that stay.
pub(super) fn creates(
    from: &BTreeMap<QualifiedName, Domain>,
    to: &BTreeMap<QualifiedName, Domain>,
) -> Vec<PlannedStatement> {
    let mut out = Vec::new();
    for (name, domain) in to {
        match from.get(name) {
            None => out.extend(create(name, domain)),
            Some(old) if alterable(old, domain) => alter(name, old, domain, &mut out),
            Some(_) => {}
        }
    }
    out
}

/// After the tables and functions: domains that go away.
pub(super) fn drops(
    from: &BTreeMap<QualifiedName, Domain>,
    to: &BTreeMap<QualifiedName, Domain>,
) -> Vec<PlannedStatement> {
    from.keys()
        .filter(|name| !to.contains_key(*name))
        .map(|name| statement(format!("DROP DOMAIN {name}"), vec![]))
        .collect()
}

/// Domains whose base type or collation changes: not written.
pub(super) fn unsupported(
    from: &BTreeMap<QualifiedName, Domain>,
    to: &BTreeMap<QualifiedName, Domain>,
    out: &mut Vec<String>,
) {
    for (name, domain) in to {
        if from.get(name).is_some_and(|old| !alterable(old, domain)) {
            out.push(format!("domain {name}: base type or collation (changed)"));
        }
    }
}

//! Row-level security: `ENABLE` / `FORCE ROW LEVEL SECURITY` and policies. A changed policy is
//! dropped and created again; so is every policy of a table that loses or retypes a column (a
//! policy that names the column would stop the change). Policies go before the tables change
//! and come back after the constraints.

use super::hazard::Hazard;
use super::PlannedStatement;
use crate::schema::{ident, Policy, QualifiedName, Table};

/// Whether a column of `source` is dropped or changes type (or expression) in `target`.
fn reshaped(source: &Table, target: &Table) -> bool {
    source.columns.iter().any(|old| {
        target.column(&old.name).is_none_or(|new| {
            new.data_type != old.data_type
                || new.collation != old.collation
                || super::columns::recomputed(old, new)
        })
    })
}

/// Whether `name` of `source` must be dropped (it goes, changes, or is in the way).
fn stale(name: &str, policy: &Policy, source: &Table, target: &Table) -> bool {
    target.policies.get(name) != Some(policy) || reshaped(source, target)
}

fn locks(existing: bool) -> Vec<Hazard> {
    if existing {
        vec![Hazard::AccessExclusive]
    } else {
        vec![]
    }
}

/// The policies of a table that stays (`source` → `target`, `name` as the source calls it)
/// that are dropped before the tables change.
pub(super) fn drops(name: &QualifiedName, source: &Table, target: &Table) -> Vec<PlannedStatement> {
    source
        .policies
        .iter()
        .filter(|(policy_name, policy)| stale(policy_name, policy, source, target))
        .map(|(policy_name, _)| PlannedStatement {
            sql: format!("DROP POLICY {} ON {name}", ident(policy_name)),
            hazards: vec![Hazard::AccessExclusive],
        })
        .collect()
}

fn create(table: &QualifiedName, name: &str, policy: &Policy, existing: bool) -> PlannedStatement {
    let mut sql = format!(
        "CREATE POLICY {} ON {table} AS {} FOR {} TO {}",
        ident(name),
        if policy.permissive {
            "PERMISSIVE"
        } else {
            "RESTRICTIVE"
        },
        policy.command,
        policy.roles.join(", ")
    );
    if let Some(using) = &policy.using {
        sql.push_str(&format!(" USING ({using})"));
    }
    if let Some(check) = &policy.with_check {
        sql.push_str(&format!(" WITH CHECK ({check})"));
    }
    PlannedStatement {
        sql,
        hazards: locks(existing),
    }
}

/// Row security switched on or off, and the policies created, once the table is as the
/// target has it.
pub(super) fn creates(
    name: &QualifiedName,
    source: Option<&Table>,
    target: &Table,
) -> Vec<PlannedStatement> {
    let mut out = Vec::new();
    let (enabled, forced) =
        source.map_or((false, false), |s| (s.row_security, s.force_row_security));
    let existing = source.is_some();
    if enabled != target.row_security {
        out.push(PlannedStatement {
            sql: format!(
                "ALTER TABLE {name} {} ROW LEVEL SECURITY",
                if target.row_security {
                    "ENABLE"
                } else {
                    "DISABLE"
                }
            ),
            hazards: locks(existing),
        });
    }
    if forced != target.force_row_security {
        out.push(PlannedStatement {
            sql: format!(
                "ALTER TABLE {name} {} ROW LEVEL SECURITY",
                if target.force_row_security {
                    "FORCE"
                } else {
                    "NO FORCE"
                }
            ),
            hazards: locks(existing),
        });
    }
    for (policy_name, policy) in &target.policies {
        let again = source.is_none_or(|source| {
            source
                .policies
                .get(policy_name)
                .is_none_or(|old| stale(policy_name, old, source, target))
        });
        if again {
            out.push(create(name, policy_name, policy, existing));
        }
    }
    out
}

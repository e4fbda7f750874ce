//! Defaults and checks that call a routine the plan drops and creates again: PostgreSQL
//! refuses the `DROP` while they use it, so they are dropped first and come back with the
//! tables' changes (the default as a changed default, the check as a new constraint).

use std::collections::BTreeSet;

use super::hazard::Hazard;
use super::PlannedStatement;
use crate::schema::{
    ident, ColumnName, ConstraintKind, FunctionName, ObjectRef, QualifiedName, Snapshot,
};

/// What the plan takes off the source's tables before the routines they call are dropped.
#[derive(Debug, Default)]
pub(super) struct SetAside {
    /// Column defaults, by the source's names.
    pub(super) defaults: BTreeSet<ColumnName>,
    /// Check constraints, by the source's table name and their name.
    pub(super) checks: BTreeSet<(QualifiedName, String)>,
    /// Their drops, to run before the routines'.
    pub(super) drops: Vec<PlannedStatement>,
}

impl SetAside {
    /// Whether the default of `table`.`column` (source names) was dropped.
    pub(super) fn has_default(&self, table: &QualifiedName, column: &str) -> bool {
        self.defaults.contains(&ColumnName {
            table: table.clone(),
            name: column.to_owned(),
        })
    }

    /// Whether the check `name` of `table` (source names) was dropped.
    pub(super) fn has_check(&self, table: &QualifiedName, name: &str) -> bool {
        self.checks.contains(&(table.clone(), name.to_owned()))
    }
}

/// The defaults and checks of `from` that call one of `rebuilt`: by its dependencies, or by
/// their text when it has none.
pub(super) fn plan(from: &Snapshot, rebuilt: &BTreeSet<FunctionName>) -> SetAside {
    let mut out = SetAside::default();
    let calls = |object: ObjectRef, text: &str| {
        if super::depend::known(from) {
            super::depend::uses(&from.dependencies, &object)
                .any(|used| matches!(used, ObjectRef::Function(f) if rebuilt.contains(f)))
        } else {
            super::depend::calls_any(text, rebuilt)
        }
    };
    if rebuilt.is_empty() {
        return out;
    }
    for (table_name, table) in &from.tables {
        for column in &table.columns {
            let Some(default) = &column.default else {
                continue;
            };
            let name = ColumnName {
                table: table_name.clone(),
                name: column.name.clone(),
            };
            // A generated column's expression is not a default (it can't be dropped alone).
            if column.generated.is_none() && calls(ObjectRef::Default(name.clone()), default) {
                out.drops.push(planned(
                    format!(
                        "ALTER TABLE {table_name} ALTER COLUMN {} DROP DEFAULT",
                        ident(&column.name)
                    ),
                    vec![],
                ));
                out.defaults.insert(name);
            }
        }
        for (constraint_name, constraint) in &table.constraints {
            let object = ObjectRef::Constraint(table_name.clone(), constraint_name.clone());
            if constraint.kind == ConstraintKind::Check && calls(object, &constraint.definition) {
                out.drops.push(planned(
                    format!(
                        "ALTER TABLE {table_name} DROP CONSTRAINT {}",
                        ident(constraint_name)
                    ),
                    vec![Hazard::AccessExclusive],
                ));
                out.checks
                    .insert((table_name.clone(), constraint_name.clone()));
            }
        }
    }
    out
}

fn planned(sql: String, hazards: Vec<Hazard>) -> PlannedStatement {
    PlannedStatement { sql, hazards }
}

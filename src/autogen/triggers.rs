//! Triggers: dropped before anything they hang on changes (their table, their view, their
//! function), created once their table and function exist (`pg_get_triggerdef` is a whole
//! `CREATE TRIGGER`). A changed definition is a drop and a create; the firing state is
//! `ALTER TABLE ... ENABLE / DISABLE TRIGGER`. The copies PostgreSQL makes of a partitioned
//! table's trigger on its partitions come and go with it: never written themselves.

use std::collections::{BTreeMap, BTreeSet};

use super::statement::{comment_sql, statement};
use super::PlannedStatement;
use crate::schema::{
    ident, Dependencies, FunctionName, ObjectRef, QualifiedName, Snapshot, Trigger, TriggerFiring,
    TriggerName,
};

/// What the triggers depend on that the plan drops and creates again.
pub(super) struct Rebuilt<'a> {
    /// Routines dropped and created again.
    pub(super) functions: &'a BTreeSet<FunctionName>,
    /// Views and materialized views the plan creates (dropping any old one first).
    pub(super) views: &'a BTreeSet<QualifiedName>,
    /// The source's dependencies: what a trigger calls, besides what its text names.
    pub(super) dependencies: &'a Dependencies,
}

impl Rebuilt<'_> {
    fn touches(&self, name: &TriggerName, trigger: &Trigger) -> bool {
        let object = ObjectRef::Trigger(name.clone());
        self.views.contains(&name.table)
            || super::depend::calls_any(&trigger.definition, self.functions)
            || super::depend::uses(self.dependencies, &object)
                .any(|used| matches!(used, ObjectRef::Function(f) if self.functions.contains(f)))
    }
}

/// The triggers of `snapshot` but the copies on partitions of their partitioned table's.
fn own(snapshot: &Snapshot) -> BTreeMap<&TriggerName, &Trigger> {
    snapshot
        .triggers
        .iter()
        .filter(|(name, _)| {
            let partition = snapshot
                .tables
                .get(&name.table)
                .filter(|t| t.partition_bound.is_some());
            !partition.is_some_and(|t| {
                t.parents.iter().any(|parent| {
                    snapshot.triggers.contains_key(&TriggerName {
                        table: parent.clone(),
                        name: name.name.clone(),
                    })
                })
            })
        })
        .collect()
}

/// Whether the trigger `name` of `from` must go: gone, changed, or on something rebuilt.
fn replaced(
    name: &TriggerName,
    trigger: &Trigger,
    other: &BTreeMap<&TriggerName, &Trigger>,
    rebuilt: &Rebuilt<'_>,
    retyped: &BTreeSet<&QualifiedName>,
) -> bool {
    other
        .get(name)
        .is_none_or(|t| t.definition != trigger.definition)
        || rebuilt.touches(name, trigger)
        || (retyped.contains(&name.table) && trigger.definition.contains(" WHEN ("))
}

/// The tables whose columns change type (by the type's name, or an enum type replaced):
/// PostgreSQL refuses that while a trigger's `WHEN` names the column, so such triggers are
/// dropped and created around it.
fn retyped<'a>(from: &'a Snapshot, to: &Snapshot) -> BTreeSet<&'a QualifiedName> {
    let replaced_enums = super::enums::replaced_types(from, to);
    from.tables
        .iter()
        .filter(|(name, table)| {
            table.columns.iter().any(|c| {
                replaced_enums.contains(&c.data_type)
                    || to.tables.get(*name).is_some_and(|t| {
                        t.column(&c.name)
                            .is_some_and(|new| new.data_type != c.data_type)
                    })
            })
        })
        .map(|(name, _)| name)
        .collect()
}

/// Before the tables, views and functions change: triggers that go away or change.
pub(super) fn drops(
    from: &Snapshot,
    to: &Snapshot,
    rebuilt: &Rebuilt<'_>,
) -> Vec<PlannedStatement> {
    let retyped = retyped(from, to);
    let to = own(to);
    own(from)
        .into_iter()
        .filter(|(name, trigger)| replaced(name, trigger, &to, rebuilt, &retyped))
        .map(|(name, _)| {
            statement(
                format!("DROP TRIGGER {} ON {}", ident(&name.name), name.table),
                vec![],
            )
        })
        .collect()
}

fn firing(name: &TriggerName, firing: TriggerFiring) -> PlannedStatement {
    let state = match firing {
        TriggerFiring::Enabled => "ENABLE",
        TriggerFiring::Disabled => "DISABLE",
        TriggerFiring::Replica => "ENABLE REPLICA",
        TriggerFiring::Always => "ENABLE ALWAYS",
    };
    statement(
        format!(
            "ALTER TABLE {} {state} TRIGGER {}",
            name.table,
            ident(&name.name)
        ),
        vec![],
    )
}

fn comment(name: &TriggerName, trigger: &Trigger) -> PlannedStatement {
    let target = format!("{} ON {}", ident(&name.name), name.table);
    statement(comment_sql("TRIGGER", &target, &trigger.comment), vec![])
}

/// Last: new and changed triggers, firing states and comments.
pub(super) fn creates(
    from: &Snapshot,
    to: &Snapshot,
    rebuilt: &Rebuilt<'_>,
) -> Vec<PlannedStatement> {
    let retyped = retyped(from, to);
    let (from, to) = (own(from), own(to));
    let mut out = Vec::new();
    for (name, trigger) in &to {
        let old = from
            .get(name)
            .filter(|old| !replaced(name, old, &to, rebuilt, &retyped));
        match old {
            None => {
                out.push(statement(trigger.definition.clone(), vec![]));
                if trigger.firing != TriggerFiring::Enabled {
                    out.push(firing(name, trigger.firing));
                }
                if trigger.comment.is_some() {
                    out.push(comment(name, trigger));
                }
            }
            Some(old) => {
                if old.firing != trigger.firing {
                    out.push(firing(name, trigger.firing));
                }
                if old.comment != trigger.comment {
                    out.push(comment(name, trigger));
                }
            }
        }
    }
    out
}

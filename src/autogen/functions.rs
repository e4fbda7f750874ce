//! Functions, procedures and aggregates. New ones are created from their definition
//! (`pg_get_functiondef`'s `CREATE OR REPLACE ...`), changed ones replaced in place unless
//! their kind, signature or return type changed (`CREATE OR REPLACE` refuses those: dropped
//! and created again). They come after the types and before the tables (defaults, checks and
//! generated columns may call them), except that a `LANGUAGE sql` function, whose body is
//! checked when it is created, comes after the tables or views it names that the plan
//! creates or changes. Those that go away are dropped after the triggers and tables.

use std::collections::{BTreeMap, BTreeSet};

use super::mentions::{call, mentions};
use super::statement::{comment_sql, statement};
use super::PlannedStatement;
use crate::schema::{Function, FunctionKind, FunctionName, QualifiedName};

/// The statements of the routines, by where they go in the plan.
#[derive(Default)]
pub(super) struct FunctionStatements {
    /// Before the tables: drops of the rebuilt ones, then new, replaced and rebuilt ones.
    pub(super) before_tables: Vec<PlannedStatement>,
    /// After the tables: `LANGUAGE sql` ones that name a table the plan creates or changes.
    pub(super) after_tables: Vec<PlannedStatement>,
    /// After the views: `LANGUAGE sql` ones that name a view the plan creates.
    pub(super) after_views: Vec<PlannedStatement>,
    /// After the tables are dropped: those that go away.
    pub(super) drops: Vec<PlannedStatement>,
    /// Dropped and created again: the triggers that call them are too.
    pub(super) rebuilt: BTreeSet<FunctionName>,
}

fn keyword(kind: FunctionKind) -> &'static str {
    match kind {
        FunctionKind::Function | FunctionKind::Window => "FUNCTION",
        FunctionKind::Procedure => "PROCEDURE",
        FunctionKind::Aggregate => "AGGREGATE",
    }
}

fn create_sql(function: &Function) -> String {
    let definition = function.definition.trim().trim_end_matches(';');
    match function.kind {
        // Stored as `AGGREGATE name(args) (SFUNC = ..., ...)`.
        FunctionKind::Aggregate => format!("CREATE {definition}"),
        _ => definition.to_owned(),
    }
}

fn comment(name: &FunctionName, function: &Function) -> PlannedStatement {
    statement(
        comment_sql(keyword(function.kind), &name.to_string(), &function.comment),
        vec![],
    )
}

/// The signature line (every argument, with names, modes and defaults) and the `RETURNS`
/// line: what `CREATE OR REPLACE` can't change.
fn header(definition: &str) -> (&str, Option<&str>) {
    let first = definition.lines().next().unwrap_or_default();
    let returns = definition
        .lines()
        .find(|line| line.starts_with(" RETURNS "));
    (first, returns)
}

fn replaceable(old: &Function, new: &Function) -> bool {
    old.kind == new.kind
        && new.kind != FunctionKind::Aggregate
        && header(&old.definition) == header(&new.definition)
}

/// `names` so that a routine comes after those it calls, aggregates after the rest (their
/// state functions).
fn ordered<'a>(
    names: Vec<(&'a FunctionName, &'a Function)>,
) -> Vec<(&'a FunctionName, &'a Function)> {
    let mut left = names;
    left.sort_by_key(|(name, f)| (f.kind == FunctionKind::Aggregate, (*name).clone()));
    let mut placed = Vec::new();
    while !left.is_empty() {
        let at = (0..left.len())
            .find(|&i| {
                let (name, function) = left[i];
                left.iter().all(|(other, _)| {
                    call(other) == call(name) || !function.definition.contains(&call(other))
                })
            })
            // Calls in a circle: creation order can't matter for them.
            .unwrap_or(0);
        placed.push(left.remove(at));
    }
    placed
}

fn is_sql(function: &Function) -> bool {
    function.definition.contains("\n LANGUAGE sql\n")
}

/// The routines of `from` dropped and created again: kind, arguments or return type changed,
/// or one of the same name comes with other identity arguments (perhaps the same routine with
/// its arguments renamed, which the identity arguments name: it goes first).
pub(super) fn rebuilt(
    from: &BTreeMap<FunctionName, Function>,
    to: &BTreeMap<FunctionName, Function>,
) -> BTreeSet<FunctionName> {
    let added: BTreeSet<(&str, &str)> = to
        .keys()
        .filter(|name| !from.contains_key(*name))
        .map(|name| (name.schema.as_str(), name.name.as_str()))
        .collect();
    from.iter()
        .filter(|(name, old)| match to.get(*name) {
            Some(new) => old != &new && !replaceable(old, new),
            None => added.contains(&(name.schema.as_str(), name.name.as_str())),
        })
        .map(|(name, _)| name.clone())
        .collect()
}

/// The routines of `from` and `to`; `changed_tables` are the tables the plan creates or
/// changes, `created_views` the views and materialized views it creates.
pub(super) fn statements(
    from: &BTreeMap<FunctionName, Function>,
    to: &BTreeMap<FunctionName, Function>,
    changed_tables: &BTreeSet<&QualifiedName>,
    created_views: &BTreeSet<QualifiedName>,
) -> FunctionStatements {
    let mut out = FunctionStatements::default();
    let mut written = Vec::new();
    for (name, function) in to {
        match from.get(name) {
            Some(old) if old == function => {}
            Some(old) if old.definition == function.definition && old.kind == function.kind => {
                out.before_tables.push(comment(name, function));
            }
            _ => written.push((name, function)),
        }
    }
    out.rebuilt = rebuilt(from, to);
    let rebuilt: Vec<(&FunctionName, &Function)> = from
        .iter()
        .filter(|(name, _)| out.rebuilt.contains(*name))
        .collect();
    for (name, old) in ordered(rebuilt).into_iter().rev() {
        out.before_tables.push(statement(
            format!("DROP {} {name}", keyword(old.kind)),
            vec![],
        ));
    }
    for (name, function) in ordered(written) {
        let phase = if !is_sql(function) {
            &mut out.before_tables
        } else if created_views
            .iter()
            .any(|v| mentions(&function.definition, v))
        {
            &mut out.after_views
        } else if changed_tables
            .iter()
            .any(|t| mentions(&function.definition, t))
        {
            &mut out.after_tables
        } else {
            &mut out.before_tables
        };
        phase.push(statement(create_sql(function), vec![]));
        let old_comment = from
            .get(name)
            .filter(|_| !out.rebuilt.contains(name))
            .map(|old| &old.comment);
        if old_comment.map_or(function.comment.is_some(), |c| c != &function.comment) {
            phase.push(comment(name, function));
        }
    }
    let gone: Vec<(&FunctionName, &Function)> = from
        .iter()
        .filter(|(name, _)| !to.contains_key(*name) && !out.rebuilt.contains(*name))
        .collect();
    for (name, old) in ordered(gone).into_iter().rev() {
        out.drops.push(statement(
            format!("DROP {} {name}", keyword(old.kind)),
            vec![],
        ));
    }
    out
}

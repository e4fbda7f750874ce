//! Functions, procedures and aggregates. New ones are created from their definition
//! (`pg_get_functiondef`'s `CREATE OR REPLACE ...`), changed ones replaced in place unless
//! their kind, signature or return type changed (`CREATE OR REPLACE` refuses those: dropped
//! and created again). They come after the types and before the tables (defaults, checks and
//! generated columns may call them), except that a `LANGUAGE sql` function, whose body is
//! checked when it is created, comes after the tables or views it names that the plan
//! creates or changes. Those that go away are dropped after the triggers and tables.

use std::collections::BTreeSet;

use super::depend::{self, call};
use super::mentions::mentions;
use super::statement::{comment_sql, statement};
use super::PlannedStatement;
use crate::schema::{
    Dependencies, Function, FunctionKind, FunctionName, ObjectRef, QualifiedName, Snapshot,
};

/// The statements of the routines, by where they go in the plan.
#[derive(Default)]
pub(super) struct FunctionStatements {
    /// First, once what uses them is gone: drops of the rebuilt ones.
    pub(super) drops_first: Vec<PlannedStatement>,
    /// Before the tables: new, replaced and rebuilt ones.
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

/// `names` so that a routine comes after those it calls (by `dependencies` when there are
/// any, else by the calls its text makes), aggregates after the rest (their state
/// functions); ties by name.
fn ordered<'a>(
    names: Vec<(&'a FunctionName, &'a Function)>,
    dependencies: &Dependencies,
) -> Vec<(&'a FunctionName, &'a Function)> {
    let mut names = names;
    names.sort_by_key(|(name, f)| (f.kind == FunctionKind::Aggregate, (*name).clone()));
    if !dependencies.is_empty() {
        return depend::order(&names, dependencies, |(name, _)| {
            ObjectRef::Function((*name).clone())
        });
    }
    // Calls in a circle: creation order can't matter for them.
    depend::ordered_by(&names, |(name, function), (other, _)| {
        call(other) != call(name) && function.definition.contains(&call(other))
    })
}

fn is_sql(function: &Function) -> bool {
    function.definition.contains("\n LANGUAGE sql\n")
}

/// The routines of `from` dropped and created again: kind, arguments or return type changed,
/// or one of the same name comes with other identity arguments (perhaps the same routine with
/// its arguments renamed, which the identity arguments name: it goes first); and, by `from`'s
/// dependencies, the routines of both that use one of those (a `BEGIN ATOMIC` body that
/// calls it: PostgreSQL refuses to drop what one uses); and those that take or return an enum
/// type the plan replaces (they would keep the old type, whose drop they would block; one
/// that goes away goes first then).
pub(super) fn rebuilt(from: &Snapshot, to: &Snapshot) -> BTreeSet<FunctionName> {
    let replaced_enums = super::enums::replaced_names(from, to);
    let added: BTreeSet<(&str, &str)> = to
        .functions
        .keys()
        .filter(|name| !from.functions.contains_key(*name))
        .map(|name| (name.schema.as_str(), name.name.as_str()))
        .collect();
    let mut out: BTreeSet<FunctionName> = from
        .functions
        .iter()
        .filter(|(name, old)| match to.functions.get(*name) {
            Some(new) => {
                (old != &new && !replaceable(old, new))
                    || uses_any_type(from, name, old, &replaced_enums)
            }
            None => {
                added.contains(&(name.schema.as_str(), name.name.as_str()))
                    || uses_any_type(from, name, old, &replaced_enums)
            }
        })
        .map(|(name, _)| name.clone())
        .collect();
    loop {
        let more: Vec<FunctionName> = from
            .functions
            .keys()
            .filter(|name| !out.contains(*name) && to.functions.contains_key(*name))
            .filter(|name| {
                let object = ObjectRef::Function((*name).clone());
                depend::uses(&from.dependencies, &object)
                    .any(|used| matches!(used, ObjectRef::Function(f) if out.contains(f)))
            })
            .cloned()
            .collect();
        if more.is_empty() {
            return out;
        }
        out.extend(more);
    }
}

/// Whether routine `name` uses one of `types` (by `snapshot`'s dependencies when it has any,
/// else by its definition's text).
fn uses_any_type(
    snapshot: &Snapshot,
    name: &FunctionName,
    function: &Function,
    types: &BTreeSet<QualifiedName>,
) -> bool {
    if types.is_empty() {
        return false;
    }
    if depend::known(snapshot) {
        let object = ObjectRef::Function(name.clone());
        return depend::uses(&snapshot.dependencies, &object)
            .any(|used| matches!(used, ObjectRef::Type(t) if types.contains(t)));
    }
    types.iter().any(|t| mentions(&function.definition, t))
}

/// The routines of `from` and `to`; `changed_tables` are the tables the plan creates or
/// changes, `created_views` the views and materialized views it creates.
pub(super) fn statements(
    from_snapshot: &Snapshot,
    to_snapshot: &Snapshot,
    changed_tables: &BTreeSet<&QualifiedName>,
    created_views: &BTreeSet<QualifiedName>,
) -> FunctionStatements {
    let (from, to) = (&from_snapshot.functions, &to_snapshot.functions);
    let mut out = FunctionStatements {
        rebuilt: rebuilt(from_snapshot, to_snapshot),
        ..FunctionStatements::default()
    };
    let mut written = Vec::new();
    for (name, function) in to {
        match from.get(name) {
            Some(old) if old == function && !out.rebuilt.contains(name) => {}
            Some(old)
                if old.definition == function.definition
                    && old.kind == function.kind
                    && !out.rebuilt.contains(name) =>
            {
                out.before_tables.push(comment(name, function));
            }
            _ => written.push((name, function)),
        }
    }
    let rebuilt: Vec<(&FunctionName, &Function)> = from
        .iter()
        .filter(|(name, _)| out.rebuilt.contains(*name))
        .collect();
    for (name, old) in ordered(rebuilt, &from_snapshot.dependencies)
        .into_iter()
        .rev()
    {
        out.drops_first.push(statement(
            format!("DROP {} {name}", keyword(old.kind)),
            vec![],
        ));
    }
    let to_deps = &to_snapshot.dependencies;
    for (name, function) in ordered(written, to_deps) {
        let object = ObjectRef::Function(name.clone());
        let reads = |pick: &dyn Fn(&QualifiedName) -> bool| {
            depend::uses(to_deps, &object).any(|used| match used {
                ObjectRef::Relation(relation) => pick(relation),
                ObjectRef::Column(column) => pick(&column.table),
                _ => false,
            })
        };
        // A default or check that calls it needs it before the tables.
        let needed_by_tables = to_deps.iter().any(|(user, used)| {
            matches!(user, ObjectRef::Default(_) | ObjectRef::Constraint(..))
                && used.contains(&object)
        });
        // Its text, for a `LANGUAGE sql` body, which has no dependencies recorded.
        let names = |t: &QualifiedName| is_sql(function) && mentions(&function.definition, t);
        let phase = if reads(&|v| created_views.contains(v)) || created_views.iter().any(names) {
            &mut out.after_views
        } else if reads(&|t| changed_tables.contains(t))
            || (!needed_by_tables && changed_tables.iter().any(|t| names(t)))
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
    for (name, old) in ordered(gone, &from_snapshot.dependencies).into_iter().rev() {
        out.drops.push(statement(
            format!("DROP {} {name}", keyword(old.kind)),
            vec![],
        ));
    }
    out
}

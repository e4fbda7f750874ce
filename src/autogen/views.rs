//! Views and materialized views: dropped before the tables change and created after, in the
//! order their definitions name one another (a materialized view may read a view, and a view
//! a materialized view). Without the catalog's dependencies (`pg_depend`, not in the snapshot
//! yet) the plan is conservative: when any table loses a column, changes a column's type or
//! is renamed or dropped, every view is dropped and created again around the change; and a
//! view that names one that is dropped is dropped (and created again) too.

use std::collections::{BTreeMap, BTreeSet};

use super::hazard::Hazard;
use super::mentions::mentions;
use super::statement::{comment_sql, statement};
use super::PlannedStatement;
use crate::schema::{FunctionName, QualifiedName, Snapshot, View};

/// The drops (before the tables change) and the creates (after).
pub(super) struct ViewStatements {
    pub(super) drops: Vec<PlannedStatement>,
    pub(super) creates: Vec<PlannedStatement>,
    /// The views and materialized views the plan creates (new, or dropped and created
    /// again): what their triggers and indexes follow.
    pub(super) created: BTreeSet<QualifiedName>,
}

/// A view or a materialized view of one snapshot.
#[derive(Clone, Copy)]
struct Relation<'a> {
    materialized: bool,
    view: &'a View,
}

impl Relation<'_> {
    fn keyword(&self) -> &'static str {
        if self.materialized {
            "MATERIALIZED VIEW"
        } else {
            "VIEW"
        }
    }
}

fn relations(snapshot: &Snapshot) -> BTreeMap<&QualifiedName, Relation<'_>> {
    let plain = snapshot.views.iter().map(|(name, view)| {
        let relation = Relation {
            materialized: false,
            view,
        };
        (name, relation)
    });
    let materialized = snapshot.materialized_views.iter().map(|(name, view)| {
        let relation = Relation {
            materialized: true,
            view,
        };
        (name, relation)
    });
    plain.chain(materialized).collect()
}

/// `names` sorted so that one comes after every other one its text names.
pub(super) fn dependency_order<'a, T>(
    names: &BTreeMap<&'a QualifiedName, T>,
    text: impl Fn(&T) -> &str,
) -> Vec<&'a QualifiedName> {
    let mut placed = Vec::new();
    let mut left: BTreeSet<&QualifiedName> = names.keys().copied().collect();
    while !left.is_empty() {
        let ready = left
            .iter()
            .copied()
            .find(|name| {
                let definition = text(&names[*name]);
                left.iter()
                    .all(|other| other == name || !mentions(definition, other))
            })
            // A circle can't be created in PostgreSQL; should the text mislead, keep going.
            .unwrap_or_else(|| *left.iter().next().expect("not empty"));
        left.remove(ready);
        placed.push(ready);
    }
    placed
}

fn create(name: &QualifiedName, relation: Relation<'_>) -> Vec<PlannedStatement> {
    let view = relation.view;
    let options = view
        .options
        .as_ref()
        .map(|o| format!(" WITH ({o})"))
        .unwrap_or_default();
    let definition = view.definition.trim().trim_end_matches(';');
    let keyword = relation.keyword();
    let mut out = vec![statement(
        format!("CREATE {keyword} {name}{options} AS\n{definition}"),
        vec![],
    )];
    if view.comment.is_some() {
        out.push(statement(
            comment_sql(keyword, &name.to_string(), &view.comment),
            vec![],
        ));
    }
    out
}

/// The statements for the views and materialized views of `from` and `to` (with the indexes
/// of materialized views); `tables_reshaped` when some table loses a column, changes a
/// column's type, or is renamed or dropped; `rebuilt` the routines dropped and created again
/// (a view that calls one goes first).
pub(super) fn statements(
    from: &Snapshot,
    to: &Snapshot,
    tables_reshaped: bool,
    rebuilt: &BTreeSet<FunctionName>,
) -> ViewStatements {
    let (old, new) = (relations(from), relations(to));
    let same = |name: &QualifiedName, relation: &Relation<'_>| {
        new.get(name).is_some_and(|r| {
            r.materialized == relation.materialized
                && r.view.definition == relation.view.definition
                && r.view.options == relation.view.options
        })
    };
    let mut dropped: BTreeMap<&QualifiedName, Relation<'_>> = old
        .iter()
        .filter(|(name, relation)| {
            tables_reshaped
                || !same(name, relation)
                || super::mentions::calls_any(&relation.view.definition, rebuilt)
        })
        .map(|(name, relation)| (*name, *relation))
        .collect();
    // What reads a dropped view goes too (PostgreSQL refuses to drop it otherwise).
    loop {
        let more: Vec<&QualifiedName> = old
            .iter()
            .filter(|(name, relation)| {
                !dropped.contains_key(*name)
                    && dropped
                        .keys()
                        .any(|gone| mentions(&relation.view.definition, gone))
            })
            .map(|(name, _)| *name)
            .collect();
        if more.is_empty() {
            break;
        }
        for name in more {
            dropped.insert(name, old[name]);
        }
    }
    let created: BTreeMap<&QualifiedName, Relation<'_>> = new
        .iter()
        .filter(|(name, _)| dropped.contains_key(*name) || !old.contains_key(*name))
        .map(|(name, relation)| (*name, *relation))
        .collect();

    // Indexes of materialized views that stay, changed or gone, go before anything else.
    let mut drops = super::matviews::index_drops(from, to, &dropped.keys().copied().collect());
    for name in dependency_order(&dropped, |r| &r.view.definition)
        .into_iter()
        .rev()
    {
        let relation = dropped[name];
        let hazards = match (new.contains_key(name), relation.materialized) {
            (false, _) => vec![],
            (true, false) => vec![Hazard::BreaksClients],
            (true, true) => vec![Hazard::BreaksClients, Hazard::AccessExclusive],
        };
        drops.push(statement(
            format!("DROP {} {name}", relation.keyword()),
            hazards,
        ));
    }
    let mut creates: Vec<PlannedStatement> = Vec::new();
    for name in dependency_order(&created, |r| &r.view.definition) {
        creates.extend(create(name, created[name]));
        if created[name].materialized {
            creates.extend(super::matviews::indexes_of(name, to));
        }
    }
    creates.extend(super::matviews::index_creates(
        from,
        to,
        &created.keys().copied().collect(),
    ));
    // A comment alone changed on one that stays.
    for (name, relation) in &new {
        if created.contains_key(name) {
            continue;
        }
        if old
            .get(name)
            .is_some_and(|o| o.view.comment != relation.view.comment)
        {
            creates.push(statement(
                comment_sql(
                    relation.keyword(),
                    &name.to_string(),
                    &relation.view.comment,
                ),
                vec![],
            ));
        }
    }
    ViewStatements {
        drops,
        creates,
        created: created.keys().map(|name| (*name).clone()).collect(),
    }
}

//! Views: dropped before the tables change and created after, in the order their definitions
//! name one another. Without the catalog's dependencies (`pg_depend`, not in the snapshot
//! yet) the plan is conservative: when any table loses a column, changes a column's type or
//! is renamed or dropped, every view is dropped and created again around the change.

use std::collections::{BTreeMap, BTreeSet};

use super::hazard::Hazard;
use super::PlannedStatement;
use crate::quote::literal;
use crate::schema::{QualifiedName, View};

/// The drops (before the tables change) and the creates (after).
pub(super) struct ViewStatements {
    pub(super) drops: Vec<PlannedStatement>,
    pub(super) creates: Vec<PlannedStatement>,
}

/// `views` sorted so that a view comes after every view its definition names.
fn dependency_order(views: &BTreeMap<&QualifiedName, &View>) -> Vec<QualifiedName> {
    let names: Vec<&QualifiedName> = views.keys().copied().collect();
    let mentions = |view: &View, other: &QualifiedName| {
        let text = &view.definition;
        let qualified = other.to_string();
        text.contains(&qualified) || (other.schema == "public" && mentions_word(text, &other.name))
    };
    let mut placed: Vec<QualifiedName> = Vec::new();
    let mut left: BTreeSet<&QualifiedName> = names.iter().copied().collect();
    while !left.is_empty() {
        let ready = left
            .iter()
            .copied()
            .find(|name| {
                let view = views[*name];
                left.iter()
                    .all(|other| other == name || !mentions(view, other))
            })
            // A circle can't be created in PostgreSQL; should the text mislead, keep going.
            .unwrap_or_else(|| *left.iter().next().expect("not empty"));
        left.remove(ready);
        placed.push(ready.clone());
    }
    placed
}

fn mentions_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        let part = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.');
        !part(before) && !part(after)
    })
}

fn create(name: &QualifiedName, view: &View) -> Vec<PlannedStatement> {
    let options = view
        .options
        .as_ref()
        .map(|o| format!(" WITH ({o})"))
        .unwrap_or_default();
    let definition = view.definition.trim().trim_end_matches(';');
    let mut out = vec![PlannedStatement {
        sql: format!("CREATE VIEW {name}{options} AS\n{definition}"),
        hazards: vec![],
    }];
    if let Some(comment) = &view.comment {
        out.push(PlannedStatement {
            sql: format!("COMMENT ON VIEW {name} IS {}", literal(comment)),
            hazards: vec![],
        });
    }
    out
}

/// The statements for the views of `from` and `to`; `tables_reshaped` when some table loses a
/// column, changes a column's type, or is renamed or dropped.
pub(super) fn statements(
    from: &BTreeMap<QualifiedName, View>,
    to: &BTreeMap<QualifiedName, View>,
    tables_reshaped: bool,
) -> ViewStatements {
    let same = |name: &QualifiedName, view: &View| {
        to.get(name)
            .is_some_and(|v| v.definition == view.definition && v.options == view.options)
    };
    let dropped: BTreeMap<&QualifiedName, &View> = from
        .iter()
        .filter(|(name, view)| tables_reshaped || !same(name, view))
        .collect();
    let created: BTreeMap<&QualifiedName, &View> = to
        .iter()
        .filter(|(name, _)| dropped.contains_key(*name) || !from.contains_key(*name))
        .collect();
    let drops: Vec<PlannedStatement> = dependency_order(&dropped)
        .into_iter()
        .rev()
        .map(|name| PlannedStatement {
            sql: format!("DROP VIEW {name}"),
            hazards: if to.contains_key(&name) {
                vec![Hazard::BreaksClients]
            } else {
                vec![]
            },
        })
        .collect();
    let mut creates: Vec<PlannedStatement> = dependency_order(&created)
        .into_iter()
        .flat_map(|name| create(&name, created[&name]))
        .collect();
    // A comment alone changed on a view that stays.
    for (name, view) in to {
        if created.contains_key(name) {
            continue;
        }
        if from
            .get(name)
            .is_some_and(|old| old.comment != view.comment)
        {
            creates.push(PlannedStatement {
                sql: format!(
                    "COMMENT ON VIEW {name} IS {}",
                    view.comment.as_deref().map_or("NULL".to_owned(), literal)
                ),
                hazards: vec![],
            });
        }
    }
    ViewStatements { drops, creates }
}

//! The indexes of materialized views: created right after their view (never before it, as
//! the table indexes are), and gone with it when it is dropped. The views themselves are
//! ordered with the plain views (`views`), since either may read the other.

use std::collections::BTreeSet;

use super::hazard::Hazard;
use super::statement::statement;
use super::PlannedStatement;
use crate::schema::{Index, QualifiedName, Snapshot};

/// Whether `index` is on a materialized view of `snapshot` (those are planned here, not with
/// the tables' indexes).
pub(super) fn on_matview(snapshot: &Snapshot, index: &Index) -> bool {
    snapshot.materialized_views.contains_key(&index.table)
}

fn same(other: &Snapshot, name: &QualifiedName, index: &Index) -> bool {
    other
        .indexes
        .get(name)
        .is_some_and(|i| i.definition == index.definition && i.table == index.table)
}

/// Indexes of materialized views that stay (not in `dropped`) and that go away or change.
pub(super) fn index_drops(
    from: &Snapshot,
    to: &Snapshot,
    dropped: &BTreeSet<&QualifiedName>,
) -> Vec<PlannedStatement> {
    from.indexes
        .iter()
        .filter(|(name, index)| {
            on_matview(from, index) && !dropped.contains(&index.table) && !same(to, name, index)
        })
        .map(|(name, _)| statement(format!("DROP INDEX {name}"), vec![Hazard::AccessExclusive]))
        .collect()
}

/// Every index of the materialized view `view` of `to`, which the plan just created.
pub(super) fn indexes_of(view: &QualifiedName, to: &Snapshot) -> Vec<PlannedStatement> {
    to.indexes
        .values()
        .filter(|index| &index.table == view)
        .map(|index| statement(index.definition.clone(), vec![]))
        .collect()
}

/// New and changed indexes of the materialized views that stay (not in `created`).
pub(super) fn index_creates(
    from: &Snapshot,
    to: &Snapshot,
    created: &BTreeSet<&QualifiedName>,
) -> Vec<PlannedStatement> {
    to.indexes
        .iter()
        .filter(|(name, index)| {
            on_matview(to, index) && !created.contains(&index.table) && !same(from, name, index)
        })
        .map(|(_, index)| {
            statement(
                index.definition.clone(),
                vec![Hazard::BuildsIndexUnderWriteLock],
            )
        })
        .collect()
}

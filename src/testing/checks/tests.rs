//! Unit tests of the checks' messages.

use std::time::Duration;

use super::*;
use crate::migration::{Body, MigrationSet, SqlBody};
use crate::Revision;

fn entry(id: &str, parents: &[&str]) -> SetEntry {
    let revision = Revision::new(id.parse().unwrap())
        .with_parents(parents.iter().map(|p| p.parse().unwrap()).collect())
        .with_message(format!("make {id}"));
    let body = Body::Sql {
        up: SqlBody::new("SELECT 1;", 1),
        down: None,
    };
    SetEntry::new(revision, format!("migrations/{id}.sql"), body)
}

fn depending(id: &str, parents: &[&str], depends_on: &[&str]) -> SetEntry {
    let plain = entry(id, parents);
    let revision = plain
        .revision()
        .clone()
        .with_depends_on(depends_on.iter().map(|d| d.to_string()).collect());
    SetEntry::new(revision, plain.file_name(), plain.body().clone())
}

fn migrator(entries: Vec<SetEntry>) -> Migrator {
    Migrator::new(MigrationSet::new(entries).unwrap())
}

fn ids(names: &[&str]) -> Vec<RevisionId> {
    names.iter().map(|n| n.parse().unwrap()).collect()
}

/// Tests spawn checks on multi-threaded runtimes: the futures must be `Send`.
#[allow(dead_code)]
fn checks_are_send(migrator: &Migrator, pool: &deadpool_postgres::Pool) {
    fn is_send<T: Send>(_: T) {}
    is_send(assert_round_trip(migrator, pool));
    is_send(assert_upgrade_from_empty(migrator, pool));
    is_send(assert_downgrade_to_base(migrator, pool));
}

/// Walking every revision in topological order, each step finds a target that removes
/// that revision alone, on branches, merges, several bases and `depends-on`.
#[test]
fn every_revision_of_a_dag_has_a_single_step_downgrade() {
    let dag = migrator(vec![
        entry("root", &[]),
        entry("a1", &["root"]),
        entry("b1", &["root"]),
        entry("a2", &["a1"]),
        entry("m", &["a2", "b1"]),
        entry("other", &[]),
        entry("after", &["m", "other"]),
        depending("side", &[], &["a1"]),
        depending("side2", &["side"], &["other"]),
    ]);
    let graph = dag.migrations().graph();
    let mut applied = Vec::new();
    for id in graph.topological_order() {
        let entry = dag.migrations().get(id.as_str()).unwrap();
        let target =
            single_step_target(ROUND_TRIP, &dag, &applied, entry).unwrap_or_else(|e| panic!("{e}"));
        let planner = Planner::new(graph, applied.iter().chain([id]).map(|r| r.as_str())).unwrap();
        let plan = planner.downgrade(&target.parse().unwrap()).unwrap();
        assert_eq!(plan.revisions().collect::<Vec<_>>(), [id], "{target}");
        applied.push(id.clone());
    }
    assert_eq!(applied.len(), 9);
}

#[test]
fn one_head_passes_and_several_are_listed_with_a_way_out() {
    assert!(assert_single_head(&migrator(vec![])).is_ok());
    assert!(assert_single_head(&migrator(vec![entry("a", &[]), entry("b", &["a"])])).is_ok());
    let error = assert_single_head(&migrator(vec![
        entry("a", &[]),
        entry("b", &["a"]),
        entry("c", &["a"]),
    ]))
    .unwrap_err();
    let expected = "the migrations have 2 heads, so `upgrade head` \
                    (Migrator::migrate_to_head) fails:\n  \
                    b (migrations/b.sql, \"make b\")\n  \
                    c (migrations/c.sql, \"make c\")\n\
                    Merge them into one: `pelican merge -m \"merge heads\" heads`";
    assert_eq!(error.to_string(), expected);
    assert_eq!(format!("{error:?}"), expected);
}

#[test]
fn the_report_says_what_was_checked() {
    let report = RoundTripReport {
        round_tripped: ids(&["a1", "a2"]),
        irreversible: vec![IrreversibleRevision {
            revision: RevisionRef::of(&entry("a3", &["a2"])),
            reason: "drops data".into(),
        }],
        elapsed: Duration::ZERO,
    };
    assert_eq!(
        report.to_string(),
        "2 revisions round-trip: a1, a2\nnot downgraded, declared irreversible:\n  \
         a3 (migrations/a3.sql, \"make a3\"): irreversible (drops data)"
    );
    let one = RoundTripReport {
        round_tripped: ids(&["a1"]),
        ..RoundTripReport::default()
    };
    assert_eq!(one.to_string(), "1 revision round-trips: a1");
    assert_eq!(
        RoundTripReport::default().to_string(),
        "0 revisions round-trip"
    );
}

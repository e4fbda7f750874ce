//! Unit tests of the run's decisions: the shortcuts at head agree with the planner.

use tokio_postgres::Client;

use super::*;
use crate::history::{RevisionState, StateRow, StoredDigest};
use crate::migration::{Body, SetEntry, SqlBody};
use crate::plan::Direction;
use crate::revision::Checksum;
use crate::target::Target;

/// Applications spawn migrations on multi-threaded runtimes: the futures must be `Send`.
#[allow(dead_code)]
fn operations_are_send(migrator: &Migrator, client: &Client, pool: &deadpool_postgres::Pool) {
    fn is_send<T: Send>(_: T) {}
    is_send(migrator.migrate_to_head(client));
    is_send(migrator.downgrade(pool, "base"));
    is_send(migrator.stamp(pool, &["head"], false));
    is_send(migrator.status(pool));
    is_send(migrator.repair(pool));
}

fn entry(id: &str, parents: &[&str]) -> SetEntry {
    let revision = crate::Revision::new(id.parse().unwrap())
        .with_parents(parents.iter().map(|p| p.parse().unwrap()).collect());
    let body = Body::Sql {
        up: SqlBody::new("SELECT 1;", 1),
        down: None,
    };
    SetEntry::new(revision, format!("{id}.sql"), body)
}

fn applied_row(entry: &SetEntry) -> StateRow {
    StateRow {
        revision: entry.revision().id().to_string(),
        checksum: entry.revision().checksum().to_string(),
        checksum_algorithm: "sha256".to_owned(),
        state: RevisionState::Applied,
        error: None,
        failed_at: None,
    }
}

/// Upgrading to `head` or `heads` skips the planner when every revision is applied: that
/// must be exactly when the planner would find nothing to do.
#[test]
fn the_shortcut_at_head_agrees_with_the_planner() {
    let chain = vec![entry("r1", &[]), entry("r2", &["r1"])];
    let two_heads = vec![entry("r1", &[]), entry("a", &["r1"]), entry("b", &["r1"])];
    let merged = [two_heads.clone(), vec![entry("m", &["a", "b"])]].concat();
    // (set, target, whether the shortcut applies with every revision applied)
    let cases = [
        (&chain, "head", true),
        (&chain, "heads", true),
        (&two_heads, "head", false),
        (&two_heads, "heads", true),
        (&merged, "head", true),
        (&merged, "heads", true),
        (&chain, "r2", false),
    ];
    for (entries, target_text, shortcut) in cases {
        let migrator = Migrator::new(MigrationSet::new(entries.clone()).unwrap());
        let target: Target = target_text.parse().unwrap();
        let all: Vec<StateRow> = entries.iter().map(applied_row).collect();
        let checked = migrator.check(Some(all.clone())).unwrap();
        let planned = migrator.plan_for(&checked, &target, Direction::Up);
        let taken = migrator.nothing_to_upgrade(&checked, &target, Direction::Up);
        assert_eq!(
            taken,
            shortcut,
            "{target_text} over {} revisions",
            entries.len()
        );
        if taken {
            assert!(planned.unwrap().is_empty(), "{target_text}");
        }
        assert!(!migrator.nothing_to_upgrade(&checked, &target, Direction::Down));

        // One revision missing, hidden or not by a duplicated row: no shortcut.
        let mut missing = all.clone();
        let last = missing.pop().unwrap();
        let checked = migrator.check(Some(missing.clone())).unwrap();
        assert!(!migrator.nothing_to_upgrade(&checked, &target, Direction::Up));
        missing.push(missing[0].clone());
        let checked = migrator.check(Some(missing)).unwrap();
        assert!(
            !checked.all_applied,
            "a duplicated row is not {}",
            last.revision
        );
    }
}

/// What `pelican_state` holds for these rows (what the triggers compute).
fn stored_digest(rows: &[StateRow]) -> StoredDigest {
    let mut digest = crate::history::HistoryDigest::EMPTY;
    for row in rows {
        let checksum = Checksum::from_hex(crate::ChecksumAlgorithm::Sha256, &row.checksum)
            .expect("test rows have hex checksums");
        digest.add_row(&row.revision, &checksum, row.state == RevisionState::Failed);
    }
    StoredDigest::Current {
        bits: digest.bits_text(),
        revisions: rows.len() as i64,
    }
}

/// The start at head skips everything when the stored digest is the set's: that must
/// happen only when reading every row would find no error and nothing to do, and must
/// happen whenever every revision is applied (unless `head` is ambiguous).
#[test]
fn the_digest_shortcut_agrees_with_the_full_check_and_the_planner() {
    let chain = vec![entry("r1", &[]), entry("r2", &["r1"])];
    let two_heads = vec![entry("r1", &[]), entry("a", &["r1"]), entry("b", &["r1"])];
    let merged = [two_heads.clone(), vec![entry("m", &["a", "b"])]].concat();
    for entries in [&chain, &two_heads, &merged] {
        let migrator = Migrator::new(MigrationSet::new(entries.clone()).unwrap());
        let all: Vec<StateRow> = entries.iter().map(applied_row).collect();
        let mut variants: Vec<(&str, Vec<StateRow>)> = vec![("all applied", all.clone())];
        let mut stamped = all.clone();
        stamped[0].state = RevisionState::Stamped;
        variants.push(("one stamped", stamped));
        variants.push(("one missing", all[1..].to_vec()));
        let mut failed = all.clone();
        failed[1].state = RevisionState::Failed;
        failed[1].error = Some("boom".to_owned());
        variants.push(("one failed", failed));
        let mut changed = all.clone();
        changed[1].checksum = Checksum::of(b"edited").to_string();
        variants.push(("one changed", changed));
        let mut unknown = all.clone();
        unknown.push(StateRow {
            revision: "zz".to_owned(),
            ..all[0].clone()
        });
        variants.push(("one unknown", unknown));
        let mut swapped = all.clone();
        swapped.pop();
        swapped.push(StateRow {
            revision: "zz".to_owned(),
            ..all[0].clone()
        });
        variants.push(("one unknown instead of one missing", swapped));

        for target_text in ["head", "heads"] {
            let target: Target = target_text.parse().unwrap();
            for (what, rows) in &variants {
                let shortcut = migrator
                    .head_shortcut(&target, Direction::Up)
                    .unwrap()
                    .is_some_and(|at_head| stored_digest(rows).is(&at_head.digest));
                let full = migrator
                    .check(Some(rows.clone()))
                    .and_then(|checked| migrator.plan_for(&checked, &target, Direction::Up));
                let nothing_to_do = matches!(&full, Ok(plan) if plan.is_empty());
                let context = format!("{target_text}, {what}, {} revisions", entries.len());
                if shortcut {
                    assert!(nothing_to_do, "{context}: {full:?}");
                }
                if nothing_to_do && (*what == "all applied" || *what == "one stamped") {
                    assert!(shortcut, "{context}");
                }
            }
            assert!(migrator
                .head_shortcut(&target, Direction::Down)
                .unwrap()
                .is_none());
        }
    }
}

#[test]
fn an_empty_set_is_at_head_before_the_history_table_exists() {
    let migrator = Migrator::new(MigrationSet::new(Vec::new()).unwrap());
    let checked = migrator.check(None).unwrap();
    for target in ["head", "heads"] {
        let target: Target = target.parse().unwrap();
        assert!(migrator.nothing_to_upgrade(&checked, &target, Direction::Up));
        let plan = migrator.plan_for(&checked, &target, Direction::Up).unwrap();
        assert!(plan.is_empty());
    }
    let one = Migrator::new(MigrationSet::new(vec![entry("r1", &[])]).unwrap());
    let checked = one.check(None).unwrap();
    let head: Target = "head".parse().unwrap();
    assert!(!one.nothing_to_upgrade(&checked, &head, Direction::Up));
}

#[test]
fn recorded_checksums_match_only_their_display_form() {
    for text in ["", "a", "\r\nx"] {
        let checksum = Checksum::of(text.as_bytes());
        let shown = checksum.to_string();
        assert!(is_hex_of(&shown, &checksum));
        assert!(!is_hex_of(&shown.to_uppercase(), &checksum));
        assert!(!is_hex_of(&shown[..62], &checksum));
        assert!(!is_hex_of(&format!("{shown}0"), &checksum));
        assert!(!is_hex_of(&Checksum::of(b"other").to_string(), &checksum));
        assert!(!is_hex_of("", &checksum));
    }
}

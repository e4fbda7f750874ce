//! Migration checks: built-in assertions about a set of migrations, each one call from a
//! test, each failing with a message that names the revision and what is wrong.
//!
//! * [`assert_single_head`]: the migrations have one head, so `upgrade head` works (no
//!   database needed);
//! * [`assert_round_trip`] (the "stairway"): every revision, in upgrade order, is upgraded,
//!   downgraded and upgraded again, and its downgrade must restore the schema exactly as it
//!   was before its upgrade;
//! * [`assert_upgrade_from_empty`]: `upgrade heads` from an empty database applies every
//!   revision;
//! * [`assert_downgrade_to_base`]: `upgrade heads` then `downgrade base` leaves the schema as
//!   it was before;
//! * [`assert_matches_schema`]: the migrations at their heads give the desired schema
//!   (scratch databases on a throwaway server).
//!
//! The checks return a [`CheckError`] rather than panic, so they compose (`?` in a test that
//! returns a `Result`, or `.unwrap()`); its `Debug` output is the same readable message as its
//! `Display`, so either way the test prints the message as it is.
//!
//! The database checks run on whatever [`Database`] the migrator runs on (a
//! `tokio_postgres::Client` or a `deadpool_postgres::Pool`) and take their schema snapshots
//! through it, so they see what the migrations see (the same `search_path`). They change the
//! database: give them a fresh one, such as [`TestServer::create_database`] makes.
//!
//! [`TestServer::create_database`]: super::TestServer::create_database

use std::time::Instant;

use crate::error::Error;
use crate::lock::Database;
use crate::migration::SetEntry;
use crate::migrator::{Migrator, Report, Status};
use crate::plan::Planner;
use crate::revision::RevisionId;
use crate::schema::{SchemaDiff, Snapshot, SnapshotOptions};
use crate::target::Target;

mod report;
mod schema;
#[cfg(test)]
mod tests;

pub use report::{CheckError, IrreversibleRevision, RevisionRef, RoundTripReport};
pub use schema::assert_matches_schema;

const SINGLE_HEAD: &str = "assert_single_head";
const ROUND_TRIP: &str = "assert_round_trip";
const UPGRADE_FROM_EMPTY: &str = "assert_upgrade_from_empty";
const DOWNGRADE_TO_BASE: &str = "assert_downgrade_to_base";

/// Checks that the migrations have one head, so that `upgrade head`
/// ([`Migrator::migrate_to_head`]) works. Needs no database; an empty set passes.
///
/// ```
/// use pelican::testing::assert_single_head;
/// # use pelican::{migration::{Body, SetEntry, SqlBody}, MigrationSet, Migrator, Revision};
/// # fn entry(id: &str, parents: &[&str]) -> SetEntry {
/// #     let parents = parents.iter().map(|p| p.parse().unwrap()).collect();
/// #     let revision = Revision::new(id.parse().unwrap()).with_parents(parents);
/// #     let body = Body::Sql { up: SqlBody::new("SELECT 1;", 1), down: None };
/// #     SetEntry::new(revision, format!("migrations/{id}.sql"), body)
/// # }
/// // a1 <- b1, a1 <- c1: two branches that were never merged.
/// let migrator = Migrator::new(MigrationSet::new(vec![
///     entry("a1", &[]),
///     entry("b1", &["a1"]),
///     entry("c1", &["a1"]),
/// ])?);
/// let error = assert_single_head(&migrator).unwrap_err();
/// assert!(error.to_string().starts_with("the migrations have 2 heads"));
/// # Ok::<(), pelican::Error>(())
/// ```
pub fn assert_single_head(migrator: &Migrator) -> Result<(), CheckError> {
    let set = migrator.migrations();
    let heads = set.graph().heads();
    if heads.len() <= 1 {
        return Ok(());
    }
    let heads = heads
        .into_iter()
        .filter_map(|id| set.get(id.as_str()))
        .map(RevisionRef::of)
        .collect();
    tracing::debug!(check = SINGLE_HEAD, "several heads");
    Err(CheckError::SeveralHeads { heads })
}

/// The stairway: for every revision not yet applied, in the order `upgrade heads` applies
/// them, upgrade that one revision, take a schema snapshot, downgrade that one revision,
/// compare the schema with the snapshot taken before its upgrade, upgrade it again and
/// compare with the snapshot of its first upgrade.
///
/// The snapshots cover every schema but PostgreSQL's own, without pelican's history tables
/// (see [`assert_round_trip_with`] to choose the schemas). On a fresh database, every
/// revision is checked; on one where some revisions are applied, the others are.
///
/// Branches and merges are walked in the planner's order: each step upgrades exactly one
/// revision and downgrades exactly that one again, whatever else is applied beside it (a
/// plain `-1` would be ambiguous with several branches applied). Revisions declared
/// `irreversible` are upgraded and listed in the report, not downgraded, and the walk goes on.
///
/// Fails with [`CheckError::NotReversible`] (the revision and the schema differences) when a
/// downgrade does not restore the schema, with [`CheckError::NotRepeatable`] when the second
/// upgrade gives another schema than the first, and with [`CheckError::StepFailed`] (the revision
/// and the SQL error) when an upgrade or downgrade fails. It stops at the first failure,
/// leaving the database where it stopped. Data is not compared, only the schema.
pub async fn assert_round_trip(
    migrator: &Migrator,
    db: &impl Database,
) -> Result<RoundTripReport, CheckError> {
    assert_round_trip_with(migrator, db, &SnapshotOptions::new()).await
}

/// [`assert_round_trip`], comparing snapshots taken with `snapshots`: for instance only the
/// schema of a test's own, when other tests share the database.
///
/// ```no_run
/// # async fn example(
/// #     migrator: &pelican::Migrator,
/// #     client: &tokio_postgres::Client,
/// # ) -> Result<(), pelican::testing::CheckError> {
/// use pelican::schema::SnapshotOptions;
/// use pelican::testing::assert_round_trip_with;
///
/// let only_app = SnapshotOptions::new().schemas(["app"]);
/// assert_round_trip_with(migrator, client, &only_app).await?;
/// # Ok(())
/// # }
/// ```
pub async fn assert_round_trip_with(
    migrator: &Migrator,
    db: &impl Database,
    snapshots: &SnapshotOptions,
) -> Result<RoundTripReport, CheckError> {
    let started = Instant::now();
    let check = ROUND_TRIP;
    let set = migrator.migrations();
    let status = read_status(check, migrator, db).await?;
    create_history_tables(check, migrator, db, &status).await?;
    let mut applied: Vec<RevisionId> = status.applied.clone();
    let mut report = RoundTripReport::default();
    let mut before = take_snapshot(check, db, snapshots).await?;
    let total = status.pending.len();
    for (index, id) in status.pending.iter().enumerate() {
        let Some(entry) = set.get(id.as_str()) else {
            continue;
        };
        let revision = RevisionRef::of(entry);
        let step = format!("(step {} of {total})", index + 1);
        tracing::debug!(check, revision = %id, "{step}");
        run(
            check,
            || format!("upgrading revision {revision} {step}"),
            migrator.upgrade(db, id.as_str()),
        )
        .await?;
        applied.push(id.clone());
        let after_upgrade = take_snapshot(check, db, snapshots).await?;

        if let Some(reason) = entry.revision().irreversible() {
            tracing::info!(check, revision = %id, reason, "irreversible: not downgraded");
            report.irreversible.push(IrreversibleRevision {
                revision,
                reason: reason.to_owned(),
            });
            before = after_upgrade;
            continue;
        }

        applied.pop();
        let target = single_step_target(check, migrator, &applied, entry)?;
        run(
            check,
            || format!("downgrading revision {revision} right after its upgrade"),
            migrator.downgrade(db, &target),
        )
        .await?;
        let after_downgrade = take_snapshot(check, db, snapshots).await?;
        let diff = before.diff(&after_downgrade);
        if !diff.is_empty() {
            return Err(CheckError::NotReversible {
                revision,
                differences: diff.lines(),
            });
        }

        run(
            check,
            || format!("upgrading revision {revision} again after its downgrade"),
            migrator.upgrade(db, id.as_str()),
        )
        .await?;
        applied.push(id.clone());
        let again = take_snapshot(check, db, snapshots).await?;
        let diff = after_upgrade.diff(&again);
        if !diff.is_empty() {
            return Err(CheckError::NotRepeatable {
                revision,
                differences: diff.lines(),
            });
        }
        report.round_tripped.push(id.clone());
        before = again;
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Checks that `upgrade heads` from a database where no migration has run applies every
/// revision: it succeeds, and afterwards nothing is pending or failed. Returns what the
/// upgrade ran.
///
/// Refuses ([`CheckError::NotEmpty`]) a database whose history table records any revision.
pub async fn assert_upgrade_from_empty(
    migrator: &Migrator,
    db: &impl Database,
) -> Result<Report, CheckError> {
    let check = UPGRADE_FROM_EMPTY;
    let status = read_status(check, migrator, db).await?;
    refuse_recorded(check, &status)?;
    let report = run(
        check,
        || "upgrade heads".to_owned(),
        migrator.upgrade(db, "heads"),
    )
    .await?;
    let after = read_status(check, migrator, db).await?;
    let missing: Vec<String> = migrator
        .migrations()
        .entries()
        .iter()
        .map(|entry| entry.revision().id())
        .filter(|id| !after.applied.contains(id))
        .map(ToString::to_string)
        .collect();
    if !after.pending.is_empty() || !after.failed.is_empty() || !missing.is_empty() {
        return Err(CheckError::Incomplete {
            check,
            pending: after.pending.iter().map(ToString::to_string).collect(),
            failed: after
                .failed
                .iter()
                .map(|(id, error)| format!("{id} ({error})"))
                .collect(),
            missing,
        });
    }
    Ok(report)
}

/// Checks that `upgrade heads` then `downgrade base`, from a database where no migration has
/// run, leaves the schema exactly as it was before: no object left behind, none missing.
/// Returns what the downgrade ran.
///
/// The snapshots cover every schema but PostgreSQL's own, without pelican's history tables
/// (see [`assert_downgrade_to_base_with`]). Refuses a database whose history table records
/// any revision ([`CheckError::NotEmpty`]), and migrations with an irreversible revision
/// ([`CheckError::Irreversible`]), since those can't be downgraded to base at all; both before
/// anything runs.
pub async fn assert_downgrade_to_base(
    migrator: &Migrator,
    db: &impl Database,
) -> Result<Report, CheckError> {
    assert_downgrade_to_base_with(migrator, db, &SnapshotOptions::new()).await
}

/// [`assert_downgrade_to_base`], comparing snapshots taken with `snapshots`.
pub async fn assert_downgrade_to_base_with(
    migrator: &Migrator,
    db: &impl Database,
    snapshots: &SnapshotOptions,
) -> Result<Report, CheckError> {
    let check = DOWNGRADE_TO_BASE;
    let set = migrator.migrations();
    let irreversible: Vec<IrreversibleRevision> = set
        .graph()
        .topological_order()
        .into_iter()
        .filter_map(|id| set.get(id.as_str()))
        .filter_map(|entry| {
            entry
                .revision()
                .irreversible()
                .map(|reason| IrreversibleRevision {
                    revision: RevisionRef::of(entry),
                    reason: reason.to_owned(),
                })
        })
        .collect();
    if !irreversible.is_empty() {
        return Err(CheckError::Irreversible {
            check,
            revisions: irreversible,
        });
    }
    let status = read_status(check, migrator, db).await?;
    refuse_recorded(check, &status)?;
    create_history_tables(check, migrator, db, &status).await?;
    let empty = take_snapshot(check, db, snapshots).await?;
    run(
        check,
        || "upgrade heads".to_owned(),
        migrator.upgrade(db, "heads"),
    )
    .await?;
    let report = run(
        check,
        || "downgrade base (after upgrade heads)".to_owned(),
        migrator.downgrade(db, "base"),
    )
    .await?;
    let after = take_snapshot(check, db, snapshots).await?;
    let diff: SchemaDiff = empty.diff(&after);
    if !diff.is_empty() {
        return Err(CheckError::Leftovers {
            check,
            differences: diff.lines(),
        });
    }
    Ok(report)
}

/// Runs one migrator operation, naming what it was on failure.
async fn run<T>(
    check: &'static str,
    action: impl FnOnce() -> String,
    operation: impl std::future::Future<Output = Result<T, Error>>,
) -> Result<T, CheckError> {
    operation.await.map_err(|source| CheckError::StepFailed {
        check,
        action: action(),
        source: Box::new(source),
    })
}

async fn read_status(
    check: &'static str,
    migrator: &Migrator,
    db: &impl Database,
) -> Result<Status, CheckError> {
    run(
        check,
        || "reading the history table".to_owned(),
        migrator.status(db),
    )
    .await
}

async fn take_snapshot(
    check: &'static str,
    db: &impl Database,
    snapshots: &SnapshotOptions,
) -> Result<Snapshot, CheckError> {
    let snapshot = async {
        // A connection per snapshot, returned at once: a pool of one must stay usable by the
        // migrator.
        let connection = db.connection().await?;
        snapshots.snapshot(&connection).await
    };
    run(check, || "taking a schema snapshot".to_owned(), snapshot).await
}

/// Makes the migrator create its history tables (and their schema) now, when no revision is
/// recorded: otherwise the first upgrade would create them, and a new history schema would
/// show in the first comparison as if a migration had left it behind. A stamp of no targets
/// over an empty history records nothing.
async fn create_history_tables(
    check: &'static str,
    migrator: &Migrator,
    db: &impl Database,
    status: &Status,
) -> Result<(), CheckError> {
    if !recorded(status).is_empty() {
        return Ok(());
    }
    run(
        check,
        || "creating the history tables".to_owned(),
        migrator.stamp(db, &[], false),
    )
    .await
    .map(drop)
}

/// Every revision the history table records, whatever its state.
fn recorded(status: &Status) -> Vec<String> {
    let mut recorded: Vec<String> = status
        .applied
        .iter()
        .map(ToString::to_string)
        .chain(status.failed.iter().map(|(id, _)| id.clone()))
        .chain(status.unknown.iter().cloned())
        .collect();
    recorded.sort();
    recorded
}

fn refuse_recorded(check: &'static str, status: &Status) -> Result<(), CheckError> {
    let recorded = recorded(status);
    if recorded.is_empty() {
        Ok(())
    } else {
        Err(CheckError::NotEmpty { check, recorded })
    }
}

/// A downgrade target that, with `applied` plus `entry` applied, removes exactly `entry`.
///
/// `entry` was just upgraded in topological order, so nothing above it is applied; what
/// remains is to keep the downgrade off its siblings on other branches. `<entry>@<parent>`
/// restricts the downgrade to the entry's own line (`<entry>@base` for a base); the plain
/// parent and `base` are tried after. The choice is verified with the planner.
fn single_step_target(
    check: &'static str,
    migrator: &Migrator,
    applied: &[RevisionId],
    entry: &SetEntry,
) -> Result<String, CheckError> {
    let graph = migrator.migrations().graph();
    let revision = entry.revision();
    let id = revision.id();
    let mut candidates = Vec::new();
    if revision.parents().is_empty() {
        candidates.push(format!("{id}@base"));
        candidates.push("base".to_owned());
    }
    for parent in revision.parents() {
        candidates.push(format!("{id}@{parent}"));
    }
    for parent in revision.parents() {
        candidates.push(parent.to_string());
    }
    let with_entry = applied.iter().chain(std::iter::once(id));
    let planner = Planner::new(graph, with_entry.map(RevisionId::as_str)).map_err(|error| {
        CheckError::StepFailed {
            check,
            action: format!("planning the downgrade of {}", RevisionRef::of(entry)),
            source: Box::new(error.into()),
        }
    })?;
    for candidate in &candidates {
        let Ok(target) = candidate.parse::<Target>() else {
            continue;
        };
        if let Ok(plan) = planner.downgrade(&target) {
            if plan.revisions().eq(std::iter::once(id)) {
                return Ok(candidate.clone());
            }
        }
    }
    Err(CheckError::NoSingleStep {
        check,
        revision: RevisionRef::of(entry),
        tried: candidates,
    })
}

/// The examples of `docs/testing.md`, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/testing.md")]
pub struct TestingGuide;

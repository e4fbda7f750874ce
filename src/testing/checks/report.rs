//! What the checks report: the revisions they name, the round trip's report, and
//! `CheckError`, whose `Debug` is its readable message.

use std::fmt;
use std::time::Duration;

use crate::error::Error;
use crate::migration::SetEntry;
use crate::revision::RevisionId;

/// A revision as the checks' messages name it: id, file and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionRef {
    /// The revision id.
    pub id: RevisionId,
    /// Its file, as the migration set names it.
    pub file: String,
    /// Its message (may be empty).
    pub message: String,
}

impl RevisionRef {
    pub(super) fn of(entry: &SetEntry) -> Self {
        RevisionRef {
            id: entry.revision().id().clone(),
            file: entry.file_name().to_owned(),
            message: entry.revision().message().to_owned(),
        }
    }
}

impl fmt::Display for RevisionRef {
    /// `3f2a9c1d7b4e (migrations/3f2a9c1d7b4e_add_email.sql, "add email")`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            write!(f, "{} ({})", self.id, self.file)
        } else {
            write!(f, "{} ({}, {:?})", self.id, self.file, self.message)
        }
    }
}

/// A revision declared `irreversible`: [`assert_round_trip`](super::assert_round_trip) applies it and reports it
/// without downgrading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IrreversibleRevision {
    /// The revision.
    pub revision: RevisionRef,
    /// The reason its header gives.
    pub reason: String,
}

impl fmt::Display for IrreversibleRevision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: irreversible ({})", self.revision, self.reason)
    }
}

/// What [`assert_round_trip`](super::assert_round_trip) checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoundTripReport {
    /// The revisions that were upgraded, downgraded and upgraded again, in that order.
    pub round_tripped: Vec<RevisionId>,
    /// The revisions declared irreversible: upgraded only, not downgraded.
    pub irreversible: Vec<IrreversibleRevision>,
    /// How long the whole walk took.
    pub elapsed: Duration,
}

impl fmt::Display for RoundTripReport {
    /// `3 revisions round-trip: a1, a2, a3`, then a line per irreversible revision.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.round_tripped.len();
        write!(
            f,
            "{count} revision{} round-trip{}",
            if count == 1 { "" } else { "s" },
            if count == 1 { "s" } else { "" }
        )?;
        if count > 0 {
            write!(f, ": {}", join(&self.round_tripped))?;
        }
        if !self.irreversible.is_empty() {
            write!(f, "\nnot downgraded, declared irreversible:")?;
            for revision in &self.irreversible {
                write!(f, "\n  {revision}")?;
            }
        }
        Ok(())
    }
}

/// A check that failed. `Display` (and `Debug`, which prints the same text) is the whole
/// message: the check, the revision, the file, and the difference or the error.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum CheckError {
    /// The migrations have several heads, so `upgrade head` fails.
    #[error(
        "the migrations have {} heads, so `upgrade head` (Migrator::migrate_to_head) fails:\n{}\n\
         Merge them into one: `pelican merge -m \"merge heads\" heads`",
        .heads.len(),
        lines(.heads)
    )]
    SeveralHeads {
        /// The heads, in the graph's order.
        heads: Vec<RevisionRef>,
    },
    /// A revision whose downgrade does not restore the schema its upgrade started from.
    #[error(
        "revision {revision} does not round-trip: after upgrade then downgrade, the schema \
         differs from before the upgrade:\n{}\n{DIFF_LEGEND}",
        lines(.differences)
    )]
    NotReversible {
        /// The revision.
        revision: RevisionRef,
        /// The differences, one line each, as [`SchemaDiff::lines`](crate::schema::SchemaDiff::lines) prints them (from the
        /// schema before the upgrade to the schema after the downgrade).
        differences: Vec<String>,
    },
    /// A revision whose second upgrade, after its downgrade, gives another schema than its
    /// first: its downgrade left something (data, usually) that its upgrade depends on.
    #[error(
        "revision {revision} does not round-trip: upgraded again after its downgrade, it gives \
         another schema than its first upgrade:\n{}\n(+ is only after the second upgrade, - \
         only after the first, ~ differs: first -> second); its downgrade leaves something \
         behind that the upgrade depends on, such as rows",
        lines(.differences)
    )]
    NotRepeatable {
        /// The revision.
        revision: RevisionRef,
        /// The differences, one line each (from the schema after the first upgrade to the
        /// schema after the second).
        differences: Vec<String>,
    },
    /// The migrations at their heads don't give the desired schema.
    #[error(
        "assert_matches_schema: the migrations at their heads differ from the desired schema \
         {}:\n{}\n(- only in the migrations, + only in the desired schema, ~ differs: \
         migrations -> desired). A revision that closes the gap would run:\n{sql}",
        .desired_schema.display(),
        lines(.differences)
    )]
    SchemaMismatch {
        /// The desired schema's file or directory.
        desired_schema: std::path::PathBuf,
        /// The differences, one line each (from the migrations to the desired schema).
        differences: Vec<String>,
        /// The SQL from the migrations' schema to the desired one.
        sql: String,
    },
    /// The desired schema or the migrations could not be built in a scratch database (a
    /// [`ScratchError`](crate::scratch::ScratchError), which names the file and line).
    #[error("assert_matches_schema: {0}")]
    Scratch(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// After `upgrade heads` then `downgrade base`, the schema differs from before.
    #[error(
        "{check}: after upgrade heads then downgrade base, the schema differs from before the \
         upgrade:\n{}\n{DIFF_LEGEND}; assert_round_trip names the revision responsible",
        lines(.differences)
    )]
    Leftovers {
        /// The check that failed.
        check: &'static str,
        /// The differences, one line each (from before the upgrade to after the downgrade).
        differences: Vec<String>,
    },
    /// A step of a check failed: a migration's SQL, a planning error, the connection.
    #[error("{check}: {action} failed: {source}")]
    StepFailed {
        /// The check that failed.
        check: &'static str,
        /// What it was doing: `downgrading revision a2 (...) right after its upgrade`.
        action: String,
        /// The error, which names the revision, file and line of a failed migration.
        #[source]
        source: Box<Error>,
    },
    /// The check needs a database where no migration ran.
    #[error(
        "{check} needs a database where no migration has run, and this one records {}: {}; \
         use a fresh database (TestServer::shared()?.create_database())",
        count(.recorded.len(), "revision"),
        .recorded.join(", ")
    )]
    NotEmpty {
        /// The check that refused.
        check: &'static str,
        /// The revisions recorded in the history table.
        recorded: Vec<String>,
    },
    /// After `upgrade heads`, some revision is not applied.
    #[error(
        "{check}: after upgrade heads, the database is not at heads:{}{}{}",
        section("still pending", .pending),
        section("recorded as failed", .failed),
        section("not applied", .missing)
    )]
    Incomplete {
        /// The check that failed.
        check: &'static str,
        /// Revisions `upgrade heads` would still run.
        pending: Vec<String>,
        /// Revisions recorded as failed, with their errors.
        failed: Vec<String>,
        /// Revisions of the set that are not recorded as applied.
        missing: Vec<String>,
    },
    /// A downgrade to base is impossible by design: some revisions are irreversible.
    #[error(
        "{check}: the migrations can't be downgraded to base, by design:\n{}\n\
         assert_round_trip checks the downgrade of every other revision",
        lines(.revisions)
    )]
    Irreversible {
        /// The check that refused.
        check: &'static str,
        /// The irreversible revisions.
        revisions: Vec<IrreversibleRevision>,
    },
    /// No downgrade target removes just this revision: it can't be stepped down alone.
    #[error(
        "{check}: no downgrade target removes revision {revision} alone (every one tried, {}, \
         would remove other revisions too), so its downgrade can't be checked by itself",
        .tried.join(", ")
    )]
    NoSingleStep {
        /// The check that failed.
        check: &'static str,
        /// The revision.
        revision: RevisionRef,
        /// The targets tried.
        tried: Vec<String>,
    },
}

impl fmt::Debug for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// How to read a diff in a failure message.
pub(super) const DIFF_LEGEND: &str =
    "(+ is left behind by the downgrade, - is missing after it, ~ differs: before -> after)";

pub(super) fn lines<T: fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(|item| format!("  {item}"))
        .collect::<Vec<_>>()
        .join("\n")
}

pub(super) fn section(title: &str, items: &[String]) -> String {
    if items.is_empty() {
        String::new()
    } else {
        format!("\n  {title}: {}", items.join(", "))
    }
}

pub(super) fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

pub(super) fn join(ids: &[RevisionId]) -> String {
    ids.iter()
        .map(RevisionId::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

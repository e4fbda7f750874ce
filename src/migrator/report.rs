//! What operations return: reports of runs and stamps, the status of a database, and the
//! progress events of a running plan.

use std::sync::Arc;
use std::time::Duration;

use crate::error::ChecksumMismatch;
use crate::plan::Direction;
use crate::revision::RevisionId;

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The revisions that ran, in order.
    pub steps: Vec<StepReport>,
    /// How long the whole operation took.
    pub elapsed: Duration,
}

impl Report {
    /// Whether nothing ran.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

/// One revision that ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepReport {
    /// The revision.
    pub revision: RevisionId,
    /// Up or down.
    pub direction: Direction,
    /// How long it took, its history row included.
    pub duration: Duration,
}

/// What `stamp` changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StampReport {
    /// Revisions recorded as applied (state `stamped`).
    pub added: Vec<RevisionId>,
    /// Revisions whose records were deleted.
    pub removed: Vec<RevisionId>,
}

/// The database compared with the migrations: what `pelican status` shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    /// Applied or stamped revisions, known to this application.
    pub applied: Vec<RevisionId>,
    /// Revisions `upgrade heads` would run, in order.
    pub pending: Vec<RevisionId>,
    /// Revisions recorded as failed, with their errors.
    pub failed: Vec<(String, String)>,
    /// `transaction: false` revisions a migrator is running right now, with the session that
    /// holds the migration lock. Until such a revision finishes, its row reads as failed (so
    /// that a crash leaves a record); while the lock is held it is reported here instead.
    pub running: Vec<(String, String)>,
    /// Applied revisions whose files changed since.
    pub checksum_mismatches: Vec<ChecksumMismatch>,
    /// Recorded revisions this application does not know.
    pub unknown: Vec<String>,
    /// The current heads of the database.
    pub current_heads: Vec<RevisionId>,
}

/// One event of a running plan, given to the callback of
/// [`Migrator::on_progress`](crate::Migrator::on_progress).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Progress {
    /// A revision is about to run.
    Started {
        /// The revision.
        revision: RevisionId,
        /// Up or down.
        direction: Direction,
        /// Its position in the plan, from 1.
        position: usize,
        /// The number of revisions in the plan.
        total: usize,
    },
    /// A revision ran and was recorded.
    Finished {
        /// The revision.
        revision: RevisionId,
        /// Up or down.
        direction: Direction,
        /// Its position in the plan, from 1.
        position: usize,
        /// The number of revisions in the plan.
        total: usize,
        /// How long it took, its history row included.
        duration: Duration,
    },
}

/// The callback of [`Migrator::on_progress`](crate::Migrator::on_progress).
#[derive(Clone)]
pub(super) struct ProgressCallback(pub(super) Arc<dyn Fn(&Progress) + Send + Sync>);

impl std::fmt::Debug for ProgressCallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressCallback(..)")
    }
}

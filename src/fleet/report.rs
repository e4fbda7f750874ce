//! What a fleet run did to each target, and the summary.

use std::fmt;
use std::time::Duration;

use super::Target;
use crate::revision::RevisionId;

/// What happened to one target.
#[derive(Debug)]
#[non_exhaustive]
pub enum Outcome {
    /// Revisions ran (or were stamped), in order.
    Migrated {
        /// The revisions.
        revisions: Vec<RevisionId>,
    },
    /// The target was there already: nothing to do.
    AlreadyThere,
    /// The run failed; what committed before the failure stays.
    Failed {
        /// The revision that failed, when a migration did (not a connection, say).
        revision: Option<RevisionId>,
        /// The error, which names the file, the line and PostgreSQL's message.
        error: crate::Error,
    },
    /// Not started: an earlier failure stopped the run (`fail_fast`, a failed canary).
    NotRun,
}

/// One target and what happened to it.
#[derive(Debug)]
#[non_exhaustive]
pub struct TargetReport {
    /// The target.
    pub target: Target,
    /// What happened.
    pub outcome: Outcome,
    /// How long its run took.
    pub elapsed: Duration,
}

/// Every target's report, in the order of the targets, and how long the run took.
#[derive(Debug)]
#[non_exhaustive]
pub struct FleetReport {
    /// One report per target, in the fleet's order.
    pub targets: Vec<TargetReport>,
    /// The whole run.
    pub elapsed: Duration,
}

/// How many targets ended each way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Migrated.
    pub migrated: usize,
    /// There already.
    pub already_there: usize,
    /// Failed.
    pub failed: usize,
    /// Not run.
    pub not_run: usize,
}

impl FleetReport {
    /// How many targets ended each way.
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for report in &self.targets {
            match report.outcome {
                Outcome::Migrated { .. } => counts.migrated += 1,
                Outcome::AlreadyThere => counts.already_there += 1,
                Outcome::Failed { .. } => counts.failed += 1,
                Outcome::NotRun => counts.not_run += 1,
            }
        }
        counts
    }

    /// Whether no target failed or was left out.
    pub fn all_succeeded(&self) -> bool {
        let counts = self.counts();
        counts.failed == 0 && counts.not_run == 0
    }

    /// The failed targets.
    pub fn failures(&self) -> impl Iterator<Item = &TargetReport> {
        self.targets
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Failed { .. }))
    }

    /// One line: `50 targets in 3.2s: 47 migrated, 2 already there, 1 failed, 0 not run`.
    pub fn summary(&self) -> String {
        let counts = self.counts();
        format!(
            "{} target(s) in {:.1}s: {} migrated, {} already there, {} failed, {} not run",
            self.targets.len(),
            self.elapsed.as_secs_f64(),
            counts.migrated,
            counts.already_there,
            counts.failed,
            counts.not_run
        )
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Migrated { revisions } => {
                let ids: Vec<String> = revisions.iter().map(ToString::to_string).collect();
                write!(f, "migrated: {}", ids.join(", "))
            }
            Outcome::AlreadyThere => f.write_str("already there"),
            Outcome::Failed { error, .. } => write!(f, "failed: {error}"),
            Outcome::NotRun => f.write_str("not run (an earlier failure stopped the run)"),
        }
    }
}

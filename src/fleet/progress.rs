//! The events of a fleet run as it goes, for a progress display or a log.

use std::sync::Arc;
use std::time::Duration;

use super::report::Outcome;
use super::Target;
use crate::migrator::Progress;

/// One event of a fleet run, given to the callback of
/// [`Fleet::on_progress`](super::Fleet::on_progress). Events of targets running at once
/// arrive interleaved, from the tasks that run them.
#[derive(Debug)]
#[non_exhaustive]
pub enum FleetProgress<'a> {
    /// A target has its connection and starts.
    Started {
        /// The target.
        target: &'a Target,
    },
    /// One of the target's revisions starts or finishes.
    Revision {
        /// The target.
        target: &'a Target,
        /// The migrator's event.
        progress: &'a Progress,
    },
    /// A target is done.
    Finished {
        /// The target.
        target: &'a Target,
        /// What happened to it.
        outcome: &'a Outcome,
        /// How long it took.
        elapsed: Duration,
    },
}

/// The callback of [`Fleet::on_progress`](super::Fleet::on_progress).
pub(super) type ProgressCallback = Arc<dyn Fn(&FleetProgress<'_>) + Send + Sync>;

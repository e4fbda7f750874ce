//! Where each target of a fleet stands: its heads, what is pending, what failed.

use super::run::statuses;
use super::{Fleet, FleetError, Target};
use crate::migrator::Status;

/// One target's status, or why it couldn't be read.
#[derive(Debug)]
#[non_exhaustive]
pub struct TargetStatus {
    /// The target.
    pub target: Target,
    /// Its status (applied, pending, failed, current heads), or the error reading it.
    pub status: Result<Status, crate::Error>,
}

impl TargetStatus {
    /// Whether the target is at its heads, with nothing failed.
    pub fn is_current(&self) -> bool {
        self.status
            .as_ref()
            .is_ok_and(|s| s.pending.is_empty() && s.failed.is_empty())
    }
}

impl Fleet {
    /// Reads every target's status, `jobs` at once.
    ///
    /// # Errors
    ///
    /// No target, or a connection string that doesn't parse; a target whose status can't
    /// be read has its error in its [`TargetStatus`].
    pub async fn status(&self) -> Result<Vec<TargetStatus>, FleetError> {
        let statuses = statuses(self).await?;
        Ok(statuses
            .into_iter()
            .map(|(target, status)| TargetStatus { target, status })
            .collect())
    }
}

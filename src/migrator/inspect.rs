//! Reading the database without changing it: `plan`, `current`, `status`, `history`.

use super::*;
use crate::error::Error;
use crate::history::{HistoryRow, RevisionState};
use crate::lock::Database;
use crate::plan::{Direction, Plan, Planner};
use crate::revision::RevisionId;
use crate::sql::step::*;
use crate::target::Target;

impl Migrator {
    /// What `upgrade` or `downgrade` to `target` would run, without running or locking
    /// anything.
    pub async fn plan(
        &self,
        db: &impl Database,
        target: &str,
        direction: Direction,
    ) -> Result<Plan, Error> {
        let target: Target = target.parse()?;
        let connection = db.connection().await?;
        let checked = self.read_checked(&connection).await?;
        self.plan_for(&checked, &target, direction)
    }

    /// The current heads of the database: applied revisions none of whose children are
    /// applied.
    pub async fn current(&self, db: &impl Database) -> Result<Vec<RevisionId>, Error> {
        Ok(self.status(db).await?.current_heads)
    }

    /// Compares the database with the migrations, reporting every problem instead of failing
    /// on the first.
    pub async fn status(&self, db: &impl Database) -> Result<Status, Error> {
        self.set.try_built()?;
        let connection = db.connection().await?;
        let rows = self
            .history
            .read_state(&connection)
            .await?
            .unwrap_or_default();
        let mut status = Status::default();
        let mut applied = Vec::new();
        for row in &rows {
            match self.set.get(&row.revision) {
                None => status.unknown.push(row.revision.clone()),
                Some(_) if row.state == RevisionState::Failed => status
                    .failed
                    .push((row.revision.clone(), row.error.clone().unwrap_or_default())),
                Some(entry) => {
                    if let Some(mismatch) = mismatch(entry, row) {
                        status.checksum_mismatches.push(mismatch);
                    }
                    applied.push(row.revision.clone());
                }
            }
        }
        let planner = Planner::new(self.set.graph(), &applied)?;
        status.pending = planner
            .upgrade(&Target::Heads { branch: None })?
            .revisions()
            .cloned()
            .collect();
        status.current_heads = planner.current_heads().into_iter().cloned().collect();
        status.applied = applied
            .iter()
            .filter_map(|id| self.set.get(id))
            .map(|e| e.revision().id().clone())
            .collect();
        if !status.failed.is_empty() {
            // An in-progress marker under a held lock is a run in progress, not a failure.
            if let Some(holder) = self.lock.holder(&connection).await {
                let (running, failed) = std::mem::take(&mut status.failed)
                    .into_iter()
                    .partition(|(_, error)| error.starts_with(IN_PROGRESS_MARKER));
                status.failed = failed;
                status.running = running
                    .into_iter()
                    .map(|(revision, _)| (revision, holder.clone()))
                    .collect();
            }
        }
        status.unknown.sort();
        status.failed.sort();
        status.running.sort();
        Ok(status)
    }

    /// Every row of the history table, oldest first.
    pub async fn history(&self, db: &impl Database) -> Result<Vec<HistoryRow>, Error> {
        let connection = db.connection().await?;
        Ok(self.history.read_rows(&connection).await?)
    }
}

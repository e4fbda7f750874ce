//! Changing the history without running migrations: `stamp` (and `--purge`), `repair`,
//! `mark_applied`, `forget`.

use tokio_postgres::Client;

use super::*;
use crate::error::Error;
use crate::history::{Elapsed, Operation, RevisionState};
use crate::lock::Database;
use crate::migration::SetEntry;
use crate::plan::{Planner, StampPlan};
use crate::revision::RevisionId;
use crate::target::Target;

impl Migrator {
    /// Records applied or removed revisions without running anything (Alembic's `stamp`).
    pub async fn stamp(
        &self,
        db: &impl Database,
        targets: &[&str],
        purge: bool,
    ) -> Result<StampReport, Error> {
        let targets: Vec<Target> = targets
            .iter()
            .map(|t| t.parse())
            .collect::<Result<_, _>>()?;
        let connection = db.connection().await?;
        self.refuse_on_standby(&connection, "stamp").await?;
        let guard = self.lock.acquire(db, connection, self.lock_wait).await?;
        let result = async {
            let client = guard.client();
            if purge {
                return self.stamp_purging(client, &targets).await;
            }
            let checked = self.prepare_locked(client).await?;
            let stamp = Planner::new(self.set.graph(), &checked.applied)?.stamp(&targets, false)?;
            self.record_stamp(client, &stamp, &[]).await?;
            Ok(StampReport {
                added: stamp.add,
                removed: stamp.remove,
            })
        }
        .await;
        finish(guard, result).await
    }

    /// `stamp --purge`: erases every row of the history, failed and unknown ones included
    /// (each erasure logged), then records the targets as stamped, as if from an empty
    /// database. Alembic's "unconditionally erase the version table before stamping".
    pub(super) async fn stamp_purging(
        &self,
        client: &Client,
        targets: &[Target],
    ) -> Result<StampReport, Error> {
        let rows = self.read_rows_locked(client).await?;
        let nothing_applied: &[String] = &[];
        let stamp = Planner::new(self.set.graph(), nothing_applied)?.stamp(targets, true)?;
        let erased: Vec<String> = rows.into_iter().map(|row| row.revision).collect();
        self.record_stamp(client, &stamp, &erased).await?;
        Ok(StampReport {
            added: stamp.add,
            removed: erased.iter().filter_map(|id| id.parse().ok()).collect(),
        })
    }

    /// Accepts the current checksums of applied revisions whose files changed, so the golden
    /// rule stops complaining. Use it only when the database already matches the edited
    /// files. Returns the repaired revisions.
    pub async fn repair(&self, db: &impl Database) -> Result<Vec<RevisionId>, Error> {
        let connection = db.connection().await?;
        self.refuse_on_standby(&connection, "repair").await?;
        let guard = self.lock.acquire(db, connection, self.lock_wait).await?;
        let result = async {
            let client = guard.client();
            let rows = self.read_rows_locked(client).await?;
            let mut sql = String::from("BEGIN;\n");
            let mut repaired = Vec::new();
            for row in &rows {
                let Some(entry) = self.set.get(&row.revision) else {
                    continue;
                };
                if let Some(mismatch) = mismatch(entry, row) {
                    let checksum = entry.revision().checksum();
                    sql.push_str(&self.history.set_checksum_sql(&row.revision, checksum));
                    let detail = format!("checksum {} -> {}", mismatch.recorded, mismatch.current);
                    sql.push_str(&self.history.log_sql(
                        &row.revision,
                        Operation::Repair,
                        true,
                        Elapsed::None,
                        Some(checksum),
                        Some(&detail),
                    ));
                    repaired.push(mismatch.revision);
                }
            }
            sql.push_str("COMMIT;");
            if !repaired.is_empty() {
                execute(client, &sql, "recording repaired checksums").await?;
                tracing::info!(revisions = ?repaired, "repaired checksums");
            }
            Ok(repaired)
        }
        .await;
        finish(guard, result).await
    }

    /// Resolves a revision marked failed by recording it as applied: after you finished its
    /// statements by hand.
    pub async fn mark_applied(&self, db: &impl Database, revision: &str) -> Result<(), Error> {
        self.resolve_failed(db, revision, true).await
    }

    /// Deletes a revision's record: a failed revision whose statements you undid by hand, or
    /// a revision this application does not know.
    pub async fn forget(&self, db: &impl Database, revision: &str) -> Result<(), Error> {
        self.resolve_failed(db, revision, false).await
    }

    pub(super) async fn resolve_failed(
        &self,
        db: &impl Database,
        revision: &str,
        applied: bool,
    ) -> Result<(), Error> {
        let connection = db.connection().await?;
        self.refuse_on_standby(&connection, "resolve").await?;
        let guard = self.lock.acquire(db, connection, self.lock_wait).await?;
        let result = async {
            let client = guard.client();
            let rows = self.read_rows_locked(client).await?;
            let row = rows.iter().find(|r| r.revision == revision);
            let state = row.map(|r| r.state);
            let allowed = match (applied, state) {
                (true, Some(RevisionState::Failed)) => true,
                (false, Some(RevisionState::Failed)) => true,
                (false, Some(_)) => self.set.get(revision).is_none(),
                _ => false,
            };
            if !allowed {
                return Err(Error::NotFailed {
                    revision: revision.to_owned(),
                    state: state.map_or("not recorded".to_owned(), |s| s.to_string()),
                });
            }
            let mut sql = String::from("BEGIN;\n");
            if applied {
                sql.push_str(&self.history.set_state_sql(
                    revision,
                    RevisionState::Applied,
                    Elapsed::None,
                ));
                sql.push_str(&self.history.log_sql(
                    revision,
                    Operation::MarkApplied,
                    true,
                    Elapsed::None,
                    None,
                    None,
                ));
            } else {
                sql.push_str(&self.history.delete_sql(revision));
                sql.push_str(&self.history.log_sql(
                    revision,
                    Operation::Forget,
                    true,
                    Elapsed::None,
                    None,
                    None,
                ));
            }
            sql.push_str("COMMIT;");
            execute(client, &sql, "resolving a failed revision").await
        }
        .await;
        finish(guard, result).await
    }

    pub(super) async fn record_stamp(
        &self,
        client: &Client,
        stamp: &StampPlan,
        erase: &[String],
    ) -> Result<(), Error> {
        if stamp.is_empty() && erase.is_empty() {
            return Ok(());
        }
        let add: Vec<&SetEntry> = stamp.add.iter().map(|id| self.entry(id)).collect();
        let sql = self.step_sql().stamp(erase, &stamp.remove, &add);
        execute(client, &sql, "recording the stamp").await
    }
}

//! The history tables under the migration lock: created or brought to the current layout,
//! read, and verified after a run.

use tokio_postgres::Client;

use super::*;
use crate::error::Error;
use crate::history::{HistoryDigest, Probe, RevisionState, StateRow, StoredDigest, LAYOUT_VERSION};
use crate::revision::Checksum;

impl Migrator {
    /// Under the lock: creates the tables when missing (or brings them to the current
    /// layout) and reads the state again.
    pub(super) async fn prepare_locked(&self, client: &Client) -> Result<Checked, Error> {
        let probe = self.history.probe(client).await?;
        let checked = self.check(self.history.read_state_after(client, &probe).await?)?;
        self.ensure_layout(client, &probe).await?;
        Ok(checked)
    }

    /// Under the lock: creates the history tables, or brings them to the current layout
    /// (digest recomputed, triggers restored) when they are older or incomplete. A newer
    /// layout, or one whose digest this role may not read, is left alone.
    pub(super) async fn ensure_layout(&self, client: &Client, probe: &Probe) -> Result<(), Error> {
        // Every caller writes next: refused before anything is written.
        if let Some(table) = &probe.unwritable {
            return Err(Error::HistoryPrivilege {
                role: probe.role.clone(),
                schema: self.history.schema().to_owned(),
                missing: crate::history::MissingPrivilege::Write {
                    table: table.clone(),
                },
            });
        }
        let context = if !probe.revisions_exist {
            "creating the history tables"
        } else if probe.digest == StoredDigest::Missing
            || !self.history.check_layout(client).await?
        {
            tracing::info!(
                schema = self.history.schema(),
                "bringing the history tables to layout {LAYOUT_VERSION}"
            );
            "updating the history tables' layout"
        } else {
            return Ok(());
        };
        Ok(self.history.create(client, context).await?)
    }

    /// Under the lock, after migrations ran: checks that the digest is the digest of the
    /// rows and that its triggers fire (a migration may have disabled them), and rebuilds
    /// it when not. After a failed run, a failure here is only logged: the run's error wins.
    pub(super) async fn verify_digest(
        &self,
        client: &Client,
        run_succeeded: bool,
    ) -> Result<(), Error> {
        let outcome = async {
            let probe = self.history.probe(client).await?;
            if matches!(probe.digest, StoredDigest::Newer | StoredDigest::Unreadable) {
                return Ok(());
            }
            let rows = self
                .history
                .read_state_after(client, &probe)
                .await?
                .unwrap_or_default();
            let computed = digest_of_rows(&rows);
            let sound = computed.is_some_and(|digest| probe.digest.is(&digest))
                && self.history.check_layout(client).await?;
            if !sound {
                tracing::warn!(
                    schema = self.history.schema(),
                    "the history's digest did not match its rows after the run (did a migration \
                     disable pelican's triggers?); recomputing it"
                );
                self.history
                    .create(client, "recomputing the history's digest")
                    .await?;
            }
            Ok(())
        }
        .await;
        match outcome {
            Err(err) if !run_succeeded => {
                tracing::warn!(error = %err, "could not verify the history's digest after the failed run");
                Ok(())
            }
            other => other,
        }
    }

    /// Under the lock: the tables brought to the current layout, then every row's state.
    pub(super) async fn read_rows_locked(&self, client: &Client) -> Result<Vec<StateRow>, Error> {
        self.set.try_built()?;
        let probe = self.history.probe(client).await?;
        self.ensure_layout(client, &probe).await?;
        // A table the layout just created is empty, as the probe's "missing" reads.
        Ok(self
            .history
            .read_state_after(client, &probe)
            .await?
            .unwrap_or_default())
    }
}

/// The digest of these rows, as the triggers compute it; `None` when a checksum is not one
/// this library writes (then only the database can compute it).
pub(super) fn digest_of_rows(rows: &[StateRow]) -> Option<HistoryDigest> {
    let mut digest = HistoryDigest::EMPTY;
    for row in rows {
        let algorithm = crate::revision::ChecksumAlgorithm::Sha256;
        if row.checksum_algorithm != algorithm.name() {
            return None;
        }
        let checksum = Checksum::from_hex(algorithm, &row.checksum)?;
        digest.add_row(&row.revision, &checksum, row.state == RevisionState::Failed);
    }
    Some(digest)
}

//! Where each target of a fleet stands: its heads, what is pending, what failed. Schemas at
//! head are recognised by their history's digest, every schema of a database in one query;
//! the others are read one by one, `jobs` at once.

use std::collections::BTreeMap;

use tokio_postgres::SimpleQueryMessage;

use super::run::statuses;
use super::{Fleet, FleetError, Target};
use crate::history::parse_state;
use crate::migrator::Status;
use crate::sql::probe::digests_probe_sql;

/// One target's status, or why it couldn't be read.
#[derive(Debug)]
#[non_exhaustive]
pub struct TargetStatus {
    /// The target.
    pub target: Target,
    /// Its status (applied, pending, failed, current heads), or the error reading it.
    pub status: Result<Status, crate::Error>,
    /// Whether the status came from the history's digest alone, read with the other schemas
    /// of its database in one query (a target at head), rather than from reading its history.
    pub by_digest: bool,
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
    /// Reads every target's status. The schemas of one database whose history says they are
    /// at head (its digest matches the migrations') are read together in one query; only the
    /// others are read one by one, `jobs` at once.
    ///
    /// # Errors
    ///
    /// No target, or a connection string that doesn't parse; a target whose status can't
    /// be read has its error in its [`TargetStatus`].
    pub async fn status(&self) -> Result<Vec<TargetStatus>, FleetError> {
        if self.targets.is_empty() {
            return Err(FleetError::NoTargets(
                "no schema or database was given".to_owned(),
            ));
        }
        let at_head = self.schemas_at_head().await;
        let mut found: Vec<Option<TargetStatus>> = self
            .targets
            .iter()
            .map(|target| {
                at_head.contains(target).then(|| TargetStatus {
                    target: target.clone(),
                    status: Ok(self.status_at_head()),
                    by_digest: true,
                })
            })
            .collect();
        let rest: Vec<Target> = self
            .targets
            .iter()
            .filter(|target| !at_head.contains(target))
            .cloned()
            .collect();
        if !rest.is_empty() {
            let mut read = statuses(&self.with_targets(rest)).await?.into_iter();
            for slot in found.iter_mut().filter(|slot| slot.is_none()) {
                let (target, status) = read.next().expect("one status per target left");
                *slot = Some(TargetStatus {
                    target,
                    status,
                    by_digest: false,
                });
            }
        }
        Ok(found
            .into_iter()
            .map(|s| s.expect("every target has a status"))
            .collect())
    }

    /// The status of a target whose history's digest is the migrations' at head.
    fn status_at_head(&self) -> Status {
        let graph = self.migrations.graph();
        Status {
            applied: self
                .migrations
                .entries()
                .iter()
                .map(|e| e.revision().id().clone())
                .collect(),
            current_heads: graph.heads().into_iter().cloned().collect(),
            ..Status::default()
        }
    }

    /// The schema targets at head, found with one query per database; a database that
    /// can't be read leaves its targets to the one-by-one path (which reports why).
    async fn schemas_at_head(&self) -> Vec<Target> {
        let Ok(at_head) = self.migrations.at_head() else {
            return Vec::new();
        };
        let mut by_database: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for target in &self.targets {
            if let Some(schema) = &target.schema {
                by_database
                    .entry(&target.url)
                    .or_default()
                    .push(schema.clone());
            }
        }
        let mut found = Vec::new();
        for (url, schemas) in by_database {
            let Some(client) = super::connect::connect(url).await else {
                continue;
            };
            if let Ok(messages) = client.simple_query(&digests_probe_sql(&schemas)).await {
                for message in &messages {
                    let SimpleQueryMessage::Row(row) = message else {
                        continue;
                    };
                    let (Some(schema), Some(xml)) = (row.get(0), row.get(1)) else {
                        continue;
                    };
                    if parse_state(xml).is(&at_head.digest) {
                        found.push(Target::schema(url, schema));
                    }
                }
            }
            drop(client);
        }
        found
    }
}

//! Drift over a fleet: each target's live schema against a replay of the revisions it has
//! applied, in a scratch database.
//!
//! Tenants at the same heads share one replay. For schema targets, the replay runs in a
//! schema of the first tenant's name, which is then renamed to each next tenant's before its
//! snapshot (a rename moves every object with it), so a thousand tenants cost one replay and
//! a snapshot each, not a thousand replays. Database targets are replayed on their live
//! `search_path`, as a single database's drift is, so that unqualified names land where they
//! landed live (a role that owns only its schema put its tables there).

use std::collections::BTreeMap;

use tokio_postgres::Client;

use super::{Fleet, FleetError, Target, TargetStatus};
use crate::quote::ident;
use crate::revision::RevisionId;
use crate::schema::SnapshotOptions;
use crate::scratch::{
    forget_empty_history_schema, live_search_path, ScratchDatabase, ScratchError, ScratchServer,
};

/// One target's drift: the differences between what its applied revisions give and what it
/// has (empty when it matches), or why it couldn't be compared.
#[derive(Debug)]
#[non_exhaustive]
pub struct TargetDrift {
    /// The target.
    pub target: Target,
    /// One line per difference (expected → live), or the error comparing.
    pub differences: Result<Vec<String>, ScratchError>,
}

/// Why [`Fleet::drift`] compared nothing.
#[derive(Debug, thiserror::Error)]
pub enum FleetDriftError {
    /// The targets' statuses couldn't be read (no target, a bad connection string).
    #[error(transparent)]
    Fleet(#[from] FleetError),
    /// No scratch database to replay the migrations in.
    #[error("no scratch database to compare the targets with: {0}")]
    Scratch(#[from] ScratchError),
}

impl TargetDrift {
    /// Whether the target was compared and matches its migrations.
    pub fn matches(&self) -> bool {
        self.differences.as_ref().is_ok_and(Vec::is_empty)
    }
}

impl Fleet {
    /// Compares every target's schema with a replay of the revisions it has applied, run in
    /// a scratch database on `dev_url` (or a throwaway server of the local binaries). A
    /// schema target is compared on its own schema; a database target on the whole database.
    ///
    /// ```no_run
    /// # async fn example(fleet: pelican::fleet::Fleet) -> Result<(), pelican::fleet::FleetDriftError> {
    /// for drift in fleet.drift(None).await? {
    ///     if let Ok(lines) = &drift.differences {
    ///         for line in lines {
    ///             println!("{}: {line}", drift.target);
    ///         }
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// No target; no scratch server. A target that can't be read or replayed has its error in
    /// its [`TargetDrift`].
    pub async fn drift(&self, dev_url: Option<&str>) -> Result<Vec<TargetDrift>, FleetDriftError> {
        let statuses = self.status().await?;
        Ok(self.drift_of(&statuses, dev_url).await?)
    }

    /// [`drift`](Self::drift) from statuses already read with [`status`](Self::status) (a
    /// deploy gate reads them first), one [`TargetDrift`] per status, in their order.
    ///
    /// # Errors
    ///
    /// No scratch server.
    pub async fn drift_of(
        &self,
        statuses: &[TargetStatus],
        dev_url: Option<&str>,
    ) -> Result<Vec<TargetDrift>, ScratchError> {
        let server = ScratchServer::start(dev_url).await?;
        let mut clients = Clients::default();
        let mut results: Vec<Option<TargetDrift>> = Vec::new();
        // Targets at the same heads share a replay: schema targets (`None`), or database
        // targets whose live search_path is the same (where their unqualified names went).
        let mut groups: BTreeMap<(Vec<RevisionId>, Option<String>), Vec<usize>> = BTreeMap::new();
        for (index, status) in statuses.iter().enumerate() {
            results.push(None);
            match &status.status {
                Ok(s) if s.failed.is_empty() && s.unknown.is_empty() => {
                    let search_path = match &status.target.schema {
                        Some(_) => None,
                        None => match clients.search_path(&status.target.url).await {
                            Ok(path) => Some(path),
                            Err(error) => {
                                results[index] = Some(TargetDrift {
                                    target: status.target.clone(),
                                    differences: Err(error),
                                });
                                continue;
                            }
                        },
                    };
                    groups
                        .entry((s.current_heads.clone(), search_path))
                        .or_default()
                        .push(index);
                }
                Ok(s) => {
                    let reason = match s.failed.first() {
                        Some((revision, _)) => format!("revision {revision} failed"),
                        None => format!(
                            "it records revisions these migrations lack: {}",
                            s.unknown.join(", ")
                        ),
                    };
                    results[index] = Some(unreadable(&status.target, "replay its history", reason));
                }
                Err(error) => {
                    results[index] = Some(unreadable(
                        &status.target,
                        "read its status",
                        error.to_string(),
                    ));
                }
            }
        }
        for ((heads, search_path), members) in groups {
            let targets: Vec<&Target> = members.iter().map(|&i| &statuses[i].target).collect();
            let compared = self
                .compare_group(
                    &server,
                    &mut clients,
                    &heads,
                    search_path.as_deref(),
                    &targets,
                )
                .await;
            for (index, drift) in members.into_iter().zip(compared) {
                results[index] = Some(drift);
            }
        }
        Ok(results
            .into_iter()
            .map(|r| r.expect("every target is compared or has its error"))
            .collect())
    }

    /// One replay of `heads` for `targets` (all schema targets, or all database targets
    /// whose live `search_path` is `search_path`), then each target's comparison.
    async fn compare_group(
        &self,
        server: &ScratchServer,
        clients: &mut Clients,
        heads: &[RevisionId],
        search_path: Option<&str>,
        targets: &[&Target],
    ) -> Vec<TargetDrift> {
        let mut replayed = match self.replay(server, heads, search_path, targets[0]).await {
            Ok(replayed) => replayed,
            Err(error) => {
                let reason = error.to_string();
                return targets
                    .iter()
                    .map(|t| unreadable(t, "replay its revisions", reason.clone()))
                    .collect();
            }
        };
        let mut renamed_from = targets[0].schema.clone();
        let mut compared = Vec::with_capacity(targets.len());
        for target in targets {
            let differences = async {
                if let (Some(from), Some(to)) = (&renamed_from, &target.schema) {
                    if from != to {
                        let sql = format!("ALTER SCHEMA {} RENAME TO {}", ident(from), ident(to));
                        replayed.execute("rename the replayed schema", &sql).await?;
                        renamed_from = Some(to.clone());
                    }
                }
                let options = snapshot_options(target);
                // Read on a fresh session, as the live one: the search_path changes how
                // the catalog prints names.
                replayed.set_snapshot_options(options.clone());
                let mut expected = replayed.snapshot().await?;
                let mut actual = options
                    .snapshot(clients.get(&target.url).await?)
                    .await
                    .map_err(|error| ScratchError::Database {
                        action: "read the target's schema".into(),
                        reason: error.to_string(),
                    })?;
                if target.schema.is_none() {
                    let history = self.migrator(target).history_schema().to_owned();
                    forget_empty_history_schema(&mut expected, &actual, &history);
                    forget_empty_history_schema(&mut actual, &expected, &history);
                }
                Ok(expected.diff(&actual).lines())
            }
            .await;
            compared.push(TargetDrift {
                target: (*target).clone(),
                differences,
            });
        }
        compared
    }

    /// A scratch database holding `heads` replayed: in `target`'s schema for a schema target,
    /// on the live `search_path` for a database target.
    async fn replay(
        &self,
        server: &ScratchServer,
        heads: &[RevisionId],
        search_path: Option<&str>,
        target: &Target,
    ) -> Result<ScratchDatabase, ScratchError> {
        let replayed = server.database().await?;
        if let Some(search_path) = search_path {
            replayed.follow_search_path(search_path).await?;
        }
        if let Some(schema) = &target.schema {
            let sql = format!(
                "CREATE SCHEMA IF NOT EXISTS {0}; SET search_path TO {0}",
                ident(schema)
            );
            replayed.execute("create the tenant's schema", &sql).await?;
        }
        let migrator = self.migrator(target);
        for head in heads {
            replayed.replay(&migrator, head.as_str()).await?;
        }
        Ok(replayed)
    }
}

/// A snapshot of the target's own schema, or of its whole database; pelican's history
/// tables left out.
fn snapshot_options(target: &Target) -> SnapshotOptions {
    match &target.schema {
        Some(schema) => SnapshotOptions::new().schemas([schema.clone()]),
        None => SnapshotOptions::new(),
    }
}

/// One connection per database of the fleet, opened when first needed.
#[derive(Default)]
struct Clients(BTreeMap<String, Client>);

impl Clients {
    async fn get(&mut self, url: &str) -> Result<&Client, ScratchError> {
        if !self.0.contains_key(url) {
            let client = super::connect::connect_or_why(url)
                .await
                .map_err(|reason| ScratchError::Database {
                    action: "connect to the target".into(),
                    reason,
                })?;
            self.0.insert(url.to_owned(), client);
        }
        Ok(&self.0[url])
    }

    /// The live `search_path` of the database `url` names (see `live_search_path`).
    async fn search_path(&mut self, url: &str) -> Result<String, ScratchError> {
        live_search_path(self.get(url).await?).await
    }
}

fn unreadable(target: &Target, action: &str, reason: String) -> TargetDrift {
    TargetDrift {
        target: target.clone(),
        differences: Err(ScratchError::Database {
            action: action.to_owned(),
            reason,
        }),
    }
}

//! Drift: a live database against what its migrations say it should be. The revisions it has
//! applied are replayed into a scratch database, and the two schemas compared; the plan
//! between them adopts the change (expected → live) or reverts it (its down).

use std::path::PathBuf;

use tokio_postgres::Client;

use super::verify::{forget_empty_history_schema, Verification};
use super::{read_schema_files, ScratchError, ScratchServer};
use crate::autogen::{plan_changes, AutogenOptions, ChangePlan};
use crate::guard::{read_log, DdlLogEntry};
use crate::revision::RevisionId;
use crate::schema::{Snapshot, SnapshotOptions};
use crate::Migrator;

/// A comparison of a live database with a replay of the revisions it has applied.
///
/// ```no_run
/// # async fn example(migrator: &pelican::Migrator, client: &tokio_postgres::Client)
/// # -> Result<(), Box<dyn std::error::Error>> {
/// let drift = migrator.drift(client).run().await?;
/// if drift.has_drift() {
///     for line in &drift.differences {
///         eprintln!("{line}");
///     }
///     println!("-- adopt the change:\n{}", drift.plan.up_sql());
///     println!("-- or undo it:\n{}", drift.plan.down_sql());
/// }
/// # Ok(())
/// # }
/// ```
pub struct Drift<'a> {
    migrator: &'a Migrator,
    client: &'a Client,
    dev_url: Option<String>,
    privileges: bool,
    verify: bool,
}

/// What [`Drift::run`] found.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DriftReport {
    /// When [`Drift::verify`] asked for it and there is drift: the plan run on the replayed
    /// schema (up must give the live schema, down the replayed one back).
    pub verification: Option<Verification>,
    /// Who changed what, from the DDL guard's log (`pelican guard install`): the entries
    /// about an object a difference names, oldest first. `None` when the guard isn't
    /// installed or its log isn't readable by this role (drift is then the snapshots alone).
    pub ddl_log: Option<Vec<DdlLogEntry>>,
    /// The database's current heads: what was replayed.
    pub applied_heads: Vec<RevisionId>,
    /// The schema the applied revisions give, replayed in a scratch database.
    pub expected: Snapshot,
    /// The live schema.
    pub actual: Snapshot,
    /// The differences, one a line (`expected` → `actual`), empty without drift.
    pub differences: Vec<String>,
    /// From the expected schema to the live one: its up adopts the change into the
    /// migrations, its down reverts the database to what the migrations say.
    pub plan: ChangePlan,
}

impl DriftReport {
    /// Whether the live database differs from its migrations.
    pub fn has_drift(&self) -> bool {
        !self.differences.is_empty()
    }
}

impl Migrator {
    /// Compares the live database behind `client` with a replay of exactly the revisions it
    /// has applied (its own heads, not the migrations' head). See [`Drift`].
    pub fn drift<'a>(&'a self, client: &'a Client) -> Drift<'a> {
        Drift {
            migrator: self,
            client,
            dev_url: None,
            privileges: false,
            verify: false,
        }
    }

    /// Compares the migrations at their heads with the schema of `desired_schema` (a `.sql`
    /// file or a directory of them), each built in a scratch database: Alembic's `check`.
    /// Returns the plan from the migrations to the desired schema, empty when they agree.
    ///
    /// # Errors
    ///
    /// The desired schema fails to load, a migration fails to replay, no scratch server.
    pub async fn compare_with_desired_schema(
        &self,
        desired_schema: impl Into<PathBuf>,
        dev_url: Option<&str>,
    ) -> Result<SchemaComparison, ScratchError> {
        let files = read_schema_files(&desired_schema.into())?;
        let server = ScratchServer::start(dev_url).await?;
        let desired = server.database().await?;
        let replayed = server.database().await?;
        let to = async {
            desired.load(&files).await?;
            desired.snapshot().await
        };
        let from = async {
            if !self.migrations().is_empty() {
                replayed.replay(self, "heads").await?;
            }
            replayed.snapshot().await
        };
        let (to, from) = tokio::join!(to, from);
        let (to, mut from) = (to?, from?);
        forget_empty_history_schema(&mut from, &to, self.history_schema());
        let differences = from.diff(&to).lines();
        let plan = plan_changes(&from, &to, &AutogenOptions::default());
        Ok(SchemaComparison { differences, plan })
    }
}

/// The migrations against a desired schema ([`Migrator::compare_with_desired_schema`]).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SchemaComparison {
    /// The differences, one a line (migrations → desired), empty when they agree.
    pub differences: Vec<String>,
    /// From the migrations' schema to the desired one: what a new revision would do.
    pub plan: ChangePlan,
}

impl<'a> Drift<'a> {
    /// The server for the scratch database (its role needs `CREATEDB`); a throwaway server
    /// from the local binaries when not given.
    pub fn dev_url(mut self, url: impl Into<String>) -> Self {
        self.dev_url = Some(url.into());
        self
    }

    /// Compares privileges too (`GRANT`, `REVOKE`); off by default.
    pub fn privileges(mut self, privileges: bool) -> Self {
        self.privileges = privileges;
        self
    }

    /// Runs the plan on the replayed database too, both ways, and reports in
    /// [`DriftReport::verification`]: a revision adopting the change can then be trusted.
    pub fn verify(mut self, verify: bool) -> Self {
        self.verify = verify;
        self
    }

    /// Reads the applied revisions and the live schema, replays those revisions in a scratch
    /// database, and compares.
    ///
    /// # Errors
    ///
    /// The database records revisions these migrations don't have, or a failed one (the
    /// replay can't reproduce it); the catalog can't be read; no scratch server.
    pub async fn run(&self) -> Result<DriftReport, ScratchError> {
        let status =
            self.migrator
                .status(self.client)
                .await
                .map_err(|error| ScratchError::Database {
                    action: "read the database's applied revisions".into(),
                    reason: error.to_string(),
                })?;
        if !status.unknown.is_empty() {
            return Err(ScratchError::UnknownApplied {
                revisions: status.unknown.clone(),
            });
        }
        let options = SnapshotOptions::new().include_privileges(self.privileges);
        let actual =
            options
                .snapshot(self.client)
                .await
                .map_err(|error| ScratchError::Database {
                    action: "read the database's schema".into(),
                    reason: error.to_string(),
                })?;
        let search_path = live_search_path(self.client).await?;
        let server = ScratchServer::start(self.dev_url.as_deref()).await?;
        let mut replayed = server.database().await?;
        replayed.set_snapshot_options(options);
        replayed.follow_search_path(&search_path).await?;
        for head in &status.current_heads {
            replayed.replay(self.migrator, head.as_str()).await?;
        }
        let mut expected = replayed.snapshot().await?;
        let history = self.migrator.history_schema();
        let mut actual = actual;
        forget_empty_history_schema(&mut expected, &actual, history);
        forget_empty_history_schema(&mut actual, &expected, history);
        let differences = expected.diff(&actual).lines();
        let plan = plan_changes(
            &expected,
            &actual,
            &AutogenOptions {
                privileges: self.privileges,
                ..AutogenOptions::default()
            },
        );
        let verification = if self.verify && !differences.is_empty() {
            Some(replayed.verify(&expected, &actual, &plan, history).await?)
        } else {
            None
        };
        let ddl_log = if differences.is_empty() {
            None
        } else {
            who_changed(self.client, history, &differences).await
        };
        Ok(DriftReport {
            ddl_log,
            verification,
            applied_heads: status.current_heads,
            expected,
            actual,
            differences,
            plan,
        })
    }
}

/// The live session's `search_path`, with `"$user"` spelled out as its role: the replay runs
/// as another role (the scratch server's), on whose path `"$user"` would mean something else.
pub(crate) async fn live_search_path(client: &Client) -> Result<String, ScratchError> {
    let row = client
        .query_one(
            "SELECT pg_catalog.current_setting('search_path'), current_user::text",
            &[],
        )
        .await
        .map_err(|error| ScratchError::Database {
            action: "read the database's search_path".into(),
            reason: crate::error::describe_db_error(&error),
        })?;
    let (path, user): (String, String) = (row.get(0), row.get(1));
    Ok(resolve_user(&path, &user))
}

/// `path` (a `search_path` setting) with its `$user` entry replaced by `user`, quoted;
/// `''` for an empty path.
fn resolve_user(path: &str, user: &str) -> String {
    let entries: Vec<String> = path
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| match entry {
            "\"$user\"" | "$user" => crate::quote::ident(user),
            other => other.to_owned(),
        })
        .collect();
    if entries.is_empty() {
        "''".to_owned()
    } else {
        entries.join(", ")
    }
}

/// The guard's log entries about an object one of `differences` names (its identity, such as
/// `public.users`, appears in the line); `None` without a readable guard log.
async fn who_changed(
    client: &Client,
    history_schema: &str,
    differences: &[String],
) -> Option<Vec<DdlLogEntry>> {
    let entries = read_log(client, history_schema, None).await.ok()?;
    Some(
        entries
            .into_iter()
            .filter(|entry| {
                entry
                    .object_identity
                    .as_deref()
                    .is_some_and(|identity| differences.iter().any(|line| line.contains(identity)))
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::resolve_user;

    #[test]
    fn the_user_entry_of_a_search_path_is_spelled_out() {
        assert_eq!(resolve_user("\"$user\", public", "app"), "\"app\", public");
        assert_eq!(
            resolve_user("$user,\"My Schema\"", "a\"b"),
            "\"a\"\"b\", \"My Schema\""
        );
        assert_eq!(resolve_user("", "app"), "''");
    }
}

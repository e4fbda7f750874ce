//! The history table `pelican_revisions` (one row per applied, stamped or failed revision) and
//! the append-only `pelican_log` beside it.
//!
//! Their layout is a public contract (see `docs/operations.md`): tools and people query them.
//! Changing it needs a migration of its own, handled here, and a CHANGELOG entry.
//!
//! Everything here builds SQL text rather than running it, where it can: the migrator sends a
//! migration's SQL and its history rows in one simple-protocol query, so applying a migration
//! costs one round trip.
//!
//! Beside the history table, the one-row `pelican_state` holds a digest of it (the hash is
//! defined in `src/history/digest.rs`), kept up to date by a trigger on `pelican_revisions`,
//! whoever writes to it: a start at head reads that row instead of every revision.
//!
//! Nothing in the history schema is trusted before its owner is checked (`probe.rs`); the
//! layout's DDL is in `layout.rs`.

mod digest;
mod error;
mod probe;

pub(crate) use digest::HistoryDigest;
pub(crate) use error::HistoryError;
pub use error::MissingPrivilege;
#[cfg(feature = "fleet")]
pub(crate) use probe::parse_state;
pub(crate) use probe::Probe;

use tokio_postgres::{Client, SimpleQueryMessage};

use crate::plan::Direction;
use crate::quote::{ident, literal};
use crate::sql::guard::MARK_IMPLICIT;
#[cfg(feature = "schema")]
pub(crate) use crate::sql::history::HISTORY_OBJECTS;
pub(crate) use crate::sql::history::{Elapsed, History, Operation};
pub use crate::sql::history::{
    RevisionState, LAYOUT_VERSION, LOG_TABLE, REVISIONS_TABLE, STATE_TABLE,
};

/// One row of `pelican_revisions`, as [`Migrator::history`](crate::Migrator::history) returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    /// The revision id.
    pub revision: String,
    /// Its parents when it was recorded.
    pub parents: Vec<String>,
    /// Its message when it was recorded.
    pub message: String,
    /// The checksum of its file when it was recorded (lowercase hex).
    pub checksum: String,
    /// The checksum's algorithm (`sha256`).
    pub checksum_algorithm: String,
    /// `sql` or `rust`.
    pub kind: String,
    /// Applied, stamped or failed.
    pub state: RevisionState,
    /// When it was recorded (RFC 3339, UTC).
    pub applied_at: String,
    /// How long its `up` took, when it ran.
    pub duration_ms: Option<i64>,
    /// The database user that recorded it.
    pub applied_by: String,
    /// For a failed revision, what went wrong.
    pub error: Option<String>,
    /// For a failed `transaction: false` revision, the statement that failed, when known:
    /// `pelican resolve --resume` runs the rest from there.
    pub failed_at: Option<FailedStatement>,
}

/// Where a `transaction: false` revision stopped: the statements before this one ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailedStatement {
    /// Whether its upgrade or its downgrade failed.
    pub direction: Direction,
    /// The number of the statement that failed in its section, from 1.
    pub statement: u32,
}

/// The failed statement of a row, from its `failed_direction` and `failed_statement`.
fn failed_at(direction: Option<&str>, statement: Option<&str>) -> Option<FailedStatement> {
    let direction = match direction? {
        "up" => Direction::Up,
        "down" => Direction::Down,
        _ => return None,
    };
    let statement = statement?.parse().ok().filter(|n| *n > 0)?;
    Some(FailedStatement {
        direction,
        statement,
    })
}

/// The part of a row every run reads: small, so that a start at head stays one cheap query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StateRow {
    pub(crate) revision: String,
    pub(crate) checksum: String,
    pub(crate) checksum_algorithm: String,
    pub(crate) state: RevisionState,
    pub(crate) error: Option<String>,
    pub(crate) failed_at: Option<FailedStatement>,
}

/// What `pelican_state` says, read in the one query of a start at head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StoredDigest {
    /// The digest of a history of this layout whose triggers are on.
    Current {
        /// `pelican_state.digest` as PostgreSQL prints a `bit(256)`.
        bits: String,
        /// `pelican_state.revisions`.
        revisions: i64,
    },
    /// No digest that can be trusted: no `pelican_state` (no history, or one of layout 1),
    /// no row in it, or a trigger missing or disabled. Under the lock, the layout is
    /// (re)built and the digest computed from the rows.
    Missing,
    /// A layout newer than this library's: left alone.
    Newer,
    /// The role may not read `pelican_state` (a role granted `pelican_revisions` alone): the
    /// start reads every row, as before layout 2.
    Unreadable,
}

impl StoredDigest {
    /// Whether the stored digest is exactly `expected`.
    pub(crate) fn is(&self, expected: &HistoryDigest) -> bool {
        match self {
            StoredDigest::Current { bits, revisions } => {
                u64::try_from(*revisions) == Ok(expected.rows()) && expected.bits_match(bits)
            }
            StoredDigest::Missing | StoredDigest::Newer | StoredDigest::Unreadable => false,
        }
    }
}

impl History {
    /// Creates the schema (when missing) and the tables, or brings them to the current
    /// layout; `context` says which, in a server error. Runs under the migration lock. A role
    /// that lacks CREATE on the schema (or, for a missing schema, on the database) gets
    /// [`HistoryError::Privilege`] before anything is sent.
    pub(crate) async fn create(
        &self,
        client: &Client,
        context: &'static str,
    ) -> Result<(), HistoryError> {
        // CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege on the database even when
        // the schema exists, so look first; and at what the role may create.
        let sql = format!(
            "SELECT n.oid IS NOT NULL, current_user::text, pg_catalog.current_database()::text, \
             pg_catalog.has_database_privilege(pg_catalog.current_database(), 'CREATE'), \
             n.oid IS NOT NULL AND pg_catalog.has_schema_privilege(n.oid, 'CREATE') \
             FROM (SELECT 1) AS one LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = {}",
            literal(&self.schema)
        );
        let messages = client
            .simple_query(&sql)
            .await
            .map_err(HistoryError::database(context))?;
        let Some(row) = messages.iter().find_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(row),
            _ => None,
        }) else {
            return Ok(());
        };
        let flag = |i: usize| row.get(i) == Some("t");
        let (exists, may_create_schema, may_create_tables) = (flag(0), flag(3), flag(4));
        let missing = match (exists, may_create_schema, may_create_tables) {
            (false, false, _) => Some(MissingPrivilege::CreateSchema {
                database: row.get(2).unwrap_or_default().to_owned(),
            }),
            (true, _, false) => Some(MissingPrivilege::Create),
            _ => None,
        };
        if let Some(missing) = missing {
            return Err(HistoryError::Privilege {
                role: row.get(1).unwrap_or_default().to_owned(),
                schema: self.schema.clone(),
                missing,
            });
        }
        // Marked as pelican's for the DDL guard: the lease lock does not mark the session.
        let mut sql = MARK_IMPLICIT.to_owned();
        if !exists {
            sql.push_str(&format!("CREATE SCHEMA {};\n", ident(&self.schema)));
        }
        sql.push_str(&self.create_tables_sql());
        client
            .batch_execute(&sql)
            .await
            .map_err(HistoryError::database(context))
    }

    /// Reads every row's state; `None` when the table does not exist yet. Two round trips:
    /// the probe, then the rows.
    pub(crate) async fn read_state(
        &self,
        client: &Client,
    ) -> Result<Option<Vec<StateRow>>, HistoryError> {
        let probe = self.probe(client).await?;
        self.read_state_after(client, &probe).await
    }

    /// Reads every row's state after a probe; `None` when the table does not exist.
    pub(crate) async fn read_state_after(
        &self,
        client: &Client,
        probe: &Probe,
    ) -> Result<Option<Vec<StateRow>>, HistoryError> {
        if !probe.revisions_exist {
            return Ok(None);
        }
        // The columns of layout 3 through to_jsonb, so that a history of layout 2 reads too.
        let sql = format!(
            "SELECT revision, checksum, checksum_algorithm, state, error, \
             CASE WHEN state = 'failed' THEN pg_catalog.to_jsonb(r) ->> 'failed_direction' END, \
             CASE WHEN state = 'failed' THEN pg_catalog.to_jsonb(r) ->> 'failed_statement' END \
             FROM {} AS r",
            self.revisions
        );
        let messages = client
            .simple_query(&sql)
            .await
            .map_err(HistoryError::database("reading the history table"))?;
        let mut rows = Vec::with_capacity(messages.len());
        for message in messages {
            if let SimpleQueryMessage::Row(row) = message {
                rows.push(StateRow {
                    revision: row.get(0).unwrap_or_default().to_owned(),
                    checksum: row.get(1).unwrap_or_default().to_owned(),
                    checksum_algorithm: row.get(2).unwrap_or_default().to_owned(),
                    state: row
                        .get(3)
                        .and_then(RevisionState::parse)
                        .unwrap_or(RevisionState::Failed),
                    error: row.get(4).map(str::to_owned),
                    failed_at: failed_at(row.get(5), row.get(6)),
                });
            }
        }
        Ok(Some(rows))
    }

    /// Reads every row in full, oldest first; empty when the table does not exist.
    pub(crate) async fn read_rows(&self, client: &Client) -> Result<Vec<HistoryRow>, HistoryError> {
        if !self.probe(client).await?.revisions_exist {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT revision, array_to_string(parents, ','), message, checksum, checksum_algorithm, \
             kind, state, to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), \
             duration_ms, applied_by, error, pg_catalog.to_jsonb(r) ->> 'failed_direction', \
             pg_catalog.to_jsonb(r) ->> 'failed_statement' FROM {} AS r ORDER BY applied_at, revision",
            self.revisions
        );
        let messages = client
            .simple_query(&sql)
            .await
            .map_err(HistoryError::database("reading the history table"))?;
        Ok(messages
            .into_iter()
            .filter_map(|m| match m {
                SimpleQueryMessage::Row(row) => Some(row),
                _ => None,
            })
            .map(|row| {
                let text = |i: usize| row.get(i).unwrap_or_default().to_owned();
                HistoryRow {
                    revision: text(0),
                    parents: row
                        .get(1)
                        .filter(|p| !p.is_empty())
                        .map(|p| p.split(',').map(str::to_owned).collect())
                        .unwrap_or_default(),
                    message: text(2),
                    checksum: text(3),
                    checksum_algorithm: text(4),
                    kind: text(5),
                    state: row
                        .get(6)
                        .and_then(RevisionState::parse)
                        .unwrap_or(RevisionState::Failed),
                    applied_at: text(7),
                    duration_ms: row.get(8).and_then(|d| d.parse().ok()),
                    applied_by: text(9),
                    error: row.get(10).map(str::to_owned),
                    failed_at: failed_at(row.get(11), row.get(12)),
                }
            })
            .collect())
    }
}

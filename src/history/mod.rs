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
mod layout;
mod probe;

pub(crate) use digest::HistoryDigest;
pub(crate) use error::HistoryError;
pub(crate) use probe::Probe;

use std::fmt;
use std::time::Duration;

use tokio_postgres::{Client, SimpleQueryMessage};

use crate::plan::Direction;
use crate::quote::{ident, literal, optional_literal, text_array};
use crate::revision::Checksum;
use crate::source::MigrationKind;

/// The name of the history table.
pub const REVISIONS_TABLE: &str = "pelican_revisions";
/// The name of the log table.
pub const LOG_TABLE: &str = "pelican_log";
/// The name of the one-row table holding the history's digest.
pub const STATE_TABLE: &str = "pelican_state";
/// The layout version written into the tables' comments and into `pelican_state.layout`.
///
/// Layout 1: `pelican_revisions` and `pelican_log`. Layout 2 adds `pelican_state`, the
/// functions `pelican_revision_digest` and `pelican_track_state`, and the triggers
/// `pelican_state_rows` and `pelican_state_truncate` on `pelican_revisions`. Layout 3 makes the
/// triggers fire always (whatever `session_replication_role`), makes the trigger function
/// refuse any table but its own history table, revokes `EXECUTE` on both functions from
/// `PUBLIC`, and adds the columns `failed_direction` and `failed_statement` to
/// `pelican_revisions`.
pub const LAYOUT_VERSION: u32 = 3;

/// The functions of layout 2, kept beside the history tables.
const DIGEST_FUNCTION: &str = "pelican_revision_digest";
const TRACK_FUNCTION: &str = "pelican_track_state";

/// Every table and function pelican keeps in the history schema, by name: what a schema
/// snapshot leaves out unless asked (they record the migrations, not the application).
#[cfg(feature = "schema")]
pub(crate) const HISTORY_OBJECTS: [&str; 5] = [
    REVISIONS_TABLE,
    LOG_TABLE,
    STATE_TABLE,
    DIGEST_FUNCTION,
    TRACK_FUNCTION,
];

/// The triggers that keep `pelican_state` up to date.
const ROW_TRIGGER: &str = "pelican_state_rows";
const TRUNCATE_TRIGGER: &str = "pelican_state_truncate";

/// The state of a revision's row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RevisionState {
    /// Its `up` ran and committed.
    Applied,
    /// Recorded by `stamp` without running anything.
    Stamped,
    /// A `transaction: false` revision that failed or was interrupted part-way: its effects
    /// may be partly there. Every run refuses to proceed until the row is resolved.
    Failed,
}

impl RevisionState {
    /// The text stored in the `state` column.
    pub fn as_str(self) -> &'static str {
        match self {
            RevisionState::Applied => "applied",
            RevisionState::Stamped => "stamped",
            RevisionState::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "applied" => Some(RevisionState::Applied),
            "stamped" => Some(RevisionState::Stamped),
            "failed" => Some(RevisionState::Failed),
            _ => None,
        }
    }
}

impl fmt::Display for RevisionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the log records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    Upgrade,
    Downgrade,
    Stamp,
    Unstamp,
    /// `stamp --purge`: a row erased whatever its state.
    Purge,
    /// `resolve --resume`: a failed `transaction: false` revision finished from its failed
    /// statement.
    Resume,
    Repair,
    MarkApplied,
    Forget,
}

impl Operation {
    fn as_str(self) -> &'static str {
        match self {
            Operation::Upgrade => "upgrade",
            Operation::Downgrade => "downgrade",
            Operation::Stamp => "stamp",
            Operation::Unstamp => "unstamp",
            Operation::Purge => "purge",
            Operation::Resume => "resume",
            Operation::Repair => "repair",
            Operation::MarkApplied => "mark_applied",
            Operation::Forget => "forget",
        }
    }
}

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

/// The history tables of one schema.
#[derive(Debug, Clone)]
pub(crate) struct History {
    schema: String,
    revisions: String,
    log: String,
    state: String,
    /// The probes (see [`probe`]): built once.
    probe_sql: String,
    digest_probe_sql: String,
}

/// The values a new row records.
pub(crate) struct NewRow<'a> {
    pub(crate) revision: &'a str,
    pub(crate) parents: Vec<&'a str>,
    pub(crate) message: &'a str,
    pub(crate) checksum: &'a Checksum,
    pub(crate) kind: MigrationKind,
    pub(crate) state: RevisionState,
}

/// How a row's `duration_ms` is computed.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Elapsed {
    /// Since the transaction began: the statement runs in the migration's transaction.
    SinceTransactionStart,
    /// Measured by the client.
    Measured(Duration),
    /// Nothing ran.
    None,
}

impl Elapsed {
    fn sql(self) -> String {
        match self {
            Elapsed::SinceTransactionStart => {
                "(extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint".to_owned()
            }
            Elapsed::Measured(d) => d.as_millis().to_string(),
            Elapsed::None => "NULL".to_owned(),
        }
    }
}

impl History {
    pub(crate) fn new(schema: &str) -> Self {
        let mut history = History {
            schema: schema.to_owned(),
            revisions: format!("{}.{}", ident(schema), ident(REVISIONS_TABLE)),
            log: format!("{}.{}", ident(schema), ident(LOG_TABLE)),
            state: format!("{}.{}", ident(schema), ident(STATE_TABLE)),
            probe_sql: String::new(),
            digest_probe_sql: String::new(),
        };
        history.probe_sql = history.build_probe_sql();
        history.digest_probe_sql = history.build_digest_probe_sql();
        history
    }

    /// The schema holding the tables.
    pub(crate) fn schema(&self) -> &str {
        &self.schema
    }

    /// The history table, schema-qualified and quoted.
    pub(crate) fn revisions_table(&self) -> &str {
        &self.revisions
    }

    /// The log table, schema-qualified and quoted.
    pub(crate) fn log_table(&self) -> &str {
        &self.log
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

    /// `INSERT` of a new row.
    pub(crate) fn insert_sql(
        &self,
        row: &NewRow<'_>,
        elapsed: Elapsed,
        error: Option<&str>,
    ) -> String {
        format!(
            "INSERT INTO {} (revision, parents, message, checksum, checksum_algorithm, kind, state, duration_ms, error) \
             VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {});\n",
            self.revisions,
            literal(row.revision),
            text_array(row.parents.iter().copied()),
            literal(row.message),
            literal(&row.checksum.to_string()),
            literal(row.checksum.algorithm().name()),
            literal(row.kind.as_str()),
            literal(row.state.as_str()),
            elapsed.sql(),
            optional_literal(error),
        )
    }

    /// `UPDATE` of a row to applied (or stamped): its error and failed statement cleared.
    pub(crate) fn set_state_sql(
        &self,
        revision: &str,
        state: RevisionState,
        elapsed: Elapsed,
    ) -> String {
        format!(
            "UPDATE {} SET state = {}, duration_ms = {}, error = NULL, failed_direction = NULL, \
             failed_statement = NULL, applied_at = now() WHERE revision = {};\n",
            self.revisions,
            literal(state.as_str()),
            elapsed.sql(),
            literal(revision),
        )
    }

    /// What a `transaction: false` revision records before its first statement: its row,
    /// marked failed with `detail` and the direction it runs in, so that an interruption
    /// part-way leaves a record that blocks later runs. A downgrade's row keeps when and how
    /// long its upgrade ran, so that it can be put back as it was.
    pub(crate) fn mark_running_sql(
        &self,
        row: &NewRow<'_>,
        direction: Direction,
        detail: &str,
    ) -> String {
        match direction {
            Direction::Up => format!(
                "{}UPDATE {} SET failed_direction = 'up' WHERE revision = {};\n",
                self.insert_sql(row, Elapsed::None, Some(detail)),
                self.revisions,
                literal(row.revision),
            ),
            Direction::Down => format!(
                "UPDATE {} SET state = 'failed', error = {}, failed_direction = 'down', \
                 failed_statement = NULL WHERE revision = {};\n",
                self.revisions,
                literal(detail),
                literal(row.revision),
            ),
        }
    }

    /// What a `transaction: false` revision records when statement `statement` (from 1)
    /// failed, or `None` when the failure is not one statement's (a Rust migration).
    pub(crate) fn mark_failed_sql(
        &self,
        revision: &str,
        statement: Option<u32>,
        elapsed: Elapsed,
        error: &str,
    ) -> String {
        format!(
            "UPDATE {} SET state = 'failed', error = {}, failed_statement = {}, duration_ms = {} \
             WHERE revision = {};\n",
            self.revisions,
            literal(error),
            statement.map_or_else(|| "NULL".to_owned(), |n| n.to_string()),
            elapsed.sql(),
            literal(revision),
        )
    }

    /// Puts a `transaction: false` revision's row back as it was before
    /// [`mark_running_sql`](Self::mark_running_sql): nothing of it ran.
    pub(crate) fn unmark_running_sql(
        &self,
        revision: &str,
        direction: Direction,
        state_before: RevisionState,
    ) -> String {
        match direction {
            Direction::Up => self.delete_sql(revision),
            Direction::Down => format!(
                "UPDATE {} SET state = {}, error = NULL, failed_direction = NULL, \
                 failed_statement = NULL WHERE revision = {};\n",
                self.revisions,
                literal(state_before.as_str()),
                literal(revision),
            ),
        }
    }

    /// `UPDATE` of a row's recorded checksum (repair).
    pub(crate) fn set_checksum_sql(&self, revision: &str, checksum: &Checksum) -> String {
        format!(
            "UPDATE {} SET checksum = {}, checksum_algorithm = {} WHERE revision = {};\n",
            self.revisions,
            literal(&checksum.to_string()),
            literal(checksum.algorithm().name()),
            literal(revision),
        )
    }

    /// `DELETE` of a row.
    pub(crate) fn delete_sql(&self, revision: &str) -> String {
        format!(
            "DELETE FROM {} WHERE revision = {};\n",
            self.revisions,
            literal(revision)
        )
    }

    /// `INSERT` into the log.
    pub(crate) fn log_sql(
        &self,
        revision: &str,
        operation: Operation,
        ok: bool,
        elapsed: Elapsed,
        checksum: Option<&Checksum>,
        detail: Option<&str>,
    ) -> String {
        format!(
            "INSERT INTO {} (revision, operation, outcome, duration_ms, checksum, detail) VALUES ({}, {}, {}, {}, {}, {});\n",
            self.log,
            literal(revision),
            literal(operation.as_str()),
            literal(if ok { "ok" } else { "failed" }),
            elapsed.sql(),
            optional_literal(checksum.map(|c| c.to_string()).as_deref()),
            optional_literal(detail),
        )
    }
}

/// `body` in dollar quotes whose tag it can't close early, whatever names it holds.
fn dollar_quoted(body: &str) -> String {
    let mut tag = String::from("$pelican$");
    let mut n = 0;
    while body.contains(&tag) {
        n += 1;
        tag = format!("$pelican{n}$");
    }
    format!("{tag}{body}{tag}")
}

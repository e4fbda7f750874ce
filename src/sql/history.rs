//! The history tables' names, and the statements that write their rows: what a step records,
//! online and offline alike. Reading them is `crate::history`'s.

use std::fmt;
use std::time::Duration;

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
pub(crate) const DIGEST_FUNCTION: &str = "pelican_revision_digest";
pub(crate) const TRACK_FUNCTION: &str = "pelican_track_state";

/// Every table and function pelican keeps in the history schema, by name: what a schema
/// snapshot leaves out unless asked (they record the migrations, not the application). The
/// DDL guard's log and functions are among them (`crate::guard`).
#[cfg(feature = "schema")]
pub(crate) const HISTORY_OBJECTS: [&str; 9] = [
    REVISIONS_TABLE,
    LOG_TABLE,
    STATE_TABLE,
    DIGEST_FUNCTION,
    TRACK_FUNCTION,
    super::guard::DDL_LOG_TABLE,
    super::guard::RECORD_FUNCTION,
    super::guard::REFUSE_FUNCTION,
    super::lease::LEASE_TABLE,
];

/// The triggers that keep `pelican_state` up to date.
pub(crate) const ROW_TRIGGER: &str = "pelican_state_rows";
pub(crate) const TRUNCATE_TRIGGER: &str = "pelican_state_truncate";

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

    pub(crate) fn parse(text: &str) -> Option<Self> {
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
    pub(crate) fn as_str(self) -> &'static str {
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

/// The history tables of one schema.
#[derive(Debug, Clone)]
pub(crate) struct History {
    pub(crate) schema: String,
    pub(crate) revisions: String,
    pub(crate) log: String,
    pub(crate) state: String,
    /// The probes (see [`probe`]): built once.
    pub(crate) probe_sql: String,
    pub(crate) digest_probe_sql: String,
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
    /// Since the mark [`STEP_MARK`] set at the start of the migration's transaction: in a
    /// pipeline, where `now()` is when the server received the whole message, not when this
    /// revision's transaction began. The rows' `applied_at` and `at` are the mark too.
    SinceStepMark,
    /// Measured by the client.
    Measured(Duration),
    /// Nothing ran.
    None,
}

/// The setting (local to the transaction) that holds when a pipelined revision's
/// transaction began, as seconds since the epoch.
const STEP_MARK_SETTING: &str = "pelican.step_started";

/// Sets [`STEP_MARK_SETTING`]: the first statement of a pipelined revision's transaction.
/// PostgreSQL's `now()` is the time the server received the message, the same for every
/// transaction of a pipeline, so the history's times are taken from this mark instead. Its
/// one row, in column [`STEP_MARK_COLUMN`], tells the client that the revision began.
pub(crate) const STEP_MARK: &str = "SELECT set_config('pelican.step_started', extract(epoch FROM clock_timestamp())::text, true) AS \"pelican.step\";\n";

/// The column of [`STEP_MARK`]'s row.
pub(crate) const STEP_MARK_COLUMN: &str = "pelican.step";

/// When the step's transaction began, by the mark (or `now()` when a migration erased it).
fn step_started_sql() -> String {
    format!(
        "coalesce(to_timestamp(nullif(current_setting('{STEP_MARK_SETTING}', true), '')::float8), now())"
    )
}

impl Elapsed {
    pub(crate) fn sql(self) -> String {
        match self {
            Elapsed::SinceTransactionStart => {
                "(extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint".to_owned()
            }
            Elapsed::SinceStepMark => format!(
                "(extract(epoch FROM clock_timestamp() - {}) * 1000)::bigint",
                step_started_sql()
            ),
            Elapsed::Measured(d) => d.as_millis().to_string(),
            Elapsed::None => "NULL".to_owned(),
        }
    }

    /// The column and value of the row's time when the default (`now()`) is not it.
    fn started_at(self, column: &str) -> (String, String) {
        match self {
            Elapsed::SinceStepMark => (format!(", {column}"), format!(", {}", step_started_sql())),
            _ => (String::new(), String::new()),
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

    /// `INSERT` of a new row.
    pub(crate) fn insert_sql(
        &self,
        row: &NewRow<'_>,
        elapsed: Elapsed,
        error: Option<&str>,
    ) -> String {
        let (at_column, at_value) = elapsed.started_at("applied_at");
        format!(
            "INSERT INTO {} (revision, parents, message, checksum, checksum_algorithm, kind, state, duration_ms, error{at_column}) \
             VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}{at_value});\n",
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
        let (at_column, at_value) = elapsed.started_at("at");
        format!(
            "INSERT INTO {} (revision, operation, outcome, duration_ms, checksum, detail{at_column}) VALUES ({}, {}, {}, {}, {}, {}{at_value});\n",
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
pub(crate) fn dollar_quoted(body: &str) -> String {
    let mut tag = String::from("$pelican$");
    let mut n = 0;
    while body.contains(&tag) {
        n += 1;
        tag = format!("$pelican{n}$");
    }
    format!("{tag}{body}{tag}")
}

//! Offline mode: a plan rendered as one SQL script (Alembic's `--sql`), for a DBA to review
//! and run where the application can't change the schema itself.
//!
//! The script is what an online run of the same plan sends, in the same order, built by the
//! same code: the history tables' creation (optional: `CREATE TABLE IF NOT EXISTS`), then one
//! block per revision, each starting with a comment such as `-- Running upgrade a1, b1 -> m1`,
//! then its `SET LOCAL` timeouts, its SQL, and its rows in `pelican_revisions` and
//! `pelican_log`. With [`TransactionMode::PerMigration`] (the default) each block is wrapped in
//! `BEGIN;` ... `COMMIT;`; with [`TransactionMode::WholePlan`] one `BEGIN;` ... `COMMIT;` wraps
//! them all. A `transaction: false` revision is written as its online run sends it: a row
//! marked `failed` first, then its statements one by one outside any transaction, then the row
//! marked applied. Should the script stop part-way, that row blocks every later run until
//! someone looks, as online.
//!
//! Two things differ from an online run, because a script is written before it runs: a
//! `transaction: false` revision records no duration (`duration_ms` is `NULL`; transactional
//! revisions measure theirs on the server, as online), and its in-progress row says "started
//! by an offline SQL script" instead of a start time.
//!
//! The script assumes the database is at the plan's start state: the caller plans from the
//! applied set it expects (the CLI's `FROM:TO`), and nothing in the script checks it.
//!
//! Nothing from a user reaches the script unquoted: names are quoted identifiers, messages and
//! errors are string literals that stay on one line, and every comment is one line, with line
//! breaks and other control characters shown escaped (`\n`), so that no schema name or
//! message can end a comment and put SQL of its own in the script.
//!
//! Run it with `psql -v ON_ERROR_STOP=1 -X -f script.sql`. Without `ON_ERROR_STOP`, psql goes
//! on after an error and would run the revisions after a failed one; with `--single-transaction`,
//! `transaction: false` revisions would fail. The migrations' SQL is copied as written, so psql
//! reads it as psql does any file: a line starting with `\` would be a meta-command (the parser
//! refuses those in migration files, as it refuses `COPY ... FROM STDIN`; a set built by hand
//! is copied as it is), and `:name` outside quotes is replaced when a psql variable `name` is
//! set.
//!
//! **Rust migrations** can't be rendered: they run Rust code, which a SQL script can't hold.
//! [`render`] then fails with [`OfflineError::RustMigration`] and renders nothing, rather than a
//! partial script that someone could take for the whole one. Split the run around the Rust
//! migration instead: render up to it, run it online, render the rest.
//!
//! Part of the pure core: no I/O.
//!
//! ```
//! use pelican::migration::{Body, SetEntry, SqlBody};
//! use pelican::offline::{render, OfflineOptions};
//! use pelican::{MigrationSet, Planner, Revision};
//!
//! let entry = |id: &str, parents: &[&str], up: &'static str, down: &'static str| {
//!     let revision = Revision::new(id.parse().unwrap())
//!         .with_parents(parents.iter().map(|p| p.parse().unwrap()).collect());
//!     let body = Body::Sql { up: SqlBody::new(up, 6), down: Some(SqlBody::new(down, 9)) };
//!     SetEntry::new(revision, format!("{id}_example.sql"), body)
//! };
//! let set = MigrationSet::new(vec![
//!     entry("a1", &[], "CREATE TABLE tasks (id int);", "DROP TABLE tasks;"),
//!     entry("a2", &["a1"], "ALTER TABLE tasks ADD done bool;", "ALTER TABLE tasks DROP done;"),
//! ])?;
//!
//! // From a database at a1 to head.
//! let plan = Planner::new(set.graph(), ["a1"])?.upgrade(&"head".parse()?)?;
//! let options = OfflineOptions::new().create_history_tables(false);
//! let script = render(&set, &plan, &options)?;
//! assert!(script.contains(
//!     "-- Running upgrade a1 -> a2\nBEGIN;\nALTER TABLE tasks ADD done bool;\n;\n\
//!      INSERT INTO \"public\".\"pelican_revisions\""
//! ));
//! assert!(!script.contains("CREATE TABLE tasks"));
//! assert!(script.trim_end().ends_with("COMMIT;"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::time::Duration;

use crate::migration::statements::{split_statements, SplitError};
use crate::migration::{Body, MigrationSet, SetEntry};
use crate::plan::{Direction, Plan, StampPlan};
use crate::quote::comment;
use crate::revision::{RevisionId, TimeoutTooLong};
use crate::sql::history::{Elapsed, History};
use crate::sql::step::{
    checked_timeout, section, SettingScope, StepSql, TransactionMode, IN_PROGRESS_MARKER,
    RESET_TIMEOUTS,
};

/// How a script is rendered. The defaults match [`Migrator::new`](crate::Migrator::new)'s:
/// history in schema `public`, one transaction per revision, no run-level timeouts; and the
/// history tables are created when missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfflineOptions {
    schema: String,
    create_history_tables: bool,
    transaction_mode: TransactionMode,
    lock_timeout: Option<Duration>,
    statement_timeout: Option<Duration>,
}

impl Default for OfflineOptions {
    fn default() -> Self {
        OfflineOptions {
            schema: "public".to_owned(),
            create_history_tables: true,
            transaction_mode: TransactionMode::PerMigration,
            lock_timeout: None,
            statement_timeout: None,
        }
    }
}

impl OfflineOptions {
    /// The defaults (see [`OfflineOptions`]).
    pub fn new() -> Self {
        OfflineOptions::default()
    }

    /// The schema of the history tables, as in [`Migrator::schema`](crate::Migrator::schema).
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = schema.into();
        self
    }

    /// Whether the script starts by creating the history tables (and their schema) when they
    /// are missing, as an online run does on a new database. It does no harm when they exist;
    /// leave it out when the start state is known to have them.
    pub fn create_history_tables(mut self, create: bool) -> Self {
        self.create_history_tables = create;
        self
    }

    /// How revisions are grouped into transactions.
    pub fn transaction_mode(mut self, mode: TransactionMode) -> Self {
        self.transaction_mode = mode;
        self
    }

    /// The run's `lock_timeout`, as in [`Migrator::lock_timeout`](crate::Migrator::lock_timeout)
    /// (a revision's own `lock-timeout` wins).
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = Some(timeout);
        self
    }

    /// The run's `statement_timeout`, as in
    /// [`Migrator::statement_timeout`](crate::Migrator::statement_timeout) (a revision's own
    /// `statement-timeout` wins).
    pub fn statement_timeout(mut self, timeout: Duration) -> Self {
        self.statement_timeout = Some(timeout);
        self
    }
}

/// A plan that can't be written as a SQL script. Nothing is rendered then.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OfflineError {
    /// The plan runs a Rust migration, which has no SQL to write down.
    #[error(
        "revision {revision} ({file}) is a Rust migration, so no SQL script can {direction} \
         through it{}; split the run around it: render the script {}, run that step online \
         from the application that embeds the migration, then render the rest",
        list_others(.others),
        split_advice(*.direction, .revision)
    )]
    RustMigration {
        /// The first Rust migration of the plan.
        revision: RevisionId,
        /// Its file.
        file: String,
        /// Which way the plan runs it.
        direction: Direction,
        /// The plan's other Rust migrations, in plan order.
        others: Vec<RevisionId>,
    },
    /// A `transaction: false` revision in a whole-plan transaction.
    #[error(
        "revision {revision} ({file}) is declared 'transaction: false', so it can't run inside \
         the single transaction of TransactionMode::WholePlan; render the script with \
         TransactionMode::PerMigration"
    )]
    NotTransactional {
        /// The revision.
        revision: RevisionId,
        /// Its file.
        file: String,
    },
    /// The plan names a revision the migration set does not have.
    #[error(
        "the plan names revision {revision}, which is not among the known migrations (was the \
         plan made from another migration set?)"
    )]
    UnknownRevision {
        /// The revision.
        revision: RevisionId,
    },
    /// A run-level timeout longer than PostgreSQL takes.
    #[error(transparent)]
    TimeoutTooLong(#[from] TimeoutTooLong),
    /// The body of a `transaction: false` revision could not be cut into statements.
    #[error("revision {revision} ({file}, line {line}) can't be split into statements: {source}")]
    Split {
        /// The revision.
        revision: RevisionId,
        /// Its file.
        file: String,
        /// The line of the file where the unclosed quote or comment starts.
        line: usize,
        /// What is unclosed.
        #[source]
        source: SplitError,
    },
}

fn list_others(others: &[RevisionId]) -> String {
    if others.is_empty() {
        return String::new();
    }
    let ids: Vec<&str> = others.iter().map(RevisionId::as_str).collect();
    format!(" (the plan has more Rust migrations: {})", ids.join(", "))
}

fn split_advice(direction: Direction, revision: &RevisionId) -> String {
    match direction {
        Direction::Up => format!("up to the revisions {revision} revises"),
        Direction::Down => format!("down to {revision} (it stays applied)"),
    }
}

/// The error recorded on a `transaction: false` revision's in-progress row. The online run
/// names its start time there, which a script written in advance can't know.
fn interrupted(direction: Direction) -> String {
    format!("{IN_PROGRESS_MARKER} the {direction} started by an offline SQL script did not finish")
}

/// Renders `plan` (an upgrade or a downgrade of `set`'s revisions) as one SQL script.
///
/// # Errors
///
/// [`OfflineError::RustMigration`] when the plan runs a Rust migration,
/// [`OfflineError::NotTransactional`] for a `transaction: false` revision in
/// [`TransactionMode::WholePlan`], [`OfflineError::UnknownRevision`] for a plan made from
/// another set, [`OfflineError::Split`] for a `transaction: false` body with an unclosed quote
/// or comment, [`OfflineError::TimeoutTooLong`] for a run-level timeout PostgreSQL can't
/// take. Everything is checked before anything is rendered.
pub fn render(
    set: &MigrationSet,
    plan: &Plan,
    options: &OfflineOptions,
) -> Result<String, OfflineError> {
    let entries = checked_entries(set, plan, options)?;
    let history = History::new(&options.schema);
    let steps = step_sql(&history, options)?;
    let mut script = Script::new(header(
        &plan.direction().to_string(),
        &history,
        plan.steps().len(),
    ));
    if entries.is_empty() {
        // An online run with nothing to do sends nothing, not even the tables' creation.
        script.push(comment_line("Nothing to do: the plan is empty."));
        return Ok(script.finish());
    }
    if options.create_history_tables {
        script.push(history_ddl(&history));
    }
    let whole_plan = options.transaction_mode == TransactionMode::WholePlan;
    if whole_plan {
        script.push("BEGIN;".to_owned());
    }
    let direction = plan.direction();
    for (entry, body) in &entries {
        let mut block = running_comment(entry, direction);
        match body {
            Rendered::Transactional => {
                let body = sql_body(entry, direction);
                block.push_str(&steps.transactional(entry, body, direction, whole_plan).sql);
            }
            Rendered::Statements(statements) => {
                block.push_str(&comment_line(
                    "(transaction: false: each statement runs on its own, outside a transaction)",
                ));
                block.push_str(&steps.in_progress_marker(
                    entry,
                    direction,
                    &interrupted(direction),
                ));
                let timeouts = steps.timeouts(entry.revision(), SettingScope::Session);
                block.push_str(&timeouts);
                for statement in statements {
                    block.push_str(statement);
                    block.push_str(";\n");
                }
                if !timeouts.is_empty() {
                    block.push_str(RESET_TIMEOUTS);
                    block.push_str(";\n");
                }
                // The online run measures the duration on the client; a script can't.
                block.push_str(&steps.autocommit_finish(entry, direction, Elapsed::None));
            }
        }
        script.push(block);
    }
    if whole_plan {
        script.push("COMMIT;".to_owned());
    }
    Ok(script.finish())
}

/// Renders a stamp (see [`Planner::stamp`](crate::Planner::stamp)) as one SQL script: the
/// records it deletes and adds, in one transaction, without running any migration. Rust
/// migrations are fine here: nothing runs.
///
/// # Errors
///
/// [`OfflineError::UnknownRevision`] when the stamp adds a revision `set` does not have,
/// [`OfflineError::TimeoutTooLong`] for a run-level timeout PostgreSQL can't take.
///
/// ```
/// use pelican::migration::{Body, SetEntry, SqlBody};
/// use pelican::offline::{render_stamp, OfflineOptions};
/// use pelican::{MigrationSet, Planner, Revision};
///
/// let revision = Revision::new("a1".parse()?);
/// let body = Body::Sql { up: SqlBody::new("CREATE TABLE t (id int);", 4), down: None };
/// let set = MigrationSet::new(vec![SetEntry::new(revision, "a1_init.sql", body)])?;
/// let no_revisions: [&str; 0] = [];
/// let stamp = Planner::new(set.graph(), no_revisions)?.stamp(&["head".parse()?], false)?;
/// let script = render_stamp(&set, &stamp, &OfflineOptions::new())?;
/// assert!(script.contains("-- Stamping a1 (recorded as applied, not run)\nBEGIN;\n"));
/// assert!(!script.contains("CREATE TABLE t"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn render_stamp(
    set: &MigrationSet,
    stamp: &StampPlan,
    options: &OfflineOptions,
) -> Result<String, OfflineError> {
    let add: Vec<&SetEntry> = stamp
        .add
        .iter()
        .map(|id| {
            set.get(id.as_str())
                .ok_or_else(|| OfflineError::UnknownRevision {
                    revision: id.clone(),
                })
        })
        .collect::<Result<_, _>>()?;
    let history = History::new(&options.schema);
    let steps = step_sql(&history, options)?;
    let count = stamp.add.len() + stamp.remove.len();
    let mut script = Script::new(header("stamp", &history, count));
    // An online stamp creates the tables first, even when it then has nothing to record.
    if options.create_history_tables {
        script.push(history_ddl(&history));
    }
    if stamp.is_empty() {
        script.push(comment_line("Nothing to do: the stamp changes no record."));
        return Ok(script.finish());
    }
    let mut block = String::new();
    if !stamp.remove.is_empty() {
        block.push_str(&comment_line(&format!(
            "Unstamping {} (records deleted, nothing run)",
            join_ids(&stamp.remove)
        )));
    }
    if !stamp.add.is_empty() {
        block.push_str(&comment_line(&format!(
            "Stamping {} (recorded as applied, not run)",
            join_ids(&stamp.add)
        )));
    }
    block.push_str(&steps.stamp(&[], &stamp.remove, &add));
    script.push(block);
    Ok(script.finish())
}

/// The statement builders for `options`, whose timeouts are checked (PostgreSQL takes at most
/// [`MAX_TIMEOUT`](crate::revision::MAX_TIMEOUT)) and in whole milliseconds (a nonzero
/// timeout under 1 ms is 1 ms, not 0, which would mean none).
fn step_sql<'a>(
    history: &'a History,
    options: &OfflineOptions,
) -> Result<StepSql<'a>, OfflineError> {
    Ok(StepSql {
        history,
        lock_timeout: checked_timeout("lock_timeout", options.lock_timeout)?,
        statement_timeout: checked_timeout("statement_timeout", options.statement_timeout)?,
        mark: false,
    })
}

/// A script being written: blocks separated by one blank line.
struct Script {
    blocks: Vec<String>,
}

impl Script {
    fn new(header: String) -> Self {
        Script {
            blocks: vec![header],
        }
    }

    fn push(&mut self, block: String) {
        self.blocks.push(block);
    }

    fn finish(self) -> String {
        let mut text = String::new();
        for block in &self.blocks {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(block.trim_end_matches('\n'));
            text.push('\n');
        }
        text
    }
}

/// How a checked step is written.
enum Rendered<'a> {
    /// One block, as [`StepSql::transactional`] builds it.
    Transactional,
    /// A `transaction: false` revision's statements.
    Statements(Vec<&'a str>),
}

/// Every step's entry, checked: all of them can be rendered.
fn checked_entries<'a>(
    set: &'a MigrationSet,
    plan: &Plan,
    options: &OfflineOptions,
) -> Result<Vec<(&'a SetEntry, Rendered<'a>)>, OfflineError> {
    let direction = plan.direction();
    let mut entries = Vec::with_capacity(plan.steps().len());
    for id in plan.revisions() {
        let entry = set
            .get(id.as_str())
            .ok_or_else(|| OfflineError::UnknownRevision {
                revision: id.clone(),
            })?;
        entries.push(entry);
    }
    let mut rust = entries
        .iter()
        .filter(|entry| matches!(entry.body(), Body::Rust(_) | Body::RustNotCompiled));
    if let Some(first) = rust.next() {
        return Err(OfflineError::RustMigration {
            revision: first.revision().id().clone(),
            file: first.file_name().to_owned(),
            direction,
            others: rust.map(|e| e.revision().id().clone()).collect(),
        });
    }
    entries
        .into_iter()
        .map(|entry| {
            if entry.revision().is_transactional() {
                return Ok((entry, Rendered::Transactional));
            }
            if options.transaction_mode == TransactionMode::WholePlan {
                return Err(OfflineError::NotTransactional {
                    revision: entry.revision().id().clone(),
                    file: entry.file_name().to_owned(),
                });
            }
            let body = sql_body(entry, direction);
            let statements =
                split_statements(body.sql()).map_err(|source| OfflineError::Split {
                    revision: entry.revision().id().clone(),
                    file: entry.file_name().to_owned(),
                    line: body.first_line() + source.line() - 1,
                    source,
                })?;
            let statements = statements.iter().map(|s| s.sql()).collect();
            Ok((entry, Rendered::Statements(statements)))
        })
        .collect()
}

/// The section of a SQL entry that runs in `direction` (Rust entries were refused before).
fn sql_body(entry: &SetEntry, direction: Direction) -> &crate::migration::SqlBody {
    static EMPTY: std::sync::OnceLock<crate::migration::SqlBody> = std::sync::OnceLock::new();
    match entry.body() {
        Body::Sql { up, down } => section(entry, direction, up, down.as_ref()),
        Body::Rust(_) | Body::RustNotCompiled => {
            EMPTY.get_or_init(|| crate::migration::SqlBody::new("", 1))
        }
    }
}

/// `-- text` and a line break, with `text` made safe for a comment
/// ([`quote::comment`](crate::quote::comment)): every comment of a script is written by this
/// function, so that nothing in it (a schema name, an id, a message) can end the comment
/// early and put SQL on a line of its own.
fn comment_line(text: &str) -> String {
    format!("-- {}\n", comment(text))
}

fn header(operation: &str, history: &History, count: usize) -> String {
    let revisions = if count == 1 { "revision" } else { "revisions" };
    [
        comment_line(&format!(
            "pelican offline script: {operation}, {count} {revisions}."
        )),
        comment_line(&format!(
            "History tables: {} and {}.",
            history.revisions_table(),
            history.log_table()
        )),
        comment_line("Run it with: psql -v ON_ERROR_STOP=1 -X -f <this file>"),
        comment_line(
            "(ON_ERROR_STOP makes psql stop at the first error instead of running what follows).",
        ),
    ]
    .concat()
}

/// The history tables' creation when missing, as an online run does on a new database.
fn history_ddl(history: &History) -> String {
    let mut sql = comment_line("The history tables, when missing.");
    // `public` exists unless someone dropped it; the check would only add noise.
    if history.schema() != "public" {
        sql.push_str(&history.create_schema_if_missing_sql());
    }
    sql.push_str(&history.create_tables_sql());
    sql
}

/// `-- Running upgrade a1, b1 -> m1`, `-- Running downgrade m1 -> a1, b1`; `base` stands for
/// no parents.
fn running_comment(entry: &SetEntry, direction: Direction) -> String {
    let id = entry.revision().id().as_str();
    let parents = if entry.revision().parents().is_empty() {
        "base".to_owned()
    } else {
        join_ids(entry.revision().parents())
    };
    comment_line(&match direction {
        Direction::Up => format!("Running upgrade {parents} -> {id}"),
        Direction::Down => format!("Running downgrade {id} -> {parents}"),
    })
}

fn join_ids(ids: &[RevisionId]) -> String {
    ids.iter()
        .map(RevisionId::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

//! [`Migrator`]: configuration and the public operations; it executes [`Plan`](crate::Plan)s against
//! PostgreSQL.
//!
//! Upgrading to `head` or `heads` first reads `pelican_state`, the one-row digest of the
//! history table that PostgreSQL keeps up to date (see [`crate::history`]): when it is the
//! digest of every revision of the set applied with its current checksum, there is nothing to
//! do, and that is all a start at head costs: one query, no lock, nothing built. Otherwise,
//! and for every other operation, the history table is read and checked (one query). Otherwise it takes the advisory lock
//! (see [`crate::lock`]), reads the state again (another migrator may have done the work
//! meanwhile), plans, and runs each revision: a SQL revision's statements, its history row and
//! its log row go to the server as one query, in one transaction. Consecutive transactional
//! SQL revisions go together, each still its own transaction, in one message (a pipeline,
//! see [`Migrator::pipeline`]).

mod autocommit;
mod checksums;
mod failure;
mod inspect;
mod locked;
mod pipeline;
mod report;
mod resolve;
mod run;
mod standby;
#[cfg(test)]
mod tests;

pub use crate::sql::step::TransactionMode;
use checksums::*;
use failure::*;
use pipeline::{PipelineOutcome, PlanRun};
use report::ProgressCallback;
pub use report::{Progress, Report, StampReport, Status, StepReport};

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use tokio_postgres::Client;

use crate::error::Error;
use crate::history::{History, REVISIONS_TABLE};
use crate::lock::{Database, Lock, LockStrategy};
use crate::migration::{MigrationSet, SetEntry};
use crate::plan::Direction;

/// Runs migrations against PostgreSQL.
///
/// ```no_run
/// # async fn startup(pool: deadpool_postgres::Pool) -> Result<(), pelican::Error> {
/// use pelican::{MigrationSet, Migrator};
/// let migrator = Migrator::new(MigrationSet::from_dir("migrations")?);
/// let report = migrator.migrate_to_head(&pool).await?;
/// println!("{} migrations applied", report.steps.len());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Migrator {
    set: Arc<MigrationSet>,
    history: History,
    lock: Lock,
    lock_wait: Duration,
    /// The connection string of `transaction: false` revisions behind a pooler.
    direct_url: Option<String>,
    lock_timeout: Option<Duration>,
    statement_timeout: Option<Duration>,
    transaction_mode: TransactionMode,
    pipeline: bool,
    allow_unknown_applied: bool,
    ignore_checksum_mismatches: bool,
    progress: Option<ProgressCallback>,
}

/// The checked state of the database.
struct Checked {
    /// Known revisions recorded as applied or stamped.
    applied: Vec<String>,
    /// Whether every revision of the set is among them.
    all_applied: bool,
    /// Whether the history table exists.
    table_exists: bool,
    /// Known revisions recorded as stamped (a subset of `applied`).
    stamped: HashSet<String>,
}

impl Migrator {
    /// A migrator for these migrations, with the defaults: history in schema `public`, wait up
    /// to 5 minutes for the lock, one transaction per revision, unknown applied revisions and
    /// checksum mismatches are errors.
    pub fn new(migrations: impl Into<MigrationSet>) -> Self {
        let schema = "public";
        Migrator {
            set: Arc::new(migrations.into()),
            history: History::new(schema),
            lock: Lock::new(schema, REVISIONS_TABLE),
            lock_wait: Duration::from_secs(300),
            direct_url: None,
            lock_timeout: None,
            statement_timeout: None,
            transaction_mode: TransactionMode::PerMigration,
            pipeline: true,
            allow_unknown_applied: false,
            ignore_checksum_mismatches: false,
            progress: None,
        }
    }

    /// The schema of the history tables, as set with [`schema`](Self::schema).
    pub fn history_schema(&self) -> &str {
        self.history.schema()
    }

    /// Options that render offline scripts (see [`crate::offline`]) the way this migrator
    /// runs: its history schema, transaction mode and run-level timeouts.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pelican::{MigrationSet, Migrator};
    /// let migrator = Migrator::new(MigrationSet::new(Vec::new())?)
    ///     .schema("app_meta")
    ///     .lock_timeout(Duration::from_secs(5));
    /// assert_eq!(migrator.history_schema(), "app_meta");
    /// let options = migrator.offline_options();
    /// assert_eq!(options, pelican::offline::OfflineOptions::new()
    ///     .schema("app_meta")
    ///     .lock_timeout(Duration::from_secs(5)));
    /// # Ok::<(), pelican::Error>(())
    /// ```
    pub fn offline_options(&self) -> crate::offline::OfflineOptions {
        let mut options = crate::offline::OfflineOptions::new()
            .schema(self.history.schema())
            .transaction_mode(self.transaction_mode);
        if let Some(timeout) = self.lock_timeout {
            options = options.lock_timeout(timeout);
        }
        if let Some(timeout) = self.statement_timeout {
            options = options.statement_timeout(timeout);
        }
        options
    }

    /// The schema holding the history tables (created when missing). Migrators of different
    /// schemas don't block each other.
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        let schema = schema.into();
        self.history = History::new(&schema);
        self.lock = self.lock.for_table(&schema, REVISIONS_TABLE);
        self
    }

    /// How long to wait for another migrator to finish before failing with
    /// [`Error::LockTimeout`].
    pub fn lock_wait(mut self, wait: Duration) -> Self {
        self.lock_wait = wait;
        self
    }

    /// How migrators serialize (see [`crate::lock`]): [`LockStrategy::Auto`] by default, the
    /// advisory lock on a direct connection and the lease behind a connection pooler such as
    /// PgBouncer in transaction mode. [`LockStrategy::Advisory`] behind a pooler fails with
    /// [`Error::AdvisoryLockBehindPooler`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use pelican::{lock::LockStrategy, MigrationSet, Migrator};
    /// let migrator = Migrator::new(MigrationSet::new(Vec::new())?)
    ///     .lock_strategy(LockStrategy::Lease)
    ///     .lease_ttl(Duration::from_secs(30));
    /// # Ok::<(), pelican::Error>(())
    /// ```
    pub fn lock_strategy(mut self, strategy: LockStrategy) -> Self {
        self.lock.strategy = strategy;
        self
    }

    /// How long a lease lasts without renewal (60 s by default, at least
    /// [`MIN_LEASE_TTL`](crate::lock::MIN_LEASE_TTL)): a killed migrator's lease is taken
    /// over this long after its last renewal. The heartbeat renews it every third of it.
    pub fn lease_ttl(mut self, ttl: Duration) -> Self {
        self.lock.lease_ttl = ttl.max(crate::lock::MIN_LEASE_TTL);
        self
    }

    /// A direct connection to PostgreSQL (a connection string, not through the pooler) for
    /// `transaction: false` revisions, when the migrator's connection goes through a pooler:
    /// their statements run one by one outside a transaction, which a pooler in
    /// transaction mode can't do. Without it such revisions are refused
    /// ([`Error::NotTransactionalBehindPooler`]) before anything runs. It is opened (without
    /// TLS) only when such a revision is about to run, and closed afterwards.
    pub fn direct_url(mut self, url: impl Into<String>) -> Self {
        self.direct_url = Some(url.into());
        self
    }

    /// PostgreSQL's `lock_timeout` while migrations run (a revision's `lock-timeout` header
    /// overrides it), so a migration fails instead of queueing behind production traffic.
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = Some(timeout);
        self
    }

    /// PostgreSQL's `statement_timeout` while migrations run (a revision's
    /// `statement-timeout` header overrides it).
    pub fn statement_timeout(mut self, timeout: Duration) -> Self {
        self.statement_timeout = Some(timeout);
        self
    }

    /// How revisions are grouped into transactions.
    pub fn transaction_mode(mut self, mode: TransactionMode) -> Self {
        self.transaction_mode = mode;
        self
    }

    /// Whether consecutive transactional SQL revisions are sent without waiting between them
    /// (on by default).
    ///
    /// In a pipeline each revision is still its own `BEGIN … COMMIT` with its history row;
    /// up to 100 of them (and 1 MiB of SQL) go to the server in one simple-query message,
    /// which PostgreSQL runs in order, stopping at the first error: the revisions before a
    /// failure stay committed and recorded, the failing one leaves no trace, the later ones
    /// don't run, and the error names the failing revision, its file and line, as without a
    /// pipeline. This saves a network round trip per revision: most of the time of small
    /// migrations against a distant server. A Rust migration, a `transaction: false` revision
    /// and a body whose quotes or comments don't close end a pipeline and run as before. With
    /// [`TransactionMode::WholePlan`] revisions are not pipelined.
    ///
    /// What differs, seen from outside: the progress events of a pipeline's revisions arrive
    /// when the pipeline returns (`Started` of its first revision before it is sent), and the
    /// durations of [`StepReport`]s and `Finished` events are the pipeline's time shared
    /// equally among its revisions (the history rows' `duration_ms` are each revision's own),
    /// and `pg_stat_activity` shows the start of the pipeline's text as the running query.
    /// Turn it off to run one revision per round trip, e.g. to watch each statement arrive
    /// in the server's log, or behind a proxy that doesn't accept several transactions in
    /// one message.
    ///
    /// ```
    /// use pelican::{MigrationSet, Migrator};
    /// let migrator = Migrator::new(MigrationSet::new(Vec::new())?).pipeline(false);
    /// # Ok::<(), pelican::Error>(())
    /// ```
    pub fn pipeline(mut self, pipeline: bool) -> Self {
        self.pipeline = pipeline;
        self
    }

    /// Whether revisions recorded in the database but unknown to this application are
    /// tolerated (ignored) instead of an error; useful while rolling back a deploy.
    pub fn allow_unknown_applied(mut self, allow: bool) -> Self {
        self.allow_unknown_applied = allow;
        self
    }

    /// Whether applied revisions whose files changed are tolerated instead of an error.
    /// Prefer [`Migrator::repair`], which records the new checksums once.
    pub fn ignore_checksum_mismatches(mut self, ignore: bool) -> Self {
        self.ignore_checksum_mismatches = ignore;
        self
    }

    /// Calls `callback` before and after each revision of an upgrade or downgrade runs (the
    /// `pelican` CLI draws its progress bar with it). It runs on the migrating task: keep it
    /// quick.
    ///
    /// ```
    /// use pelican::{migrator::Progress, MigrationSet, Migrator};
    /// # let migrations = MigrationSet::new(Vec::new())?;
    /// let migrator = Migrator::new(migrations).on_progress(|event| {
    ///     if let Progress::Finished { revision, position, total, .. } = event {
    ///         eprintln!("[{position}/{total}] {revision}");
    ///     }
    /// });
    /// # Ok::<(), pelican::Error>(())
    /// ```
    pub fn on_progress(mut self, callback: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(ProgressCallback(Arc::new(callback)));
        self
    }

    fn report_progress(&self, event: Progress) {
        if let Some(ProgressCallback(callback)) = &self.progress {
            callback(&event);
        }
    }

    /// Refuses run-level timeouts PostgreSQL can't take, before anything is touched.
    fn check_options(&self) -> Result<(), Error> {
        crate::sql::step::checked_timeout("lock_timeout", self.lock_timeout)?;
        crate::sql::step::checked_timeout("statement_timeout", self.statement_timeout)?;
        crate::revision::check_setting_millis("lock_wait", self.lock_wait)?;
        Ok(())
    }

    /// The migrations this migrator runs.
    pub fn migrations(&self) -> &MigrationSet {
        &self.set
    }

    /// Upgrades to the single head, as at application startup. Fails naming the heads when
    /// there are several (use `upgrade(db, "heads")` to apply them all).
    pub async fn migrate_to_head(&self, db: &impl Database) -> Result<Report, Error> {
        self.upgrade(db, "head").await
    }

    /// Upgrades to `target` (see [`Target`](crate::Target) for the syntax).
    pub async fn upgrade(&self, db: &impl Database, target: &str) -> Result<Report, Error> {
        self.run(db, target, Direction::Up).await
    }

    /// Downgrades to `target`.
    pub async fn downgrade(&self, db: &impl Database, target: &str) -> Result<Report, Error> {
        self.run(db, target, Direction::Down).await
    }
}

impl From<Vec<SetEntry>> for MigrationSet {
    /// Panics if the entries don't form a valid DAG; use [`MigrationSet::new`] to handle that.
    fn from(entries: Vec<SetEntry>) -> Self {
        MigrationSet::new(entries).unwrap_or_else(|err| panic!("invalid migration set: {err}"))
    }
}

/// Releases the lock whatever the outcome; the outcome's error wins over a release error.
async fn finish<T>(
    guard: crate::lock::LockGuard<'_>,
    result: Result<T, Error>,
) -> Result<T, Error> {
    let released = guard.release().await;
    let value = result?;
    released?;
    Ok(value)
}

async fn execute(client: &Client, sql: &str, context: &'static str) -> Result<(), Error> {
    client
        .batch_execute(sql)
        .await
        .map_err(|e| Error::database(context, e))
}

//! [`Migrator`]: configuration and the public operations; it executes [`Plan`]s against
//! PostgreSQL.
//!
//! Upgrading to `head` or `heads` first reads `pelican_state`, the one-row digest of the
//! history table that PostgreSQL keeps up to date (see [`crate::history`]): when it is the
//! digest of every revision of the set applied with its current checksum, there is nothing to
//! do, and that is all a start at head costs: one query, no lock, nothing built. Otherwise,
//! and for every other operation, the history table is read and checked (one query). Otherwise it takes the advisory lock
//! (see [`crate::lock`]), reads the state again (another migrator may have done the work
//! meanwhile), plans, and runs each revision: a SQL revision's statements, its history row and
//! its log row go to the server as one query, in one transaction.

mod autocommit;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_postgres::Client;
use tracing::Instrument;

use crate::error::{describe_db_error, ChecksumMismatch, Error};
use crate::history::{
    Elapsed, History, HistoryDigest, HistoryRow, NewRow, Operation, Probe, RevisionState, StateRow,
    StoredDigest, LAYOUT_VERSION, REVISIONS_TABLE,
};
use crate::lock::{Database, LockKey};
use crate::migration::{AtHead, Body, MigrationSet, SetEntry, SqlBody};
use crate::plan::{Direction, Plan, Planner, StampPlan};
use crate::revision::{Checksum, Revision, RevisionId};
use crate::target::Target;

/// How revisions are grouped into transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TransactionMode {
    /// Each revision and its history row commit in their own transaction (the default): a
    /// failure keeps the revisions before it.
    #[default]
    PerMigration,
    /// The whole plan runs in one transaction: a failure leaves nothing. Revisions declared
    /// `transaction: false` can't run in this mode.
    WholePlan,
}

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The revisions that ran, in order.
    pub steps: Vec<StepReport>,
    /// How long the whole operation took.
    pub elapsed: Duration,
}

impl Report {
    /// Whether nothing ran.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

/// One revision that ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepReport {
    /// The revision.
    pub revision: RevisionId,
    /// Up or down.
    pub direction: Direction,
    /// How long it took, its history row included.
    pub duration: Duration,
}

/// What `stamp` changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StampReport {
    /// Revisions recorded as applied (state `stamped`).
    pub added: Vec<RevisionId>,
    /// Revisions whose records were deleted.
    pub removed: Vec<RevisionId>,
}

/// The database compared with the migrations: what `pelican status` shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    /// Applied or stamped revisions, known to this application.
    pub applied: Vec<RevisionId>,
    /// Revisions `upgrade heads` would run, in order.
    pub pending: Vec<RevisionId>,
    /// Revisions recorded as failed, with their errors.
    pub failed: Vec<(String, String)>,
    /// `transaction: false` revisions a migrator is running right now, with the session that
    /// holds the migration lock. Until such a revision finishes, its row reads as failed (so
    /// that a crash leaves a record); while the lock is held it is reported here instead.
    pub running: Vec<(String, String)>,
    /// Applied revisions whose files changed since.
    pub checksum_mismatches: Vec<ChecksumMismatch>,
    /// Recorded revisions this application does not know.
    pub unknown: Vec<String>,
    /// The current heads of the database.
    pub current_heads: Vec<RevisionId>,
}

/// One event of a running plan, given to the callback of [`Migrator::on_progress`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Progress {
    /// A revision is about to run.
    Started {
        /// The revision.
        revision: RevisionId,
        /// Up or down.
        direction: Direction,
        /// Its position in the plan, from 1.
        position: usize,
        /// The number of revisions in the plan.
        total: usize,
    },
    /// A revision ran and was recorded.
    Finished {
        /// The revision.
        revision: RevisionId,
        /// Up or down.
        direction: Direction,
        /// Its position in the plan, from 1.
        position: usize,
        /// The number of revisions in the plan.
        total: usize,
        /// How long it took, its history row included.
        duration: Duration,
    },
}

/// The callback of [`Migrator::on_progress`].
#[derive(Clone)]
struct ProgressCallback(Arc<dyn Fn(&Progress) + Send + Sync>);

impl std::fmt::Debug for ProgressCallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressCallback(..)")
    }
}

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
    lock: LockKey,
    lock_wait: Duration,
    lock_timeout: Option<Duration>,
    statement_timeout: Option<Duration>,
    transaction_mode: TransactionMode,
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
            lock: LockKey::new(schema, REVISIONS_TABLE),
            lock_wait: Duration::from_secs(300),
            lock_timeout: None,
            statement_timeout: None,
            transaction_mode: TransactionMode::PerMigration,
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
        self.lock = LockKey::new(&schema, REVISIONS_TABLE);
        self
    }

    /// How long to wait for another migrator to finish before failing with
    /// [`Error::LockTimeout`].
    pub fn lock_wait(mut self, wait: Duration) -> Self {
        self.lock_wait = wait;
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

    /// The migrations this migrator runs.
    pub fn migrations(&self) -> &MigrationSet {
        &self.set
    }

    /// Upgrades to the single head, as at application startup. Fails naming the heads when
    /// there are several (use `upgrade(db, "heads")` to apply them all).
    pub async fn migrate_to_head(&self, db: &impl Database) -> Result<Report, Error> {
        self.upgrade(db, "head").await
    }

    /// Upgrades to `target` (see [`Target`] for the syntax).
    pub async fn upgrade(&self, db: &impl Database, target: &str) -> Result<Report, Error> {
        self.run(db, target, Direction::Up).await
    }

    /// Downgrades to `target`.
    pub async fn downgrade(&self, db: &impl Database, target: &str) -> Result<Report, Error> {
        self.run(db, target, Direction::Down).await
    }

    /// What `upgrade` or `downgrade` to `target` would run, without running or locking
    /// anything.
    pub async fn plan(
        &self,
        db: &impl Database,
        target: &str,
        direction: Direction,
    ) -> Result<Plan, Error> {
        let target: Target = target.parse()?;
        let connection = db.connection().await?;
        let checked = self.read_checked(&connection).await?;
        self.plan_for(&checked, &target, direction)
    }

    /// The current heads of the database: applied revisions none of whose children are
    /// applied.
    pub async fn current(&self, db: &impl Database) -> Result<Vec<RevisionId>, Error> {
        Ok(self.status(db).await?.current_heads)
    }

    /// Compares the database with the migrations, reporting every problem instead of failing
    /// on the first.
    pub async fn status(&self, db: &impl Database) -> Result<Status, Error> {
        self.set.try_built()?;
        let connection = db.connection().await?;
        let rows = self
            .history
            .read_state(&connection)
            .await?
            .unwrap_or_default();
        let mut status = Status::default();
        let mut applied = Vec::new();
        for row in &rows {
            match self.set.get(&row.revision) {
                None => status.unknown.push(row.revision.clone()),
                Some(_) if row.state == RevisionState::Failed => status
                    .failed
                    .push((row.revision.clone(), row.error.clone().unwrap_or_default())),
                Some(entry) => {
                    if let Some(mismatch) = mismatch(entry, row) {
                        status.checksum_mismatches.push(mismatch);
                    }
                    applied.push(row.revision.clone());
                }
            }
        }
        let planner = Planner::new(self.set.graph(), &applied)?;
        status.pending = planner
            .upgrade(&Target::Heads { branch: None })?
            .revisions()
            .cloned()
            .collect();
        status.current_heads = planner.current_heads().into_iter().cloned().collect();
        status.applied = applied
            .iter()
            .filter_map(|id| self.set.get(id))
            .map(|e| e.revision().id().clone())
            .collect();
        if !status.failed.is_empty() {
            // An in-progress marker under a held lock is a run in progress, not a failure.
            if let Some(holder) = self.lock.holder(&connection).await {
                let (running, failed) = std::mem::take(&mut status.failed)
                    .into_iter()
                    .partition(|(_, error)| error.starts_with(IN_PROGRESS_MARKER));
                status.failed = failed;
                status.running = running
                    .into_iter()
                    .map(|(revision, _)| (revision, holder.clone()))
                    .collect();
            }
        }
        status.unknown.sort();
        status.failed.sort();
        status.running.sort();
        Ok(status)
    }

    /// Every row of the history table, oldest first.
    pub async fn history(&self, db: &impl Database) -> Result<Vec<HistoryRow>, Error> {
        let connection = db.connection().await?;
        self.history.read_rows(&connection).await
    }

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
        let guard = self.lock.acquire(connection, self.lock_wait).await?;
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
    async fn stamp_purging(
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
        let guard = self.lock.acquire(connection, self.lock_wait).await?;
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

    async fn resolve_failed(
        &self,
        db: &impl Database,
        revision: &str,
        applied: bool,
    ) -> Result<(), Error> {
        let connection = db.connection().await?;
        let guard = self.lock.acquire(connection, self.lock_wait).await?;
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

    async fn run(
        &self,
        db: &impl Database,
        target: &str,
        direction: Direction,
    ) -> Result<Report, Error> {
        let started = Instant::now();
        let span =
            tracing::info_span!("pelican.run", %target, %direction, schema = self.history.schema());
        async {
            let target: Target = target.parse()?;
            let connection = db.connection().await?;
            // The common case, at every application start: one query reading one row, no
            // lock, and the set's entries and graph not even built.
            let mut layout_missing = false;
            if let Some(at_head) = self.head_shortcut(&target, direction)? {
                let digest = self.history.probe_digest(&connection).await?;
                if digest.is(&at_head.digest) {
                    tracing::debug!("nothing to do: the history's digest is the set's at head");
                    return Ok(Report {
                        steps: Vec::new(),
                        elapsed: started.elapsed(),
                    });
                }
                layout_missing = digest == StoredDigest::Missing;
            }
            let probe = self.history.probe(&connection).await?;
            let rows = self.history.read_state_after(&connection, &probe).await?;
            match self.check(rows) {
                Ok(checked) => {
                    // A history of layout 1 (or whose digest can't be trusted) is brought up
                    // to date under the lock, so that the next start takes the shortcut.
                    let layout_work = layout_missing && checked.table_exists;
                    if !layout_work && self.nothing_to_upgrade(&checked, &target, direction) {
                        tracing::debug!("nothing to do: every revision is applied");
                        return Ok(Report {
                            steps: Vec::new(),
                            elapsed: started.elapsed(),
                        });
                    }
                    let plan = self.plan_for(&checked, &target, direction)?;
                    if !layout_work && plan.is_empty() {
                        tracing::debug!("nothing to do");
                        return Ok(Report {
                            steps: Vec::new(),
                            elapsed: started.elapsed(),
                        });
                    }
                }
                // Seen without the lock, a failed row may be the in-progress marker of a
                // `transaction: false` revision that another migrator is running right now:
                // wait for the lock, and let the check under it decide.
                Err(Error::FailedRevision { .. }) => {}
                Err(err) => return Err(err),
            }
            let guard = self.lock.acquire(connection, self.lock_wait).await?;
            let result = async {
                let client = guard.client();
                let checked = self.prepare_locked(client).await?;
                // Another migrator may have run (part of) the plan while we waited.
                let plan = self.plan_for(&checked, &target, direction)?;
                let outcome = self.execute_plan(client, &plan, &checked).await;
                self.verify_digest(client, outcome.is_ok()).await?;
                outcome
            }
            .await;
            let mut report = finish(guard, result).await?;
            report.elapsed = started.elapsed();
            Ok(report)
        }
        .instrument(span)
        .await
    }

    /// What the history's digest must be for `upgrade(target)` to have nothing to do, when
    /// that can be decided from the digest alone: `head` (with one head) or `heads`, upward.
    fn head_shortcut(
        &self,
        target: &Target,
        direction: Direction,
    ) -> Result<Option<AtHead>, Error> {
        if direction != Direction::Up {
            return Ok(None);
        }
        let at_head = match target {
            Target::Heads { branch: None } | Target::Head { branch: None } => self.set.at_head()?,
            _ => return Ok(None),
        };
        // With several heads, `head` is an error the planner reports.
        let ambiguous = matches!(target, Target::Head { .. }) && at_head.heads > 1;
        Ok((!ambiguous).then_some(at_head))
    }

    /// Reads and checks the state: failed rows, changed files and unknown revisions stop here.
    async fn read_checked(&self, client: &Client) -> Result<Checked, Error> {
        let rows = self.history.read_state(client).await?;
        self.check(rows)
    }

    fn check(&self, rows: Option<Vec<StateRow>>) -> Result<Checked, Error> {
        self.set.try_built()?;
        let Some(rows) = rows else {
            return Ok(Checked {
                applied: Vec::new(),
                all_applied: self.set.is_empty(),
                table_exists: false,
                stamped: HashSet::new(),
            });
        };
        if let Some(failed) = rows
            .iter()
            .filter(|r| r.state == RevisionState::Failed)
            .min_by(|a, b| a.revision.cmp(&b.revision))
        {
            return Err(Error::FailedRevision {
                revision: failed.revision.clone(),
                file: self
                    .set
                    .get(&failed.revision)
                    .map_or_else(|| "unknown file".to_owned(), |e| e.file_name().to_owned()),
                error: failed.error.clone().unwrap_or_default(),
                statement: failed.failed_at.map(|at| at.statement),
            });
        }
        let mut mismatches = Vec::new();
        let mut unknown = Vec::new();
        let mut applied = Vec::with_capacity(rows.len());
        // Counted by entry, not by row: a history table without its primary key could
        // record a revision twice.
        let mut recorded = vec![false; self.set.len()];
        let mut distinct = 0;
        let mut stamped = HashSet::new();
        for row in rows {
            match self.set.position(&row.revision) {
                None => unknown.push(row.revision),
                Some(position) => {
                    if row.state == RevisionState::Stamped {
                        stamped.insert(row.revision.clone());
                    }
                    if let Some(m) = mismatch(&self.set.entries()[position], &row) {
                        mismatches.push(m);
                    }
                    if !std::mem::replace(&mut recorded[position], true) {
                        distinct += 1;
                    }
                    applied.push(row.revision);
                }
            }
        }
        if !mismatches.is_empty() && !self.ignore_checksum_mismatches {
            mismatches.sort_by(|a, b| a.revision.cmp(&b.revision));
            return Err(Error::ChecksumMismatch { mismatches });
        }
        if !unknown.is_empty() && !self.allow_unknown_applied {
            unknown.sort();
            return Err(Error::UnknownApplied { revisions: unknown });
        }
        Ok(Checked {
            applied,
            all_applied: distinct == self.set.len(),
            table_exists: true,
            stamped,
        })
    }

    /// Whether upgrading to `head` or `heads` has nothing to do because every revision is
    /// applied: what the planner would conclude (with its error when `head` is ambiguous),
    /// without building it. This is the check every application start makes.
    fn nothing_to_upgrade(&self, checked: &Checked, target: &Target, direction: Direction) -> bool {
        if direction != Direction::Up || !checked.all_applied {
            return false;
        }
        match target {
            Target::Heads { branch: None } => true,
            // With several heads, `head` is an error the planner reports.
            Target::Head { branch: None } => self.set.graph().head_nodes().len() <= 1,
            _ => false,
        }
    }

    fn plan_for(
        &self,
        checked: &Checked,
        target: &Target,
        direction: Direction,
    ) -> Result<Plan, Error> {
        let planner = Planner::new(self.set.graph(), &checked.applied)?;
        let plan = match direction {
            Direction::Up => planner.upgrade(target)?,
            Direction::Down => planner.downgrade(target)?,
        };
        Ok(plan)
    }

    /// Under the lock: creates the tables when missing (or brings them to the current
    /// layout) and reads the state again.
    async fn prepare_locked(&self, client: &Client) -> Result<Checked, Error> {
        let probe = self.history.probe(client).await?;
        let checked = self.check(self.history.read_state_after(client, &probe).await?)?;
        self.ensure_layout(client, &probe).await?;
        Ok(checked)
    }

    /// Under the lock: creates the history tables, or brings them to the current layout
    /// (digest recomputed, triggers restored) when they are older or incomplete. A newer
    /// layout, or one whose digest this role may not read, is left alone.
    async fn ensure_layout(&self, client: &Client, probe: &Probe) -> Result<(), Error> {
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
        self.history
            .create(client)
            .await
            .map_err(|e| Error::database(context, e))
    }

    /// Under the lock, after migrations ran: checks that the digest is the digest of the
    /// rows and that its triggers fire (a migration may have disabled them), and rebuilds
    /// it when not. After a failed run, a failure here is only logged: the run's error wins.
    async fn verify_digest(&self, client: &Client, run_succeeded: bool) -> Result<(), Error> {
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
                    .create(client)
                    .await
                    .map_err(|e| Error::database("recomputing the history's digest", e))?;
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
    async fn read_rows_locked(&self, client: &Client) -> Result<Vec<StateRow>, Error> {
        self.set.try_built()?;
        let probe = self.history.probe(client).await?;
        self.ensure_layout(client, &probe).await?;
        Ok(self.history.read_state(client).await?.unwrap_or_default())
    }

    async fn record_stamp(
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

    fn entry(&self, id: &RevisionId) -> &SetEntry {
        self.set
            .get(id.as_str())
            .expect("plans only name revisions of the set")
    }

    async fn execute_plan(
        &self,
        client: &Client,
        plan: &Plan,
        checked: &Checked,
    ) -> Result<Report, Error> {
        // Refuse what can't run before anything runs.
        for step in plan.steps() {
            let entry = self.entry(&step.revision);
            if matches!(entry.body(), Body::RustNotCompiled) {
                return Err(not_compiled(entry));
            }
            if self.transaction_mode == TransactionMode::WholePlan
                && !entry.revision().is_transactional()
            {
                return Err(Error::NotTransactional {
                    revision: step.revision.clone(),
                    file: entry.file_name().to_owned(),
                });
            }
        }
        let whole_plan = self.transaction_mode == TransactionMode::WholePlan;
        if whole_plan {
            execute(client, "BEGIN", "starting the plan's transaction").await?;
        }
        let mut report = Report::default();
        let total = plan.steps().len();
        for (index, step) in plan.steps().iter().enumerate() {
            let entry = self.entry(&step.revision);
            self.report_progress(Progress::Started {
                revision: step.revision.clone(),
                direction: step.direction,
                position: index + 1,
                total,
            });
            let span = tracing::info_span!("pelican.revision", revision = %step.revision, direction = %step.direction);
            let started = Instant::now();
            let outcome = if entry.revision().is_transactional() {
                self.run_transactional(client, entry, step.direction, whole_plan)
                    .instrument(span.clone())
                    .await
            } else {
                let state_before = if checked.stamped.contains(step.revision.as_str()) {
                    RevisionState::Stamped
                } else {
                    RevisionState::Applied
                };
                self.run_autocommit(client, entry, step.direction, state_before)
                    .instrument(span.clone())
                    .await
            };
            if let Err(err) = outcome {
                if whole_plan {
                    let _ = client.batch_execute("ROLLBACK").await;
                }
                self.log_failure(client, entry, step.direction, &err).await;
                return Err(err);
            }
            let duration = started.elapsed();
            span.in_scope(|| {
                tracing::info!(revision = %step.revision, direction = %step.direction, duration_ms = duration.as_millis() as u64, "{} {}", step.direction, step.revision);
            });
            report.steps.push(StepReport {
                revision: step.revision.clone(),
                direction: step.direction,
                duration,
            });
            self.report_progress(Progress::Finished {
                revision: step.revision.clone(),
                direction: step.direction,
                position: index + 1,
                total,
                duration,
            });
        }
        if whole_plan {
            execute(client, "COMMIT", "committing the plan's transaction").await?;
        }
        Ok(report)
    }

    /// The builder of the SQL text each step sends.
    fn step_sql(&self) -> StepSql<'_> {
        StepSql {
            history: &self.history,
            lock_timeout: self.lock_timeout,
            statement_timeout: self.statement_timeout,
        }
    }

    /// Runs a revision in a transaction (its own, or the plan's).
    async fn run_transactional(
        &self,
        client: &Client,
        entry: &SetEntry,
        direction: Direction,
        in_plan_transaction: bool,
    ) -> Result<(), Error> {
        let steps = self.step_sql();
        match entry.body() {
            Body::Sql { up, down } => {
                let body = section(entry, direction, up, down.as_ref());
                let script = steps.transactional(entry, body, direction, in_plan_transaction);
                if let Err(err) = client.batch_execute(&script.sql).await {
                    if !in_plan_transaction {
                        let _ = client.batch_execute("ROLLBACK").await;
                    }
                    let line = error_position(&err).and_then(|pos| {
                        let start = script.body_start;
                        let end = start + body.sql().chars().count();
                        (pos > start && pos <= end).then(|| body.file_line_of(pos - start))
                    });
                    return Err(sql_failure(entry, direction, line, err));
                }
                Ok(())
            }
            Body::Rust(migration) => {
                let (opening, closing) =
                    steps.transaction_bounds(entry.revision(), in_plan_transaction);
                let record = steps.record(entry, direction, Elapsed::SinceTransactionStart);
                let outcome = async {
                    if !opening.is_empty() {
                        execute(client, &opening, "starting the migration's transaction").await?;
                    }
                    run_rust(migration.as_ref(), client, direction)
                        .await
                        .map_err(|err| rust_failure(entry, direction, err))?;
                    client
                        .batch_execute(&format!("{record}{closing}"))
                        .await
                        .map_err(|err| recording_failure(entry, direction, err))
                }
                .await;
                // Whatever failed (the migration, or its history row after the migration
                // swallowed an error), its transaction is rolled back before anything else
                // is sent: the log row, the unlock and the application's next query.
                if outcome.is_err() && !in_plan_transaction {
                    let _ = client.batch_execute("ROLLBACK").await;
                }
                outcome
            }
            Body::RustNotCompiled => Err(not_compiled(entry)),
        }
    }

    /// Appends a failed outcome to the log (outside the rolled-back transaction).
    async fn log_failure(
        &self,
        client: &Client,
        entry: &SetEntry,
        direction: Direction,
        err: &Error,
    ) {
        let operation = match direction {
            Direction::Up => Operation::Upgrade,
            Direction::Down => Operation::Downgrade,
        };
        let sql = self.history.log_sql(
            entry.revision().id().as_str(),
            operation,
            false,
            Elapsed::None,
            Some(entry.revision().checksum()),
            Some(&err.to_string()),
        );
        if let Err(log_err) = client.batch_execute(&sql).await {
            tracing::warn!(error = %log_err, "could not log the failed migration");
        }
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

/// How long a `SET` lasts: until the end of the transaction, or of the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SettingScope {
    /// `SET LOCAL`: inside a revision's transaction.
    Local,
    /// `SET SESSION`: around a `transaction: false` revision; the migrator restores the session's own values afterwards, offline scripts use [`RESET_TIMEOUTS`].
    Session,
}

/// How the error of a `transaction: false` revision's row begins while it runs (and after a
/// crash part-way).
pub(crate) const IN_PROGRESS_MARKER: &str = "interrupted:";

/// Undoes the session timeouts set around a `transaction: false` revision.
pub(crate) const RESET_TIMEOUTS: &str = "RESET lock_timeout; RESET statement_timeout";

/// The SQL text of a transactional SQL revision, and where its body starts in it.
pub(crate) struct TransactionalSql {
    /// `BEGIN;` (unless in the plan's transaction), the timeouts, the body, the history rows,
    /// `COMMIT;` (unless in the plan's transaction).
    pub(crate) sql: String,
    /// How many characters precede the body, to map PostgreSQL's error positions to lines.
    pub(crate) body_start: usize,
}

/// Builds the SQL text each step sends, without any I/O. The migrator sends it and
/// [`crate::offline`] prints it, so an offline script is what an online run sends, by
/// construction.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StepSql<'a> {
    /// The history tables the rows go to.
    pub(crate) history: &'a History,
    /// The run's `lock_timeout`, for revisions that don't set their own.
    pub(crate) lock_timeout: Option<Duration>,
    /// The run's `statement_timeout`, for revisions that don't set their own.
    pub(crate) statement_timeout: Option<Duration>,
}

impl StepSql<'_> {
    /// The `SET` statements of the timeouts that apply to `revision`; empty when none do.
    pub(crate) fn timeouts(&self, revision: &Revision, scope: SettingScope) -> String {
        let scope = match scope {
            SettingScope::Local => "LOCAL",
            SettingScope::Session => "SESSION",
        };
        let mut sql = String::new();
        for (setting, own, run) in self.timeout_settings(revision) {
            if let Some(t) = own.or(run) {
                sql.push_str(&format!("SET {scope} {setting} = {};\n", t.as_millis()));
            }
        }
        sql
    }

    /// The timeouts a revision can set: PostgreSQL's name, the revision's own value (from
    /// its header) and the run's.
    fn timeout_settings(
        &self,
        revision: &Revision,
    ) -> [(&'static str, Option<Duration>, Option<Duration>); 2] {
        [
            ("lock_timeout", revision.lock_timeout(), self.lock_timeout),
            (
                "statement_timeout",
                revision.statement_timeout(),
                self.statement_timeout,
            ),
        ]
    }

    /// The history and log statements recording a finished step.
    pub(crate) fn record(
        &self,
        entry: &SetEntry,
        direction: Direction,
        elapsed: Elapsed,
    ) -> String {
        let id = entry.revision().id().as_str();
        let checksum = entry.revision().checksum();
        match direction {
            Direction::Up => {
                self.history
                    .insert_sql(&new_row(entry, RevisionState::Applied), elapsed, None)
                    + &self.history.log_sql(
                        id,
                        Operation::Upgrade,
                        true,
                        elapsed,
                        Some(checksum),
                        None,
                    )
            }
            Direction::Down => {
                self.history.delete_sql(id)
                    + &self.history.log_sql(
                        id,
                        Operation::Downgrade,
                        true,
                        elapsed,
                        Some(checksum),
                        None,
                    )
            }
        }
    }

    /// A transactional SQL revision, sent as one query: its body and its history rows commit
    /// together.
    pub(crate) fn transactional(
        &self,
        entry: &SetEntry,
        body: &SqlBody,
        direction: Direction,
        in_plan_transaction: bool,
    ) -> TransactionalSql {
        let (prefix, closing) = self.transaction_bounds(entry.revision(), in_plan_transaction);
        let record = self.record(entry, direction, Elapsed::SinceTransactionStart);
        // The body, then a newline and `;` in case it ends in a comment or without `;`.
        TransactionalSql {
            sql: format!("{prefix}{}\n;\n{record}{closing}", body.sql()),
            body_start: prefix.chars().count(),
        }
    }

    /// What a transactional revision's SQL starts and ends with: `BEGIN` and its `SET LOCAL`
    /// timeouts, then `COMMIT`. Inside the plan's transaction there is no `BEGIN`/`COMMIT`, and
    /// a timeout the revision sets in its own header is put back afterwards to the value it
    /// found (kept in a `pelican.outer_*` setting of the transaction), so that it doesn't
    /// last into the next revisions as a `SET LOCAL` otherwise would until the plan commits.
    pub(crate) fn transaction_bounds(
        &self,
        revision: &Revision,
        in_plan_transaction: bool,
    ) -> (String, String) {
        let timeouts = self.timeouts(revision, SettingScope::Local);
        if !in_plan_transaction {
            return (format!("BEGIN;\n{timeouts}"), "COMMIT;".to_owned());
        }
        let own: Vec<&str> = self
            .timeout_settings(revision)
            .into_iter()
            .filter(|(_, own, _)| own.is_some())
            .map(|(setting, _, _)| setting)
            .collect();
        if own.is_empty() {
            return (timeouts, String::new());
        }
        let (save, restore): (Vec<String>, Vec<String>) = own
            .iter()
            .map(|setting| {
                let outer = format!("pelican.outer_{setting}");
                (
                    format!("set_config('{outer}', current_setting('{setting}'), true)"),
                    format!("set_config('{setting}', current_setting('{outer}'), true)"),
                )
            })
            .unzip();
        (
            format!("SELECT {};\n{timeouts}", save.join(", ")),
            format!("SELECT {};\n", restore.join(", ")),
        )
    }

    /// What a `transaction: false` revision records before its first statement: a row marked
    /// failed with `detail`, cleared only by [`autocommit_finish`](Self::autocommit_finish),
    /// so an interruption part-way leaves a record that blocks later runs.
    pub(crate) fn in_progress_marker(
        &self,
        entry: &SetEntry,
        direction: Direction,
        detail: &str,
    ) -> String {
        self.history
            .mark_running_sql(&new_row(entry, RevisionState::Failed), direction, detail)
    }

    /// What a `transaction: false` revision records once all its statements succeeded, in a
    /// transaction of its own.
    pub(crate) fn autocommit_finish(
        &self,
        entry: &SetEntry,
        direction: Direction,
        elapsed: Elapsed,
    ) -> String {
        let id = entry.revision().id().as_str();
        let finish = match direction {
            Direction::Up => {
                self.history
                    .set_state_sql(id, RevisionState::Applied, elapsed)
                    + &self.history.log_sql(
                        id,
                        Operation::Upgrade,
                        true,
                        elapsed,
                        Some(entry.revision().checksum()),
                        None,
                    )
            }
            Direction::Down => self.record(entry, Direction::Down, elapsed),
        };
        format!("BEGIN;\n{finish}COMMIT;")
    }

    /// What a resumed `transaction: false` revision records once its remaining statements
    /// succeeded, in a transaction of its own: as the finished run would have, logged as a
    /// resume.
    pub(crate) fn resumed_finish(
        &self,
        entry: &SetEntry,
        direction: Direction,
        elapsed: Elapsed,
    ) -> String {
        let id = entry.revision().id().as_str();
        let record = match direction {
            Direction::Up => self
                .history
                .set_state_sql(id, RevisionState::Applied, elapsed),
            Direction::Down => self.history.delete_sql(id),
        };
        let log = self.history.log_sql(
            id,
            Operation::Resume,
            true,
            elapsed,
            Some(entry.revision().checksum()),
            Some(&format!("the {direction} finished")),
        );
        format!("BEGIN;\n{record}{log}COMMIT;")
    }

    /// A stamp, in one transaction: the rows a purge erases, the records to delete (in
    /// downgrade order), then the revisions to record as stamped (in upgrade order).
    pub(crate) fn stamp(
        &self,
        erase: &[String],
        remove: &[RevisionId],
        add: &[&SetEntry],
    ) -> String {
        let mut sql = String::from("BEGIN;\n");
        for id in erase {
            sql.push_str(&self.history.delete_sql(id));
            sql.push_str(&self.history.log_sql(
                id,
                Operation::Purge,
                true,
                Elapsed::None,
                None,
                Some("stamp --purge erased the row"),
            ));
        }
        for id in remove {
            sql.push_str(&self.history.delete_sql(id.as_str()));
            sql.push_str(&self.history.log_sql(
                id.as_str(),
                Operation::Unstamp,
                true,
                Elapsed::None,
                None,
                None,
            ));
        }
        for entry in add {
            let id = entry.revision().id().as_str();
            sql.push_str(&self.history.insert_sql(
                &new_row(entry, RevisionState::Stamped),
                Elapsed::None,
                None,
            ));
            sql.push_str(&self.history.log_sql(
                id,
                Operation::Stamp,
                true,
                Elapsed::None,
                Some(entry.revision().checksum()),
                None,
            ));
        }
        sql.push_str("COMMIT;");
        sql
    }
}

fn new_row(entry: &SetEntry, state: RevisionState) -> NewRow<'_> {
    let revision = entry.revision();
    NewRow {
        revision: revision.id().as_str(),
        parents: revision.parents().iter().map(RevisionId::as_str).collect(),
        message: revision.message(),
        checksum: revision.checksum(),
        kind: entry.kind(),
        state,
    }
}

pub(crate) fn section<'a>(
    entry: &'a SetEntry,
    direction: Direction,
    up: &'a SqlBody,
    down: Option<&'a SqlBody>,
) -> &'a SqlBody {
    static EMPTY: std::sync::OnceLock<SqlBody> = std::sync::OnceLock::new();
    match direction {
        Direction::Up => up,
        // Irreversible revisions never get here (the planner refuses them); a missing down
        // section otherwise means nothing to undo.
        Direction::Down => down.unwrap_or_else(|| {
            let _ = entry;
            EMPTY.get_or_init(|| SqlBody::new("", 1))
        }),
    }
}

fn mismatch(entry: &SetEntry, row: &StateRow) -> Option<ChecksumMismatch> {
    if row.state == RevisionState::Failed {
        return None;
    }
    mismatch_of(entry, row)
}

/// Whether a row's checksum differs from the file's, whatever the row's state.
fn mismatch_of(entry: &SetEntry, row: &StateRow) -> Option<ChecksumMismatch> {
    let current = entry.revision().checksum();
    let same =
        row.checksum_algorithm == current.algorithm().name() && is_hex_of(&row.checksum, current);
    (!same).then(|| ChecksumMismatch {
        revision: entry.revision().id().clone(),
        file: entry.file_name().to_owned(),
        recorded: row.checksum.clone(),
        current: current.to_string(),
    })
}

/// Whether `text` is exactly what `checksum.to_string()` writes (lowercase hex), without
/// formatting it: this runs for every applied revision at every start.
fn is_hex_of(text: &str, checksum: &Checksum) -> bool {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hex = [0u8; 64];
    for (pair, byte) in hex.chunks_exact_mut(2).zip(checksum.digest()) {
        pair[0] = DIGITS[usize::from(byte >> 4)];
        pair[1] = DIGITS[usize::from(byte & 0xf)];
    }
    text.as_bytes() == hex
}

fn error_position(err: &tokio_postgres::Error) -> Option<usize> {
    match err.as_db_error()?.position()? {
        tokio_postgres::error::ErrorPosition::Original(pos) => Some(*pos as usize),
        tokio_postgres::error::ErrorPosition::Internal { .. } => None,
    }
}

fn sql_failure(
    entry: &SetEntry,
    direction: Direction,
    line: Option<usize>,
    err: tokio_postgres::Error,
) -> Error {
    Error::MigrationFailed {
        revision: entry.revision().id().clone(),
        file: entry.file_name().to_owned(),
        direction,
        line,
        message: describe_db_error(&err),
        source: Some(Box::new(err)),
    }
}

async fn run_rust(
    migration: &dyn crate::migration::Migration,
    client: &Client,
    direction: Direction,
) -> Result<(), crate::migration::BoxError> {
    match direction {
        Direction::Up => migration.up(client).await,
        Direction::Down => migration.down(client).await,
    }
}

/// The digest of these rows, as the triggers compute it; `None` when a checksum is not one
/// this library writes (then only the database can compute it).
fn digest_of_rows(rows: &[StateRow]) -> Option<HistoryDigest> {
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

/// The history row of a migration that ran could not be written (its transaction is
/// rolled back): typically because the migration's code swallowed an error of its own.
fn recording_failure(entry: &SetEntry, direction: Direction, err: tokio_postgres::Error) -> Error {
    let mut message = describe_db_error(&err);
    if err.code() == Some(&tokio_postgres::error::SqlState::IN_FAILED_SQL_TRANSACTION) {
        message.push_str(
            "; a statement of the migration failed and its error was ignored (e.g. `let _ = \
             client.batch_execute(..)`), which aborted the transaction: return the error \
             instead. The migration's transaction was rolled back",
        );
    }
    Error::MigrationFailed {
        revision: entry.revision().id().clone(),
        file: entry.file_name().to_owned(),
        direction,
        line: None,
        message: format!("recording the migration: {message}"),
        source: Some(Box::new(err)),
    }
}

fn not_compiled(entry: &SetEntry) -> Error {
    Error::NotCompiled {
        revision: entry.revision().id().clone(),
        file: entry.file_name().to_owned(),
    }
}

fn rust_failure(entry: &SetEntry, direction: Direction, err: crate::migration::BoxError) -> Error {
    let message = match err.downcast_ref::<tokio_postgres::Error>() {
        Some(db) => describe_db_error(db),
        None => err.to_string(),
    };
    Error::MigrationFailed {
        revision: entry.revision().id().clone(),
        file: entry.file_name().to_owned(),
        direction,
        line: None,
        message,
        source: Some(err),
    }
}

/// Seconds since the Unix epoch, for the "interrupted" marker (no clock crate needed).
fn now_utc_hint() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!("unix time {secs}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applications spawn migrations on multi-threaded runtimes: the futures must be `Send`.
    #[allow(dead_code)]
    fn operations_are_send(migrator: &Migrator, client: &Client, pool: &deadpool_postgres::Pool) {
        fn is_send<T: Send>(_: T) {}
        is_send(migrator.migrate_to_head(client));
        is_send(migrator.downgrade(pool, "base"));
        is_send(migrator.stamp(pool, &["head"], false));
        is_send(migrator.status(pool));
        is_send(migrator.repair(pool));
    }

    fn entry(id: &str, parents: &[&str]) -> SetEntry {
        let revision = crate::Revision::new(id.parse().unwrap())
            .with_parents(parents.iter().map(|p| p.parse().unwrap()).collect());
        let body = Body::Sql {
            up: SqlBody::new("SELECT 1;", 1),
            down: None,
        };
        SetEntry::new(revision, format!("{id}.sql"), body)
    }

    fn applied_row(entry: &SetEntry) -> StateRow {
        StateRow {
            revision: entry.revision().id().to_string(),
            checksum: entry.revision().checksum().to_string(),
            checksum_algorithm: "sha256".to_owned(),
            state: RevisionState::Applied,
            error: None,
            failed_at: None,
        }
    }

    /// Upgrading to `head` or `heads` skips the planner when every revision is applied: that
    /// must be exactly when the planner would find nothing to do.
    #[test]
    fn the_shortcut_at_head_agrees_with_the_planner() {
        let chain = vec![entry("r1", &[]), entry("r2", &["r1"])];
        let two_heads = vec![entry("r1", &[]), entry("a", &["r1"]), entry("b", &["r1"])];
        let merged = [two_heads.clone(), vec![entry("m", &["a", "b"])]].concat();
        // (set, target, whether the shortcut applies with every revision applied)
        let cases = [
            (&chain, "head", true),
            (&chain, "heads", true),
            (&two_heads, "head", false),
            (&two_heads, "heads", true),
            (&merged, "head", true),
            (&merged, "heads", true),
            (&chain, "r2", false),
        ];
        for (entries, target_text, shortcut) in cases {
            let migrator = Migrator::new(MigrationSet::new(entries.clone()).unwrap());
            let target: Target = target_text.parse().unwrap();
            let all: Vec<StateRow> = entries.iter().map(applied_row).collect();
            let checked = migrator.check(Some(all.clone())).unwrap();
            let planned = migrator.plan_for(&checked, &target, Direction::Up);
            let taken = migrator.nothing_to_upgrade(&checked, &target, Direction::Up);
            assert_eq!(
                taken,
                shortcut,
                "{target_text} over {} revisions",
                entries.len()
            );
            if taken {
                assert!(planned.unwrap().is_empty(), "{target_text}");
            }
            assert!(!migrator.nothing_to_upgrade(&checked, &target, Direction::Down));

            // One revision missing, hidden or not by a duplicated row: no shortcut.
            let mut missing = all.clone();
            let last = missing.pop().unwrap();
            let checked = migrator.check(Some(missing.clone())).unwrap();
            assert!(!migrator.nothing_to_upgrade(&checked, &target, Direction::Up));
            missing.push(missing[0].clone());
            let checked = migrator.check(Some(missing)).unwrap();
            assert!(
                !checked.all_applied,
                "a duplicated row is not {}",
                last.revision
            );
        }
    }

    /// What `pelican_state` holds for these rows (what the triggers compute).
    fn stored_digest(rows: &[StateRow]) -> StoredDigest {
        let mut digest = crate::history::HistoryDigest::EMPTY;
        for row in rows {
            let checksum = Checksum::from_hex(crate::ChecksumAlgorithm::Sha256, &row.checksum)
                .expect("test rows have hex checksums");
            digest.add_row(&row.revision, &checksum, row.state == RevisionState::Failed);
        }
        StoredDigest::Current {
            bits: digest.bits_text(),
            revisions: rows.len() as i64,
        }
    }

    /// The start at head skips everything when the stored digest is the set's: that must
    /// happen only when reading every row would find no error and nothing to do, and must
    /// happen whenever every revision is applied (unless `head` is ambiguous).
    #[test]
    fn the_digest_shortcut_agrees_with_the_full_check_and_the_planner() {
        let chain = vec![entry("r1", &[]), entry("r2", &["r1"])];
        let two_heads = vec![entry("r1", &[]), entry("a", &["r1"]), entry("b", &["r1"])];
        let merged = [two_heads.clone(), vec![entry("m", &["a", "b"])]].concat();
        for entries in [&chain, &two_heads, &merged] {
            let migrator = Migrator::new(MigrationSet::new(entries.clone()).unwrap());
            let all: Vec<StateRow> = entries.iter().map(applied_row).collect();
            let mut variants: Vec<(&str, Vec<StateRow>)> = vec![("all applied", all.clone())];
            let mut stamped = all.clone();
            stamped[0].state = RevisionState::Stamped;
            variants.push(("one stamped", stamped));
            variants.push(("one missing", all[1..].to_vec()));
            let mut failed = all.clone();
            failed[1].state = RevisionState::Failed;
            failed[1].error = Some("boom".to_owned());
            variants.push(("one failed", failed));
            let mut changed = all.clone();
            changed[1].checksum = Checksum::of(b"edited").to_string();
            variants.push(("one changed", changed));
            let mut unknown = all.clone();
            unknown.push(StateRow {
                revision: "zz".to_owned(),
                ..all[0].clone()
            });
            variants.push(("one unknown", unknown));
            let mut swapped = all.clone();
            swapped.pop();
            swapped.push(StateRow {
                revision: "zz".to_owned(),
                ..all[0].clone()
            });
            variants.push(("one unknown instead of one missing", swapped));

            for target_text in ["head", "heads"] {
                let target: Target = target_text.parse().unwrap();
                for (what, rows) in &variants {
                    let shortcut = migrator
                        .head_shortcut(&target, Direction::Up)
                        .unwrap()
                        .is_some_and(|at_head| stored_digest(rows).is(&at_head.digest));
                    let full = migrator
                        .check(Some(rows.clone()))
                        .and_then(|checked| migrator.plan_for(&checked, &target, Direction::Up));
                    let nothing_to_do = matches!(&full, Ok(plan) if plan.is_empty());
                    let context = format!("{target_text}, {what}, {} revisions", entries.len());
                    if shortcut {
                        assert!(nothing_to_do, "{context}: {full:?}");
                    }
                    if nothing_to_do && (*what == "all applied" || *what == "one stamped") {
                        assert!(shortcut, "{context}");
                    }
                }
                assert!(migrator
                    .head_shortcut(&target, Direction::Down)
                    .unwrap()
                    .is_none());
            }
        }
    }

    #[test]
    fn an_empty_set_is_at_head_before_the_history_table_exists() {
        let migrator = Migrator::new(MigrationSet::new(Vec::new()).unwrap());
        let checked = migrator.check(None).unwrap();
        for target in ["head", "heads"] {
            let target: Target = target.parse().unwrap();
            assert!(migrator.nothing_to_upgrade(&checked, &target, Direction::Up));
            let plan = migrator.plan_for(&checked, &target, Direction::Up).unwrap();
            assert!(plan.is_empty());
        }
        let one = Migrator::new(MigrationSet::new(vec![entry("r1", &[])]).unwrap());
        let checked = one.check(None).unwrap();
        let head: Target = "head".parse().unwrap();
        assert!(!one.nothing_to_upgrade(&checked, &head, Direction::Up));
    }

    #[test]
    fn recorded_checksums_match_only_their_display_form() {
        for text in ["", "a", "\r\nx"] {
            let checksum = Checksum::of(text.as_bytes());
            let shown = checksum.to_string();
            assert!(is_hex_of(&shown, &checksum));
            assert!(!is_hex_of(&shown.to_uppercase(), &checksum));
            assert!(!is_hex_of(&shown[..62], &checksum));
            assert!(!is_hex_of(&format!("{shown}0"), &checksum));
            assert!(!is_hex_of(&Checksum::of(b"other").to_string(), &checksum));
            assert!(!is_hex_of("", &checksum));
        }
    }
}

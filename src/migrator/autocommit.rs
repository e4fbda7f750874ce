//! `transaction: false` revisions: run statement by statement in autocommit, recorded
//! precisely when one fails, and resumed from the failed statement (`resolve --resume`).
//!
//! Before the first statement the revision's row is marked failed (so a crash part-way leaves
//! a record that blocks later runs). When a statement fails, the server has rolled that one
//! statement back: if it was the first to run, nothing took effect and the row is put back
//! as it was; otherwise the row records which statement failed, so the rest can be resumed.

use std::time::Instant;

use tokio_postgres::Client;

use super::{
    error_position, execute, finish, not_compiled, run_rust, rust_failure, sql_failure, Migrator,
    StepReport,
};
use crate::error::Error;
use crate::history::{Elapsed, RevisionState};
use crate::lock::{announced_pid, Database, LockGuard};
use crate::migration::statements::split_statements;
use crate::migration::{Body, SetEntry};
use crate::plan::Direction;
use crate::sql::guard::{MARK_SESSION, UNMARK_SESSION};
use crate::sql::step::{section, SettingScope, IN_PROGRESS_MARKER};

/// How some statements of a `transaction: false` revision failed.
struct StatementFailure {
    error: Error,
    /// The statement that failed (from 1), when the failure is one statement's.
    statement: Option<u32>,
    /// Whether the server rolled the failed statement back entirely (every statement but the
    /// `CONCURRENTLY` ones, which can leave an invalid index or a pending detach behind).
    atomic: bool,
    /// Whether no statement had succeeded before it in this attempt.
    first_of_attempt: bool,
}

impl StatementFailure {
    /// A failure of the whole revision, not of one statement (a Rust migration, a body that
    /// can't be split, the timeouts that could not be set).
    fn whole(error: Error) -> Self {
        StatementFailure {
            error,
            statement: None,
            atomic: false,
            first_of_attempt: false,
        }
    }

    /// The error text its row records: which statement failed, then why.
    fn recorded_error(&self) -> String {
        match self.statement {
            Some(n) => format!("statement {n} failed: {}", self.error),
            None => self.error.to_string(),
        }
    }

    /// Whether nothing of this attempt took effect.
    fn left_no_trace(&self) -> bool {
        self.statement.is_some() && self.atomic && self.first_of_attempt
    }
}

impl Migrator {
    /// Runs a `transaction: false` revision from its first statement.
    ///
    /// With `mark_session`, the session is marked as pelican's for the DDL guard while it
    /// runs (the advisory lock marks its own session; a lease doesn't).
    pub(super) async fn run_autocommit(
        &self,
        client: &Client,
        mark_session: bool,
        entry: &SetEntry,
        direction: Direction,
        state_before: RevisionState,
    ) -> Result<(), Error> {
        if !mark_session {
            return self
                .run_autocommit_marked(client, entry, direction, state_before)
                .await;
        }
        execute(client, MARK_SESSION, "marking the session as pelican's").await?;
        let outcome = self
            .run_autocommit_marked(client, entry, direction, state_before)
            .await;
        let _ = client.batch_execute(UNMARK_SESSION).await;
        outcome
    }

    async fn run_autocommit_marked(
        &self,
        client: &Client,
        entry: &SetEntry,
        direction: Direction,
        state_before: RevisionState,
    ) -> Result<(), Error> {
        let steps = self.step_sql();
        let interrupted = format!(
            "{IN_PROGRESS_MARKER} the {direction} started at {} did not finish",
            super::now_utc_hint()
        );
        let marker = steps.in_progress_marker(entry, direction, &interrupted);
        execute(client, &marker, "marking the revision as in progress").await?;
        let started = Instant::now();
        let id = entry.revision().id().as_str();
        match self.run_statements(client, entry, direction, 1).await {
            Ok(()) => {
                let elapsed = Elapsed::Measured(started.elapsed());
                execute(
                    client,
                    &steps.autocommit_finish(entry, direction, elapsed),
                    "recording the migration",
                )
                .await
            }
            Err(failure) => {
                let sql = if failure.left_no_trace() {
                    // Nothing took effect: the history stays exactly as before the run.
                    self.history.unmark_running_sql(id, direction, state_before)
                } else {
                    self.history.mark_failed_sql(
                        id,
                        failure.statement,
                        Elapsed::Measured(started.elapsed()),
                        &failure.recorded_error(),
                    )
                };
                if let Err(err) = client.batch_execute(&sql).await {
                    tracing::warn!(error = %err, "could not record the failed revision");
                }
                Err(failure.error)
            }
        }
    }

    /// Finishes a failed `transaction: false` revision whose row says which statement
    /// failed: runs that statement and the rest of its section, then records the revision
    /// as the finished upgrade (or downgrade) would have. Fix what made the statement fail
    /// first. When it fails again, the row records the new failed statement.
    ///
    /// ```no_run
    /// # async fn f(pool: deadpool_postgres::Pool, migrator: pelican::Migrator) -> Result<(), pelican::Error> {
    /// let step = migrator.resume(&pool, "3f2a9c1d7b4e").await?;
    /// println!("{} {} finished in {:?}", step.direction, step.revision, step.duration);
    /// # Ok(()) }
    /// ```
    pub async fn resume(&self, db: &impl Database, revision: &str) -> Result<StepReport, Error> {
        let connection = db.connection().await?;
        self.refuse_on_standby(&connection, "resume").await?;
        let guard = self.lock.acquire(db, connection, self.lock_wait).await?;
        let result = async {
            let client = guard.client();
            let rows = self.read_rows_locked(client).await?;
            let row = rows
                .iter()
                .find(|r| r.revision == revision && r.state == RevisionState::Failed);
            let Some(row) = row else {
                return Err(Error::NotFailed {
                    revision: revision.to_owned(),
                    state: rows
                        .iter()
                        .find(|r| r.revision == revision)
                        .map_or("not recorded".to_owned(), |r| r.state.to_string()),
                });
            };
            let cannot = |reason: String| Error::CannotResume {
                revision: revision.to_owned(),
                reason,
            };
            let entry = self
                .set
                .get(revision)
                .ok_or_else(|| cannot("this application does not know it".to_owned()))?;
            let Some(failed_at) = row.failed_at else {
                return Err(cannot(
                    "its row does not say which statement failed (it was interrupted, or it \
                     is a Rust migration): finish or undo it by hand, then record the outcome \
                     with --applied or --forget"
                        .to_owned(),
                ));
            };
            if let Some(changed) = super::mismatch_of(entry, row) {
                return Err(cannot(format!(
                    "its file {} changed since it failed (recorded checksum {}, file now {}), \
                     so its statements may not be numbered as they were; restore the file, or \
                     finish it by hand and record the outcome with --applied or --forget",
                    changed.file, changed.recorded, changed.current
                )));
            }
            self.step_sql().check(entry.revision())?;
            let direct = self.autocommit_connection(&guard, entry).await?;
            let on = direct.as_ref().unwrap_or(client);
            let mark_session = !guard.marks_session();
            if mark_session {
                execute(on, MARK_SESSION, "marking the session as pelican's").await?;
            }
            let started = Instant::now();
            let direction = failed_at.direction;
            let outcome = self
                .run_statements(on, entry, direction, failed_at.statement)
                .await;
            if mark_session {
                let _ = on.batch_execute(UNMARK_SESSION).await;
            }
            let elapsed = Elapsed::Measured(started.elapsed());
            let sql = match &outcome {
                Ok(()) => self.step_sql().resumed_finish(entry, direction, elapsed),
                Err(failure) => self.history.mark_failed_sql(
                    revision,
                    failure.statement,
                    elapsed,
                    &failure.recorded_error(),
                ),
            };
            execute(client, &sql, "recording the resumed revision").await?;
            self.verify_digest(client, outcome.is_ok()).await?;
            outcome.map_err(|failure| failure.error)?;
            tracing::info!(%revision, %direction, from = failed_at.statement, "resumed");
            Ok(StepReport {
                revision: entry.revision().id().clone(),
                direction,
                duration: started.elapsed(),
            })
        }
        .await;
        finish(guard, result).await
    }

    /// The connection a `transaction: false` revision runs on when the lock's connection
    /// can't run it: `None` for the lock's own connection; a direct connection
    /// ([`Migrator::direct_url`]) when the lock's goes through a pooler; an error naming
    /// `entry` when it does and no direct connection was given.
    pub(super) async fn autocommit_connection(
        &self,
        guard: &LockGuard<'_>,
        entry: &SetEntry,
    ) -> Result<Option<Client>, Error> {
        if !guard.behind_pooler() {
            return Ok(None);
        }
        let Some(url) = &self.direct_url else {
            return Err(Error::NotTransactionalBehindPooler {
                revision: entry.revision().id().clone(),
                file: entry.file_name().to_owned(),
            });
        };
        open_direct(url).await.map(Some)
    }

    /// Runs a revision's statements from statement `from` (from 1) with the revision's
    /// timeouts, putting the session's own timeouts back afterwards.
    async fn run_statements(
        &self,
        client: &Client,
        entry: &SetEntry,
        direction: Direction,
        from: u32,
    ) -> Result<(), StatementFailure> {
        let timeouts = self
            .step_sql()
            .timeouts(entry.revision(), SettingScope::Session);
        let mut restore = String::new();
        if !timeouts.is_empty() {
            // Put the session's own values back afterwards: it may be the application's.
            let saved = client
                .query_one(
                    "SELECT current_setting('lock_timeout'), current_setting('statement_timeout')",
                    &[],
                )
                .await
                .map_err(|e| {
                    StatementFailure::whole(Error::database("reading the session's timeouts", e))
                })?;
            restore = format!(
                "SET lock_timeout = {}; SET statement_timeout = {}",
                crate::quote::literal(saved.get(0)),
                crate::quote::literal(saved.get(1))
            );
            execute(client, &timeouts, "setting the revision's timeouts")
                .await
                .map_err(StatementFailure::whole)?;
        }
        let outcome = self.run_body(client, entry, direction, from).await;
        if !restore.is_empty() {
            let _ = client.batch_execute(&restore).await;
        }
        outcome
    }

    async fn run_body(
        &self,
        client: &Client,
        entry: &SetEntry,
        direction: Direction,
        from: u32,
    ) -> Result<(), StatementFailure> {
        let (up, down) = match entry.body() {
            Body::Sql { up, down } => (up, down),
            Body::Rust(migration) => {
                return run_rust(migration.as_ref(), client, direction)
                    .await
                    .map_err(|err| StatementFailure::whole(rust_failure(entry, direction, err)))
            }
            Body::RustNotCompiled => return Err(StatementFailure::whole(not_compiled(entry))),
        };
        let body = section(entry, direction, up, down.as_ref());
        let statements = split_statements(body.sql()).map_err(|err| {
            StatementFailure::whole(Error::MigrationFailed {
                revision: entry.revision().id().clone(),
                file: entry.file_name().to_owned(),
                direction,
                line: Some(body.first_line() + err.line() - 1),
                message: err.to_string(),
                source: Some(Box::new(err)),
            })
        })?;
        let skip = usize::try_from(from.saturating_sub(1)).unwrap_or(usize::MAX);
        if skip >= statements.len() && skip > 0 {
            return Err(StatementFailure::whole(Error::CannotResume {
                revision: entry.revision().id().to_string(),
                reason: format!(
                    "its {direction} section has {} statements, and the row says statement \
                     {from} failed",
                    statements.len()
                ),
            }));
        }
        for (index, statement) in statements.iter().enumerate().skip(skip) {
            // One statement per query: several would form an implicit transaction.
            if let Err(err) = client.batch_execute(statement.sql()).await {
                let line = error_position(&err)
                    .map(|pos| body.first_line() + statement.input_line_of_position(pos) - 1)
                    .or(Some(body.first_line() + statement.first_line() - 1));
                // A server error means the server rolled the statement back; a broken
                // connection leaves its outcome unknown.
                let atomic = err.as_db_error().is_some() && !is_concurrent(statement.sql());
                return Err(StatementFailure {
                    error: sql_failure(entry, direction, line, err),
                    statement: u32::try_from(index + 1).ok(),
                    atomic,
                    first_of_attempt: index == skip,
                });
            }
        }
        Ok(())
    }
}

/// Opens the direct connection `url` names (without TLS), and checks that it reaches
/// PostgreSQL itself, not a pooler (see `crate::lock`).
async fn open_direct(url: &str) -> Result<Client, Error> {
    let failed = |reason: String| Error::DirectConnection {
        url: crate::conninfo::redact(url),
        reason,
    };
    let config: tokio_postgres::Config = url
        .parse()
        .map_err(|err| failed(format!("is not a valid connection string: {err}")))?;
    let (client, connection) = config.connect(tokio_postgres::NoTls).await.map_err(|err| {
        failed(format!(
            "could not be opened: {}",
            crate::error::describe_db_error(&err)
        ))
    })?;
    tokio::spawn(async move {
        // Errors on the connection surface as errors of the queries that use it.
        let _ = connection.await;
    });
    let backend = client
        .query_one("SELECT pg_catalog.pg_backend_pid()", &[])
        .await
        .map_err(|err| failed(format!("failed: {}", crate::error::describe_db_error(&err))))?
        .get::<_, i32>(0);
    if announced_pid(&client).await != Some(backend) {
        return Err(failed(
            "goes through a connection pooler too; give the address of the PostgreSQL server \
             itself"
                .to_owned(),
        ));
    }
    Ok(client)
}

/// Whether a statement is one of the `CONCURRENTLY` forms, whose failure can leave work
/// behind (an invalid index, a partition pending detach). Any mention counts: erring this
/// way only keeps a failed row that a clean failure would not need.
fn is_concurrent(sql: &str) -> bool {
    sql.to_ascii_uppercase().contains("CONCURRENTLY")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_atomic_first_statement_leaves_no_trace() {
        let failure = |statement, atomic, first_of_attempt| StatementFailure {
            error: Error::UnknownRevision { id: "x".into() },
            statement,
            atomic,
            first_of_attempt,
        };
        assert!(failure(Some(1), true, true).left_no_trace());
        assert!(!failure(Some(2), true, false).left_no_trace());
        assert!(!failure(Some(1), false, true).left_no_trace());
        assert!(!failure(None, false, true).left_no_trace());
        assert!(is_concurrent("create index concurrently i on t (a)"));
        assert!(!is_concurrent("CREATE INDEX i ON t (a)"));
    }
}

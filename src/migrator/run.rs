//! Executing a plan: the start at head, the checks, the lock, each step in its transaction,
//! progress and failures.

use std::collections::HashSet;
use std::time::Instant;

use tokio_postgres::Client;
use tracing::Instrument;

use super::*;
use crate::error::Error;
use crate::history::{Elapsed, Operation, RevisionState, StateRow, StoredDigest};
use crate::lock::{Database, LockGuard};
use crate::migration::{AtHead, Body, SetEntry};
use crate::plan::{Direction, Plan, Planner};
use crate::revision::RevisionId;
use crate::sql::step::*;
use crate::target::Target;

impl Migrator {
    pub(super) async fn run(
        &self,
        db: &impl Database,
        target: &str,
        direction: Direction,
    ) -> Result<Report, Error> {
        let started = Instant::now();
        let span =
            tracing::info_span!("pelican.run", %target, %direction, schema = self.history.schema());
        async {
            self.check_options()?;
            let target: Target = target.parse()?;
            let connection = db.connection().await?;
            // The common case, at every application start: one query reading one row, no
            // lock, and the set's entries and graph not even built.
            let mut layout_missing = false;
            let operation = direction.verb();
            if let Some(at_head) = self.head_shortcut(&target, direction)? {
                let probe = self.history.probe_digest(&connection).await?;
                self.refuse_standby(&connection, probe.in_recovery, operation)
                    .await?;
                let digest = probe.digest;
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
            self.refuse_standby(&connection, probe.in_recovery, operation)
                .await?;
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
            let guard = self.lock.acquire(db, connection, self.lock_wait).await?;
            let result = async {
                let client = guard.client();
                let checked = self.prepare_locked(client).await?;
                // Another migrator may have run (part of) the plan while we waited.
                let plan = self.plan_for(&checked, &target, direction)?;
                let outcome = self.execute_plan(&guard, &plan, &checked).await;
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
    pub(super) fn head_shortcut(
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
    pub(super) async fn read_checked(&self, client: &Client) -> Result<Checked, Error> {
        let rows = self.history.read_state(client).await?;
        self.check(rows)
    }

    pub(super) fn check(&self, rows: Option<Vec<StateRow>>) -> Result<Checked, Error> {
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
    pub(super) fn nothing_to_upgrade(
        &self,
        checked: &Checked,
        target: &Target,
        direction: Direction,
    ) -> bool {
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

    pub(super) fn plan_for(
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

    pub(super) fn entry(&self, id: &RevisionId) -> &SetEntry {
        self.set
            .get(id.as_str())
            .expect("plans only name revisions of the set")
    }

    pub(super) async fn execute_plan(
        &self,
        guard: &LockGuard<'_>,
        plan: &Plan,
        checked: &Checked,
    ) -> Result<Report, Error> {
        let client = guard.client();
        // Refuse what can't run before anything runs.
        let steps = self.step_sql();
        let mut autocommit = None;
        for step in plan.steps() {
            let entry = self.entry(&step.revision);
            steps.check(entry.revision())?;
            if !entry.revision().is_transactional() && autocommit.is_none() {
                // Behind a pooler: a direct connection, or a refusal.
                autocommit = Some(self.autocommit_connection(guard, entry).await?);
            }
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
            execute(
                client,
                &steps.plan_begin(),
                "starting the plan's transaction",
            )
            .await?;
        }
        let direct = autocommit.flatten();
        let mut run = PlanRun {
            steps: plan.steps(),
            report: Report::default(),
            announced: 0,
            autocommit: direct.as_ref().unwrap_or(client),
            mark_session: !guard.marks_session(),
        };
        let total = run.steps.len();
        let mut index = 0;
        // A revision the server could not parse while it came in a pipeline: the revisions
        // before it run first, then it fails, as it would have without the pipeline.
        let mut unparsed: Option<(usize, Error)> = None;
        while index < total {
            guard.keep_alive().await?;
            if unparsed.as_ref().is_some_and(|(at, _)| *at == index) {
                let (_, err) = unparsed.take().expect("checked");
                let step = &run.steps[index];
                self.announce(&mut run, index);
                self.log_failure(client, self.entry(&step.revision), step.direction, &err)
                    .await;
                return Err(err);
            }
            let end = unparsed.as_ref().map_or(total, |(at, _)| *at);
            if self.pipeline && !whole_plan {
                let pipeline = self.pipeline_of(&run.steps[index..end]);
                if pipeline.len() >= 2 {
                    match self.run_pipeline(client, &mut run, index, &pipeline).await {
                        PipelineOutcome::Done => index += pipeline.len(),
                        PipelineOutcome::Failed(err) => return Err(err),
                        PipelineOutcome::Unparsed {
                            committed,
                            at,
                            error,
                        } => {
                            unparsed = Some((index + at, error));
                            index += committed;
                        }
                    }
                    continue;
                }
            }
            self.run_step(client, &mut run, index, checked, whole_plan)
                .await?;
            index += 1;
        }
        if whole_plan {
            execute(client, "COMMIT", "committing the plan's transaction").await?;
        }
        Ok(run.report)
    }

    /// Runs one revision on its own (one round trip for a transactional SQL revision).
    async fn run_step(
        &self,
        client: &Client,
        run: &mut PlanRun<'_>,
        index: usize,
        checked: &Checked,
        whole_plan: bool,
    ) -> Result<(), Error> {
        let step = &run.steps[index];
        let entry = self.entry(&step.revision);
        self.announce(run, index);
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
            self.run_autocommit(
                run.autocommit,
                run.mark_session,
                entry,
                step.direction,
                state_before,
            )
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
        self.finished(run, index, started.elapsed(), &span);
        Ok(())
    }

    /// Gives the `Started` event of step `index`, unless it was given already.
    pub(super) fn announce(&self, run: &mut PlanRun<'_>, index: usize) {
        if index < run.announced {
            return;
        }
        run.announced = index + 1;
        let step = &run.steps[index];
        self.report_progress(Progress::Started {
            revision: step.revision.clone(),
            direction: step.direction,
            position: index + 1,
            total: run.steps.len(),
        });
    }

    /// Step `index` ran and was recorded: its tracing event (in `span`), its report and its
    /// `Finished` event.
    pub(super) fn finished(
        &self,
        run: &mut PlanRun<'_>,
        index: usize,
        duration: std::time::Duration,
        span: &tracing::Span,
    ) {
        let step = &run.steps[index];
        span.in_scope(|| {
            tracing::info!(revision = %step.revision, direction = %step.direction, duration_ms = duration.as_millis() as u64, "{} {}", step.direction, step.revision);
        });
        run.report.steps.push(StepReport {
            revision: step.revision.clone(),
            direction: step.direction,
            duration,
        });
        self.report_progress(Progress::Finished {
            revision: step.revision.clone(),
            direction: step.direction,
            position: index + 1,
            total: run.steps.len(),
            duration,
        });
    }

    /// The builder of the SQL text each step sends.
    pub(super) fn step_sql(&self) -> StepSql<'_> {
        StepSql {
            history: &self.history,
            lock_timeout: self.lock_timeout,
            statement_timeout: self.statement_timeout,
            mark: true,
        }
    }

    /// Runs a revision in a transaction (its own, or the plan's).
    pub(super) async fn run_transactional(
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
    pub(super) async fn log_failure(
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

//! The SQL text of a step, without any I/O: a transactional revision with its history and log
//! rows, a `transaction: false` revision's markers, a stamp, the timeout settings. The
//! migrator sends it and [`crate::offline`] prints it, so an offline script is what an online
//! run sends, by construction. Below both of them: it knows nothing of connections.

use std::time::Duration;

use super::guard::MARK_LOCAL;
use super::history::{Elapsed, History, NewRow, Operation, RevisionState, STEP_MARK};
use crate::migration::{SetEntry, SqlBody};
use crate::plan::Direction;
use crate::revision::{check_setting_millis, Revision, RevisionId, TimeoutTooLong};

/// A timeout as PostgreSQL takes it: checked (at most [`MAX_TIMEOUT`](crate::revision::MAX_TIMEOUT))
/// and in whole milliseconds, a nonzero timeout under 1 ms being 1 ms (not 0, which would mean
/// none).
pub(crate) fn checked_timeout(
    setting: &'static str,
    timeout: Option<Duration>,
) -> Result<Option<Duration>, TimeoutTooLong> {
    timeout
        .map(|timeout| check_setting_millis(setting, timeout))
        .transpose()
        .map(|millis| millis.map(|millis| Duration::from_millis(millis.into())))
}

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
    /// Whether each transaction marks itself as pelican's for the DDL guard
    /// ([`MARK_LOCAL`]): online runs do, so that nothing relies on the session (which a
    /// connection pooler does not keep); offline scripts don't.
    pub(crate) mark: bool,
}

impl StepSql<'_> {
    /// What starts a transaction of the whole plan.
    pub(crate) fn plan_begin(&self) -> String {
        format!("BEGIN;\n{}", self.mark_local())
    }

    /// [`MARK_LOCAL`] when transactions mark themselves, else nothing.
    fn mark_local(&self) -> &'static str {
        if self.mark {
            MARK_LOCAL
        } else {
            ""
        }
    }

    /// The `SET` statements of the timeouts that apply to `revision`; empty when none do.
    pub(crate) fn timeouts(&self, revision: &Revision, scope: SettingScope) -> String {
        let scope = match scope {
            SettingScope::Local => "LOCAL",
            SettingScope::Session => "SESSION",
        };
        let mut sql = String::new();
        for (setting, own, run) in self.timeout_settings(revision) {
            // Checked before the run (`check`); unchecked, PostgreSQL refuses it by name.
            let timeout = checked_timeout(setting, own.or(run)).unwrap_or(own.or(run));
            if let Some(t) = timeout {
                sql.push_str(&format!("SET {scope} {setting} = {};\n", t.as_millis()));
            }
        }
        sql
    }

    /// Checks the timeouts `revision` runs with (its own and the run's) before anything runs.
    pub(crate) fn check(&self, revision: &Revision) -> Result<(), TimeoutTooLong> {
        for (setting, own, run) in self.timeout_settings(revision) {
            checked_timeout(setting, own.or(run))?;
        }
        Ok(())
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

    /// A transactional SQL revision in a pipeline (see [`super::pipeline`]): as
    /// [`transactional`](Self::transactional) in its own transaction, but its transaction
    /// first sets [`STEP_MARK`], and its history rows take their times from it (in a pipeline
    /// `now()` is when the server received the whole message).
    pub(crate) fn pipelined(
        &self,
        entry: &SetEntry,
        body: &SqlBody,
        direction: Direction,
    ) -> TransactionalSql {
        let timeouts = self.timeouts(entry.revision(), SettingScope::Local);
        let prefix = format!("BEGIN;\n{STEP_MARK}{}{timeouts}", self.mark_local());
        let record = self.record(entry, direction, Elapsed::SinceStepMark);
        TransactionalSql {
            sql: format!("{prefix}{}\n;\n{record}COMMIT;", body.sql()),
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
            return (
                format!("BEGIN;\n{}{timeouts}", self.mark_local()),
                "COMMIT;".to_owned(),
            );
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

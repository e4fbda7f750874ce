//! What one check of `check` reports, and the exit status each check fails with.

/// The exit status of `check` when a check fails. When several fail, the lowest applies;
/// `--json` lists them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum CheckStatus {
    /// 3: the revision graph has several heads (merge them, or they can't all be `head`).
    SeveralHeads = 3,
    /// 4: a revision is marked failed in the history table (see `pelican resolve`).
    FailedRevision = 4,
    /// 5: applied migration files changed since they ran (see `pelican repair`).
    ChangedFiles = 5,
    /// 6: the database records revisions these migrations don't have.
    UnknownApplied = 6,
    /// 7: revisions are pending: the database is not at its heads.
    Pending = 7,
    /// 8: the linter finds errors in the revisions still to run (every revision with
    /// `--files-only`; see `pelican lint`).
    Lint = 8,
    /// 9: the migrations at their heads differ from the desired schema (`desired_schema`
    /// in pelican.toml, or `--desired-schema`): a revision is missing (Alembic's `check`).
    DesiredSchema = 9,
    /// 10: the database differs from a replay of the revisions it has applied: something
    /// changed outside migrations (see `pelican drift`).
    Drift = 10,
}

impl CheckStatus {
    /// The exit status.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The check's name in `--json` output.
    pub fn name(self) -> &'static str {
        match self {
            CheckStatus::SeveralHeads => "heads",
            CheckStatus::FailedRevision => "failed",
            CheckStatus::ChangedFiles => "checksums",
            CheckStatus::UnknownApplied => "unknown",
            CheckStatus::Pending => "pending",
            CheckStatus::Lint => "lint",
            CheckStatus::DesiredSchema => "schema",
            CheckStatus::Drift => "drift",
        }
    }
}

/// One check of `check`.
pub(super) struct CheckResult {
    pub(super) status: CheckStatus,
    pub(super) failed: bool,
    pub(super) message: String,
    pub(super) revisions: Vec<String>,
    /// Lines shown under the result (the differences, the SQL).
    pub(super) details: Vec<String>,
    /// Why the check could not run, when it couldn't (not a failure).
    pub(super) skipped: Option<String>,
}

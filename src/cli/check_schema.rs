//! `check`'s two schema checks: the migrations against the desired schema (Alembic's
//! `check`), and the database against a replay of what it has applied (drift). Both build
//! schemas in scratch databases; without a server for them, they are skipped, not failed.

use std::path::Path;

use tokio_postgres::Client;

use super::check_result::{CheckResult, CheckStatus};
use super::describe::count;
use crate::autogen::{script, PlannedStatement};
use crate::scratch::ScratchError;
use crate::Migrator;

/// The result of a check that could not run.
fn skipped(status: CheckStatus, what: &str, error: &ScratchError) -> CheckResult {
    CheckResult {
        status,
        failed: false,
        message: format!("{what}: not checked"),
        revisions: Vec::new(),
        details: Vec::new(),
        skipped: Some(error.to_string()),
    }
}

/// The differences, then the SQL that reconciles them, for the lines under a failed check.
fn details(differences: &[String], comment: &str, statements: &[PlannedStatement]) -> Vec<String> {
    let mut lines: Vec<String> = differences.to_vec();
    lines.push(comment.to_owned());
    lines.extend(script(statements).trim_end().lines().map(str::to_owned));
    lines
}

/// Status 9: the migrations at their heads against the desired schema at `path`.
pub(super) async fn desired_schema(
    migrator: &Migrator,
    path: &Path,
    dev_url: Option<&str>,
    program: &str,
) -> Result<CheckResult, ScratchError> {
    let what = format!(
        "the migrations against the desired schema {}",
        path.display()
    );
    let comparison = match migrator.compare_with_desired_schema(path, dev_url).await {
        Ok(comparison) => comparison,
        Err(
            error @ (ScratchError::NoServer(_) | ScratchError::Server(_) | ScratchError::Replay(_)),
        ) => return Ok(skipped(CheckStatus::DesiredSchema, &what, &error)),
        Err(error) => return Err(error),
    };
    let failed = !comparison.differences.is_empty();
    Ok(CheckResult {
        status: CheckStatus::DesiredSchema,
        failed,
        message: if failed {
            format!(
                "the migrations at their heads differ from the desired schema {} in {} \
                 (`{program} revision --autogenerate -m MESSAGE` writes the revision):",
                path.display(),
                count(comparison.differences.len(), "place")
            )
        } else {
            format!("the migrations match the desired schema {}", path.display())
        },
        revisions: Vec::new(),
        details: if failed {
            details(
                &comparison.differences,
                "-- the SQL a new revision would run:",
                &comparison.plan.up,
            )
        } else {
            Vec::new()
        },
        skipped: None,
    })
}

/// Status 10: the database against a replay of the revisions it has applied.
pub(super) async fn drift(
    migrator: &Migrator,
    client: &Client,
    dev_url: Option<&str>,
    program: &str,
) -> Result<CheckResult, ScratchError> {
    let mut drift = migrator.drift(client);
    if let Some(url) = dev_url {
        drift = drift.dev_url(url);
    }
    let report = match drift.run().await {
        Ok(report) => report,
        // No server; revisions that can't be replayed (the checks above say why).
        Err(
            error @ (ScratchError::NoServer(_)
            | ScratchError::Server(_)
            | ScratchError::UnknownApplied { .. }
            | ScratchError::Replay(_)),
        ) => return Ok(skipped(CheckStatus::Drift, "drift", &error)),
        Err(error) => return Err(error),
    };
    let failed = report.has_drift();
    Ok(CheckResult {
        status: CheckStatus::Drift,
        failed,
        message: if failed {
            format!(
                "the database differs from its applied revisions in {} (changed outside \
                 migrations; `{program} drift` shows more):",
                count(report.differences.len(), "place")
            )
        } else {
            "the database matches its applied revisions (no drift)".to_owned()
        },
        revisions: Vec::new(),
        details: if failed {
            let mut lines = report.differences.clone();
            if let Some(entries) = &report.ddl_log {
                lines.extend(entries.iter().map(|entry| format!("by: {entry}")));
            }
            details(
                &lines,
                "-- the SQL that puts the database back (or adopt the change with `drift --fix-revision`):",
                &report.plan.down,
            )
        } else {
            Vec::new()
        },
        skipped: None,
    })
}

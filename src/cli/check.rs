//! `check`: the database compared with the migrations, each problem with an exit status of
//! its own, for CI and deploy scripts.

use serde_json::json;

use super::args::CheckArgs;
use super::check_result::{CheckResult, CheckStatus};
use super::check_schema;
use super::describe::count;
use super::error::CliError;
use super::output::Paint;
use super::Context;

/// `check`.
pub(crate) async fn check(ctx: &mut Context, args: &CheckArgs) -> Result<(), CliError> {
    let set = ctx.migrations()?;
    let program = ctx.program.clone();
    let mut results = Vec::new();

    let heads: Vec<String> = set.graph().heads().iter().map(|h| h.to_string()).collect();
    results.push(CheckResult {
        status: CheckStatus::SeveralHeads,
        failed: heads.len() > 1,
        message: match heads.len() {
            0 => "no revisions yet".to_owned(),
            1 => format!("a single head: {}", heads[0]),
            _ => format!(
                "several heads: {} (merge them with `{program} merge heads -m MESSAGE`)",
                heads.join(", ")
            ),
        },
        revisions: heads,
        details: Vec::new(),
        skipped: None,
    });

    // Linted: the revisions still to run (every one without a database).
    let mut to_lint: Option<Vec<String>> = None;
    let mut database = None;
    if !args.files_only {
        let client = &*database.insert(ctx.connect().await?);
        let status = ctx.migrator(set.clone()).status(client).await?;
        let failed: Vec<String> = status.failed.iter().map(|(r, _)| r.clone()).collect();
        results.push(CheckResult {
            status: CheckStatus::FailedRevision,
            failed: !failed.is_empty(),
            message: if failed.is_empty() {
                "no revision is marked failed".to_owned()
            } else {
                format!(
                    "marked failed: {} (`{program} status` says how far it got; then \
                     `{program} resolve REV --resume`, `--applied` or `--forget`)",
                    failed.join(", ")
                )
            },
            revisions: failed,
            details: Vec::new(),
            skipped: None,
        });
        let changed: Vec<String> = status
            .checksum_mismatches
            .iter()
            .map(|m| m.revision.to_string())
            .collect();
        results.push(CheckResult {
            status: CheckStatus::ChangedFiles,
            failed: !changed.is_empty(),
            message: if changed.is_empty() {
                "applied files are unchanged".to_owned()
            } else {
                format!(
                    "applied files changed since they ran: {} (restore them, or accept them \
                     with `{program} repair`)",
                    status
                        .checksum_mismatches
                        .iter()
                        .map(|m| format!("{} ({})", m.revision, m.file))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
            revisions: changed,
            details: Vec::new(),
            skipped: None,
        });
        results.push(CheckResult {
            status: CheckStatus::UnknownApplied,
            failed: !status.unknown.is_empty(),
            message: if status.unknown.is_empty() {
                "every applied revision is known".to_owned()
            } else {
                format!(
                    "the database has revisions these migrations don't: {}",
                    status.unknown.join(", ")
                )
            },
            revisions: status.unknown.clone(),
            details: Vec::new(),
            skipped: None,
        });
        let pending: Vec<String> = status.pending.iter().map(|p| p.to_string()).collect();
        to_lint = Some(pending.clone());
        results.push(CheckResult {
            status: CheckStatus::Pending,
            failed: !pending.is_empty(),
            message: if pending.is_empty() {
                "nothing pending: the database is at its heads".to_owned()
            } else {
                format!(
                    "{} pending: {} (run `{program} upgrade heads`)",
                    count(pending.len(), "revision"),
                    pending.join(", ")
                )
            },
            revisions: pending,
            details: Vec::new(),
            skipped: None,
        });
    }

    let lint_errors: Vec<crate::lint::Finding> = ctx
        .settings
        .lint
        .lint(&set, to_lint.as_deref())
        .into_iter()
        .filter(|f| f.severity == crate::lint::Severity::Error)
        .collect();
    let mut linted: Vec<String> = lint_errors
        .iter()
        .filter_map(|f| f.revision.clone())
        .collect();
    linted.dedup();
    let scope = if to_lint.is_some() {
        "pending revisions"
    } else {
        "revisions"
    };
    results.push(CheckResult {
        status: CheckStatus::Lint,
        failed: !lint_errors.is_empty(),
        message: if lint_errors.is_empty() {
            format!("no lint error in the {scope}")
        } else {
            format!(
                "{} in {}: {} (`{program} lint` shows them)",
                count(lint_errors.len(), "lint error"),
                scope,
                linted.join(", ")
            )
        },
        revisions: linted,
        details: Vec::new(),
        skipped: None,
    });

    let dev_url = ctx.dev_url(args.dev_url.as_ref());
    let desired = args
        .desired_schema
        .clone()
        .or_else(|| ctx.settings.desired_schema.clone());
    let migrator = ctx.migrator(set.clone());
    if let Some(path) = desired {
        results.push(
            check_schema::desired_schema(&migrator, &path, dev_url.as_deref(), &program).await?,
        );
    }
    if let Some(client) = &database {
        results.push(check_schema::drift(&migrator, client, dev_url.as_deref(), &program).await?);
    }

    let worst = results.iter().filter(|r| r.failed).map(|r| r.status).min();
    if args.json {
        ctx.out.print_json(&json!({
            "ok": worst.is_none(),
            "exit_status": worst.map_or(0, CheckStatus::code),
            "checks": results.iter().map(|r| json!({
                "name": r.status.name(),
                "ok": !r.failed,
                "exit_status": r.status.code(),
                "message": r.message,
                "revisions": r.revisions,
                "details": r.details,
                "skipped": r.skipped,
            })).collect::<Vec<_>>(),
        }));
    } else {
        let style = ctx.out.out_style;
        for result in &results {
            let mark = if result.failed {
                style.paint(Paint::Bad, "FAIL")
            } else if result.skipped.is_some() {
                "skip".to_owned()
            } else {
                style.paint(Paint::Good, "ok  ")
            };
            ctx.out.print(format!("{mark} {}", result.message));
            if let Some(why) = &result.skipped {
                ctx.out.print(format!("     {why}"));
            }
            for line in &result.details {
                ctx.out.print(format!("     {line}"));
            }
        }
    }
    match worst {
        None => Ok(()),
        Some(status) => {
            let failed: Vec<&str> = results
                .iter()
                .filter(|r| r.failed)
                .map(|r| r.status.name())
                .collect();
            Err(CliError::CheckFailed {
                summary: format!(
                    "{} failed: {}",
                    count(failed.len(), "check"),
                    failed.join(", ")
                ),
                status: status.code(),
            })
        }
    }
}

//! `fleet status|current|check`: where every target of a fleet stands, read without changing
//! anything.

use serde_json::json;

use super::args::{FleetCheckArgs, FleetTargetArgs};
use super::check_result::CheckStatus;
use super::error::CliError;
use super::fleet_targets::fleet_of;
use super::Context;
use crate::fleet::{TargetDrift, TargetStatus};

/// `fleet status`.
pub(super) async fn status(ctx: &mut Context, args: &FleetTargetArgs) -> Result<(), CliError> {
    let statuses = fleet_of(ctx, args).await?.status().await?;
    print_statuses(ctx, &statuses, args.json);
    Ok(())
}

/// `fleet current`: each target's heads (and a failed revision beside them).
pub(super) async fn current(ctx: &mut Context, args: &FleetTargetArgs) -> Result<(), CliError> {
    let statuses = fleet_of(ctx, args).await?.status().await?;
    if args.json {
        ctx.out
            .print_json(&json!(statuses.iter().map(status_json).collect::<Vec<_>>()));
        return Ok(());
    }
    for target in &statuses {
        let line = match &target.status {
            Ok(status) => {
                let mut shown: Vec<String> = status
                    .current_heads
                    .iter()
                    .map(ToString::to_string)
                    .collect();
                shown.extend(status.failed.iter().map(|(r, _)| format!("{r} (failed)")));
                if shown.is_empty() {
                    "no revision applied".to_owned()
                } else {
                    shown.join(", ")
                }
            }
            Err(error) => format!("unreadable: {error}"),
        };
        ctx.out.print(format!("{}: {line}", target.target));
    }
    Ok(())
}

/// `fleet check`: fails when a target is behind or failed, with `check`'s statuses, and
/// with `--drift` when a target's schema differs from what its revisions give.
pub(super) async fn check(ctx: &mut Context, args: &FleetCheckArgs) -> Result<(), CliError> {
    let fleet = fleet_of(ctx, &args.targets).await?;
    let statuses = fleet.status().await?;
    if args.targets.json && args.drift {
        // One JSON document: the statuses with their drift, printed below.
        say_totals(ctx, &statuses);
    } else {
        print_statuses(ctx, &statuses, args.targets.json);
    }
    let failed = statuses
        .iter()
        .filter(|t| t.status.as_ref().map_or(true, |s| !s.failed.is_empty()))
        .count();
    let behind = statuses.iter().filter(|t| !t.is_current()).count() - failed;
    let drifted = if args.drift {
        let dev_url = ctx.dev_url(args.dev_url.as_ref());
        let drifts = fleet.drift_of(&statuses, dev_url.as_deref()).await?;
        print_drifts(ctx, &statuses, &drifts, args.targets.json);
        drifts.iter().filter(|d| !d.matches()).count()
    } else {
        0
    };
    let status = if failed > 0 {
        CheckStatus::FailedRevision
    } else if behind > 0 {
        CheckStatus::Pending
    } else if drifted > 0 {
        CheckStatus::Drift
    } else {
        return Ok(());
    };
    let mut summary = format!("{failed} target(s) failed or unreadable, {behind} behind");
    if args.drift {
        summary.push_str(&format!(", {drifted} drifted or not comparable"));
    }
    Err(CliError::CheckFailed {
        summary,
        status: status.code(),
    })
}

/// Each target's line (or a JSON list), then the totals.
fn print_statuses(ctx: &mut Context, statuses: &[TargetStatus], as_json: bool) {
    if as_json {
        ctx.out
            .print_json(&json!(statuses.iter().map(status_json).collect::<Vec<_>>()));
    } else {
        for target in statuses {
            ctx.out.print(status_line(target));
        }
    }
    say_totals(ctx, statuses);
}

/// How many targets are current, on stderr.
fn say_totals(ctx: &mut Context, statuses: &[TargetStatus]) {
    let current = statuses.iter().filter(|t| t.is_current()).count();
    ctx.out.say(format!(
        "{} target(s): {current} current, {} behind or failed",
        statuses.len(),
        statuses.len() - current
    ));
}

fn status_line(target: &TargetStatus) -> String {
    match &target.status {
        Ok(status) if !status.failed.is_empty() => format!(
            "FAIL {}: revision {} failed",
            target.target, status.failed[0].0
        ),
        Ok(status) if !status.pending.is_empty() => {
            format!("     {}: {} pending", target.target, status.pending.len())
        }
        Ok(status) => {
            let heads: Vec<String> = status
                .current_heads
                .iter()
                .map(ToString::to_string)
                .collect();
            format!("ok   {}: at {}", target.target, heads.join(", "))
        }
        Err(error) => format!("FAIL {}: {error}", target.target),
    }
}

fn status_json(target: &TargetStatus) -> serde_json::Value {
    match &target.status {
        Ok(status) => json!({
            "target": target.target.to_string(),
            "current": status.current_heads.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "pending": status.pending.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "failed": status.failed.iter().map(|(r, _)| r.clone()).collect::<Vec<_>>(),
        }),
        Err(error) => json!({
            "target": target.target.to_string(),
            "error": error.to_string(),
        }),
    }
}

/// The targets whose schema differs, each difference indented below (or, as JSON, every
/// target's status with its differences).
fn print_drifts(
    ctx: &mut Context,
    statuses: &[TargetStatus],
    drifts: &[TargetDrift],
    as_json: bool,
) {
    if as_json {
        let list: Vec<_> = statuses
            .iter()
            .zip(drifts)
            .map(|(status, drift)| {
                let mut value = status_json(status);
                match &drift.differences {
                    Ok(lines) => value["drift"] = json!(lines),
                    Err(error) => value["drift_error"] = json!(error.to_string()),
                }
                value
            })
            .collect();
        ctx.out.print_json(&json!(list));
    } else {
        for drift in drifts {
            match &drift.differences {
                Ok(lines) if lines.is_empty() => {}
                Ok(lines) => {
                    ctx.out.print(format!(
                        "DRIFT {}: {} difference(s) from its revisions",
                        drift.target,
                        lines.len()
                    ));
                    for line in lines {
                        ctx.out.print(format!("      {line}"));
                    }
                }
                Err(error) => ctx
                    .out
                    .print(format!("DRIFT {}: not compared: {error}", drift.target)),
            }
        }
    }
    let matching = drifts.iter().filter(|d| d.matches()).count();
    ctx.out.say(format!(
        "drift: {matching} of {} target(s) match their revisions",
        drifts.len()
    ));
}

//! `fleet upgrade|downgrade|stamp`: the migrations over many schemas or databases (the
//! read-only verbs are in `fleet_status`).

use serde_json::json;

use super::args::{FleetCommand, FleetRunArgs};
use super::error::CliError;
use super::fleet_progress::FleetDisplay;
use super::fleet_status;
use super::fleet_targets::fleet_of;
use super::Context;
use crate::fleet::{FleetReport, Operation, Outcome};

/// `fleet ...`.
pub(super) async fn fleet(ctx: &mut Context, command: &FleetCommand) -> Result<(), CliError> {
    let (args, operation) = match command {
        FleetCommand::Status(args) => return fleet_status::status(ctx, args).await,
        FleetCommand::Current(args) => return fleet_status::current(ctx, args).await,
        FleetCommand::Check(args) => return fleet_status::check(ctx, args).await,
        FleetCommand::Upgrade(args) => (
            args,
            Operation::Upgrade(args.target.clone().unwrap_or_else(|| "head".to_owned())),
        ),
        FleetCommand::Downgrade(args) => (args, Operation::Downgrade(required(args, "downgrade")?)),
        FleetCommand::Stamp(args) => (args, Operation::Stamp(required(args, "stamp")?)),
    };
    let mut fleet = fleet_of(ctx, &args.targets)
        .await?
        .canary(args.canary)
        .fail_fast(args.fail_fast);
    if let Some(size) = args.batch {
        fleet = fleet.batch(size, args.pause.unwrap_or_default());
    }
    ctx.out.say(format!(
        "Running on {} target(s), {} at once ...",
        fleet.targets().len(),
        args.targets.jobs
    ));
    let display = FleetDisplay::new(&ctx.out, fleet.targets().len());
    if let Some(callback) = display.callback() {
        fleet = fleet.on_progress(callback);
    }
    let report = fleet.run(operation).await;
    display.finish();
    let report = report?;
    print_report(ctx, &report, args.targets.json);
    let counts = report.counts();
    if counts.failed > 0 || counts.not_run > 0 {
        return Err(CliError::FleetFailed {
            failed: counts.failed,
            not_run: counts.not_run,
        });
    }
    Ok(())
}

fn required(args: &FleetRunArgs, verb: &str) -> Result<String, CliError> {
    args.target.clone().ok_or_else(|| {
        CliError::Usage(format!(
            "fleet {verb} needs the revision to reach: `fleet {verb} TARGET ...`"
        ))
    })
}

/// Each target's line (or the JSON report), then the summary.
fn print_report(ctx: &mut Context, report: &FleetReport, as_json: bool) {
    if as_json {
        let targets: Vec<_> = report
            .targets
            .iter()
            .map(|r| {
                let (state, revisions, error) = match &r.outcome {
                    Outcome::Migrated { revisions } => (
                        "migrated",
                        revisions.iter().map(ToString::to_string).collect(),
                        None,
                    ),
                    Outcome::AlreadyThere => ("already_there", Vec::new(), None),
                    Outcome::Failed { revision, error } => (
                        "failed",
                        revision.iter().map(ToString::to_string).collect(),
                        Some(error.to_string()),
                    ),
                    Outcome::NotRun => ("not_run", Vec::new(), None),
                };
                json!({
                    "target": r.target.to_string(),
                    "database": r.target.shown_url(),
                    "schema": r.target.schema,
                    "outcome": state,
                    "revisions": revisions,
                    "error": error,
                    "elapsed_ms": r.elapsed.as_millis() as u64,
                })
            })
            .collect();
        let counts = report.counts();
        ctx.out.print_json(&json!({
            "ok": report.all_succeeded(),
            "migrated": counts.migrated,
            "already_there": counts.already_there,
            "failed": counts.failed,
            "not_run": counts.not_run,
            "elapsed_ms": report.elapsed.as_millis() as u64,
            "targets": targets,
        }));
    } else {
        for r in &report.targets {
            let mark = match r.outcome {
                Outcome::Failed { .. } => "FAIL",
                Outcome::NotRun => "skip",
                _ => "ok  ",
            };
            ctx.out.print(format!("{mark} {}: {}", r.target, r.outcome));
        }
    }
    ctx.out.say(report.summary());
}

//! `drift`: the live database against a replay of the revisions it has applied; what changed
//! outside migrations, the SQL that adopts it (`--fix-revision`) or undoes it (`--revert-sql`).

use serde_json::json;

use super::args::{DiffFormat, DriftArgs};
use super::author::NewRevision;
use super::autogenerate::{body, ensure_at_head};
use super::error::CliError;
use super::Context;
use crate::autogen::{script, PlannedStatement};
use crate::migration::MigrationSet;
use crate::scratch::DriftReport;

/// `drift`.
pub(super) async fn drift(ctx: &mut Context, args: &DriftArgs) -> Result<(), CliError> {
    let migrator = ctx.migrator(ctx.migrations()?);
    let client = ctx.connect().await?;
    if args.fix_revision {
        ensure_at_head(ctx, &migrator, &client).await?;
    }
    ctx.out
        .say("Replaying the applied revisions in a scratch database ...");
    let mut drift = migrator
        .drift(&client)
        .privileges(args.privileges)
        .verify(args.fix_revision);
    if let Some(url) = ctx.dev_url(args.dev_url.as_ref()) {
        drift = drift.dev_url(url);
    }
    let report = drift.run().await?;
    let heads: Vec<String> = report
        .applied_heads
        .iter()
        .map(ToString::to_string)
        .collect();
    if !report.has_drift() {
        ctx.out.say(format!(
            "No drift: the database matches its applied revisions (at {}).",
            if heads.is_empty() {
                "base".to_owned()
            } else {
                heads.join(", ")
            }
        ));
        return Ok(());
    }
    if args.fix_revision {
        return fix_revision(ctx, args, &report);
    }
    if args.revert_sql {
        ctx.out.print_raw(&section(
            "-- pelican drift: puts the database back to what its migrations say. Review it first.",
            &report.plan.down,
        ));
        return Ok(());
    }
    match args.format {
        DiffFormat::Text => {
            ctx.out.print(format!(
                "The database differs from its applied revisions (at {}):",
                heads.join(", ")
            ));
            for line in &report.differences {
                ctx.out.print(format!("  {line}"));
            }
            match &report.ddl_log {
                Some(entries) if !entries.is_empty() => {
                    ctx.out.print("Who changed it (pelican guard):");
                    for entry in entries {
                        ctx.out.print(format!("  {entry}"));
                    }
                }
                Some(_) => ctx.out.print(
                    "The guard's log has no entry about these objects: they changed before it was installed, or with the guard disabled.",
                ),
                None => ctx.out.say(format!(
                    "To see who changes what from now on: `{} guard install` (as a superuser).",
                    ctx.program
                )),
            }
        }
        DiffFormat::Sql => ctx.out.print_raw(&section(
            "-- pelican drift: what was changed outside migrations, as SQL.",
            &report.plan.up,
        )),
        DiffFormat::Json => {
            let statements = |list: &[PlannedStatement]| -> Vec<String> {
                list.iter().map(|s| s.sql.clone()).collect()
            };
            ctx.out.print_json(&json!({
                "applied_heads": heads,
                "differences": report.differences,
                "adopt": statements(&report.plan.up),
                "revert": statements(&report.plan.down),
                "ddl_log": report.ddl_log.as_ref().map(|entries| {
                    entries.iter().map(ToString::to_string).collect::<Vec<_>>()
                }),
                "unsupported": report.plan.unsupported,
            }));
        }
    }
    Err(CliError::DriftFound {
        count: report.differences.len(),
        program: ctx.program.clone(),
    })
}

/// A script with a comment above it, and what autogenerate can't write yet.
fn section(comment: &str, statements: &[PlannedStatement]) -> String {
    format!("{comment}\n{}", script(statements))
}

/// `drift --fix-revision -m MESSAGE`: a revision on the head whose up is the hand change
/// (a no-op on the database it came from) and whose down undoes it.
fn fix_revision(ctx: &mut Context, args: &DriftArgs, report: &DriftReport) -> Result<(), CliError> {
    let dir = ctx.dir_for_writing("drift --fix-revision")?.to_path_buf();
    let on_disk = MigrationSet::from_dir(&dir)?;
    let message = args
        .message
        .as_deref()
        .unwrap_or("adopt a change made outside migrations");
    let mut new = NewRevision::on_the_head(ctx, &on_disk, message)?;
    let mut preamble = String::from(
        "-- pelican drift: adopts what was changed in the database outside migrations.\n\
         -- The database it came from has it already: `pelican stamp` this revision there\n\
         -- instead of running it.\n",
    );
    match &report.verification {
        Some(verification) if verification.passed() => {
            preamble.push_str("-- Verified on a scratch database: up gives the live schema, down the migrations' back.\n");
        }
        Some(verification) => {
            for problem in verification.problems() {
                let warning = format!("-- WARNING: {problem}\n");
                ctx.out.warn(warning.trim_end().trim_start_matches("-- "));
                preamble.push_str(&warning);
            }
        }
        None => {}
    }
    for line in &report.plan.unsupported {
        preamble.push_str(&format!(
            "-- WARNING: not written (autogenerate can't do this yet): {line}\n"
        ));
    }
    new.body = body(&preamble, &report.plan.up, &report.plan.down, false);
    let path = new.write(&dir, on_disk.graph())?;
    new.announce(ctx, &path);
    ctx.out.say(format!(
        "Review it, then record it where the change was made by hand: `{} stamp {}`.",
        ctx.program, new.id
    ));
    Ok(())
}

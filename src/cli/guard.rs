//! `guard install|status|remove`: the opt-in DDL guard (see `crate::guard`).

use serde_json::{json, Value};

use super::args::GuardCommand;
use super::author::rfc3339_utc;
use super::error::CliError;
use super::Context;
use crate::guard::{self, EventTriggerState, GuardStatus, InstallOutcome, RemoveLog};

/// `guard ...`.
pub(crate) async fn guard(ctx: &mut Context, command: &GuardCommand) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    let schema = ctx.settings.schema.clone();
    match command {
        GuardCommand::Install => {
            let outcome = guard::install(&client, &schema).await?;
            ctx.out.say(match outcome {
                InstallOutcome::Installed => format!(
                    "Installed the DDL guard: DDL run outside pelican's migrations is now \
                     recorded in {schema}.{}.",
                    guard::DDL_LOG_TABLE
                ),
                InstallOutcome::Upgraded => format!(
                    "Brought the DDL guard in schema {schema} up to date (its log is kept)."
                ),
                InstallOutcome::AlreadyCurrent => {
                    format!("The DDL guard in schema {schema} is already installed and current.")
                }
            });
        }
        GuardCommand::Status(args) => {
            let status = guard::status(&client, &schema).await?;
            if args.json {
                ctx.out.print_json(&status_json(&status));
            } else {
                for line in status_lines(&status, &ctx.program) {
                    ctx.out.print(line);
                }
            }
        }
        GuardCommand::Remove(args) => {
            let log = if args.drop_log {
                RemoveLog::Drop
            } else {
                RemoveLog::Keep
            };
            guard::remove(&client, &schema, log).await?;
            ctx.out.say(match log {
                RemoveLog::Keep => format!(
                    "Removed the DDL guard; its log {schema}.{} is kept (append-only). Drop it \
                     with `{} guard remove --drop-log`.",
                    guard::DDL_LOG_TABLE,
                    ctx.program
                ),
                RemoveLog::Drop => "Removed the DDL guard and its log.".to_owned(),
            });
        }
    }
    Ok(())
}

/// What `guard status` prints.
fn status_lines(status: &GuardStatus, program: &str) -> Vec<String> {
    let schema = &status.schema;
    let mut lines = Vec::new();
    if let Some(other) = status.installed_elsewhere() {
        lines.push(format!(
            "guard: not installed in schema {schema}; this database's guard is in schema {other}"
        ));
    } else if status.is_active() {
        lines.push(format!("guard: recording, in schema {schema}"));
    } else if status.is_absent() {
        lines.push(format!("guard: not installed in schema {schema}"));
    } else {
        lines.push(format!(
            "guard: installed in schema {schema} but NOT recording (run `{program} guard install` to repair it)"
        ));
    }
    let trigger = |t: &Option<EventTriggerState>| match t {
        None => "missing".to_owned(),
        Some(t) => format!(
            "{} (function in schema {})",
            if t.enabled { "enabled" } else { "disabled" },
            t.function_schema
        ),
    };
    if !status.is_absent() {
        lines.push(format!(
            "ddl_command_end trigger: {}",
            trigger(&status.command_trigger)
        ));
        lines.push(format!(
            "sql_drop trigger: {}",
            trigger(&status.drop_trigger)
        ));
        lines.push(format!(
            "function: {}",
            match (status.function_exists, status.function_current) {
                (false, _) => "missing",
                (true, true) => "current",
                (true, false) => "outdated or edited (`guard install` updates it)",
            }
        ));
    }
    if status.log_exists {
        let table = format!("{schema}.{}", guard::DDL_LOG_TABLE);
        lines.push(match status.rows {
            None => format!("log: {table} (not readable by this role)"),
            Some(rows) => format!(
                "log: {table}, {rows} {}{}{}",
                if rows == 1 { "row" } else { "rows" },
                status
                    .last_entry_at
                    .map(|at| format!(", the last at {}", rfc3339_utc(at)))
                    .unwrap_or_default(),
                if status.log_append_only {
                    ""
                } else {
                    " (NOT append-only: its triggers are missing or disabled)"
                }
            ),
        });
    }
    lines
}

/// `guard status --json`.
fn status_json(status: &GuardStatus) -> Value {
    let trigger = |t: &Option<EventTriggerState>| {
        t.as_ref()
            .map(|t| json!({"enabled": t.enabled, "function_schema": t.function_schema}))
    };
    json!({
        "schema": status.schema,
        "active": status.is_active(),
        "installed_elsewhere": status.installed_elsewhere(),
        "ddl_command_end": trigger(&status.command_trigger),
        "sql_drop": trigger(&status.drop_trigger),
        "function": {"exists": status.function_exists, "current": status.function_current},
        "log": {
            "exists": status.log_exists,
            "readable": status.log_readable,
            "append_only": status.log_append_only,
            "rows": status.rows,
            "last_entry_at": status.last_entry_at.map(rfc3339_utc),
        },
    })
}

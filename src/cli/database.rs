//! The commands that change the database or read its state: `upgrade`, `downgrade`, `stamp`,
//! `status`, `resolve`, `repair`.

use serde_json::{json, Value};
use tokio_postgres::Client;

use super::args::{LockArgs, ResolveArgs, RunArgs, StampArgs};
use super::describe::{count, join, short_line};
use super::error::CliError;
use super::inspect;
use super::output::Paint;
use super::progress::{format_duration, ProgressDisplay};
use super::Context;
use crate::lock::{Connection, Database, SideConnection};
use crate::migration::MigrationSet;
use crate::migrator::{Migrator, Status, TransactionMode};
use crate::offline::{self, OfflineOptions};
use crate::plan::{Direction, Planner};
use crate::revision::RevisionId;
use crate::target::Target;
use crate::tls::Connector;

/// The database the CLI's migrator runs on: the connection the command made, and the
/// settings it was made with, from which the lease lock's heartbeat opens one of its own.
struct CliDatabase<'a> {
    client: &'a Client,
    connector: Option<Connector>,
}

impl<'a> CliDatabase<'a> {
    fn new(ctx: &Context, client: &'a Client) -> Self {
        let connector = ctx
            .settings
            .database_url
            .as_ref()
            .and_then(|(url, _)| Connector::new(url).ok())
            .map(|mut connector| {
                connector.config_mut().application_name("pelican heartbeat");
                connector
            });
        CliDatabase { client, connector }
    }
}

#[async_trait::async_trait]
impl Database for CliDatabase<'_> {
    async fn connection(&self) -> Result<Connection<'_>, crate::Error> {
        Ok(Connection::Borrowed(self.client))
    }

    /// Opened as the command's own connection was: with its TLS settings.
    async fn heartbeat_connection(&self) -> Result<Option<SideConnection>, crate::Error> {
        let Some(connector) = &self.connector else {
            return Ok(None);
        };
        match connector.connect().await {
            Ok(client) => Ok(Some(SideConnection::from(client))),
            // Without it the lease is renewed between revisions (see `crate::lock`).
            Err(error) => {
                tracing::warn!(%error, "no heartbeat connection for the lease");
                Ok(None)
            }
        }
    }
}

/// `upgrade` and `downgrade`.
pub(crate) async fn run(
    ctx: &mut Context,
    direction: Direction,
    target: &str,
    args: &RunArgs,
) -> Result<(), CliError> {
    let set = ctx.migrations()?;
    if args.sql {
        let migrator = run_migrator(ctx, set, args);
        return offline_sql(ctx, &migrator, direction, target);
    }
    refuse_range(target)?;
    let client = ctx.connect().await?;
    let migrator = run_migrator(ctx, set.clone(), args);

    if args.dry_run {
        let plan = migrator.plan(&client, target, direction).await?;
        for step in plan.steps() {
            let message = set
                .get(step.revision.as_str())
                .map(|e| e.revision().message())
                .unwrap_or_default();
            ctx.out
                .print(format!("{} {message}", step.revision).trim_end());
        }
        ctx.out.say(match plan.steps().len() {
            0 => format!("Nothing to {direction}: the database is already at {target}."),
            n => format!(
                "Would {direction} {} (--dry-run: nothing ran).",
                count(n, "revision")
            ),
        });
        return Ok(());
    }

    if let Some(gate) = args.lint {
        let plan = migrator.plan(&client, target, direction).await?;
        let about_to_run: Vec<String> = plan
            .steps()
            .iter()
            .map(|s| s.revision.to_string())
            .collect();
        super::lint::gate(ctx, &set, &about_to_run, gate)?;
    }

    let messages = set
        .entries()
        .iter()
        .map(|e| (e.revision().id().clone(), e.revision().message().to_owned()))
        .collect();
    let display = ProgressDisplay::new(&ctx.out, messages);
    let migrator = migrator.on_progress(display.callback());
    let db = CliDatabase::new(ctx, &client);
    let result = match direction {
        Direction::Up => migrator.upgrade(&db, target).await,
        Direction::Down => migrator.downgrade(&db, target).await,
    };
    display.finish();
    let report = result?;
    if report.is_empty() {
        ctx.out.say(format!(
            "Nothing to {direction}: the database is already at {target}."
        ));
        return super::dump::after_run(ctx, &client).await;
    }
    let current = migrator.current(&client).await?;
    let verb = match direction {
        Direction::Up => "Upgraded",
        Direction::Down => "Downgraded",
    };
    ctx.out.say(format!(
        "{verb} {} in {}; {}.",
        count(report.steps.len(), "revision"),
        format_duration(report.elapsed),
        describe_current(&set, &current, ctx)
    ));
    super::dump::after_run(ctx, &client).await
}

/// `stamp`.
pub(crate) async fn stamp(ctx: &mut Context, args: &StampArgs) -> Result<(), CliError> {
    let set = ctx.migrations()?;
    if args.sql {
        return offline_stamp(ctx, &set, &args.targets);
    }
    for target in &args.targets {
        refuse_range(target)?;
    }
    let client = ctx.connect().await?;
    let migrator = ctx
        .locking_migrator(set.clone(), &args.lock)
        .allow_unknown_applied(args.allow_unknown_applied);
    let targets: Vec<&str> = args.targets.iter().map(String::as_str).collect();
    let report = migrator
        .stamp(&CliDatabase::new(ctx, &client), &targets, args.purge)
        .await?;
    if report.added.is_empty() && report.removed.is_empty() {
        ctx.out.say(format!(
            "Nothing to stamp: the database already records {}.",
            targets.join(" ")
        ));
        return Ok(());
    }
    let mut changes = Vec::new();
    if !report.added.is_empty() {
        changes.push(format!("recorded {}", join(&report.added)));
    }
    if !report.removed.is_empty() {
        changes.push(format!("removed {}", join(&report.removed)));
    }
    let current = migrator.current(&client).await?;
    ctx.out.say(format!(
        "Stamped (nothing ran): {}; {}.",
        changes.join("; "),
        describe_current(&set, &current, ctx)
    ));
    Ok(())
}

/// `status`.
pub(crate) async fn status(ctx: &mut Context, as_json: bool) -> Result<(), CliError> {
    let set = ctx.migrations()?;
    let client = ctx.connect().await?;
    let status = ctx.migrator(set.clone()).status(&client).await?;
    let heads: Vec<RevisionId> = set.graph().heads().into_iter().cloned().collect();
    if as_json {
        ctx.out.print_json(&status_json(&status, &heads));
        return Ok(());
    }
    let style = ctx.out.out_style;
    let ids = |ids: &[RevisionId]| -> String {
        ids.iter()
            .map(|id| style.paint(Paint::Id, id.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let current = if status.current_heads.is_empty() {
        "none (no revision is applied)".to_owned()
    } else {
        status
            .current_heads
            .iter()
            .map(|id| short_line(&set, id.as_str(), &style))
            .collect::<Vec<_>>()
            .join(", ")
    };
    ctx.out.print(format!("Current: {current}"));
    ctx.out.print(format!(
        "Applied: {}",
        count(status.applied.len(), "revision")
    ));
    if status.pending.is_empty() {
        ctx.out.print(format!(
            "Pending: {}",
            style.paint(Paint::Good, "none, the database is at its heads")
        ));
    } else {
        ctx.out.print(format!(
            "Pending: {} {}",
            style.paint(
                Paint::Warn,
                format!("{}:", count(status.pending.len(), "revision"))
            ),
            ids(&status.pending)
        ));
    }
    for (revision, holder) in &status.running {
        ctx.out.print(format!(
            "Running: {} (transaction: false), by {holder}",
            style.paint(Paint::Warn, revision)
        ));
    }
    for (revision, error) in &status.failed {
        ctx.out.print(format!(
            "Failed: {} {error}",
            style.paint(Paint::Bad, revision)
        ));
    }
    for mismatch in &status.checksum_mismatches {
        ctx.out.print(format!(
            "Changed since applied: {} ({}): recorded {}, file now {}",
            style.paint(Paint::Bad, mismatch.revision.as_str()),
            mismatch.file,
            mismatch.recorded,
            mismatch.current
        ));
    }
    if !status.unknown.is_empty() {
        ctx.out.print(format!(
            "Unknown to these migrations: {}",
            style.paint(Paint::Bad, status.unknown.join(", "))
        ));
    }
    ctx.out
        .print(format!("Heads of the migrations: {}", ids(&heads)));
    Ok(())
}

fn status_json(status: &Status, heads: &[RevisionId]) -> Value {
    fn ids(ids: &[RevisionId]) -> Vec<&str> {
        ids.iter().map(RevisionId::as_str).collect()
    }
    json!({
        "current": ids(&status.current_heads),
        "applied": ids(&status.applied),
        "pending": ids(&status.pending),
        "failed": status.failed.iter().map(|(revision, error)| json!({
            "revision": revision,
            "error": error,
        })).collect::<Vec<_>>(),
        "running": status.running.iter().map(|(revision, holder)| json!({
            "revision": revision,
            "by": holder,
        })).collect::<Vec<_>>(),
        "changed": status.checksum_mismatches.iter().map(|m| json!({
            "revision": m.revision.as_str(),
            "file": m.file,
            "recorded": m.recorded,
            "current": m.current,
        })).collect::<Vec<_>>(),
        "unknown": status.unknown,
        "heads": ids(heads),
    })
}

/// `resolve`.
pub(crate) async fn resolve(ctx: &mut Context, args: &ResolveArgs) -> Result<(), CliError> {
    let set = ctx.migrations()?;
    let client = ctx.connect().await?;
    let migrator = ctx.locking_migrator(set.clone(), &args.lock);
    let revision = args.revision.as_str();
    let db = CliDatabase::new(ctx, &client);
    if args.resume {
        let step = migrator.resume(&db, revision).await?;
        ctx.out.say(format!(
            "Resumed {revision}: its {} finished in {}; runs can go on.",
            step.direction,
            super::progress::format_duration(step.duration)
        ));
    } else if args.applied {
        migrator.mark_applied(&db, revision).await?;
        ctx.out
            .say(format!("Recorded {revision} as applied; runs can go on."));
    } else {
        migrator.forget(&db, revision).await?;
        if set.get(revision).is_some() {
            ctx.out.say(format!(
                "Forgot {revision}: its record is deleted, and the next upgrade runs it again."
            ));
        } else {
            ctx.out
                .say(format!("Forgot {revision}: its record is deleted."));
        }
    }
    Ok(())
}

/// `repair`.
pub(crate) async fn repair(ctx: &mut Context, args: &LockArgs) -> Result<(), CliError> {
    let set = ctx.migrations()?;
    let client = ctx.connect().await?;
    let repaired = ctx
        .locking_migrator(set, args)
        .repair(&CliDatabase::new(ctx, &client))
        .await?;
    for id in &repaired {
        ctx.out.print(id.as_str());
    }
    ctx.out.say(if repaired.is_empty() {
        "Nothing to repair: every applied file matches its recorded checksum.".to_owned()
    } else {
        format!(
            "Accepted the current checksums of {}: {}.",
            count(repaired.len(), "revision"),
            join(&repaired)
        )
    });
    Ok(())
}

/// The migrator of `upgrade` and `downgrade`, with their options; `--sql` renders its
/// offline script with the same settings.
fn run_migrator(ctx: &Context, set: MigrationSet, args: &RunArgs) -> Migrator {
    let mut migrator = ctx
        .locking_migrator(set, &args.lock)
        .allow_unknown_applied(args.allow_unknown_applied);
    if let Some(timeout) = args.lock_timeout {
        migrator = migrator.lock_timeout(timeout);
    }
    if let Some(timeout) = args.statement_timeout {
        migrator = migrator.statement_timeout(timeout);
    }
    if args.single_transaction {
        migrator = migrator.transaction_mode(TransactionMode::WholePlan);
    }
    migrator.pipeline(!args.no_pipeline)
}

/// `upgrade --sql` / `downgrade --sql`: the plan from FROM to TO as one SQL script, rendered
/// with `migrator`'s settings.
fn offline_sql(
    ctx: &mut Context,
    migrator: &Migrator,
    direction: Direction,
    range: &str,
) -> Result<(), CliError> {
    let set = migrator.migrations();
    let (from, to) = split_range(range, direction)?;
    let applied = applied_at(set, from)?;
    let planner = Planner::new(set.graph(), &applied).map_err(crate::Error::from)?;
    let target: Target = to.parse().map_err(crate::Error::from)?;
    let plan = match direction {
        Direction::Up => planner.upgrade(&target),
        Direction::Down => planner.downgrade(&target),
    }
    .map_err(crate::Error::from)?;
    let script = offline::render(set, &plan, &migrator.offline_options())?;
    ctx.out.print_raw(&script);
    ctx.out.say(format!(
        "Wrote the SQL script of the {direction} from {from} to {to}: {} (offline: nothing \
         ran). Run it with psql -v ON_ERROR_STOP=1 -X -f FILE.",
        count(plan.steps().len(), "revision")
    ));
    Ok(())
}

/// `stamp --sql`: the stamp from FROM as one SQL script.
fn offline_stamp(
    ctx: &mut Context,
    set: &MigrationSet,
    targets: &[String],
) -> Result<(), CliError> {
    let (from, targets): (&str, Vec<&str>) = match targets {
        [one] if one.contains(':') => {
            let (from, to) = split_range(one, Direction::Up)?;
            (from, vec![to])
        }
        several => {
            if let Some(range) = several.iter().find(|t| t.contains(':')) {
                return Err(CliError::Usage(format!(
                    "'{range}' is a FROM:TO range, which `stamp --sql` takes alone; give one \
                     range, or targets without FROM"
                )));
            }
            ("base", several.iter().map(String::as_str).collect())
        }
    };
    let applied = applied_at(set, from)?;
    let targets: Vec<Target> = targets
        .iter()
        .map(|t| t.parse())
        .collect::<Result<_, _>>()
        .map_err(crate::Error::from)?;
    let stamp = Planner::new(set.graph(), &applied)
        .and_then(|planner| planner.stamp(&targets, false))
        .map_err(crate::Error::from)?;
    let options = OfflineOptions::new().schema(ctx.settings.schema.clone());
    let script = offline::render_stamp(set, &stamp, &options)?;
    ctx.out.print_raw(&script);
    ctx.out.say(format!(
        "Wrote the SQL script of the stamp from {from}: records {}, removes {} (offline: \
         nothing ran).",
        count(stamp.add.len(), "revision"),
        count(stamp.remove.len(), "revision")
    ));
    Ok(())
}

/// Splits an offline `[FROM:]TO`; FROM defaults to `base`, except for a downgrade, which
/// can't guess where it starts.
fn split_range(range: &str, direction: Direction) -> Result<(&str, &str), CliError> {
    let (from, to) = match range.split_once(':') {
        Some((from, to)) => (Some(from.trim()).filter(|f| !f.is_empty()), to.trim()),
        None => (None, range.trim()),
    };
    if to.is_empty() {
        return Err(CliError::Usage(format!(
            "'{range}' has no target after ':'; write FROM:TO, such as base:head"
        )));
    }
    match (from, direction) {
        (Some(from), _) => Ok((from, to)),
        (None, Direction::Up) => Ok(("base", to)),
        (None, Direction::Down) => Err(CliError::Usage(format!(
            "`downgrade --sql` needs FROM:TO, such as head:{to}: without a database, pelican \
             can't know where the downgrade starts"
        ))),
    }
}

/// The applied set a script starts from: FROM and its ancestors (`base`: nothing).
fn applied_at(set: &MigrationSet, from: &str) -> Result<Vec<RevisionId>, CliError> {
    let mut applied = Vec::new();
    for id in inspect::resolve(set, from, None)? {
        applied.extend(set.graph().ancestors(id.as_str()).into_iter().cloned());
        applied.push(id);
    }
    applied.sort();
    applied.dedup();
    Ok(applied)
}

/// Online, the database says where it is: `FROM:TO` is for `--sql` only.
fn refuse_range(target: &str) -> Result<(), CliError> {
    if target.contains(':') {
        return Err(CliError::Usage(format!(
            "'{target}' is a FROM:TO range, which only --sql (offline mode) takes; online, \
             the database says where it is: give just the target"
        )));
    }
    Ok(())
}

/// "the database is now at a3 (head)".
fn describe_current(set: &MigrationSet, current: &[RevisionId], ctx: &Context) -> String {
    if current.is_empty() {
        return "no revision is applied now".to_owned();
    }
    let style = ctx.out.err_style;
    let heads: Vec<String> = current
        .iter()
        .map(|id| short_line(set, id.as_str(), &style))
        .collect();
    format!("the database is now at {}", heads.join(", "))
}

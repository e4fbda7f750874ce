//! `diff --from SOURCE --to SOURCE`: what differs between two schemas, each read from a
//! database, a desired schema's files, or the migrations replayed.

use std::path::PathBuf;

use serde_json::{json, Value};

use super::args::{DiffArgs, DiffFormat};
use super::error::CliError;
use super::origin::Origin;
use super::Context;
use crate::autogen::{plan_changes, AutogenOptions, PlannedStatement};
use crate::schema::{Snapshot, SnapshotOptions};
use crate::scratch::{read_schema_files, ScratchServer};

/// Where one side of the diff comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SchemaSource {
    /// A connection string.
    Url(String),
    /// The configured database (`--database-url`, `DATABASE_URL`).
    Database,
    /// The migrations, replayed to a target.
    Migrations(String),
    /// A `.sql` file or a directory of them.
    Files(PathBuf),
}

impl SchemaSource {
    fn parse(text: &str) -> SchemaSource {
        let is_url = text.starts_with("postgres://")
            || text.starts_with("postgresql://")
            || text.contains("dbname=")
            || text.contains("host=");
        if is_url {
            SchemaSource::Url(text.to_owned())
        } else if text == "database" {
            SchemaSource::Database
        } else if text == "migrations" {
            SchemaSource::Migrations("head".into())
        } else if let Some(target) = text.strip_prefix("migrations@") {
            SchemaSource::Migrations(target.into())
        } else {
            SchemaSource::Files(PathBuf::from(text))
        }
    }
}

/// The snapshot of `source`, its history tables left out.
async fn snapshot(
    ctx: &Context,
    source: &SchemaSource,
    scratch: &mut Option<ScratchServer>,
    dev_url: Option<&str>,
    options: &SnapshotOptions,
) -> Result<Snapshot, CliError> {
    let read = |client: tokio_postgres::Client| async move {
        Ok::<_, CliError>(options.snapshot(&client).await?)
    };
    match source {
        SchemaSource::Database => read(ctx.connect().await?).await,
        SchemaSource::Url(url) => {
            read(ctx.connect_to(url, &Origin::Option("--from/--to")).await?).await
        }
        SchemaSource::Migrations(target) => {
            let server = scratch_server(scratch, dev_url).await?;
            let mut database = server.database().await?;
            database.set_snapshot_options(options.clone());
            database
                .replay(&ctx.migrator(ctx.migrations()?), target)
                .await?;
            Ok(database.snapshot().await?)
        }
        SchemaSource::Files(path) => {
            let files = read_schema_files(path)?;
            let server = scratch_server(scratch, dev_url).await?;
            let mut database = server.database().await?;
            database.set_snapshot_options(options.clone());
            database.load(&files).await?;
            Ok(database.snapshot().await?)
        }
    }
}

async fn scratch_server<'s>(
    scratch: &'s mut Option<ScratchServer>,
    dev_url: Option<&str>,
) -> Result<&'s ScratchServer, CliError> {
    if scratch.is_none() {
        *scratch = Some(ScratchServer::start(dev_url).await?);
    }
    Ok(scratch.as_ref().expect("just started"))
}

/// `diff`.
pub(super) async fn diff(ctx: &mut Context, args: &DiffArgs) -> Result<(), CliError> {
    let dev_url = ctx.dev_url(args.dev_url.as_ref());
    let mut scratch = None;
    let options = SnapshotOptions::new().include_privileges(args.privileges);
    let dev_url = dev_url.as_deref();
    let from_source = SchemaSource::parse(&args.from);
    let from = snapshot(ctx, &from_source, &mut scratch, dev_url, &options).await?;
    let to_source = SchemaSource::parse(&args.to);
    let to = snapshot(ctx, &to_source, &mut scratch, dev_url, &options).await?;
    let plan_options = AutogenOptions {
        privileges: args.privileges,
        ..AutogenOptions::default()
    };
    let plan = plan_changes(&from, &to, &plan_options);
    let differences = from.diff(&to).lines();
    if differences.is_empty() {
        ctx.out.say("No differences.");
    }
    match args.format {
        DiffFormat::Text => {
            for line in &differences {
                ctx.out.print(line);
            }
        }
        DiffFormat::Sql => {
            for line in plan.unsupported.iter() {
                ctx.out.print(format!(
                    "-- not written (autogenerate can't do this yet): {line}"
                ));
            }
            for candidate in &plan.rename_candidates {
                ctx.out
                    .print(format!("-- written as a drop and an add: {candidate}"));
            }
            if !plan.up.is_empty() {
                ctx.out.print_raw(&plan.up_sql());
            }
        }
        DiffFormat::Json => {
            let statements = |list: &[PlannedStatement]| -> Vec<Value> {
                list.iter()
                    .map(|s| {
                        json!({
                            "sql": s.sql,
                            "hazards": s.hazards.iter().map(ToString::to_string).collect::<Vec<_>>(),
                        })
                    })
                    .collect()
            };
            ctx.out.print_json(&json!({
                "differences": differences,
                "up": statements(&plan.up),
                "down": statements(&plan.down),
                "rename_candidates": plan.rename_candidates.iter().map(|c| json!({
                    "from": c.from,
                    "to": c.to,
                })).collect::<Vec<_>>(),
                "unsupported": plan.unsupported,
                "notes": plan.notes,
            }));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_told_apart() {
        assert_eq!(
            SchemaSource::parse("postgresql://me@localhost/app"),
            SchemaSource::Url("postgresql://me@localhost/app".into())
        );
        assert_eq!(
            SchemaSource::parse("host=/tmp dbname=app"),
            SchemaSource::Url("host=/tmp dbname=app".into())
        );
        assert_eq!(SchemaSource::parse("database"), SchemaSource::Database);
        assert_eq!(
            SchemaSource::parse("migrations"),
            SchemaSource::Migrations("head".into())
        );
        assert_eq!(
            SchemaSource::parse("migrations@ae1027a6acf"),
            SchemaSource::Migrations("ae1027a6acf".into())
        );
        assert_eq!(
            SchemaSource::parse("db/schema"),
            SchemaSource::Files(PathBuf::from("db/schema"))
        );
    }
}

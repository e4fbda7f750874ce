//! The targets a `fleet` verb names (`--schemas`, `--schemas-query`, `--databases`,
//! `--databases-query`), and the fleet over them configured as the CLI's migrator.

use std::io::Read;

use super::args::FleetTargetArgs;
use super::error::CliError;
use super::Context;
use crate::fleet::{databases_from_query, schemas_from_query, Fleet, Target};

/// The targets the options name.
async fn targets(ctx: &Context, args: &FleetTargetArgs) -> Result<Vec<Target>, CliError> {
    let database_url = || {
        ctx.settings
            .database_url
            .as_ref()
            .map(|(url, _)| url.clone())
            .ok_or(CliError::NoDatabase)
    };
    if !args.schemas.is_empty() {
        let url = database_url()?;
        return Ok(args
            .schemas
            .iter()
            .map(|schema| Target::schema(url.clone(), schema.clone()))
            .collect());
    }
    if let Some(sql) = &args.schemas_query {
        let client = ctx.connect().await?;
        return Ok(schemas_from_query(&client, &database_url()?, sql).await?);
    }
    if let Some(sql) = &args.databases_query {
        let client = ctx.connect().await?;
        return Ok(databases_from_query(&client, sql).await?);
    }
    let path = args
        .databases
        .as_ref()
        .expect("clap requires one of the target options");
    let text = if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|error| CliError::Io {
                action: "read",
                path: path.clone(),
                error,
            })?;
        text
    } else {
        std::fs::read_to_string(path).map_err(|error| CliError::Io {
            action: "read",
            path: path.clone(),
            error,
        })?
    };
    let urls: Vec<Target> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(Target::database)
        .collect();
    if urls.is_empty() {
        return Err(crate::fleet::FleetError::NoTargets(format!(
            "{} lists no connection string",
            path.display()
        ))
        .into());
    }
    Ok(urls)
}

/// The fleet of the options, each target's migrator configured as the CLI's.
pub(super) async fn fleet_of(ctx: &Context, args: &FleetTargetArgs) -> Result<Fleet, CliError> {
    let set = ctx.migrations()?;
    let schema = ctx.settings.schema.clone();
    let mut fleet = Fleet::new(set, targets(ctx, args).await?)
        .jobs(args.jobs)
        .configure(move |migrator| migrator.schema(schema.clone()));
    if let Some(limit) = args.jobs_per_server {
        fleet = fleet.jobs_per_server(limit);
    }
    Ok(fleet)
}

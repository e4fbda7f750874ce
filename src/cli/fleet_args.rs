//! The command line of `pelican fleet`: its verbs, the targets they name, and how a run moves.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};

use super::durations::parse_timeout;

/// `fleet`'s verbs.
#[derive(Debug, Subcommand)]
pub(crate) enum FleetCommand {
    /// Upgrade every target (to `head` by default)
    Upgrade(FleetRunArgs),
    /// Downgrade every target to TARGET
    Downgrade(FleetRunArgs),
    /// Record TARGET as applied on every target, running nothing
    Stamp(FleetRunArgs),
    /// Where every target stands: current, behind, failed
    Status(FleetTargetArgs),
    /// Every target's current heads
    Current(FleetTargetArgs),
    /// Fails unless every target is at its heads with nothing failed (exit 4: a target has a
    /// failed revision; 7: a target is behind; with --drift, 10: a target's schema differs
    /// from what its revisions give), for deploy gates
    Check(FleetCheckArgs),
}

/// `fleet check`.
#[derive(Debug, Args)]
pub(crate) struct FleetCheckArgs {
    #[command(flatten)]
    pub(crate) targets: FleetTargetArgs,
    /// Also compare each target's schema with a replay of the revisions it has applied, in a
    /// scratch database (a schema target: its own schema; a database target: the database)
    #[arg(long)]
    pub(crate) drift: bool,
    /// The server for the scratch database (with --drift) [default: pelican.toml's dev-url,
    /// else a throwaway server of the local PostgreSQL binaries]
    #[arg(long, value_name = "URL", requires = "drift")]
    pub(crate) dev_url: Option<String>,
}

/// The targets of a `fleet` verb, and how many run at once.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("targets").required(true).args(["schemas", "schemas_query", "databases", "databases_query"])))]
pub(crate) struct FleetTargetArgs {
    /// The tenants' schemas in the database (--database-url), comma-separated
    #[arg(long, value_delimiter = ',', value_name = "SCHEMA")]
    pub(crate) schemas: Vec<String>,
    /// A query on the database (--database-url) whose first column lists the schemas, e.g.
    /// "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant\_%'"
    #[arg(long, value_name = "SQL")]
    pub(crate) schemas_query: Option<String>,
    /// A file listing the tenants' databases, one connection string a line (`-`: stdin;
    /// blank lines and `#` comments skipped)
    #[arg(long, value_name = "FILE")]
    pub(crate) databases: Option<PathBuf>,
    /// A query on the database (--database-url, a catalog) whose first column lists the
    /// tenants' connection strings
    #[arg(long, value_name = "SQL")]
    pub(crate) databases_query: Option<String>,
    /// How many targets run at once
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub(crate) jobs: usize,
    /// At most this many connections to one server [default: the server's max_connections
    /// headroom, halved, at most --jobs]
    #[arg(long, value_name = "M")]
    pub(crate) jobs_per_server: Option<usize>,
    /// Print JSON instead of text
    #[arg(long)]
    pub(crate) json: bool,
}

/// `fleet upgrade|downgrade|stamp`.
#[derive(Debug, Args)]
pub(crate) struct FleetRunArgs {
    /// The revision to reach [upgrade: head]
    #[arg(value_name = "TARGET")]
    pub(crate) target: Option<String>,
    #[command(flatten)]
    pub(crate) targets: FleetTargetArgs,
    /// Run the first K targets first, and stop if any of them fails
    #[arg(long, value_name = "K", default_value_t = 0)]
    pub(crate) canary: usize,
    /// Start no target after a failure
    #[arg(long)]
    pub(crate) fail_fast: bool,
    /// After the canary, B targets at a time
    #[arg(long, value_name = "B")]
    pub(crate) batch: Option<usize>,
    /// The wait between two batches, e.g. 30s
    #[arg(long, value_name = "DURATION", value_parser = parse_timeout, requires = "batch")]
    pub(crate) pause: Option<Duration>,
}

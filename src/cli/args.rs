//! The command line: global options and one subcommand per verb (Alembic's, plus a few).

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, ArgGroup, Args, Parser, Subcommand, ValueEnum};

pub(crate) use super::durations::{parse_lease_ttl, parse_timeout, parse_wait};
pub(crate) use super::fleet_args::{FleetCheckArgs, FleetCommand, FleetRunArgs, FleetTargetArgs};
use crate::lock::LockStrategy;

/// Alembic's revision DAG for PostgreSQL: create, inspect and run migrations.
#[derive(Debug, Parser)]
#[command(
    name = "pelican",
    version,
    propagate_version = true,
    after_help = "Results go to stdout, everything else to stderr. Exit status: 0 success, 1 \
                  error, 2 bad command line; `check` has its own (see `check --help`).\n\
                  The reference is docs/cli.md."
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalOptions,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub(crate) struct GlobalOptions {
    /// The migrations directory [default: `dir` in pelican.toml, else ./migrations]
    #[arg(long, global = true, value_name = "DIR")]
    pub(crate) dir: Option<PathBuf>,
    /// The database's connection string [default: $DATABASE_URL]
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) database_url: Option<String>,
    /// The schema of the history tables [default: `schema` in pelican.toml, else public]
    #[arg(long, global = true, value_name = "SCHEMA")]
    pub(crate) schema: Option<String>,
    /// The settings file [default: ./pelican.toml, when it exists]
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Say more: details in listings, and how things happen on stderr
    #[arg(short, long, global = true, action = ArgAction::SetTrue)]
    pub(crate) verbose: bool,
    /// Say nothing on stderr but errors
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub(crate) quiet: bool,
    /// When to use colors (never when NO_COLOR is set, unless `always`)
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub(crate) color: ColorChoice,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// The verbs.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create pelican.toml and the migrations directory
    Init,
    /// Create a new revision file, revising the current head
    Revision(RevisionArgs),
    /// Upgrade the database to a target (default: head)
    Upgrade(UpgradeArgs),
    /// Downgrade the database to a target
    Downgrade(DowngradeArgs),
    /// Record revisions as applied (or not) without running them
    Stamp(StampArgs),
    /// Print the database's current revisions, one per line
    Current(JsonArgs),
    /// List the revisions, newest first
    History(HistoryArgs),
    /// Print the heads of the revision graph
    Heads(HeadsArgs),
    /// Print the branch points of the revision graph
    Branches(JsonArgs),
    /// Show one revision
    Show(ShowArgs),
    /// Create a revision that merges several heads
    Merge(MergeArgs),
    /// Fail when the graph has several heads, or the database is not exactly at head
    #[command(after_help = CHECK_HELP)]
    Check(CheckArgs),
    /// Compare the database with the migrations
    Status(JsonArgs),
    /// Export the revision graph for Graphviz or Mermaid
    Graph(GraphArgs),
    /// Show what differs between two schemas (databases, schema files, or the migrations)
    Diff(DiffArgs),
    /// Find dangerous DDL in the migrations before it runs (squawk's rules, with each
    /// revision's context)
    Lint(LintArgs),
    /// Compare the database with a replay of the revisions it has applied: what changed
    /// outside migrations (exit 1 when something did)
    Drift(DriftArgs),
    /// Write the database's schema as one deterministic SQL file (loads into an empty
    /// database; a desired schema for autogenerate)
    Dump(DumpArgs),
    /// Resolve a revision marked failed: resume it, record it as applied, or forget it
    Resolve(ResolveArgs),
    /// Accept the current checksums of applied files that were edited
    Repair(LockArgs),
    /// Record DDL run outside pelican's migrations in an append-only log (event triggers;
    /// needs a superuser)
    #[command(subcommand)]
    Guard(GuardCommand),
    /// Run the migrations over many schemas or databases at once (a schema or a database
    /// per tenant): each with its own history and lock, failures kept to their tenant
    #[command(subcommand)]
    Fleet(FleetCommand),
}

/// `guard`'s verbs.
#[derive(Debug, Subcommand)]
pub(crate) enum GuardCommand {
    /// Install the guard in the history schema (again: nothing changes; an older guard is
    /// brought up to date, its log kept)
    Install,
    /// Show whether the guard is installed and recording, and how many rows its log holds
    Status(JsonArgs),
    /// Remove the guard's event triggers and function; its log stays unless --drop-log
    Remove(GuardRemoveArgs),
}

/// `guard remove`.
#[derive(Debug, Args)]
pub(crate) struct GuardRemoveArgs {
    /// Drop the log too, with every row it recorded
    #[arg(long)]
    pub(crate) drop_log: bool,
}

const CHECK_HELP: &str = "Exit status: 0 all checks pass; 1 an error (no database, ...); \
     3 several heads; 4 a revision is marked failed; 5 applied files changed; \
     6 the database has revisions the migrations don't; 7 revisions are pending. \
     When several checks fail, the lowest of these statuses is returned.";

/// `--json`.
#[derive(Debug, Args)]
pub(crate) struct JsonArgs {
    /// Print JSON instead of text
    #[arg(long)]
    pub(crate) json: bool,
}

/// `revision`.
#[derive(Debug, Args)]
pub(crate) struct RevisionArgs {
    /// The revision's message (also gives the file its name)
    #[arg(short, long)]
    pub(crate) message: String,
    /// Write a Rust migration (.rs) instead of a SQL one
    #[arg(long, conflicts_with = "autogenerate")]
    pub(crate) rust: bool,
    /// Write the migration from the difference between the database (at head) and the
    /// desired schema, verified on a scratch database first (see docs/autogenerate.md)
    #[arg(long)]
    pub(crate) autogenerate: bool,
    #[command(flatten)]
    pub(crate) autogen: AutogenArgs,
    /// The revision to revise: a head, `<label>@head`, or `base` for a new root
    /// [default: the only head]
    #[arg(long, value_name = "REV")]
    pub(crate) head: Option<String>,
    /// Allow --head to name a revision that is not a head (starting a new branch)
    #[arg(long, requires = "head")]
    pub(crate) splice: bool,
    /// A branch label for the new revision (repeatable)
    #[arg(long, value_name = "LABEL", value_delimiter = ',')]
    pub(crate) branch_label: Vec<String>,
    /// A revision or branch label the new revision depends on (repeatable)
    #[arg(long, value_name = "REV", value_delimiter = ',')]
    pub(crate) depends_on: Vec<String>,
    /// The new revision's id [default: 12 random hex digits]
    #[arg(long, value_name = "ID")]
    pub(crate) rev_id: Option<String>,
}

/// The options of `revision --autogenerate` (and `diff`'s shared ones).
#[derive(Debug, Args)]
pub(crate) struct AutogenArgs {
    /// The desired schema: a .sql file or a directory of them
    /// [default: `desired_schema` in pelican.toml]
    #[arg(long, value_name = "PATH", requires = "autogenerate")]
    pub(crate) desired_schema: Option<PathBuf>,
    /// A server where pelican may create and drop scratch databases (the role needs
    /// CREATEDB) [default: `dev_url` in pelican.toml, else a throwaway server from the local
    /// PostgreSQL binaries]
    #[arg(long, value_name = "URL", requires = "autogenerate")]
    pub(crate) dev_url: Option<String>,
    /// Start from the migrations replayed to REV in a scratch database instead of from the
    /// database: no database needed
    #[arg(long, value_name = "REV", num_args = 0..=1, default_missing_value = "head", requires = "autogenerate")]
    pub(crate) from_migrations: Option<String>,
    /// A rename to write as a rename, not a drop and an add: `app.tasks=app.todos` for a
    /// table, `app.tasks.title=app.tasks.name` for a column (repeatable)
    #[arg(long, value_name = "OLD=NEW", requires = "autogenerate")]
    pub(crate) rename: Vec<String>,
    /// Write the safe forms of statements that would hold a busy table's lock (indexes
    /// CONCURRENTLY, constraints NOT VALID then VALIDATE...): a second, `transaction: false`
    /// revision when needed
    #[arg(long, requires = "autogenerate")]
    pub(crate) online: bool,
    /// Compare and write privileges too (GRANT, REVOKE); the roles must exist on the
    /// scratch server
    #[arg(long, requires = "autogenerate")]
    pub(crate) privileges: bool,
    /// Exit non-zero when the generated migration does not verify
    #[arg(long, requires = "autogenerate")]
    pub(crate) strict: bool,
    /// Print the migration instead of writing it
    #[arg(long, requires = "autogenerate")]
    pub(crate) sql: bool,
}

/// `diff`.
#[derive(Debug, Args)]
#[command(
    after_help = "SOURCE is a connection string (postgresql://...), `database` (the \
                  one of --database-url or DATABASE_URL), `migrations` or `migrations@REV` (the \
                  migrations replayed in a scratch database), or a .sql file or directory."
)]
pub(crate) struct DiffArgs {
    /// The schema to start from
    #[arg(long, value_name = "SOURCE")]
    pub(crate) from: String,
    /// The schema to arrive at
    #[arg(long, value_name = "SOURCE")]
    pub(crate) to: String,
    /// `sql`: the statements from one to the other; `text`: the differences, one a line;
    /// `json`: both, with hazards
    #[arg(long, value_enum, default_value_t = DiffFormat::Sql)]
    pub(crate) format: DiffFormat,
    /// Compare privileges too (GRANT, REVOKE)
    #[arg(long)]
    pub(crate) privileges: bool,
    /// A server where pelican may create and drop scratch databases
    /// [default: `dev_url` in pelican.toml, else a throwaway server]
    #[arg(long, value_name = "URL")]
    pub(crate) dev_url: Option<String>,
}

/// `dump`.
#[derive(Debug, Args)]
pub(crate) struct DumpArgs {
    /// Write to this file (replaced whole, never left half-written) [default: stdout]
    #[arg(long, short, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Include privileges (GRANT)
    #[arg(long)]
    pub(crate) privileges: bool,
}

/// `drift`.
#[derive(Debug, Args)]
pub(crate) struct DriftArgs {
    /// `text`: the differences, one a line; `sql`: the statements that were run by hand
    /// (from the migrations' schema to the live one); `json`: both, and the revert
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub(crate) format: DiffFormat,
    /// Write a revision that adopts the live schema into the migrations (verified on a
    /// scratch database first); needs --message and a database at the migrations' head
    #[arg(long, requires = "message", conflicts_with = "revert_sql")]
    pub(crate) fix_revision: bool,
    /// The message of the --fix-revision revision
    #[arg(short, long, requires = "fix_revision")]
    pub(crate) message: Option<String>,
    /// Print the SQL that puts the database back to what its migrations say, for review
    #[arg(long)]
    pub(crate) revert_sql: bool,
    /// Compare privileges too (GRANT, REVOKE)
    #[arg(long)]
    pub(crate) privileges: bool,
    /// A server where pelican may create and drop scratch databases
    /// [default: `dev_url` in pelican.toml, else a throwaway server]
    #[arg(long, value_name = "URL")]
    pub(crate) dev_url: Option<String>,
}

/// `lint`.
#[derive(Debug, Args)]
pub(crate) struct LintArgs {
    /// Migration files to lint [default: every revision of the migrations directory]
    #[arg(value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
    /// `text` (rustc's shape), `json` (an array of findings), or `github` (workflow
    /// annotations)
    #[arg(long, value_enum, default_value_t = LintFormat::Text)]
    pub(crate) format: LintFormat,
    /// Only the revisions after REV (its descendants)
    #[arg(long, value_name = "REV", conflicts_with = "files")]
    pub(crate) since: Option<String>,
    /// With a database, lint every revision, not only those still to run
    #[arg(long, conflicts_with = "files")]
    pub(crate) all: bool,
}

/// `lint --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LintFormat {
    /// For people: rule, severity, file:line:column, the statement, why, and the recipe.
    Text,
    /// An array of objects: revision, file, line, column, rule, severity, message, help.
    Json,
    /// GitHub Actions workflow annotations.
    Github,
}

/// `diff --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DiffFormat {
    /// The statements that turn --from into --to, with their hazards.
    Sql,
    /// The differences, one a line (`+` only in --to, `-` only in --from, `~` changed).
    Text,
    /// Differences, statements both ways, hazards, rename candidates.
    Json,
}

/// `merge`.
#[derive(Debug, Args)]
pub(crate) struct MergeArgs {
    /// The revisions to merge (heads), or `heads` for all of them
    #[arg(required = true, value_name = "REV")]
    pub(crate) revisions: Vec<String>,
    /// The merge revision's message
    #[arg(short, long)]
    pub(crate) message: String,
    /// A branch label for the merge revision (repeatable)
    #[arg(long, value_name = "LABEL", value_delimiter = ',')]
    pub(crate) branch_label: Vec<String>,
    /// The merge revision's id [default: 12 random hex digits]
    #[arg(long, value_name = "ID")]
    pub(crate) rev_id: Option<String>,
}

/// `upgrade`.
#[derive(Debug, Args)]
pub(crate) struct UpgradeArgs {
    /// Where to go: head, heads, <rev>, <label>@head, +N ...; with --sql, [FROM:]TO
    #[arg(
        default_value = "head",
        value_name = "TARGET",
        allow_negative_numbers = true
    )]
    pub(crate) target: String,
    #[command(flatten)]
    pub(crate) run: RunArgs,
}

/// `downgrade`.
#[derive(Debug, Args)]
pub(crate) struct DowngradeArgs {
    /// Where to go: base, <rev>, <label>@base, -N ...; with --sql, FROM:TO
    #[arg(value_name = "TARGET", allow_negative_numbers = true)]
    pub(crate) target: String,
    #[command(flatten)]
    pub(crate) run: RunArgs,
}

/// Options of `upgrade` and `downgrade`.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// Print the SQL script instead of running it (offline: no database needed)
    #[arg(long)]
    pub(crate) sql: bool,
    /// Print what would run, without running it
    #[arg(long, conflicts_with = "sql")]
    pub(crate) dry_run: bool,
    /// Run the whole plan in one transaction (a failure leaves nothing)
    #[arg(long)]
    pub(crate) single_transaction: bool,
    /// Send one revision per round trip instead of several transactional ones at once (a
    /// proxy that wants one transaction per message, or to debug)
    #[arg(long)]
    pub(crate) no_pipeline: bool,
    /// PostgreSQL's lock_timeout while migrations run, e.g. 3s
    #[arg(long, value_name = "DURATION", value_parser = parse_timeout)]
    pub(crate) lock_timeout: Option<Duration>,
    /// PostgreSQL's statement_timeout while migrations run, e.g. 10min
    #[arg(long, value_name = "DURATION", value_parser = parse_timeout)]
    pub(crate) statement_timeout: Option<Duration>,
    /// Tolerate applied revisions the migrations don't have
    #[arg(long)]
    pub(crate) allow_unknown_applied: bool,
    /// Lint the revisions about to run first: `deny` refuses to run any if one has an error,
    /// `warn` prints the findings and runs
    #[arg(long, value_enum, value_name = "deny|warn")]
    pub(crate) lint: Option<LintGate>,
    #[command(flatten)]
    pub(crate) lock: LockArgs,
}

/// `upgrade --lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LintGate {
    /// Refuse to run when a revision about to run has a lint error.
    Deny,
    /// Print the findings, then run.
    Warn,
}

/// `--lock-wait`, `--lock`, `--lease-ttl`, `--direct-url`.
#[derive(Debug, Args)]
pub(crate) struct LockArgs {
    /// How long to wait for another migrator to finish, e.g. 30s
    #[arg(long, value_name = "DURATION", value_parser = parse_wait, default_value = "5min")]
    pub(crate) lock_wait: Duration,
    /// How migrators serialize: a session advisory lock, a lease row (works through
    /// PgBouncer in transaction mode), or auto: the lease behind a pooler [default: `lock` in
    /// pelican.toml, else auto]
    #[arg(long = "lock", value_name = "STRATEGY", value_parser = lock_strategies())]
    pub(crate) strategy: Option<LockStrategy>,
    /// How long a lease lasts unrenewed: a killed migrator's lease is taken over after it
    /// [default: `lease_ttl` in pelican.toml, else 60s]
    #[arg(long, value_name = "DURATION", value_parser = parse_lease_ttl)]
    pub(crate) lease_ttl: Option<Duration>,
    /// A connection string of PostgreSQL itself, not through the pooler, for transaction:
    /// false revisions when the database URL goes through a pooler
    #[arg(long, value_name = "URL")]
    pub(crate) direct_url: Option<String>,
}

/// `stamp`.
#[derive(Debug, Args)]
pub(crate) struct StampArgs {
    /// The revisions to record: ids, heads, base, <label>@head ...; with --sql, [FROM:]TO
    #[arg(required = true, value_name = "TARGET", allow_negative_numbers = true)]
    pub(crate) targets: Vec<String>,
    /// Delete every record first, whatever it is
    #[arg(long)]
    pub(crate) purge: bool,
    /// Print the SQL script instead of running it (offline: no database needed)
    #[arg(long, conflicts_with = "purge")]
    pub(crate) sql: bool,
    /// Tolerate applied revisions the migrations don't have
    #[arg(long)]
    pub(crate) allow_unknown_applied: bool,
    #[command(flatten)]
    pub(crate) lock: LockArgs,
}

/// `history`.
#[derive(Debug, Args)]
pub(crate) struct HistoryArgs {
    /// The revisions to list, START:END (either side may be empty; `current` is the
    /// database's state), e.g. base:head, ae10:, current:heads
    #[arg(short = 'r', long, value_name = "RANGE", allow_hyphen_values = true)]
    pub(crate) rev_range: Option<String>,
    /// Draw the whole graph, like `git log --graph`
    #[arg(long, conflicts_with_all = ["json", "rev_range"])]
    pub(crate) graph: bool,
    /// Print JSON instead of text
    #[arg(long)]
    pub(crate) json: bool,
}

/// `heads`.
#[derive(Debug, Args)]
pub(crate) struct HeadsArgs {
    /// Leave out heads that another revision depends on (the heads `upgrade heads` reaches)
    #[arg(long)]
    pub(crate) resolve_dependencies: bool,
    /// Print JSON instead of text
    #[arg(long)]
    pub(crate) json: bool,
}

/// `show`.
#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// The revision: an id, a unique prefix, a branch label, head, <label>@head ...
    #[arg(value_name = "REV")]
    pub(crate) revision: String,
    /// Print JSON instead of text
    #[arg(long)]
    pub(crate) json: bool,
}

/// `check`.
#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// Check only the migration files (a single head); no database needed
    #[arg(long)]
    pub(crate) files_only: bool,
    /// Print JSON instead of text
    #[arg(long)]
    pub(crate) json: bool,
    /// Check that the migrations at their heads give this schema (a .sql file or a directory
    /// of them) [default: `desired_schema` in pelican.toml; not checked without one]
    #[arg(long, value_name = "PATH")]
    pub(crate) desired_schema: Option<PathBuf>,
    /// A server where pelican may create and drop scratch databases, for the schema and
    /// drift checks [default: `dev_url` in pelican.toml, else a throwaway server]
    #[arg(long, value_name = "URL")]
    pub(crate) dev_url: Option<String>,
}

/// `graph`.
#[derive(Debug, Args)]
pub(crate) struct GraphArgs {
    /// The output format
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    pub(crate) format: GraphFormat,
}

/// `graph --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum GraphFormat {
    /// Graphviz (`dot -Tsvg`)
    Dot,
    /// Mermaid (a flowchart for Markdown)
    Mermaid,
}

/// `resolve`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("outcome").required(true).args(["applied", "forget", "resume"])))]
pub(crate) struct ResolveArgs {
    /// The revision marked failed (its full id)
    #[arg(value_name = "REV")]
    pub(crate) revision: String,
    /// You finished its statements by hand: record it as applied
    #[arg(long)]
    pub(crate) applied: bool,
    /// You undid its statements by hand (or it is unknown): delete its record
    #[arg(long)]
    pub(crate) forget: bool,
    /// You fixed what made a statement fail: run it and the rest of the revision, from the
    /// failed statement its row records
    #[arg(long)]
    pub(crate) resume: bool,
    #[command(flatten)]
    pub(crate) lock: LockArgs,
}

/// `--lock`: one of [`LockStrategy::NAMES`].
fn lock_strategies() -> impl clap::builder::TypedValueParser<Value = LockStrategy> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(LockStrategy::NAMES)
        .map(|name| name.parse().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}

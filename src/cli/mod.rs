//! The `pelican` command line (feature `cli`), and the same commands inside your own binary.
//!
//! The commands are Alembic's (`upgrade`, `downgrade`, `stamp`, `current`, `history`,
//! `heads`, `branches`, `show`, `revision`, `merge`, ...) plus `status`, `check`, `graph`,
//! `resolve` and `repair`; `docs/cli.md` is the reference. Every command is a thin shell over
//! the library ([`Migrator`], [`MigrationSet`], the
//! [`RevisionGraph`](crate::RevisionGraph)): the CLI does nothing the library can't.
//!
//! There are two ways to run them:
//!
//! * the `pelican` binary (`cargo install pelican --features cli`), which reads the
//!   migrations directory at run time ([`main`]); it can run SQL migrations only, since the
//!   Rust ones are compiled into your application;
//! * your own binary, over the migrations compiled into it ([`run`]), so that Rust migrations
//!   run too and production needs no migrations directory:
//!
//! ```no_run
//! // src/bin/migrate.rs: `migrate upgrade head`, `migrate current`, ...
//! # /*
//! static MIGRATIONS: pelican::EmbeddedMigrations = pelican::embed_migrations!("migrations");
//! # */
//! # static MIGRATIONS: pelican::EmbeddedMigrations =
//! #     pelican::embed_migrations!("tests/fixtures/embed/billing");
//!
//! fn main() -> std::process::ExitCode {
//!     pelican::cli::run(&MIGRATIONS)
//! }
//! ```
//!
//! Inside an application that has commands of its own (`myapp migrate upgrade head`), hand
//! over the arguments that follow your command:
//!
//! ```no_run
//! # static MIGRATIONS: pelican::EmbeddedMigrations =
//! #     pelican::embed_migrations!("tests/fixtures/embed/billing");
//! # fn serve() -> std::process::ExitCode { unimplemented!() }
//! fn main() -> std::process::ExitCode {
//!     let args: Vec<String> = std::env::args().collect();
//!     if args.get(1).map(String::as_str) == Some("migrate") {
//!         // The first argument stands for the program name in help, errors and the
//!         // commands pelican suggests: "myapp migrate" makes them read `myapp migrate ...`.
//!         let rest = args[2..].iter().cloned();
//!         return pelican::cli::run_with_args(&MIGRATIONS, std::iter::once("myapp migrate".into()).chain(rest));
//!     }
//!     serve()
//! }
//! ```
//!
//! In an embedded run, every command uses the compiled-in migrations; `revision`, `merge`
//! and `init` write files, so they need the migrations directory, given with `--dir` (or in
//! `pelican.toml`).
//!
//! Exit status: 0 on success, 1 on an error, 2 for a command line that can't be understood,
//! and for `check`, 3 to 7 (see [`CheckStatus`]).

mod args;
mod author;
mod autogenerate;
mod check;
mod check_result;
mod check_schema;
mod database;
mod describe;
mod diff;
mod drift;
mod dump;
mod durations;
mod error;
mod fleet;
mod fleet_args;
mod fleet_progress;
mod fleet_status;
mod fleet_targets;
mod guard;
mod inspect;
mod lint;
mod lint_database;
mod origin;
mod output;
mod progress;
mod redact;
mod settings;

use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use tokio_postgres::Client;

use crate::migration::MigrationSet;
use crate::source::SourceError;
use crate::tls::{ConnectError, Connector};
use crate::Migrator;
use args::{Cli, Command};
use error::CliError;
use origin::Origin;
use output::{Output, Verbosity};
use redact::Redactor;
use settings::Settings;

pub use check_result::CheckStatus;
pub use error::{EXIT_ERROR, EXIT_OK, EXIT_USAGE};

/// How long to wait for the server to answer a connection, unless the connection string says.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs the `pelican` binary: the command line of this process, over the migrations
/// directory (`--dir`, `pelican.toml`, or `./migrations`).
pub fn main() -> ExitCode {
    block_on(Source::Directory, std::env::args_os().collect())
}

/// Runs the command line of this process over `migrations`, the set compiled into your
/// binary (see the [module documentation](self)). Builds a Tokio runtime of its own: inside
/// an async `main`, use [`run_async`].
pub fn run(migrations: impl Into<MigrationSet>) -> ExitCode {
    block_on(
        Source::Embedded(Box::new(migrations.into())),
        std::env::args_os().collect(),
    )
}

/// Like [`run`], with explicit arguments; the first one stands for the program name.
///
/// ```no_run
/// # static MIGRATIONS: pelican::EmbeddedMigrations =
/// #     pelican::embed_migrations!("tests/fixtures/embed/billing");
/// let status = pelican::cli::run_with_args(&MIGRATIONS, ["migrate", "current"]);
/// ```
pub fn run_with_args<I, T>(migrations: impl Into<MigrationSet>, args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    block_on(
        Source::Embedded(Box::new(migrations.into())),
        args.into_iter().map(Into::into).collect(),
    )
}

/// Like [`run_with_args`], on the caller's Tokio runtime.
pub async fn run_async<I, T>(migrations: impl Into<MigrationSet>, args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    let args = args.into_iter().map(Into::into).collect();
    ExitCode::from(execute(Source::Embedded(Box::new(migrations.into())), args).await)
}

/// Where the migrations come from.
enum Source {
    /// Read from the migrations directory.
    Directory,
    /// Compiled into the running binary.
    Embedded(Box<MigrationSet>),
}

fn block_on(source: Source, args: Vec<OsString>) -> ExitCode {
    if tokio::runtime::Handle::try_current().is_ok() {
        eprintln!(
            "error: pelican::cli::run was called inside a Tokio runtime, which can't start \
             another; call `pelican::cli::run_async(migrations, std::env::args_os()).await` \
             instead"
        );
        return ExitCode::from(EXIT_ERROR);
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: could not start the Tokio runtime: {err}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    ExitCode::from(runtime.block_on(execute(source, args)))
}

/// Parses the arguments, runs the command, reports the outcome; returns the exit status.
async fn execute(source: Source, args: Vec<OsString>) -> u8 {
    let program = match &source {
        Source::Directory => "pelican".to_owned(),
        Source::Embedded(_) => args
            .first()
            .and_then(|arg0| Path::new(arg0).file_name())
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| "pelican".to_owned()),
    };
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(err) => return report_clap_error(&err),
    };
    let verbosity = if cli.global.quiet {
        Verbosity::Quiet
    } else if cli.global.verbose {
        Verbosity::Verbose
    } else {
        Verbosity::Normal
    };
    let mut out = Output::standard(cli.global.color, verbosity);
    let settings = match Settings::resolve(&cli.global, |name| std::env::var(name).ok()) {
        Ok(settings) => settings,
        Err(err) => {
            out.error(err.to_string());
            return err.exit_status();
        }
    };
    if let Some((url, _)) = &settings.database_url {
        out.redactor = Redactor::for_connection_string(url);
    }
    let embedded = match source {
        Source::Directory => None,
        Source::Embedded(set) => Some(*set),
    };
    let mut ctx = Context {
        out,
        settings,
        embedded,
        program,
    };
    if let Some(file) = &ctx.settings.config_file {
        ctx.out.detail(format!("settings: {}", file.display()));
    }
    let result = dispatch(&mut ctx, cli.command).await;
    ctx.out.flush();
    match result {
        Ok(()) => EXIT_OK,
        Err(err) => {
            ctx.report(&err);
            ctx.out.flush();
            err.exit_status()
        }
    }
}

/// Prints clap's message (help and version on stdout, errors on stderr, with any password
/// hidden) and returns its exit status.
fn report_clap_error(err: &clap::Error) -> u8 {
    let text = err.render().to_string();
    if err.use_stderr() {
        eprint!("{}", Redactor::default().redact(&text));
    } else {
        print!("{text}");
    }
    u8::try_from(err.exit_code()).unwrap_or(EXIT_USAGE)
}

async fn dispatch(ctx: &mut Context, command: Command) -> Result<(), CliError> {
    match command {
        Command::Init => author::init(ctx),
        Command::Revision(args) if args.autogenerate => autogenerate::revision(ctx, &args).await,
        Command::Revision(args) => author::revision(ctx, &args),
        Command::Merge(args) => author::merge(ctx, &args),
        Command::Upgrade(args) => {
            database::run(ctx, crate::Direction::Up, &args.target, &args.run).await
        }
        Command::Downgrade(args) => {
            database::run(ctx, crate::Direction::Down, &args.target, &args.run).await
        }
        Command::Stamp(args) => database::stamp(ctx, &args).await,
        Command::Status(args) => database::status(ctx, args.json).await,
        Command::Check(args) => check::check(ctx, &args).await,
        Command::Resolve(args) => database::resolve(ctx, &args).await,
        Command::Repair(args) => database::repair(ctx, &args).await,
        Command::Current(args) => inspect::current(ctx, args.json).await,
        Command::History(args) => inspect::history(ctx, &args).await,
        Command::Heads(args) => inspect::heads(ctx, &args),
        Command::Branches(args) => inspect::branches(ctx, args.json),
        Command::Show(args) => inspect::show(ctx, &args),
        Command::Graph(args) => inspect::graph(ctx, &args).await,
        Command::Diff(args) => diff::diff(ctx, &args).await,
        Command::Lint(args) => lint::lint(ctx, &args).await,
        Command::Drift(args) => drift::drift(ctx, &args).await,
        Command::Dump(args) => dump::dump(ctx, &args).await,
        Command::Guard(command) => guard::guard(ctx, &command).await,
        Command::Fleet(command) => fleet::fleet(ctx, &command).await,
    }
}

/// What every command works with.
pub(crate) struct Context {
    pub(crate) out: Output,
    pub(crate) settings: Settings,
    embedded: Option<MigrationSet>,
    /// The program's name, for suggested commands.
    pub(crate) program: String,
}

impl Context {
    /// The migrations: compiled in, or read from the directory.
    pub(crate) fn migrations(&self) -> Result<MigrationSet, CliError> {
        match &self.embedded {
            Some(set) => {
                self.out.detail(format!(
                    "migrations: compiled into {} ({} revisions)",
                    self.program,
                    set.len()
                ));
                Ok(set.clone())
            }
            None => {
                self.out.detail(format!(
                    "migrations: {} ({})",
                    self.settings.dir.display(),
                    self.settings.dir_origin
                ));
                Ok(MigrationSet::from_dir(&self.settings.dir)?)
            }
        }
    }

    /// The directory `command` writes into. In an embedded run, only one given explicitly.
    pub(crate) fn dir_for_writing(&self, command: &'static str) -> Result<&Path, CliError> {
        if self.embedded.is_some() && self.settings.dir_origin == Origin::Default {
            return Err(CliError::NeedsDirectory { command });
        }
        Ok(&self.settings.dir)
    }

    /// The server for scratch databases: `given` (`--dev-url`), else `dev_url` in
    /// pelican.toml; `None` for a throwaway server.
    pub(crate) fn dev_url(&self, given: Option<&String>) -> Option<String> {
        given.cloned().or_else(|| self.settings.dev_url.clone())
    }

    /// Whether a database was given.
    pub(crate) fn has_database(&self) -> bool {
        self.settings.database_url.is_some()
    }

    /// Connects to the database, with the TLS its connection string asks for.
    pub(crate) async fn connect(&self) -> Result<Client, CliError> {
        let (url, origin) = self
            .settings
            .database_url
            .as_ref()
            .ok_or(CliError::NoDatabase)?;
        self.connect_to(url, origin).await
    }

    /// Connects to the database `url` names, honouring its `sslmode` and `sslrootcert`.
    pub(crate) async fn connect_to(&self, url: &str, origin: &Origin) -> Result<Client, CliError> {
        let shown = crate::conninfo::redact(url);
        let mut connector = Connector::new(url).map_err(|error| match error {
            ConnectError::InvalidConnectionString { reason } => CliError::InvalidDatabaseUrl {
                origin: origin.clone(),
                reason,
            },
            other => CliError::Connect {
                shown: shown.clone(),
                error: other,
            },
        })?;
        let config = connector.config_mut();
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("pelican");
        }
        self.out.detail(format!("database: {shown} ({origin})"));
        self.out
            .detail(format!("tls: sslmode={}", connector.ssl_mode().as_str()));
        self.out.detail(format!(
            "history tables: schema {} ({})",
            self.settings.schema, self.settings.schema_origin
        ));
        connector
            .connect()
            .await
            .map_err(|error| CliError::Connect { shown, error })
    }

    /// A migrator over `set`, on the configured schema.
    pub(crate) fn migrator(&self, set: MigrationSet) -> Migrator {
        Migrator::new(set).schema(self.settings.schema.clone())
    }

    /// A migrator over `set` that takes the lock as `args` say (`--lock-wait`, `--lock`,
    /// `--lease-ttl`, `--direct-url`), then pelican.toml (`lock`, `lease_ttl`).
    pub(crate) fn locking_migrator(&self, set: MigrationSet, args: &args::LockArgs) -> Migrator {
        let mut migrator = self.migrator(set).lock_wait(args.lock_wait);
        if let Some(strategy) = args.strategy.or(self.settings.lock) {
            migrator = migrator.lock_strategy(strategy);
        }
        if let Some(ttl) = args.lease_ttl.or(self.settings.lease_ttl) {
            migrator = migrator.lease_ttl(ttl);
        }
        if let Some(url) = &args.direct_url {
            migrator = migrator.direct_url(url.clone());
        }
        migrator
    }

    /// Prints an error, with a hint where one helps.
    fn report(&self, err: &CliError) {
        self.out.error(err.to_string());
        match err {
            CliError::Pelican(crate::Error::Source(SourceError::MissingDir { .. }))
                if self.settings.dir_origin == Origin::Default =>
            {
                self.out.say(format!(
                    "hint: run `{} init` to create it, or give the directory with --dir",
                    self.program
                ));
            }
            CliError::Pelican(crate::Error::NotTransactional { .. })
            | CliError::Offline(crate::offline::OfflineError::NotTransactional { .. }) => {
                self.out
                    .say("hint: leave out --single-transaction for this run");
            }
            _ => {}
        }
    }
}

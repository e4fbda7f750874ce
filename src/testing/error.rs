//! The error type of the test harness.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::sync::Arc;
use std::time::Duration;

/// Every way the test harness can fail. Each message names the binary, path or server
/// involved and, where there is one, what to do about it.
///
/// Connection strings inside messages are always shown with their password replaced by
/// `***`. `Debug` prints the same text as `Display`, so a test that returns this error (or
/// calls `unwrap` on it) shows a readable message. The error is `Clone` so that the one
/// failure of [`TestServer::shared`](super::TestServer::shared) can be handed to every test
/// that asks for the shared server.
#[derive(Clone, thiserror::Error)]
#[non_exhaustive]
pub enum TestingError {
    /// No directory with the PostgreSQL server programs (`initdb`, `postgres`, `pg_ctl`).
    #[error(
        "no PostgreSQL server binaries found (looked for initdb, postgres and pg_ctl in {}): \
         install PostgreSQL (Debian/Ubuntu: apt-get install postgresql), set {bin_dir_var} to \
         the directory holding initdb, or set DATABASE_URL to use an existing server",
        list_paths(searched)
    )]
    NoBinaries {
        /// The directories that were searched, in order.
        searched: Vec<PathBuf>,
        /// The environment variable that selects a directory explicitly.
        bin_dir_var: &'static str,
    },

    /// The directory named by the bin-dir environment variable lacks a server program.
    #[error(
        "{variable}={} has no `{missing}`: point it at the bin directory of a PostgreSQL server \
         installation (the one holding initdb, postgres and pg_ctl)",
        dir.display()
    )]
    IncompleteBinDir {
        /// The environment variable that named the directory.
        variable: &'static str,
        /// The directory it named.
        dir: PathBuf,
        /// The program that is not in it.
        missing: &'static str,
    },

    /// A client program such as `psql` was asked for and is not installed.
    #[error(
        "PostgreSQL program `{program}` not found (looked in {}): install the PostgreSQL \
         client programs (Debian/Ubuntu: apt-get install postgresql-client)",
        list_paths(searched)
    )]
    ProgramNotFound {
        /// The program that was asked for.
        program: String,
        /// The directories that were searched, in order.
        searched: Vec<PathBuf>,
    },

    /// Running as root, with no unprivileged account to run the server as.
    #[error(
        "running as root, and neither a `postgres` nor a `nobody` user exists in {}: \
         PostgreSQL refuses to run as root; create a `postgres` user, run the tests as a \
         normal user, or set DATABASE_URL to use an existing server",
        passwd.display()
    )]
    NoUnprivilegedUser {
        /// The account database that was read.
        passwd: PathBuf,
    },

    /// A file-system operation on the throwaway server's files failed.
    #[error("could not {action} {}: {error}", path.display())]
    Filesystem {
        /// What was being done, as a verb phrase ("create the test server directory").
        action: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The operating system's error.
        error: Arc<io::Error>,
    },

    /// A PostgreSQL program could not be started at all.
    #[error("could not run {}: {error}", program.display())]
    Spawn {
        /// The program.
        program: PathBuf,
        /// The operating system's error.
        error: Arc<io::Error>,
    },

    /// `initdb` ran and failed.
    #[error(
        "{} failed ({status}) creating {}; its output ends with:\n{output}",
        program.display(),
        data_dir.display()
    )]
    Initdb {
        /// The `initdb` that ran.
        program: PathBuf,
        /// The data directory it was creating.
        data_dir: PathBuf,
        /// How it exited.
        status: ExitStatus,
        /// The last lines of its output.
        output: String,
    },

    /// `pg_basebackup` ran and failed while making a standby's data directory.
    #[error(
        "{} failed ({status}) copying the primary into {}; its output ends with:\n{output}",
        program.display(),
        data_dir.display()
    )]
    BaseBackup {
        /// The `pg_basebackup` that ran.
        program: PathBuf,
        /// The standby's data directory it was filling.
        data_dir: PathBuf,
        /// How it exited.
        status: ExitStatus,
        /// The last lines of its output.
        output: String,
    },

    /// A standby was asked of a server that streams no WAL.
    #[error(
        "cannot start a standby of the server at {target}: it was not started with \
         TestServer::start_primary() (other throwaway servers run with wal_level = minimal and \
         no WAL senders)"
    )]
    NotPrimary {
        /// The connection string, password hidden.
        target: String,
    },

    /// The server process exited before it accepted connections.
    #[error(
        "the throwaway PostgreSQL server exited during startup ({status}); the end of its log {}:\n{log_tail}",
        log.display()
    )]
    ServerExited {
        /// How it exited.
        status: ExitStatus,
        /// The server log.
        log: PathBuf,
        /// The last lines of the server log.
        log_tail: String,
    },

    /// The server did not become ready in time.
    #[error(
        "the throwaway PostgreSQL server did not accept connections within {}s; the end of its log {}:\n{log_tail}",
        waited.as_secs(),
        log.display()
    )]
    StartTimeout {
        /// How long the harness waited.
        waited: Duration,
        /// The server log.
        log: PathBuf,
        /// The last lines of the server log.
        log_tail: String,
    },

    /// `pg_ctl stop` failed while restarting the server.
    #[error("{} stop failed ({status}) for {}: {output}", program.display(), data_dir.display())]
    Stop {
        /// The `pg_ctl` that ran.
        program: PathBuf,
        /// The data directory of the server.
        data_dir: PathBuf,
        /// How it exited.
        status: ExitStatus,
        /// What it printed.
        output: String,
    },

    /// The connection string (from `DATABASE_URL` or given in code) can't be parsed.
    #[error(
        "{origin} is not a valid PostgreSQL connection string ({reason}); expected e.g. \
         postgresql://user:password@localhost:5432/postgres"
    )]
    InvalidConnectionString {
        /// Where the string came from (`DATABASE_URL`, or the argument of `from_url`).
        origin: &'static str,
        /// What the parser said.
        reason: String,
    },

    /// Connecting to the server failed.
    #[error("could not connect to {target}: {reason}")]
    Connect {
        /// The connection string, password hidden.
        target: String,
        /// What went wrong, with PostgreSQL's message when there is one.
        reason: String,
    },

    /// A statement of the harness (creating or dropping a database) failed.
    #[error("could not {action} on {target}: {reason}")]
    Statement {
        /// What was being done ("create database pelican_test_1").
        action: String,
        /// The connection string, password hidden.
        target: String,
        /// What went wrong, with PostgreSQL's message when there is one.
        reason: String,
    },

    /// Migrating a throwaway schema or database, or the template databases are cloned from,
    /// failed.
    #[error("could not migrate {place} to `{target}`: {reason}")]
    Migrate {
        /// What was migrated ("test schema pelican_tmp_… in postgresql://…").
        place: String,
        /// The target it was migrated to.
        target: String,
        /// The migrator's error.
        reason: String,
    },

    /// A fixture (SQL run after migrating) failed.
    #[error("fixture {fixture} failed in {place}: {reason}")]
    Fixture {
        /// The fixture's file, as given.
        fixture: String,
        /// Where it ran ("test schema pelican_tmp_… in postgresql://…").
        place: String,
        /// PostgreSQL's message.
        reason: String,
    },

    /// The operation needs a server the harness started itself.
    #[error(
        "cannot {operation} the server at {target}: it comes from DATABASE_URL (or from_url), not \
         from the test harness; use TestServer::start_throwaway() in tests that {operation} the server"
    )]
    NotThrowaway {
        /// The operation ("restart").
        operation: &'static str,
        /// The connection string, password hidden.
        target: String,
    },

    /// PgBouncer, asked for by [`TestPooler`](super::TestPooler), is not installed.
    #[error(
        "pgbouncer not found (looked in {}): install it (Debian/Ubuntu: apt-get install \
         pgbouncer), or name the program in PELICAN_PGBOUNCER",
        list_paths(searched)
    )]
    PoolerNotFound {
        /// The directories that were searched, in order.
        searched: Vec<PathBuf>,
    },

    /// PgBouncer did not start accepting connections.
    #[error(
        "the throwaway PgBouncer did not accept connections within 10s; the end of its log {}:\n{log_tail}",
        log.display()
    )]
    PoolerStart {
        /// PgBouncer's log.
        log: PathBuf,
        /// The last lines of the log.
        log_tail: String,
    },

    /// The shared server must not be restarted: other tests are using it.
    #[error(
        "refusing to restart the shared test server: every other test using it would lose its \
         connections; start a private one with TestServer::start_throwaway()"
    )]
    RestartShared,
}

impl fmt::Debug for TestingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl TestingError {
    pub(crate) fn filesystem(
        action: &'static str,
        path: impl Into<PathBuf>,
        error: io::Error,
    ) -> Self {
        TestingError::Filesystem {
            action,
            path: path.into(),
            error: Arc::new(error),
        }
    }

    pub(crate) fn spawn(program: impl Into<PathBuf>, error: io::Error) -> Self {
        TestingError::Spawn {
            program: program.into(),
            error: Arc::new(error),
        }
    }
}

fn list_paths(paths: &[PathBuf]) -> String {
    if paths.is_empty() {
        return "no candidate directory".to_owned();
    }
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Renders a tokio-postgres error with its causes: its own `Display` says only "db error",
/// PostgreSQL's message is in the source chain.
pub(crate) fn describe_postgres_error(error: &tokio_postgres::Error) -> String {
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(error);
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

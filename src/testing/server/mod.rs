//! The PostgreSQL server tests run on: [`TestServer`], a throwaway cluster started from the
//! local binaries (as the `postgres` user when root, watched so it dies with the test process)
//! or the server `DATABASE_URL` names, and a fresh [`TestDatabase`] on it; a throwaway
//! PgBouncer in front of one ([`TestPooler`]).

mod account;
mod binaries;
mod cluster;
pub(crate) mod database;
mod pooler;
pub(crate) mod teardown;
mod template;
mod watchdog;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use tokio_postgres::{Client, Config};

pub use database::{TestDatabase, DATABASE_PREFIX};
pub use pooler::{TestPooler, PGBOUNCER_VAR};

use crate::conninfo;
use crate::testing::error;
use crate::testing::TestingError;
use cluster::{Cluster, Kind};

/// The environment variable naming an existing server to use instead of a throwaway one.
pub const DATABASE_URL_VAR: &str = "DATABASE_URL";

/// The environment variable naming the directory of the PostgreSQL programs, when the
/// harness should not search for them.
pub const BIN_DIR_VAR: &str = binaries::BIN_DIR_VAR;

/// A PostgreSQL server for tests: a throwaway cluster the harness started, or an existing
/// server named by `DATABASE_URL`.
///
/// A throwaway server is stopped and its directory deleted when the value is dropped, and in
/// any case when the test process ends (see the [module documentation](crate::testing)).
pub struct TestServer {
    /// `None` for a server given by a connection string.
    pub(in crate::testing) cluster: Option<Cluster>,
    /// The server's maintenance database (`postgres` for a throwaway server, the database
    /// of the connection string otherwise).
    pub(in crate::testing) config: Config,
    pub(in crate::testing) connection_string: String,
    /// `connection_string` with its password hidden.
    pub(in crate::testing) shown: String,
    /// Where the PostgreSQL programs are, if anywhere.
    pub(in crate::testing) bin_dir: Option<PathBuf>,
    /// The one from [`TestServer::shared`], which must not be restarted.
    pub(in crate::testing) shared: bool,
}

impl TestServer {
    /// The server shared by every test of this process, started by the first call.
    ///
    /// It is the `DATABASE_URL` server when that variable is set, a throwaway one otherwise.
    /// Any number of tests and threads may call this at once: one starts the server, the
    /// others wait for it. If starting failed, every call returns that same error.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), pelican::testing::TestingError> {
    /// use pelican::testing::TestServer;
    ///
    /// let server = TestServer::shared()?;
    /// let database = server.create_database().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn shared() -> Result<&'static TestServer, TestingError> {
        static SHARED: OnceLock<Result<TestServer, TestingError>> = OnceLock::new();
        SHARED
            .get_or_init(|| {
                TestServer::start().map(|mut server| {
                    server.shared = true;
                    server
                })
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// A server of its own for the caller: the `DATABASE_URL` server when that variable is
    /// set, a new throwaway one otherwise. Blocks until the server accepts connections.
    pub fn start() -> Result<TestServer, TestingError> {
        match std::env::var(DATABASE_URL_VAR) {
            Ok(url) if !url.trim().is_empty() => TestServer::connect_to(&url, "DATABASE_URL"),
            _ => TestServer::start_throwaway(),
        }
    }

    /// A new throwaway server, whatever `DATABASE_URL` says: for tests that restart the
    /// server or look at its files. Blocks until the server accepts connections (about a
    /// second).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use pelican::testing::TestServer;
    ///
    /// let server = TestServer::start_throwaway()?;
    /// assert!(server.data_dir().ok_or("not throwaway")?.join("PG_VERSION").is_file());
    /// let database = server.create_database().await?;
    /// server.restart().await?;
    /// let client = database.connect().await?; // new connections work again
    /// # Ok(())
    /// # }
    /// ```
    pub fn start_throwaway() -> Result<TestServer, TestingError> {
        TestServer::throwaway(None)
    }

    /// A new throwaway server that standbys can stream from (`wal_level = replica` and WAL
    /// senders; the usual throwaway server has neither): start one with
    /// [`start_standby`](Self::start_standby).
    pub fn start_primary() -> Result<TestServer, TestingError> {
        let cluster = Cluster::start_as(binaries::server_bin_dir()?, Kind::Primary, None)?;
        Ok(TestServer::of_cluster(cluster))
    }

    /// A new hot standby of this server (made with [`start_primary`](Self::start_primary)):
    /// a copy of its data taken with `pg_basebackup -R`, started, and streaming its WAL.
    /// It accepts read-only connections (`pg_is_in_recovery()` is true there), to the
    /// databases the primary had and those it creates later, once replayed. Blocks until
    /// the standby accepts connections.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// use pelican::testing::TestServer;
    ///
    /// let primary = TestServer::start_primary()?;
    /// let standby = primary.start_standby()?;
    /// let row = standby.connect().await?.query_one("SELECT pg_is_in_recovery()", &[]).await?;
    /// assert!(row.get::<_, bool>(0));
    /// # Ok(())
    /// # }
    /// ```
    pub fn start_standby(&self) -> Result<TestServer, TestingError> {
        let primary = self
            .cluster
            .as_ref()
            .filter(|cluster| cluster.is_primary())
            .ok_or_else(|| TestingError::NotPrimary {
                target: self.shown.clone(),
            })?;
        let cluster = Cluster::start_as(
            primary.bin_dir().to_path_buf(),
            Kind::StandbyOf(primary),
            None,
        )?;
        Ok(TestServer::of_cluster(cluster))
    }

    /// A new throwaway server that also listens on `127.0.0.1`, at a free
    /// [`tcp_port`](Self::tcp_port): for tests of what only TCP has (TLS, `host` lines of
    /// `pg_hba.conf`). Its [`config`](Self::config) still uses the Unix-domain socket.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use pelican::testing::TestServer;
    ///
    /// let server = TestServer::start_throwaway_tcp()?;
    /// let port = server.tcp_port().ok_or("no TCP port")?;
    /// let url = format!("postgresql://postgres@127.0.0.1:{port}/postgres?sslmode=disable");
    /// let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
    /// tokio::spawn(connection);
    /// client.simple_query("SELECT 1").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn start_throwaway_tcp() -> Result<TestServer, TestingError> {
        let port = std::net::TcpListener::bind(("127.0.0.1", 0))
            .and_then(|listener| listener.local_addr())
            .map_err(|error| TestingError::filesystem("find a free TCP port", "127.0.0.1", error))?
            .port();
        TestServer::throwaway(Some(port))
    }

    fn throwaway(tcp_port: Option<u16>) -> Result<TestServer, TestingError> {
        let cluster = Cluster::start(binaries::server_bin_dir()?, tcp_port)?;
        Ok(TestServer::of_cluster(cluster))
    }

    /// The server of a cluster the harness started, as its superuser, on its socket.
    fn of_cluster(cluster: Cluster) -> TestServer {
        let mut config = Config::new();
        config
            .host_path(cluster.socket_dir())
            .port(cluster.port())
            .user(cluster::SUPERUSER)
            .dbname("postgres");
        let connection_string = format!(
            "postgresql://{user}@/postgres?host={host}&port={port}",
            user = cluster::SUPERUSER,
            host = conninfo::percent_encode(&cluster.socket_dir().to_string_lossy()),
            port = cluster.port(),
        );
        TestServer {
            config,
            shown: connection_string.clone(),
            connection_string,
            bin_dir: Some(cluster.bin_dir().to_path_buf()),
            cluster: Some(cluster),
            shared: false,
        }
    }

    /// An existing server, given by a connection string (URL or `key=value` form). Nothing
    /// is started; the databases made with [`create_database`](Self::create_database) are
    /// created through the database the string names, so its role needs `CREATEDB`.
    pub fn from_url(connection_string: &str) -> Result<TestServer, TestingError> {
        TestServer::connect_to(
            connection_string,
            "the connection string given to TestServer::from_url",
        )
    }

    fn connect_to(
        connection_string: &str,
        origin: &'static str,
    ) -> Result<TestServer, TestingError> {
        let config: Config =
            connection_string
                .parse()
                .map_err(
                    |error: tokio_postgres::Error| TestingError::InvalidConnectionString {
                        origin,
                        reason: error::describe_postgres_error(&error),
                    },
                )?;
        let bin_dir = binaries::server_bin_dir().ok().or_else(|| {
            binaries::find_program(None, "psql")
                .ok()
                .and_then(|psql| psql.parent().map(Path::to_path_buf))
        });
        Ok(TestServer {
            cluster: None,
            config,
            shown: conninfo::redact(connection_string),
            connection_string: connection_string.to_owned(),
            bin_dir,
            shared: false,
        })
    }

    /// Creates a database with a fresh name (see [`DATABASE_PREFIX`]) and returns it; it is
    /// dropped when the returned value is.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// use pelican::testing::TestServer;
    ///
    /// let server = TestServer::shared()?;
    /// let (first, second) = (server.create_database().await?, server.create_database().await?);
    /// assert_ne!(first.name(), second.name());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn create_database(&self) -> Result<TestDatabase, TestingError> {
        // On PostgreSQL 15+, copying the template's files (with a checkpoint) takes a third
        // of the time of the default WAL-logged copy. Checkpoints are cheap here, not on
        // someone's DATABASE_URL server.
        let options = match &self.cluster {
            Some(cluster) if cluster.major_version() >= 15 => " STRATEGY = FILE_COPY",
            _ => "",
        };
        TestDatabase::create(&self.config, &self.connection_string, &self.shown, options).await
    }

    /// Connects to the server's maintenance database (`postgres` on a throwaway server,
    /// the database `DATABASE_URL` names otherwise). Tests should work in a database of
    /// their own instead; this is for looking at the server as a whole (`pg_database`).
    pub async fn connect(&self) -> Result<Client, TestingError> {
        database::connect(&self.config, &self.shown).await
    }

    /// Connection settings of the maintenance database.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The connection string of the maintenance database (it includes the password, if
    /// `DATABASE_URL` has one: don't print it).
    pub fn connection_string(&self) -> &str {
        &self.connection_string
    }

    /// Whether the harness started this server (and so may restart it, and has its files).
    pub fn is_throwaway(&self) -> bool {
        self.cluster.is_some()
    }

    /// The directory of the PostgreSQL programs (`psql`, `pg_ctl`, `pg_dump`...): the ones
    /// the throwaway server runs, or for a `DATABASE_URL` server the ones installed here, if
    /// any.
    pub fn bin_dir(&self) -> Option<&Path> {
        self.bin_dir.as_deref()
    }

    /// The path of the PostgreSQL program `name` (`"psql"`), from [`bin_dir`](Self::bin_dir)
    /// or, failing that, the usual places; an error naming where it looked otherwise.
    ///
    /// ```no_run
    /// # fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// use pelican::testing::TestServer;
    ///
    /// let server = TestServer::shared()?;
    /// let output = std::process::Command::new(server.program("psql")?)
    ///     .arg(server.connection_string())
    ///     .args(["-tAc", "SELECT 1"])
    ///     .output()?;
    /// assert_eq!(String::from_utf8(output.stdout)?.trim(), "1");
    /// # Ok(())
    /// # }
    /// ```
    pub fn program(&self, name: &str) -> Result<PathBuf, TestingError> {
        binaries::find_program(self.bin_dir(), name)
    }

    /// The port a throwaway server listens on at `127.0.0.1`, if it does
    /// ([`start_throwaway_tcp`](Self::start_throwaway_tcp)).
    pub fn tcp_port(&self) -> Option<u16> {
        self.cluster.as_ref().and_then(Cluster::tcp_port)
    }

    /// The data directory of a throwaway server.
    pub fn data_dir(&self) -> Option<&Path> {
        self.cluster.as_ref().map(Cluster::data_dir)
    }

    /// The log file of a throwaway server (its stdout and stderr, across restarts).
    pub fn log_path(&self) -> Option<&Path> {
        self.cluster.as_ref().map(Cluster::log_path)
    }

    /// Restarts a throwaway server: a fast shutdown (open sessions are ended, as when a
    /// production server restarts), then a start on the same data and socket. Returns once
    /// the server accepts connections again; existing clients stay broken, new connections
    /// work.
    ///
    /// Refused for the [shared](Self::shared) server (it would break every other test) and
    /// for a `DATABASE_URL` server (it is not ours): use
    /// [`start_throwaway`](Self::start_throwaway). Needs a tokio runtime with timers, as
    /// `#[tokio::test]` has.
    pub async fn restart(&self) -> Result<(), TestingError> {
        let Some(cluster) = &self.cluster else {
            return Err(TestingError::NotThrowaway {
                operation: "restart",
                target: self.shown.clone(),
            });
        };
        if self.shared {
            return Err(TestingError::RestartShared);
        }
        cluster.restart().await
    }
}

impl fmt::Debug for TestServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestServer")
            .field("connection_string", &self.shown)
            .field("throwaway", &self.is_throwaway())
            .field("shared", &self.shared)
            .field("data_dir", &self.data_dir())
            .field("bin_dir", &self.bin_dir)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_connection_string_is_named_and_not_echoed() {
        let error = TestServer::from_url("postgres://u:hunter2@localhost:notaport/db").unwrap_err();
        assert_eq!(
            error.to_string(),
            "the connection string given to TestServer::from_url is not a valid PostgreSQL \
             connection string (invalid connection string: invalid value for option `port`); \
             expected e.g. postgresql://user:password@localhost:5432/postgres"
        );
    }

    #[test]
    fn debug_output_hides_the_password() {
        let server = TestServer::from_url("postgresql://alice:hunter2@localhost:5432/app").unwrap();
        let shown = format!("{server:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(
            shown.contains("postgresql://alice:***@localhost:5432/app"),
            "{shown}"
        );
    }
}

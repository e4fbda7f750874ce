//! One fresh database per test.

use std::fmt;
use std::time::Duration;

use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Config, NoTls};

use crate::conninfo;
use crate::quote::ident;
use crate::testing::error::describe_postgres_error;
use crate::testing::names::{next_number, salt};
use crate::testing::server::teardown;
use crate::testing::TestingError;

/// Prefix of every database the harness creates, so that leftovers on a shared server (from
/// a run that was killed) are easy to find: `SELECT datname FROM pg_database WHERE datname
/// LIKE 'pelican_test_%'`.
pub const DATABASE_PREFIX: &str = "pelican_test_";

/// How long dropping a database may take before the harness gives up on it.
const DROP_TIMEOUT: Duration = Duration::from_secs(10);

/// A database created for one test, dropped (`DROP DATABASE ... WITH (FORCE)`) when this
/// value is dropped.
///
/// Made by [`TestServer::create_database`](super::TestServer::create_database). It gives the
/// connection settings in the two forms tests need: a [`tokio_postgres::Config`] for code in
/// the test, and a [`connection_string`](Self::connection_string) for programs the test runs
/// (`psql`, the `pelican` CLI).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use pelican::testing::TestServer;
///
/// let server = TestServer::shared()?;
/// let database = server.create_database().await?;
/// let client = database.connect().await?;
/// client.batch_execute("CREATE TABLE tasks (id int); INSERT INTO tasks VALUES (1)").await?;
///
/// let output = std::process::Command::new(server.program("psql")?)
///     .arg(database.connection_string())
///     .args(["-X", "-tAc", "SELECT count(*) FROM tasks"])
///     .output()?;
/// assert_eq!(String::from_utf8(output.stdout)?.trim(), "1");
/// # Ok(())
/// # }
/// ```
pub struct TestDatabase {
    name: String,
    config: Config,
    connection_string: String,
    /// The server's own database, from which this one is dropped.
    maintenance: Config,
    /// The server's connection string with its password hidden, for messages.
    server_shown: String,
}

impl TestDatabase {
    /// Creates a database with a fresh name through the server's maintenance database;
    /// `options` follow `CREATE DATABASE <name>`.
    pub(crate) async fn create(
        maintenance: &Config,
        server_connection_string: &str,
        server_shown: &str,
        options: &str,
    ) -> Result<TestDatabase, TestingError> {
        let name = unique_name();
        let client = connect(maintenance, server_shown).await?;
        client
            .batch_execute(&format!("CREATE DATABASE {}{options}", ident(&name)))
            .await
            .map_err(|error| {
                let mut reason = describe_postgres_error(&error);
                if error.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE) {
                    reason.push_str(
                        "; the harness creates a database per test, so the role needs the \
                         CREATEDB privilege (ALTER ROLE <role> CREATEDB)",
                    );
                }
                TestingError::Statement {
                    action: format!("create database {name}"),
                    target: server_shown.to_owned(),
                    reason,
                }
            })?;
        let mut config = maintenance.clone();
        config.dbname(&name);
        Ok(TestDatabase {
            connection_string: conninfo::with_dbname(server_connection_string, &name),
            name,
            config,
            maintenance: maintenance.clone(),
            server_shown: server_shown.to_owned(),
        })
    }

    /// Takes charge of a database the harness created under its own name (a clone of a
    /// template): it is dropped with the returned value, like one from [`create`](Self::create).
    pub(crate) fn adopt(
        name: String,
        maintenance: &Config,
        server_connection_string: &str,
        server_shown: &str,
    ) -> TestDatabase {
        let mut config = maintenance.clone();
        config.dbname(&name);
        TestDatabase {
            connection_string: conninfo::with_dbname(server_connection_string, &name),
            name,
            config,
            maintenance: maintenance.clone(),
            server_shown: server_shown.to_owned(),
        }
    }

    /// The database's name: `pelican_test_` followed by the process id, a counter and a
    /// random part.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Connection settings for this database.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// A libpq connection string for this database, for `psql` and other programs: a
    /// `postgresql://` URL, or `key=value` pairs when `DATABASE_URL` was written that way.
    /// It includes the password, if `DATABASE_URL` has one: don't print it.
    pub fn connection_string(&self) -> &str {
        &self.connection_string
    }

    /// Connects to this database. The connection is driven by a task spawned on the current
    /// tokio runtime, so call this from inside one (as `#[tokio::test]` does).
    pub async fn connect(&self) -> Result<Client, TestingError> {
        connect(&self.config, &conninfo::redact(&self.connection_string)).await
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let maintenance = self.maintenance.clone();
        let name = self.name.clone();
        let shown = self.server_shown.clone();
        let outcome =
            teardown::run_aside("pelican-drop-database", DROP_TIMEOUT, move || async move {
                drop_database(&maintenance, &name, &shown).await
            });
        if let Err(reason) = outcome {
            tracing::warn!(database = %self.name, server = %self.server_shown, "could not drop test database: {reason}");
        }
    }
}

impl fmt::Debug for TestDatabase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestDatabase")
            .field("name", &self.name)
            .field(
                "connection_string",
                &conninfo::redact(&self.connection_string),
            )
            .finish()
    }
}

async fn drop_database(maintenance: &Config, name: &str, shown: &str) -> Result<(), String> {
    let client = connect(maintenance, shown)
        .await
        .map_err(|e| e.to_string())?;
    end_sessions(&client, name).await;
    client
        .batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            ident(name)
        ))
        .await
        .map_err(|error| describe_postgres_error(&error))
}

/// Ends the sessions still connected to `name` and waits (briefly) until they are gone.
///
/// `DROP DATABASE ... WITH (FORCE)` would end them too, but then sleeps 100ms before looking
/// again; and there nearly always is one: the test's client, dropped just before the
/// database, whose connection task can't run while `Drop` blocks the test's thread.
pub(crate) async fn end_sessions(client: &Client, name: &str) {
    const SETTLE: Duration = Duration::from_secs(2);
    let deadline = std::time::Instant::now() + SETTLE;
    loop {
        // Counts the sessions still there (ending each again is harmless): zero once gone.
        let left = client
            .query_one(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                 WHERE datname = $1 AND pid <> pg_backend_pid()",
                &[&name],
            )
            .await;
        match left {
            Ok(row) if row.get::<_, i64>(0) > 0 && std::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(2)).await
            }
            // Gone, or we can't tell: the drop itself will deal with the rest.
            _ => return,
        }
    }
}

/// Connects with `config` and spawns the connection's task on the current runtime.
pub(crate) async fn connect(config: &Config, shown: &str) -> Result<Client, TestingError> {
    let (client, connection) =
        config
            .connect(NoTls)
            .await
            .map_err(|error| TestingError::Connect {
                target: shown.to_owned(),
                reason: describe_postgres_error(&error),
            })?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!("test connection ended: {}", describe_postgres_error(&error));
        }
    });
    Ok(client)
}

/// `pelican_test_<pid>_<counter>_<random>`: unique within the process by the counter, and
/// across processes and machines sharing one `DATABASE_URL` server by pid and random part.
fn unique_name() -> String {
    format!(
        "{DATABASE_PREFIX}{}_{}_{:08x}",
        std::process::id(),
        next_number(),
        salt()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_valid_identifiers() {
        let first = unique_name();
        let second = unique_name();
        assert_ne!(first, second);
        for name in [&first, &second] {
            assert!(name.starts_with(DATABASE_PREFIX), "{name}");
            assert!(
                name.len() <= 63,
                "longer than PostgreSQL's identifier limit: {name}"
            );
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{name}"
            );
        }
    }
}

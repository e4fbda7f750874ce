//! [`TempSchema`]: a migrated schema of its own for one test, dropped with the value.

use std::fmt;
use std::time::Duration;

use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Config};

use crate::conninfo;
use crate::quote::ident;
use crate::testing::error::describe_postgres_error;
use crate::testing::names::unique_temp_name;
use crate::testing::server::database::connect;
use crate::testing::server::teardown;
use crate::testing::temp::janitor;
use crate::testing::temp::setup::ServerRef;
use crate::testing::TempSetup;
use crate::testing::TestingError;
use crate::{MigrationSet, Migrator};

/// How long dropping a schema may take before the harness gives up on it.
const DROP_TIMEOUT: Duration = Duration::from_secs(10);

/// A schema made for one test, migrated, with connection settings whose `search_path` is that
/// schema alone; dropped (`DROP SCHEMA ... CASCADE`) when the value is dropped, also when the
/// test panics.
///
/// The schema lives in the server's own database (`postgres` on the throwaway server, the
/// database `DATABASE_URL` names otherwise), so it needs no `CREATE DATABASE` privilege; the
/// migrations run with it as their `search_path`, and its history tables are in it too. Tests
/// with schemas of their own never see each other's tables, as long as the migrations don't
/// name a schema (`CREATE TABLE billing.invoices` escapes it: use a
/// [`TempDatabase`](super::TempDatabase) for those).
///
/// Its name is `pelican_tmp_<created>_<pid>_<n>_<random>`; schemas left by a crashed run are
/// removed after an hour (see [`sweep_leftovers`](super::sweep_leftovers)).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use pelican::testing::TempSchema;
///
/// static MIGRATIONS: pelican::EmbeddedMigrations =
///     pelican::embed_migrations!("tests/fixtures/temp/migrations");
///
/// let schema = TempSchema::new(&MIGRATIONS).await?;
/// let client = schema.connect().await?;
/// client.execute("INSERT INTO tasks (title) VALUES ('write the docs')", &[]).await?;
/// let table: String = client
///     .query_one("SELECT table_schema::text FROM information_schema.tables WHERE table_name = 'tasks'", &[])
///     .await?
///     .get(0);
/// assert_eq!(table, schema.name());
/// # Ok(())
/// # }
/// ```
pub struct TempSchema {
    name: String,
    config: Config,
    connection_string: String,
    setup: TempSetup,
    server: ServerRef,
}

impl TempSchema {
    /// A schema migrated to every head of `migrations`, on the shared server. See
    /// [`TempSetup`] for a target, fixtures or another server.
    pub async fn new(migrations: impl Into<MigrationSet>) -> Result<TempSchema, TestingError> {
        TempSetup::new(migrations).schema().await
    }

    pub(crate) async fn create(setup: &TempSetup) -> Result<TempSchema, TestingError> {
        let server = setup.resolve_server()?;
        if let Some(history) = setup.chosen_history_schema() {
            return Err(TestingError::Statement {
                action: "make a TempSchema".into(),
                target: server.shown.clone(),
                reason: format!(
                    "its setup says history_schema(\"{history}\"), but a TempSchema keeps \
                     its history in the throwaway schema itself; drop the option, or use a \
                     TempDatabase"
                ),
            });
        }
        janitor::sweep_once(&server).await;
        let name = unique_temp_name();
        let admin = connect(&server.config, &server.shown).await?;
        admin
            .batch_execute(&format!("CREATE SCHEMA {}", ident(&name)))
            .await
            .map_err(|error| {
                let mut reason = describe_postgres_error(&error);
                if error.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE) {
                    reason.push_str(
                        "; a TempSchema is made in the database the connection string names, \
                         so the role needs CREATE on it (GRANT CREATE ON DATABASE <database> \
                         TO <role>)",
                    );
                }
                TestingError::Statement {
                    action: format!("create schema {name}"),
                    target: server.shown.clone(),
                    reason,
                }
            })?;
        drop(admin);

        let mut config = server.config.clone();
        let options = match server.config.get_options() {
            Some(existing) if !existing.trim().is_empty() => {
                format!("{existing} -c search_path={name}")
            }
            _ => format!("-c search_path={name}"),
        };
        // The application name marks the schema's sessions, so that dropping it can end them.
        config.options(options).application_name(&name);
        let schema = TempSchema {
            connection_string: with_search_path(&server.connection_string, &name),
            config,
            name,
            setup: setup.clone(),
            server,
        };
        // From here on, a failure drops the schema with the value.
        let place = schema.place();
        let client = schema.connect().await?;
        setup.migrate(&client, &schema.name, &place).await?;
        setup.run_fixtures(&client, &place).await?;
        Ok(schema)
    }

    /// The schema's name: `pelican_tmp_` followed by the creation time, the process id, a
    /// counter and a random part.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Connection settings whose `search_path` is this schema (through the `options`
    /// startup parameter), e.g. for a pool: `deadpool_postgres::Manager::new(config, NoTls)`.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// A libpq connection string with the same `search_path`, for `psql` and other programs.
    /// It includes the password, if `DATABASE_URL` has one: don't print it.
    pub fn connection_string(&self) -> &str {
        &self.connection_string
    }

    /// Connects with [`config`](Self::config). The connection is driven by a task spawned on
    /// the current tokio runtime.
    pub async fn connect(&self) -> Result<Client, TestingError> {
        connect(&self.config, &conninfo::redact(&self.connection_string)).await
    }

    /// A connection pool of [`config`](Self::config) (at most 4 connections), for code that
    /// takes a `deadpool_postgres::Pool`.
    pub fn pool(&self) -> Result<deadpool_postgres::Pool, TestingError> {
        let manager = deadpool_postgres::Manager::new(self.config.clone(), tokio_postgres::NoTls);
        deadpool_postgres::Pool::builder(manager)
            .max_size(4)
            .build()
            .map_err(|error| TestingError::Connect {
                target: self.place(),
                reason: format!("could not build a connection pool: {error}"),
            })
    }

    /// A [`Migrator`] for the schema's migrations and history: to move it to another
    /// revision during the test.
    pub fn migrator(&self) -> Migrator {
        self.setup.migrator(&self.name)
    }

    fn place(&self) -> String {
        format!("test schema {} in {}", self.name, self.server.shown)
    }
}

impl Drop for TempSchema {
    fn drop(&mut self) {
        let server = self.server.clone();
        let name = self.name.clone();
        let outcome =
            teardown::run_aside("pelican-drop-schema", DROP_TIMEOUT, move || async move {
                janitor::drop_schema(&server, &name).await
            });
        if let Err(reason) = outcome {
            tracing::warn!(schema = %self.name, server = %self.server.shown, "could not drop test schema: {reason}");
        }
    }
}

impl fmt::Debug for TempSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TempSchema")
            .field("name", &self.name)
            .field("server", &self.server.shown)
            .finish()
    }
}

/// `conninfo` with `search_path` set to `schema` and the schema's application name. `schema`
/// is one of our names: letters, digits and `_`, nothing to quote.
fn with_search_path(conninfo: &str, schema: &str) -> String {
    if conninfo.starts_with("postgresql://") || conninfo.starts_with("postgres://") {
        let separator = if conninfo.contains('?') { '&' } else { '?' };
        format!(
            "{conninfo}{separator}options=-c%20search_path%3D{schema}&application_name={schema}"
        )
    } else {
        format!("{conninfo} options='-c search_path={schema}' application_name={schema}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_string_sets_the_search_path_in_both_forms() {
        assert_eq!(
            with_search_path("postgresql://u@/postgres?host=%2Ftmp", "s1"),
            "postgresql://u@/postgres?host=%2Ftmp&options=-c%20search_path%3Ds1&application_name=s1"
        );
        assert_eq!(
            with_search_path("postgres://u@localhost/db", "s1"),
            "postgres://u@localhost/db?options=-c%20search_path%3Ds1&application_name=s1"
        );
        assert_eq!(
            with_search_path("host=/tmp user=u", "s1"),
            "host=/tmp user=u options='-c search_path=s1' application_name=s1"
        );
    }
}

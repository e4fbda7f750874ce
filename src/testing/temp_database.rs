//! [`TempDatabase`]: a migrated database of its own for one test, cloned from a template.

use std::fmt;
use std::time::{Duration, Instant};

use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Config};

use super::database::{connect, end_sessions};
use super::error::describe_postgres_error;
use super::temp_names::unique_temp_name;
use super::temp_setup::ServerRef;
use super::{temp_janitor, temp_spare, temp_template, TempSetup, TestDatabase, TestingError};
use crate::quote::ident;
use crate::{MigrationSet, Migrator};

/// How long a clone waits for sessions to leave the template before giving up.
const CLONE_WAIT: Duration = Duration::from_secs(10);

/// A database made for one test, migrated, dropped (`DROP DATABASE ... WITH (FORCE)`) when
/// the value is dropped, also when the test panics.
///
/// It is a copy (`CREATE DATABASE ... TEMPLATE`) of a template database that was migrated
/// once per server and migration set: a test pays for a copy of the files, not for running
/// every migration. The template, `pelican_tpl_<key>`, is keyed by a hash of the set and the
/// target, so a changed set gets a new one; test processes running at once build it once,
/// under a lock. The history tables are in `public`, as a [`Migrator`] with the defaults
/// keeps them, or in the schema given to [`TempSetup::history_schema`].
///
/// Each database has a name of its own (`pelican_tmp_<created>_<pid>_<n>_<random>`), so
/// migrations may name schemas freely. Creating databases needs the `CREATEDB` privilege on a
/// `DATABASE_URL` server.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use pelican::testing::TempDatabase;
///
/// static MIGRATIONS: pelican::EmbeddedMigrations =
///     pelican::embed_migrations!("tests/fixtures/embed/billing");
///
/// let database = TempDatabase::new(&MIGRATIONS).await?;
/// let client = database.connect().await?;
/// client.execute("INSERT INTO billing.invoices (amount_cents) VALUES (1200)", &[]).await?;
/// assert!(database.template().starts_with("pelican_tpl_"));
/// # Ok(())
/// # }
/// ```
pub struct TempDatabase {
    database: TestDatabase,
    template: String,
    setup: TempSetup,
}

impl TempDatabase {
    /// A database migrated to every head of `migrations`, on the shared server. See
    /// [`TempSetup`] for a target, fixtures or another server.
    pub async fn new(migrations: impl Into<MigrationSet>) -> Result<TempDatabase, TestingError> {
        TempSetup::new(migrations).database().await
    }

    pub(crate) async fn create(setup: &TempSetup) -> Result<TempDatabase, TestingError> {
        let server = setup.resolve_server()?;
        temp_janitor::sweep_once(&server).await;
        let template = temp_template::ensure(&server, setup).await?;
        let (name, template) = match temp_spare::take(&server, &template).await {
            Some(spare) => (spare, template),
            None => clone_template(&server, setup, template, unique_temp_name()).await?,
        };
        temp_spare::prepare(&server, setup, &template);
        let database = TempDatabase {
            database: TestDatabase::adopt(
                name,
                &server.config,
                &server.connection_string,
                &server.shown,
            ),
            template,
            setup: setup.clone(),
        };
        if setup.has_fixtures() {
            let client = database.connect().await?;
            setup
                .run_fixtures(&client, &database.place(&server))
                .await?;
        }
        Ok(database)
    }

    /// The database's name: `pelican_tmp_` followed by the creation time, the process id, a
    /// counter and a random part.
    pub fn name(&self) -> &str {
        self.database.name()
    }

    /// The template database it was cloned from: `pelican_tpl_` and the key of its set and
    /// target.
    pub fn template(&self) -> &str {
        &self.template
    }

    /// Connection settings for this database.
    pub fn config(&self) -> &Config {
        self.database.config()
    }

    /// A libpq connection string for this database, for `psql` and other programs. It
    /// includes the password, if `DATABASE_URL` has one: don't print it.
    pub fn connection_string(&self) -> &str {
        self.database.connection_string()
    }

    /// Connects to this database. The connection is driven by a task spawned on the current
    /// tokio runtime.
    pub async fn connect(&self) -> Result<Client, TestingError> {
        self.database.connect().await
    }

    /// A connection pool for this database (at most 4 connections), for code that takes a
    /// `deadpool_postgres::Pool`.
    pub fn pool(&self) -> Result<deadpool_postgres::Pool, TestingError> {
        let manager = deadpool_postgres::Manager::new(self.config().clone(), tokio_postgres::NoTls);
        deadpool_postgres::Pool::builder(manager)
            .max_size(4)
            .build()
            .map_err(|error| TestingError::Connect {
                target: format!("test database {}", self.name()),
                reason: format!("could not build a connection pool: {error}"),
            })
    }

    /// A [`Migrator`] for the database's migrations and history (in the setup's
    /// [history schema](TempSetup::history_schema)): to move it to another revision during the
    /// test.
    pub fn migrator(&self) -> Migrator {
        self.setup.migrator(self.setup.database_history_schema())
    }

    fn place(&self, server: &ServerRef) -> String {
        format!("test database {} on {}", self.name(), server.shown)
    }
}

impl fmt::Debug for TempDatabase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TempDatabase")
            .field("database", &self.database)
            .field("template", &self.template)
            .finish()
    }
}

/// Creates database `name` from the template: `(name, template)`. Waits for sessions still
/// leaving the template, and builds the template again if another run's janitor dropped it.
pub(crate) async fn clone_template(
    server: &ServerRef,
    setup: &TempSetup,
    mut template: String,
    name: String,
) -> Result<(String, String), TestingError> {
    let admin = connect(&server.config, &server.shown).await?;
    let started = Instant::now();
    let mut rebuilt = false;
    loop {
        let created = admin
            .batch_execute(&format!(
                "CREATE DATABASE {} TEMPLATE {}{}",
                ident(&name),
                ident(&template),
                server.create_options()
            ))
            .await;
        let Err(error) = created else {
            return Ok((name, template));
        };
        match error.code() {
            // Someone is still connected to the template (its builder, leaving).
            Some(&SqlState::OBJECT_IN_USE) if started.elapsed() < CLONE_WAIT => {
                end_sessions(&admin, &template).await;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            // The janitor of another run dropped the template: build it again, once.
            Some(&SqlState::UNDEFINED_DATABASE) if !rebuilt => {
                rebuilt = true;
                temp_template::forget(server, &template);
                template = temp_template::ensure(server, setup).await?;
            }
            _ => {
                let mut reason = describe_postgres_error(&error);
                if error.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE) {
                    reason.push_str(
                        "; a TempDatabase is a database of its own, so the role needs the \
                         CREATEDB privilege (ALTER ROLE <role> CREATEDB), or use a TempSchema",
                    );
                }
                return Err(TestingError::Statement {
                    action: format!("create database {name} from template {template}"),
                    target: server.shown.clone(),
                    reason,
                });
            }
        }
    }
}

//! [`TempDatabase`]: a migrated database of its own for one test, cloned from a template.

use std::fmt;

use tokio_postgres::{Client, Config};

use crate::testing::names::unique_temp_name;
use crate::testing::temp::janitor;
use crate::testing::temp::setup::ServerRef;
use crate::testing::temp::spare;
use crate::testing::temp::template::{self, clone_template};
use crate::testing::TempSetup;
use crate::testing::TestDatabase;
use crate::testing::TestingError;
use crate::{MigrationSet, Migrator};

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
        janitor::sweep_once(&server).await;
        let template = template::ensure(&server, setup).await?;
        let (name, template) = match spare::take(&server, &template).await {
            Some(spare) => (spare, template),
            None => clone_template(&server, setup, template, unique_temp_name()).await?,
        };
        spare::prepare(&server, setup, &template);
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

//! What a throwaway schema or database is made of: the migrations, the target, the fixtures
//! and the server; and the [`Throwaway`] trait `#[pelican::test]` creates its argument with.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use tokio_postgres::{Client, Config};

use crate::testing::error::describe_postgres_error;
use crate::testing::TempDatabase;
use crate::testing::TempSchema;
use crate::testing::TestServer;
use crate::testing::TestingError;
use crate::{MigrationSet, Migrator};

/// The target used when none is given: every head, so that a set with several branches
/// works too.
pub const DEFAULT_TARGET: &str = "heads";

/// The schema a [`TempDatabase`] keeps its history tables in when none is given, as a
/// [`Migrator`] with the defaults does.
pub(crate) const DEFAULT_HISTORY_SCHEMA: &str = "public";

/// How to make a [`TempSchema`] or a [`TempDatabase`]: which migrations, up to which target,
/// which fixtures then, on which server.
///
/// ```no_run
/// # async fn example() -> Result<(), pelican::testing::TestingError> {
/// use pelican::testing::{TempSchema, TempSetup};
///
/// static MIGRATIONS: pelican::EmbeddedMigrations =
///     pelican::embed_migrations!("tests/fixtures/embed/billing");
///
/// let schema: TempSchema = TempSetup::new(&MIGRATIONS)
///     .target("b1")                        // not the head: b2 is left to the test
///     .fixture("tests/fixtures/invoices.sql") // run after migrating
///     .schema()
///     .await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct TempSetup {
    migrations: Arc<MigrationSet>,
    target: String,
    /// Where a TempDatabase's history tables are; `None`: `DEFAULT_HISTORY_SCHEMA`.
    history_schema: Option<String>,
    fixtures: Vec<Fixture>,
    server: Option<ServerRef>,
}

/// SQL run after migrating, with the name messages show for it.
#[derive(Clone)]
struct Fixture {
    name: String,
    source: FixtureSource,
}

#[derive(Clone)]
enum FixtureSource {
    File(PathBuf),
    Text(Cow<'static, str>),
}

impl TempSetup {
    /// Migrations `migrations`, to every head ([`DEFAULT_TARGET`]), no fixtures, on the
    /// [shared](TestServer::shared) server.
    pub fn new(migrations: impl Into<MigrationSet>) -> TempSetup {
        TempSetup {
            migrations: Arc::new(migrations.into()),
            target: DEFAULT_TARGET.to_owned(),
            history_schema: None,
            fixtures: Vec::new(),
            server: None,
        }
    }

    /// Migrates to `target` instead (any [`Target`](crate::Target): a revision, `head`,
    /// `label@head`...).
    pub fn target(mut self, target: impl Into<String>) -> TempSetup {
        self.target = target.into();
        self
    }

    /// Keeps a [`TempDatabase`]'s history tables in schema `schema` (created by the
    /// migrations' first run if it doesn't exist) instead of `public`, as
    /// [`Migrator::schema`] does: for code that migrates with a `Migrator` whose history is
    /// elsewhere. [`TempDatabase::migrator`] keeps its history there too. A [`TempSchema`]
    /// always keeps its history in the throwaway schema itself, so making one with this set is
    /// an error.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// use pelican::testing::{TempDatabase, TempSetup};
    ///
    /// static MIGRATIONS: pelican::EmbeddedMigrations =
    ///     pelican::embed_migrations!("tests/fixtures/embed/billing");
    ///
    /// let database: TempDatabase = TempSetup::new(&MIGRATIONS)
    ///     .history_schema("app_meta")
    ///     .database()
    ///     .await?;
    /// let client = database.connect().await?;
    /// database.migrator().upgrade(&client, "heads").await?; // reads app_meta's history
    /// # Ok(())
    /// # }
    /// ```
    pub fn history_schema(mut self, schema: impl Into<String>) -> TempSetup {
        self.history_schema = Some(schema.into());
        self
    }

    /// Runs the SQL file `path` after migrating (after the fixtures added before it). A
    /// relative path is relative to the current directory, which under `cargo test` is the
    /// crate's directory. The file is read when a schema or database is made.
    pub fn fixture(mut self, path: impl Into<PathBuf>) -> TempSetup {
        let path = path.into();
        self.fixtures.push(Fixture {
            name: path.display().to_string(),
            source: FixtureSource::File(path),
        });
        self
    }

    /// Runs `sql` after migrating; `name` is what messages call it (`#[pelican::test]` passes
    /// the file's text, read at compile time, under the file's name).
    pub fn fixture_sql(
        mut self,
        name: impl Into<String>,
        sql: impl Into<Cow<'static, str>>,
    ) -> TempSetup {
        self.fixtures.push(Fixture {
            name: name.into(),
            source: FixtureSource::Text(sql.into()),
        });
        self
    }

    /// Makes the schema or database on `server` instead of the shared server.
    pub fn server(mut self, server: &TestServer) -> TempSetup {
        self.server = Some(ServerRef::of(server));
        self
    }

    /// The migrations.
    pub fn migrations(&self) -> &MigrationSet {
        &self.migrations
    }

    /// The target migrated to.
    pub fn migration_target(&self) -> &str {
        &self.target
    }

    /// The schema of a [`TempDatabase`]'s history tables: the one given to
    /// [`history_schema`](Self::history_schema), else `public`.
    pub fn database_history_schema(&self) -> &str {
        self.history_schema
            .as_deref()
            .unwrap_or(DEFAULT_HISTORY_SCHEMA)
    }

    /// The history schema given with [`history_schema`](Self::history_schema), if any.
    pub(crate) fn chosen_history_schema(&self) -> Option<&str> {
        self.history_schema.as_deref()
    }

    /// Makes a [`TempSchema`].
    pub async fn schema(&self) -> Result<TempSchema, TestingError> {
        TempSchema::create(self).await
    }

    /// Makes a [`TempDatabase`].
    pub async fn database(&self) -> Result<TempDatabase, TestingError> {
        TempDatabase::create(self).await
    }

    /// Makes a [`TempSchema`] or a [`TempDatabase`], whichever `T` is.
    pub async fn create<T: Throwaway>(&self) -> Result<T, TestingError> {
        T::create(self).await
    }

    /// The server to use: the one given, else the shared one.
    pub(crate) fn resolve_server(&self) -> Result<ServerRef, TestingError> {
        match &self.server {
            Some(server) => Ok(server.clone()),
            None => TestServer::shared().map(ServerRef::of),
        }
    }

    /// A migrator for these migrations, keeping its history in `history_schema`.
    pub(crate) fn migrator(&self, history_schema: &str) -> Migrator {
        Migrator::new(MigrationSet::clone(&self.migrations)).schema(history_schema)
    }

    /// Migrates through `client` to the target; `place` names it in the error.
    pub(crate) async fn migrate(
        &self,
        client: &Client,
        history_schema: &str,
        place: &str,
    ) -> Result<(), TestingError> {
        self.migrator(history_schema)
            .upgrade(client, &self.target)
            .await
            .map(drop)
            .map_err(|error| TestingError::Migrate {
                place: place.to_owned(),
                target: self.target.clone(),
                reason: error.to_string(),
            })
    }

    pub(crate) fn has_fixtures(&self) -> bool {
        !self.fixtures.is_empty()
    }

    /// Runs the fixtures, in order, through `client`.
    pub(crate) async fn run_fixtures(
        &self,
        client: &Client,
        place: &str,
    ) -> Result<(), TestingError> {
        for fixture in &self.fixtures {
            let sql = match &fixture.source {
                FixtureSource::Text(sql) => Cow::Borrowed(sql.as_ref()),
                FixtureSource::File(path) => {
                    Cow::Owned(std::fs::read_to_string(path).map_err(|error| {
                        TestingError::filesystem("read the fixture", path, error)
                    })?)
                }
            };
            client
                .batch_execute(&sql)
                .await
                .map_err(|error| TestingError::Fixture {
                    fixture: fixture.name.clone(),
                    place: place.to_owned(),
                    reason: describe_postgres_error(&error),
                })?;
        }
        Ok(())
    }
}

impl fmt::Debug for TempSetup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TempSetup")
            .field("revisions", &self.migrations.len())
            .field("target", &self.target)
            .field("history_schema", &self.database_history_schema())
            .field(
                "fixtures",
                &self.fixtures.iter().map(|f| &f.name).collect::<Vec<_>>(),
            )
            .field("server", &self.server.as_ref().map(|s| &s.shown))
            .finish()
    }
}

/// What the throwaway objects need of a [`TestServer`], copied so that they don't borrow it.
#[derive(Clone)]
pub(crate) struct ServerRef {
    /// The database schemas are made in, and databases are created through.
    pub(crate) config: Config,
    pub(crate) connection_string: String,
    /// The connection string with its password hidden.
    pub(crate) shown: String,
    /// Whether `CREATE DATABASE` should copy files (see `TestServer::create_database`).
    pub(crate) file_copy: bool,
    /// Whether the harness started the server (and so nothing on it outlives the process).
    pub(crate) throwaway: bool,
}

impl ServerRef {
    pub(crate) fn of(server: &TestServer) -> ServerRef {
        ServerRef {
            config: server.config.clone(),
            connection_string: server.connection_string.clone(),
            shown: server.shown.clone(),
            file_copy: server
                .cluster
                .as_ref()
                .is_some_and(|cluster| cluster.major_version() >= 15),
            throwaway: server.cluster.is_some(),
        }
    }

    /// `CREATE DATABASE` options after the name (and after `TEMPLATE`, if any).
    pub(crate) fn create_options(&self) -> &'static str {
        if self.file_copy {
            " STRATEGY = FILE_COPY"
        } else {
            ""
        }
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::TempSchema {}
    impl Sealed for super::TempDatabase {}
}

/// A throwaway, migrated place for one test: [`TempSchema`] or [`TempDatabase`]. The type of
/// a `#[pelican::test]` function's argument picks which it gets.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a throwaway schema or database",
    label = "a #[pelican::test] function takes a `TempSchema` or a `TempDatabase`",
    note = "write the argument as `schema: pelican::testing::TempSchema` or `database: pelican::testing::TempDatabase`"
)]
pub trait Throwaway: sealed::Sealed + Sized {
    /// What it is, for messages: "schema" or "database".
    const KIND: &'static str;

    /// Makes one as `setup` says.
    fn create(setup: &TempSetup) -> impl Future<Output = Result<Self, TestingError>>;
}

impl Throwaway for TempSchema {
    const KIND: &'static str = "TempSchema";

    fn create(setup: &TempSetup) -> impl Future<Output = Result<Self, TestingError>> {
        TempSchema::create(setup)
    }
}

impl Throwaway for TempDatabase {
    const KIND: &'static str = "TempDatabase";

    fn create(setup: &TempSetup) -> impl Future<Output = Result<Self, TestingError>> {
        TempDatabase::create(setup)
    }
}

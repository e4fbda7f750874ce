//! Real PostgreSQL for tests, with nothing to set up: a throwaway server per test process and
//! a fresh database per test.
//!
//! [`TestServer::shared`] gives every test in the process the same server. When
//! `DATABASE_URL` is set, that is the server it names; otherwise the harness creates one:
//!
//! * `initdb` into a private temporary directory (`pelican-<pid>-<n>` in `$TMPDIR`, a roomy
//!   `/dev/shm` or `/tmp`), with the PostgreSQL programs found through `PELICAN_PG_BINDIR`,
//!   `pg_config --bindir`, `/usr/lib/postgresql/<version>/bin` or `PATH`; the result is kept
//!   as a template (`pelican-initdb-<key>`) that later servers copy, which is much faster;
//! * a server listening only on a unix socket in that directory (no TCP port, so parallel
//!   test processes never collide), with durability turned off since the data is thrown away;
//! * as root, where PostgreSQL refuses to run, the server runs as the `postgres` account (or
//!   `nobody`), which owns the directory;
//! * a watchdog process stops the server and deletes the directory as soon as the test
//!   process ends, whether it exits, panics or is killed with `SIGKILL`.
//!
//! Each test then takes a database of its own with [`TestServer::create_database`]; it is
//! dropped with the [`TestDatabase`] value.
//!
//! ```no_run
//! use pelican::testing::TestServer;
//!
//! #[tokio::test]
//! async fn tasks_start_empty() -> Result<(), Box<dyn std::error::Error>> {
//!     let database = TestServer::shared()?.create_database().await?;
//!     let client = database.connect().await?;
//!     client.batch_execute("CREATE TABLE tasks (id int PRIMARY KEY)").await?;
//!     let row = client.query_one("SELECT count(*) FROM tasks", &[]).await?;
//!     assert_eq!(row.get::<_, i64>(0), 0);
//!     Ok(())
//! }
//! # fn main() {}
//! ```
//!
//! Tests that stop or restart the server take a private one with
//! [`TestServer::start_throwaway`], so that the tests sharing the shared server are not
//! disturbed.
//!
//! Tests of an application want its tables: [`TempSchema`] and [`TempDatabase`] are a schema
//! or a database of the test's own, migrated (to a target, with fixtures: see [`TempSetup`])
//! and dropped with the value, also when the test panics. A `TempDatabase` is a copy of a
//! template database migrated once per migration set, so a test pays for a file copy rather
//! than for every migration. The [`test`](crate::test) attribute gives an async test either,
//! by the type of its argument:
//!
//! ```no_run
//! use pelican::testing::{TempDatabase, TempSchema};
//!
//! static MIGRATIONS: pelican::EmbeddedMigrations =
//!     pelican::embed_migrations!("tests/fixtures/temp/migrations");
//!
//! #[pelican::test(migrations = MIGRATIONS)]
//! async fn tasks_start_empty(schema: TempSchema) {
//!     let client = schema.connect().await.unwrap();
//!     let row = client.query_one("SELECT count(*) FROM tasks", &[]).await.unwrap();
//!     assert_eq!(row.get::<_, i64>(0), 0);
//! }
//!
//! #[pelican::test(migrations = MIGRATIONS, target = "t2", fixtures("tests/fixtures/temp/tasks.sql"))]
//! async fn fixtures_are_loaded(database: TempDatabase) -> Result<(), Box<dyn std::error::Error>> {
//!     let client = database.connect().await?;
//!     let row = client.query_one("SELECT count(*) FROM tasks", &[]).await?;
//!     assert_eq!(row.get::<_, i64>(0), 2);
//!     Ok(())
//! }
//! # fn main() {}
//! ```
//!
//! Leftovers of crashed runs (older than an hour) are removed by the first use in a process;
//! see [`sweep_leftovers`]. The guide is `docs/testing.md`.

pub mod checks;
mod error;
mod names;
mod server;
pub(crate) mod temp;
#[cfg(feature = "fleet")]
mod tenants;

pub use checks::*;
pub use error::TestingError;
pub use names::{TEMPLATE_PREFIX, TEMP_PREFIX};
pub use server::{
    TestDatabase, TestPooler, TestServer, BIN_DIR_VAR, DATABASE_PREFIX, DATABASE_URL_VAR,
    PGBOUNCER_VAR,
};
pub use temp::{
    sweep_leftovers, Swept, TempDatabase, TempSchema, TempSetup, Throwaway, DEFAULT_TARGET,
    LEFTOVER_AGE,
};
#[cfg(feature = "fleet")]
pub use tenants::tenant_schemas;

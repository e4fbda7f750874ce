//! `pelican::cli::run*`: the CLI inside an application's own binary, over migrations compiled
//! into it (here: built by hand, with a Rust migration the `pelican` binary could not run).
#![cfg(feature = "cli")]

#[path = "support/db.rs"]
mod db;

use std::process::ExitCode;

use db::{fresh_db, history, set, sql, table_exists};
use pelican::migration::{BoxError, Migration};
use pelican::MigrationSet;

/// Inserts a row into the table the SQL revision before it created.
struct SeedTasks;

#[pelican::async_trait]
impl Migration for SeedTasks {
    async fn up(&self, db: &tokio_postgres::Client) -> Result<(), BoxError> {
        db.batch_execute("INSERT INTO tasks VALUES (1)").await?;
        Ok(())
    }

    async fn down(&self, db: &tokio_postgres::Client) -> Result<(), BoxError> {
        db.batch_execute("DELETE FROM tasks").await?;
        Ok(())
    }
}

fn app_migrations() -> MigrationSet {
    let mut files = vec![sql(
        "a1",
        "",
        "CREATE TABLE tasks (id int);",
        "DROP TABLE tasks;",
    )];
    files.push((
        "migrations/a2_seed.rs".to_owned(),
        "//! revision: a2\n//! revises: a1\n//! message: seed\n\npub struct SeedTasks;\n"
            .to_owned(),
    ));
    set(&files).with_rust("a2", SeedTasks).unwrap()
}

#[tokio::test]
async fn embedded_commands_run_rust_migrations_too() {
    let (database, client) = fresh_db().await;
    let url = database.connection_string();

    let status = pelican::cli::run_async(
        app_migrations(),
        ["myapp", "--database-url", url, "-q", "upgrade", "head"],
    )
    .await;
    assert_eq!(status, ExitCode::SUCCESS);
    assert!(table_exists(&client, "tasks").await);
    let rows: i64 = client
        .query_one("SELECT count(*) FROM tasks", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, 1, "the Rust migration ran");
    assert_eq!(
        history(&client, "public").await,
        ["a1:applied", "a2:applied"]
    );

    // Errors are exit status 1, usage errors 2.
    let status = pelican::cli::run_async(
        app_migrations(),
        ["myapp", "--database-url", url, "-q", "upgrade", "zzzz9"],
    )
    .await;
    assert_eq!(status, ExitCode::from(1));
    let status = pelican::cli::run_async(app_migrations(), ["myapp", "frobnicate"]).await;
    assert_eq!(status, ExitCode::from(2));

    let status = pelican::cli::run_async(
        app_migrations(),
        ["myapp", "--database-url", url, "-q", "downgrade", "base"],
    )
    .await;
    assert_eq!(status, ExitCode::SUCCESS);
    assert!(!table_exists(&client, "tasks").await);
}

#[tokio::test]
async fn writing_files_needs_an_explicit_directory() {
    let dir = std::env::temp_dir().join(format!("pelican-cli-embedded-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("a1_first.sql"),
        "-- revision: a1\n\n-- up\nCREATE TABLE tasks (id int);\n-- down\n",
    )
    .unwrap();

    let status =
        pelican::cli::run_async(app_migrations(), ["myapp", "revision", "-m", "next"]).await;
    assert_eq!(status, ExitCode::from(1), "no --dir: refused");
    let dir_text = dir.display().to_string();
    let status = pelican::cli::run_async(
        app_migrations(),
        [
            "myapp", "-q", "--dir", &dir_text, "revision", "-m", "next", "--rev-id", "b2",
        ],
    )
    .await;
    assert_eq!(status, ExitCode::SUCCESS);
    let text = std::fs::read_to_string(dir.join("b2_next.sql")).unwrap();
    assert!(
        text.starts_with("-- revision: b2\n-- revises: a1\n"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_blocking_entry_point_refuses_to_run_inside_a_runtime() {
    let status = pelican::cli::run_with_args(app_migrations(), ["myapp", "heads"]);
    assert_eq!(status, ExitCode::from(1));
}

#[test]
fn the_blocking_entry_point_runs_its_own_runtime() {
    let status = pelican::cli::run_with_args(app_migrations(), ["myapp", "-q", "heads"]);
    assert_eq!(status, ExitCode::SUCCESS);
}

/// A set embedded by the macro converts as `pelican::cli::run(&MIGRATIONS)` expects.
static BILLING: pelican::EmbeddedMigrations =
    pelican::embed_migrations!("tests/fixtures/embed/billing");

#[tokio::test]
async fn an_embedded_set_is_run_by_reference() {
    let (database, client) = fresh_db().await;
    let url = database.connection_string();
    let status = pelican::cli::run_async(
        &BILLING,
        ["billing", "--database-url", url, "-q", "upgrade"],
    )
    .await;
    assert_eq!(status, ExitCode::SUCCESS);
    assert_eq!(
        history(&client, "public").await,
        ["b1:applied", "b2:applied"]
    );
}

#[tokio::test]
async fn autogenerate_replays_the_compiled_in_migrations_rust_ones_included() {
    let dir =
        std::env::temp_dir().join(format!("pelican-cli-embedded-auto-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in [
        (
            "a1_test.sql",
            sql(
                "a1",
                "",
                "CREATE TABLE tasks (id int);",
                "DROP TABLE tasks;",
            )
            .1,
        ),
        (
            "a2_seed.rs",
            "//! revision: a2\n//! revises: a1\n//! message: seed\n\npub struct SeedTasks;\n"
                .to_owned(),
        ),
    ] {
        std::fs::write(dir.join(name), text).unwrap();
    }
    // Beside the migrations directory: a stray .sql file in it would be refused.
    let schema = dir.with_extension("schema.sql");
    std::fs::write(
        &schema,
        "CREATE TABLE tasks (id int, done boolean NOT NULL DEFAULT false);\n",
    )
    .unwrap();
    let dev_url = pelican::testing::TestServer::shared()
        .unwrap()
        .connection_string()
        .to_owned();
    let (dir_text, schema_text) = (dir.display().to_string(), schema.display().to_string());
    let status = pelican::cli::run_async(
        app_migrations(),
        [
            "myapp",
            "-q",
            "--dir",
            &dir_text,
            "revision",
            "--autogenerate",
            "-m",
            "done",
            "--from-migrations",
            "--desired-schema",
            &schema_text,
            "--dev-url",
            &dev_url,
            "--rev-id",
            "b3",
        ],
    )
    .await;
    assert_eq!(status, ExitCode::SUCCESS);
    let text = std::fs::read_to_string(dir.join("b3_done.sql")).unwrap();
    assert!(text.contains("-- revises: a2\n"), "{text}");
    assert!(text.contains("-- Verified on a scratch database"), "{text}");
    assert!(
        text.contains("ALTER TABLE public.tasks ADD COLUMN done boolean DEFAULT false NOT NULL;"),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_file(&schema).unwrap();
}

#[tokio::test]
async fn the_embedded_cli_has_the_guard_verbs_and_its_runs_are_not_recorded() {
    let (database, client) = fresh_db().await;
    let url = database.connection_string();
    let run = |args: &'static [&'static str]| {
        let mut all = vec!["myapp", "--database-url", url, "-q"];
        all.extend(args);
        pelican::cli::run_async(app_migrations(), all)
    };
    assert_eq!(run(&["guard", "install"]).await, ExitCode::SUCCESS);
    assert_eq!(run(&["upgrade", "head"]).await, ExitCode::SUCCESS);
    assert_eq!(run(&["downgrade", "base"]).await, ExitCode::SUCCESS);
    assert!(pelican::guard::read_log(&client, "public", None)
        .await
        .unwrap()
        .is_empty());
    assert!(pelican::guard::status(&client, "public")
        .await
        .unwrap()
        .is_active());
    assert_eq!(
        run(&["guard", "remove", "--drop-log"]).await,
        ExitCode::SUCCESS
    );
    assert!(pelican::guard::status(&client, "public")
        .await
        .unwrap()
        .is_absent());
}

//! An application that embeds its migrations: SQL and Rust migrations with a merge
//! (`tests/fixtures/embed/app`), run through `Migrator` on a throwaway database, beside a
//! second, independent set (`tests/fixtures/embed/billing`) migrating another schema.

use std::fs;
use std::path::{Path, PathBuf};

use pelican::embedded::{DirMismatch, EmbeddedBody};
use pelican::migration::Body;
use pelican::source::parse_migration;
use pelican::testing::TestServer;
use pelican::{embed_migrations, Checksum, EmbeddedMigrations, MigrationSet, Migrator};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Application data that the Rust migrations of the `app` set use: they compile as modules of
/// this crate.
pub const STARTER_TASKS: &[&str] = &["write the docs", "ship it"];

static APP: EmbeddedMigrations = embed_migrations!("tests/fixtures/embed/app");
static BILLING: EmbeddedMigrations = embed_migrations!("tests/fixtures/embed/billing");

const APP_DIR: &str = "tests/fixtures/embed/app";

#[test]
fn every_file_is_embedded_in_name_order() {
    let files: Vec<(&str, &str)> = APP
        .migrations()
        .iter()
        .map(|m| (m.id(), m.file_name()))
        .collect();
    assert_eq!(
        files,
        [
            ("a1", "a1_create_tasks.sql"),
            ("b2", "b2_add_priority.sql"),
            ("c3", "c3_seed_tasks.rs"),
            ("d4", "d4_merge.sql"),
            ("e5", "e5_raise_priority.rs"),
        ]
    );
    assert_eq!(APP.dir(), APP_DIR);
    assert_eq!(
        APP.source_dir(),
        Path::new(env!("CARGO_MANIFEST_DIR")).join(APP_DIR)
    );
    assert_eq!(APP.get("d4").map(|m| m.parents()), Some(&["b2", "c3"][..]));
    assert!(matches!(
        APP.get("c3").unwrap().body(),
        EmbeddedBody::Rust(_)
    ));
    assert!(APP.get("zz").is_none());
}

/// The macro parsed the files at compile time with the same parser the runtime loader uses:
/// both must produce the same revisions, checksums and SQL.
#[test]
fn the_embedded_set_equals_the_directory_loaded_at_run_time() -> TestResult {
    let embedded = MigrationSet::from(&APP);
    let loaded = MigrationSet::from_dir(APP_DIR)?;
    assert_eq!(embedded.len(), loaded.len());
    for (embedded, loaded) in embedded.entries().iter().zip(loaded.entries()) {
        assert_eq!(embedded.revision(), loaded.revision());
        assert_eq!(embedded.file_name(), loaded.file_name());
        assert_eq!(embedded.kind(), loaded.kind());
        match (embedded.body(), loaded.body()) {
            (
                Body::Sql { up, down },
                Body::Sql {
                    up: up2,
                    down: down2,
                },
            ) => {
                assert_eq!((up, down), (up2, down2));
            }
            (Body::Rust(_), Body::RustNotCompiled) => {}
            other => panic!("bodies differ for {}: {other:?}", embedded.file_name()),
        }
    }
    // And the checksum is the file's, as it is on disk now.
    let path = Path::new(APP_DIR).join("b2_add_priority.sql");
    let checksum = Checksum::of(&fs::read(&path)?);
    assert_eq!(APP.get("b2").unwrap().checksum(), &checksum);

    let revision = APP.get("b2").unwrap().revision();
    assert_eq!(
        revision.lock_timeout(),
        Some(std::time::Duration::from_secs(5))
    );
    assert_eq!(revision.created(), Some("2026-11-21T11:00:00Z"));
    let parsed = parse_migration(&path.display().to_string(), &fs::read(&path)?)?;
    assert_eq!(&revision, parsed.revision());
    Ok(())
}

#[tokio::test]
async fn sql_and_rust_migrations_with_a_merge_run_through_the_migrator() -> TestResult {
    let database = TestServer::shared()?.create_database().await?;
    let client = database.connect().await?;
    let migrator = Migrator::new(&APP);

    let report = migrator.migrate_to_head(&client).await?;
    let ran: Vec<&str> = report.steps.iter().map(|s| s.revision.as_str()).collect();
    assert_eq!(ran, ["a1", "b2", "c3", "d4", "e5"]);

    // c3 (a unit struct) inserted the application's starter tasks, e5 (a `static` holding
    // data) raised their priority, and the merge d4 created the view.
    let rows = client
        .query("SELECT title, priority FROM tasks ORDER BY id", &[])
        .await?;
    let tasks: Vec<(String, i32)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(
        tasks,
        [("write the docs".to_owned(), 5), ("ship it".to_owned(), 5)]
    );
    let summary = client
        .query_one("SELECT priority, tasks FROM task_priorities", &[])
        .await?;
    assert_eq!((summary.get::<_, i32>(0), summary.get::<_, i64>(1)), (5, 2));

    assert!(migrator.migrate_to_head(&client).await?.is_empty());

    let report = migrator.downgrade(&client, "base").await?;
    let ran: Vec<&str> = report.steps.iter().map(|s| s.revision.as_str()).collect();
    assert_eq!(ran, ["e5", "d4", "c3", "b2", "a1"]);
    let tasks_table = client
        .query_one("SELECT to_regclass('tasks') IS NULL", &[])
        .await?;
    assert!(tasks_table.get::<_, bool>(0), "a1's down dropped the table");
    Ok(())
}

#[tokio::test]
async fn two_embedded_sets_migrate_two_schemas_independently() -> TestResult {
    let database = TestServer::shared()?.create_database().await?;
    let client = database.connect().await?;
    let app = Migrator::new(&APP);
    let billing = Migrator::new(&BILLING).schema("billing");

    assert_eq!(app.migrate_to_head(&client).await?.steps.len(), 5);
    assert_eq!(billing.migrate_to_head(&client).await?.steps.len(), 2);

    assert_eq!(app.current(&client).await?, ["e5"]);
    assert_eq!(billing.current(&client).await?, ["b2"]);
    let recorded = |schema: &str| format!("SELECT count(*) FROM {schema}.pelican_revisions");
    let app_rows: i64 = client.query_one(&recorded("public"), &[]).await?.get(0);
    let billing_rows: i64 = client.query_one(&recorded("billing"), &[]).await?.get(0);
    assert_eq!((app_rows, billing_rows), (5, 2));

    // Going back on one set leaves the other alone.
    billing.downgrade(&client, "base").await?;
    assert!(billing.current(&client).await?.is_empty());
    assert_eq!(app.current(&client).await?, ["e5"]);
    Ok(())
}

#[test]
fn the_directories_match_what_was_embedded() {
    APP.assert_matches_dir();
    BILLING.assert_matches_dir();
}

#[test]
fn files_added_removed_or_changed_since_the_build_are_listed() -> TestResult {
    let dir = TempDir::copy_of("changed", Path::new(APP_DIR))?;
    fs::write(
        dir.0.join("f6_later.sql"),
        "-- revision: f6\n-- revises: e5\n\n-- up\nSELECT 1;\n-- down\n",
    )?;
    fs::remove_file(dir.0.join("a1_create_tasks.sql"))?;
    let b2 = dir.0.join("b2_add_priority.sql");
    fs::write(
        &b2,
        fs::read_to_string(&b2)?.replace("DEFAULT 0", "DEFAULT 1"),
    )?;
    // Unchanged but for its line endings: the same checksum.
    let d4 = dir.0.join("d4_merge.sql");
    fs::write(&d4, fs::read_to_string(&d4)?.replace('\n', "\r\n"))?;

    let error = APP.check_against_dir(&dir.0).unwrap_err();
    assert!(matches!(error, DirMismatch::OutOfDate { .. }));
    assert_eq!(
        error.to_string(),
        format!(
            "the migrations embedded from 'tests/fixtures/embed/app' differ from the directory \
             '{}':\n  \
             added since the build, not embedded: f6_later.sql\n  \
             removed since the build, still embedded: a1_create_tasks.sql\n  \
             changed since the build: b2_add_priority.sql\n\
             rebuild to embed the directory as it is now; if `cargo build` or `cargo test` did \
             not rebuild the crate after files were added or removed, add a build script \
             (build.rs) with `fn main() {{ pelican::build::watch(\"tests/fixtures/embed/app\"); }}` \
             (see docs/embedding.md)",
            dir.0.display()
        )
    );
    Ok(())
}

#[test]
fn a_directory_that_no_longer_parses_is_reported() -> TestResult {
    let dir = TempDir::copy_of("broken", Path::new(APP_DIR))?;
    fs::write(
        dir.0.join("f6_later.sql"),
        "-- revision: f6\n-- revizes: e5\n",
    )?;
    let error = APP.check_against_dir(&dir.0).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "can't compare the migrations embedded from 'tests/fixtures/embed/app' with their \
             directory: {}:2: unknown header key 'revizes' (did you mean 'revises'?)",
            dir.0.join("f6_later.sql").display()
        )
    );
    Ok(())
}

#[test]
fn the_same_directory_matches() -> TestResult {
    let dir = TempDir::copy_of("same", Path::new(APP_DIR))?;
    APP.check_against_dir(&dir.0)?;
    Ok(())
}

/// A copy of a directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn copy_of(test: &str, from: &Path) -> std::io::Result<Self> {
        let path =
            std::env::temp_dir().join(format!("pelican-embed-app-{test}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path)?;
        for entry in fs::read_dir(from)? {
            let entry = entry?;
            fs::copy(entry.path(), path.join(entry.file_name()))?;
        }
        Ok(TempDir(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

//! Scratch databases and the autogenerate workflow on real PostgreSQL: desired schemas loaded
//! from files (errors named by file and line), starts read from a database or replayed from
//! migrations, and plans verified before anyone trusts them.

#[path = "support/db.rs"]
mod db;

use std::fs;
use std::path::{Path, PathBuf};

use pelican::autogen::{plan_changes, AutogenOptions};
use pelican::scratch::{read_schema_files, ScratchError, ScratchServer, Start};
use pelican::testing::TestServer;
use pelican::{MigrationSet, Migrator};

/// A directory of its own for one test, with `files` written in it.
fn dir_with(test: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pelican-scratch-{test}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    for (name, text) in files {
        let path = dir.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    dir
}

fn dev_url() -> String {
    TestServer::shared().unwrap().connection_string().to_owned()
}

async fn shared_scratch() -> ScratchServer {
    ScratchServer::start(Some(&dev_url())).await.unwrap()
}

const MIGRATION: &str = "-- revision: a1\n-- message: tasks\n\n-- up\n\
    CREATE SCHEMA app;\nCREATE TABLE app.tasks (id bigint PRIMARY KEY, title text NOT NULL);\n\n\
    -- down\nDROP SCHEMA app CASCADE;\n";

const DESIRED: &str = "CREATE SCHEMA app;\n\
    CREATE TABLE app.tasks (id bigint PRIMARY KEY, title text NOT NULL, due date);\n\
    CREATE INDEX tasks_due ON app.tasks (due);\n";

#[tokio::test]
async fn a_statement_postgresql_refuses_is_named_by_file_and_line() {
    let dir = dir_with(
        "refused",
        &[
            ("schema/01_tables.sql", "CREATE TABLE t (id int);\n"),
            (
                "schema/02_views.sql",
                "-- the views\n\nCREATE VIEW v AS\n  SELECT id,\n    nope\n  FROM t;\n",
            ),
        ],
    );
    let server = shared_scratch().await;
    let database = server.database().await.unwrap();
    let files = read_schema_files(&dir.join("schema")).unwrap();
    let error = database.load(&files).await.unwrap_err();
    let ScratchError::Load { path, line, .. } = &error else {
        panic!("{error}");
    };
    assert_eq!(path, &dir.join("schema/02_views.sql"));
    assert_eq!(*line, 5, "PostgreSQL points at `nope`");
    let message = error.to_string();
    assert!(
        message.contains("column \"nope\" does not exist"),
        "{message}"
    );
    assert!(message.contains("CREATE VIEW v AS"), "{message}");
    fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn from_migrations_the_plan_adds_what_the_schema_file_has_and_is_verified() {
    let dir = dir_with(
        "migrations",
        &[
            ("migrations/a1_tasks.sql", MIGRATION),
            ("schema.sql", DESIRED),
        ],
    );
    let migrator = Migrator::new(MigrationSet::from_dir(dir.join("migrations")).unwrap());
    let generated = migrator
        .autogenerate(dir.join("schema.sql"))
        .dev_url(dev_url())
        .start(Start::Migrations("head"))
        .run()
        .await
        .unwrap();
    assert!(
        generated.verification.passed(),
        "{:?}",
        generated.verification.problems()
    );
    assert_eq!(
        generated.plan.up_sql(),
        "-- hazard: takes ACCESS EXCLUSIVE on an existing table\n\
         ALTER TABLE app.tasks ADD COLUMN due date;\n\n\
         -- hazard: builds an index while writes wait (not CONCURRENTLY)\n\
         CREATE INDEX tasks_due ON app.tasks USING btree (due);\n"
    );
    assert!(
        !generated.plan.up_sql().contains("pelican_"),
        "the history tables are never part of the plan"
    );
    fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn from_a_live_database_with_its_history_in_a_schema_of_its_own() {
    let dir = dir_with(
        "live",
        &[
            ("migrations/a1_tasks.sql", MIGRATION),
            ("schema.sql", DESIRED),
        ],
    );
    let (_live_db, live) = db::fresh_db().await;
    let migrator = Migrator::new(MigrationSet::from_dir(dir.join("migrations")).unwrap())
        .schema("pelican_history");
    migrator.migrate_to_head(&live).await.unwrap();
    let generated = migrator
        .autogenerate(dir.join("schema.sql"))
        .dev_url(dev_url())
        .start(Start::Database(&live))
        .run()
        .await
        .unwrap();
    assert!(
        generated.verification.passed(),
        "{:?}",
        generated.verification.problems()
    );
    let up = generated.plan.up_sql();
    assert!(up.contains("ADD COLUMN due date"), "{up}");
    assert!(!up.contains("pelican_history"), "{up}");
    assert!(!generated.plan.down_sql().contains("pelican_history"));
    fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn pg_dump_output_loads_as_a_desired_schema_and_gives_no_changes() {
    let (_live_db, live) = db::fresh_db().await;
    live.batch_execute(
        "CREATE SCHEMA app;
         CREATE TYPE app.state AS ENUM ('open', 'done');
         CREATE TABLE app.tasks (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
             state app.state NOT NULL DEFAULT 'open', title text);
         CREATE VIEW app.open_tasks AS SELECT id, title FROM app.tasks WHERE state = 'open';
         COMMENT ON TABLE app.tasks IS 'things';",
    )
    .await
    .unwrap();
    let Some(pg_dump) = db::pg_dump_for(
        &live,
        "pg_dump_output_loads_as_a_desired_schema_and_gives_no_changes",
    )
    .await
    else {
        return;
    };
    let database_url = _live_db.connection_string();
    let output = std::process::Command::new(pg_dump)
        .args(["--schema-only", "--no-owner", "--dbname", database_url])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // What pg_dump 17.6 and later write around a dump; harmless, so skipped.
    let dump = format!(
        "\\restrict abc123\n{}\n\\unrestrict abc123\n",
        String::from_utf8(output.stdout).unwrap()
    );
    let dir = dir_with("dump", &[("dump.sql", &dump)]);
    let scratch = shared_scratch().await;
    let desired = scratch.database().await.unwrap();
    desired
        .load(&read_schema_files(&dir.join("dump.sql")).unwrap())
        .await
        .unwrap();
    let from = pelican::schema::SnapshotOptions::new()
        .snapshot(&live)
        .await
        .unwrap();
    let to = desired.snapshot().await.unwrap();
    let plan = plan_changes(&from, &to, &AutogenOptions::default());
    assert!(plan.up.is_empty(), "{}", plan.up_sql());
    assert_eq!(from, to);
    fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn verification_catches_a_plan_that_does_not_do_what_it_says() {
    let scratch = shared_scratch().await;
    let start = scratch.database().await.unwrap();
    start
        .execute("start", "CREATE TABLE t (id int)")
        .await
        .unwrap();
    let from = start.snapshot().await.unwrap();
    let goal = scratch.database().await.unwrap();
    goal.execute(
        "goal",
        "CREATE TABLE t (id int, note text); CREATE TABLE u (x int)",
    )
    .await
    .unwrap();
    let to = goal.snapshot().await.unwrap();
    let mut plan = plan_changes(&from, &to, &AutogenOptions::default());
    assert!(start
        .verify(&from, &to, &plan, "public")
        .await
        .unwrap()
        .passed());

    // The same plan without the statement that adds `note`: the up falls short, and the
    // down (dropping `note`) then fails.
    let start = scratch.database().await.unwrap();
    start
        .execute("start", "CREATE TABLE t (id int)")
        .await
        .unwrap();
    plan.up.retain(|s| !s.sql.contains("note"));
    let verification = start.verify(&from, &to, &plan, "public").await.unwrap();
    assert!(!verification.passed());
    assert!(
        verification
            .after_up
            .iter()
            .any(|line| line.contains("note")),
        "{:?}",
        verification.after_up
    );
    let failed = verification.failed.as_deref().unwrap_or_default();
    assert!(
        failed.starts_with("the generated down failed: "),
        "{failed}"
    );
    assert!(
        failed.contains("\"note\" of relation \"t\" does not exist"),
        "{failed}"
    );
}

#[tokio::test]
async fn a_desired_schema_that_is_not_there_is_named() {
    let migrator = Migrator::new(MigrationSet::new(Vec::new()).unwrap());
    let error = migrator
        .autogenerate(Path::new("/nonexistent/schema.sql"))
        .run()
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "could not read /nonexistent/schema.sql: No such file or directory (os error 2)"
    );
}

#[tokio::test]
async fn a_dev_server_is_left_as_it_was_found() {
    let dir = dir_with(
        "left-as-found",
        &[
            ("migrations/a1_tasks.sql", MIGRATION),
            ("schema.sql", DESIRED),
        ],
    );
    let server = TestServer::start_throwaway().unwrap();
    let databases = || async {
        let client = server.connect().await.unwrap();
        let rows = client
            .query("SELECT datname FROM pg_database ORDER BY 1", &[])
            .await
            .unwrap();
        rows.iter()
            .map(|r| r.get::<_, String>(0))
            .collect::<Vec<_>>()
    };
    let before = databases().await;
    let migrator = Migrator::new(MigrationSet::from_dir(dir.join("migrations")).unwrap());
    let generated = migrator
        .autogenerate(dir.join("schema.sql"))
        .dev_url(server.connection_string())
        .run()
        .await
        .unwrap();
    assert!(generated.verification.passed());
    assert_eq!(databases().await, before);
    fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn privileges_are_planned_and_verified_only_when_asked_for() {
    let server = TestServer::shared().unwrap();
    let admin = server.connect().await.unwrap();
    let reader = format!("pelican_reader_{}", std::process::id());
    admin
        .batch_execute(&format!(
            "DO $$ BEGIN CREATE ROLE {reader}; EXCEPTION WHEN duplicate_object THEN NULL; END $$"
        ))
        .await
        .unwrap();
    let desired = format!(
        "CREATE SCHEMA app;
         CREATE TABLE app.tasks (id bigint PRIMARY KEY, title text NOT NULL, due date);
         CREATE INDEX tasks_due ON app.tasks (due);
         GRANT USAGE ON SCHEMA app TO {reader};
         GRANT SELECT ON app.tasks TO {reader};
         CREATE FUNCTION app.secret() RETURNS int LANGUAGE sql AS 'SELECT 1';
         REVOKE EXECUTE ON FUNCTION app.secret() FROM PUBLIC;
         GRANT EXECUTE ON FUNCTION app.secret() TO {reader};"
    );
    let dir = dir_with(
        "privileges",
        &[
            ("migrations/a1_tasks.sql", MIGRATION),
            ("schema.sql", &desired),
        ],
    );
    let migrator = Migrator::new(MigrationSet::from_dir(dir.join("migrations")).unwrap());
    let generated = migrator
        .autogenerate(dir.join("schema.sql"))
        .dev_url(dev_url())
        .privileges(true)
        .run()
        .await
        .unwrap();
    assert!(
        generated.verification.passed(),
        "{:?}\n{}",
        generated.verification.problems(),
        generated.plan.up_sql()
    );
    let up = generated.plan.up_sql();
    for expected in [
        format!("GRANT USAGE ON SCHEMA app TO {reader};"),
        format!("GRANT SELECT ON TABLE app.tasks TO {reader};"),
        "REVOKE EXECUTE ON ROUTINE app.secret() FROM PUBLIC;".to_owned(),
        format!("GRANT EXECUTE ON ROUTINE app.secret() TO {reader};"),
    ] {
        assert!(up.contains(&expected), "{expected}\n{up}");
    }
    let without = migrator
        .autogenerate(dir.join("schema.sql"))
        .dev_url(dev_url())
        .run()
        .await
        .unwrap();
    assert!(without.verification.passed());
    assert!(!without.plan.up_sql().contains("GRANT"), "off by default");

    // From a live database: its grants are read too, and a grant it already has is kept.
    let (_live_db, live) = db::fresh_db().await;
    migrator.migrate_to_head(&live).await.unwrap();
    live.batch_execute(&format!("GRANT USAGE ON SCHEMA app TO {reader}"))
        .await
        .unwrap();
    let from_live = migrator
        .autogenerate(dir.join("schema.sql"))
        .dev_url(dev_url())
        .start(Start::Database(&live))
        .privileges(true)
        .run()
        .await
        .unwrap();
    assert!(
        from_live.verification.passed(),
        "{:?}",
        from_live.verification.problems()
    );
    let up = from_live.plan.up_sql();
    assert!(!up.contains("ON SCHEMA app"), "{up}");
    assert!(
        up.contains(&format!("GRANT SELECT ON TABLE app.tasks TO {reader};")),
        "{up}"
    );
    drop(live);
    fs::remove_dir_all(dir).unwrap();
    admin
        .batch_execute(&format!("DROP ROLE IF EXISTS {reader}"))
        .await
        .ok();
}

#[tokio::test]
async fn assert_matches_schema_passes_on_agreement_and_shows_the_gap_otherwise() {
    let agreeing = "CREATE SCHEMA app;\n\
        CREATE TABLE app.tasks (id bigint PRIMARY KEY, title text NOT NULL);\n";
    let dir = dir_with(
        "matches",
        &[
            ("migrations/a1_tasks.sql", MIGRATION),
            ("agreeing.sql", agreeing),
            ("schema.sql", DESIRED),
        ],
    );
    let set = MigrationSet::from_dir(dir.join("migrations")).unwrap();
    pelican::testing::assert_matches_schema(&set, dir.join("agreeing.sql"))
        .await
        .unwrap();
    let error = pelican::testing::assert_matches_schema(&set, dir.join("schema.sql"))
        .await
        .unwrap_err();
    let message = format!("{error:?}");
    assert!(
        message.starts_with(
            "assert_matches_schema: the migrations at their heads differ from the desired schema"
        ),
        "{message}"
    );
    assert!(message.contains("due"), "{message}");
    assert!(message.contains("tasks_due"), "{message}");
    assert!(
        message.contains("ALTER TABLE app.tasks ADD COLUMN due date;"),
        "the SQL that closes the gap\n{message}"
    );
    let missing = pelican::testing::assert_matches_schema(&set, dir.join("nope.sql"))
        .await
        .unwrap_err()
        .to_string();
    assert!(missing.contains("nope.sql"), "{missing}");
    fs::remove_dir_all(dir).unwrap();
}

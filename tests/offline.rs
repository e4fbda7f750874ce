//! Offline scripts: compared with golden files (`PELICAN_BLESS=1` rewrites them), then run
//! with `psql` on a fresh database, whose end state (schema, data, history rows, log rows) must
//! be that of a database migrated online by `Migrator` to the same target.

#[path = "support/db.rs"]
mod db;
#[path = "support/golden.rs"]
mod golden;
#[path = "offline/injection.rs"]
mod injection;
#[path = "offline/timeouts.rs"]
mod timeouts;

use std::process::Stdio;
use std::time::Duration;

use db::{fresh_db, set, sql, sql_with};
use pelican::migration::{BoxError, Migration};
use pelican::offline::{render, render_stamp, OfflineError, OfflineOptions};
use pelican::testing::{TestDatabase, TestServer};
use pelican::{Direction, MigrationSet, Migrator, Planner, Target, TransactionMode};
use tokio::io::AsyncWriteExt;
use tokio_postgres::Client;

/// root → a, root → b, m = merge(a, b); `a` has its own lock timeout and ends in a comment
/// without `;`, `b` runs outside a transaction, `m` holds a dollar-quoted function body.
fn merge_files() -> Vec<(String, String)> {
    vec![
        sql(
            "root",
            "",
            "CREATE TABLE tasks (id int PRIMARY KEY, title text NOT NULL);\n\
             INSERT INTO tasks VALUES (1, 'it''s; fine'), (2, E'back\\\\slash');",
            "DROP TABLE tasks;",
        ),
        sql_with(
            "a",
            "root",
            "lock-timeout: 3s",
            "ALTER TABLE tasks ADD COLUMN priority int NOT NULL DEFAULT 0 -- no semicolon here",
            "ALTER TABLE tasks DROP COLUMN priority;",
        ),
        sql_with(
            "b",
            "root",
            "transaction: false\nstatement-timeout: 1min",
            "CREATE INDEX CONCURRENTLY tasks_title ON tasks (title);\n\
             -- a comment between statements; with a semicolon\n\
             CREATE INDEX CONCURRENTLY tasks_id_title ON tasks (id, title);",
            "DROP INDEX CONCURRENTLY tasks_id_title;\nDROP INDEX CONCURRENTLY tasks_title;",
        ),
        sql(
            "m",
            "a, b",
            "CREATE FUNCTION task_count() RETURNS bigint LANGUAGE plpgsql AS $$\n\
             BEGIN\n  RETURN (SELECT count(*) FROM tasks);\nEND;\n$$;",
            "DROP FUNCTION task_count();",
        ),
    ]
}

fn merge_set() -> MigrationSet {
    set(&merge_files())
}

/// The run-level settings both paths share.
fn options() -> OfflineOptions {
    OfflineOptions::new().statement_timeout(Duration::from_secs(30))
}

fn migrator(set: MigrationSet) -> Migrator {
    Migrator::new(set).statement_timeout(Duration::from_secs(30))
}

fn upgrade_plan(set: &MigrationSet, applied: &[&str], target: &str) -> pelican::Plan {
    Planner::new(set.graph(), applied)
        .unwrap()
        .upgrade(&target.parse().unwrap())
        .unwrap()
}

fn downgrade_plan(set: &MigrationSet, applied: &[&str], target: &str) -> pelican::Plan {
    Planner::new(set.graph(), applied)
        .unwrap()
        .downgrade(&target.parse().unwrap())
        .unwrap()
}

/// Runs `script` with psql as a DBA would: stop at the first error, no psqlrc.
async fn run_psql(database: &TestDatabase, script: &str) {
    let (ok, stderr) = psql(database, script).await;
    assert!(ok, "psql failed:\n{stderr}\n--- script\n{script}");
}

/// Runs `script` with psql, expecting it to fail; returns what psql printed on stderr.
async fn run_psql_expecting_failure(database: &TestDatabase, script: &str) -> String {
    let (ok, stderr) = psql(database, script).await;
    assert!(!ok, "psql succeeded:\n--- script\n{script}");
    stderr
}

async fn psql(database: &TestDatabase, script: &str) -> (bool, String) {
    let psql = TestServer::shared()
        .expect("a PostgreSQL server for tests")
        .program("psql")
        .expect("psql");
    let mut child = tokio::process::Command::new(psql)
        .arg(database.connection_string())
        .args(["-v", "ON_ERROR_STOP=1", "-X", "-q", "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting psql");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(script.as_bytes()).await.unwrap();
    drop(stdin);
    let output = child.wait_with_output().await.unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Everything an end state is compared on: the schema's tables, columns, indexes and
/// functions, the tasks, and the history and log rows (without times and durations, which
/// differ between any two runs).
async fn snapshot(client: &Client, schema: &str) -> Vec<String> {
    let quoted = format!("\"{}\"", schema.replace('"', "\"\""));
    let queries = [
        "SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type \
         FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1"
            .to_owned(),
        "SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"
            .to_owned(),
        "SELECT 'invalid index ' || indexrelid::regclass::text FROM pg_index \
         WHERE NOT indisvalid ORDER BY 1"
            .to_owned(),
        "SELECT 'function ' || p.proname FROM pg_proc p JOIN pg_namespace n \
         ON n.oid = p.pronamespace WHERE n.nspname = 'public' ORDER BY 1"
            .to_owned(),
        format!(
            "SELECT 'revision ' || concat_ws(' | ', revision, parents::text, message, checksum, \
             checksum_algorithm, kind, state, coalesce(error, '<no error>'), applied_by) \
             FROM {quoted}.pelican_revisions ORDER BY revision"
        ),
        format!(
            "SELECT 'log ' || concat_ws(' | ', revision, operation, outcome, \
             coalesce(checksum, '<no checksum>'), coalesce(detail, '<no detail>'), by) \
             FROM {quoted}.pelican_log ORDER BY id"
        ),
        // The digest, and that it is the digest of the rows (the triggers kept it).
        format!(
            "SELECT 'state ' || concat_ws(' | ', layout, digest::text, revisions, \
             digest = coalesce((SELECT bit_xor({quoted}.pelican_revision_digest(revision, \
             checksum_algorithm, checksum, state)) FROM {quoted}.pelican_revisions), \
             repeat('0', 256)::bit(256))) FROM {quoted}.pelican_state"
        ),
        format!(
            "SELECT 'trigger ' || tgname::text || ' ' || tgenabled::text FROM pg_trigger \
             WHERE tgrelid = '{quoted}.pelican_revisions'::regclass ORDER BY 1"
        ),
    ];
    let mut lines = Vec::new();
    if db::table_exists(client, "public.tasks").await {
        let row = client
            .query_one("SELECT json_agg(t ORDER BY id)::text FROM tasks t", &[])
            .await
            .unwrap();
        lines.push(format!("tasks {}", row.get::<_, String>(0)));
    }
    for query in queries {
        for row in client
            .query(&query, &[])
            .await
            .unwrap_or_else(|e| panic!("{query}: {e}"))
        {
            lines.push(row.get(0));
        }
    }
    lines
}

fn count(snapshot: &[String], prefix: &str) -> usize {
    snapshot.iter().filter(|l| l.starts_with(prefix)).count()
}

#[tokio::test]
async fn an_upgrade_script_does_what_an_online_upgrade_does() {
    let set = merge_set();
    let plan = upgrade_plan(&set, &[], "head");
    let script = render(&set, &plan, &options()).unwrap();
    golden::check("offline_merge.sql", &script);

    let (offline_db, offline) = fresh_db().await;
    run_psql(&offline_db, &script).await;
    let (_online_db, online) = fresh_db().await;
    let report = migrator(merge_set())
        .migrate_to_head(&online)
        .await
        .unwrap();
    assert_eq!(report.steps.len(), 4);

    let expected = snapshot(&online, "public").await;
    assert_eq!(count(&expected, "revision "), 4);
    assert_eq!(count(&expected, "log "), 4);
    // The tasks' three, and the primary keys of pelican_revisions and pelican_log.
    assert_eq!(count(&expected, "index "), 5);
    assert_eq!(count(&expected, "trigger "), 2);
    let state = expected.iter().find(|l| l.starts_with("state ")).unwrap();
    assert!(
        state.starts_with("state 3 | ") && state.ends_with(" | 4 | t"),
        "{state}"
    );
    assert_eq!(snapshot(&offline, "public").await, expected);

    // The online migrator takes over where the script left off: nothing to do.
    let status = migrator(merge_set()).status(&offline).await.unwrap();
    assert!(status.pending.is_empty() && status.failed.is_empty());
    assert!(migrator(merge_set())
        .migrate_to_head(&offline)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_script_from_a_partly_applied_database_continues_where_it_is() {
    let set = merge_set();
    // FROM a TO head: root and a are applied, the tables exist.
    let plan = upgrade_plan(&set, &["root", "a"], "head");
    let script = render(&set, &plan, &options().create_history_tables(false)).unwrap();
    assert!(!script.contains("CREATE TABLE"), "{script}");
    assert!(
        script.contains("-- Running upgrade root -> b\n"),
        "{script}"
    );
    assert!(
        script.contains("-- Running upgrade a, b -> m\n"),
        "{script}"
    );

    let (offline_db, offline) = fresh_db().await;
    migrator(merge_set()).upgrade(&offline, "a").await.unwrap();
    run_psql(&offline_db, &script).await;
    let (_online_db, online) = fresh_db().await;
    let online_migrator = migrator(merge_set());
    online_migrator.upgrade(&online, "a").await.unwrap();
    online_migrator.migrate_to_head(&online).await.unwrap();
    assert_eq!(
        snapshot(&offline, "public").await,
        snapshot(&online, "public").await
    );
}

#[tokio::test]
async fn a_downgrade_script_does_what_an_online_downgrade_does() {
    let set = merge_set();
    let plan = downgrade_plan(&set, &["root", "a", "b", "m"], "root");
    assert_eq!(plan.direction(), Direction::Down);
    let script = render(&set, &plan, &options().create_history_tables(false)).unwrap();
    golden::check("offline_downgrade.sql", &script);

    let (offline_db, offline) = fresh_db().await;
    migrator(merge_set())
        .migrate_to_head(&offline)
        .await
        .unwrap();
    run_psql(&offline_db, &script).await;
    let (_online_db, online) = fresh_db().await;
    let online_migrator = migrator(merge_set());
    online_migrator.migrate_to_head(&online).await.unwrap();
    let report = online_migrator.downgrade(&online, "root").await.unwrap();
    assert_eq!(report.steps.len(), 3);

    let expected = snapshot(&online, "public").await;
    assert_eq!(count(&expected, "revision "), 1);
    assert_eq!(count(&expected, "log "), 4 + 3);
    assert_eq!(snapshot(&offline, "public").await, expected);
}

#[tokio::test]
async fn stamp_scripts_record_what_an_online_stamp_records() {
    let set = merge_set();
    let no_revisions: [&str; 0] = [];
    let stamp = Planner::new(set.graph(), no_revisions)
        .unwrap()
        .stamp(&["head".parse().unwrap()], false)
        .unwrap();
    let script = render_stamp(&set, &stamp, &options()).unwrap();
    golden::check("offline_stamp.sql", &script);

    let (offline_db, offline) = fresh_db().await;
    run_psql(&offline_db, &script).await;
    let (_online_db, online) = fresh_db().await;
    migrator(merge_set())
        .stamp(&online, &["head"], false)
        .await
        .unwrap();
    let expected = snapshot(&online, "public").await;
    assert_eq!(count(&expected, "revision "), 4);
    assert_eq!(count(&expected, "column tasks."), 0, "a stamp runs nothing");
    assert_eq!(snapshot(&offline, "public").await, expected);

    // Stamping back down to `a` deletes the records of m and b.
    let stamp = Planner::new(set.graph(), ["root", "a", "b", "m"])
        .unwrap()
        .stamp(&["a".parse().unwrap()], false)
        .unwrap();
    let script = render_stamp(&set, &stamp, &options().create_history_tables(false)).unwrap();
    golden::check("offline_unstamp.sql", &script);
    run_psql(&offline_db, &script).await;
    migrator(merge_set())
        .stamp(&online, &["a"], false)
        .await
        .unwrap();
    let expected = snapshot(&online, "public").await;
    assert_eq!(count(&expected, "revision "), 2);
    assert_eq!(snapshot(&offline, "public").await, expected);
}

/// A chain without `transaction: false`, for whole-plan runs.
fn chain_set() -> MigrationSet {
    set(&[
        sql(
            "c1",
            "",
            "CREATE TABLE notes (id int);",
            "DROP TABLE notes;",
        ),
        sql_with(
            "c2",
            "c1",
            "lock-timeout: 250ms",
            "ALTER TABLE notes ADD body text;",
            "ALTER TABLE notes DROP body;",
        ),
    ])
}

#[tokio::test]
async fn a_whole_plan_script_runs_in_one_transaction_in_a_schema_of_its_own() {
    let schema = "odd \"schema\" $pelican$";
    let set = chain_set();
    let plan = upgrade_plan(&set, &[], "head");
    let options = options()
        .schema(schema)
        .transaction_mode(TransactionMode::WholePlan);
    let script = render(&set, &plan, &options).unwrap();
    golden::check("offline_whole_plan.sql", &script);
    assert_eq!(script.matches("BEGIN;").count(), 1, "{script}");
    assert_eq!(script.matches("COMMIT;").count(), 1, "{script}");

    let (offline_db, offline) = fresh_db().await;
    run_psql(&offline_db, &script).await;
    let (_online_db, online) = fresh_db().await;
    migrator(chain_set())
        .schema(schema)
        .transaction_mode(TransactionMode::WholePlan)
        .migrate_to_head(&online)
        .await
        .unwrap();
    let expected = snapshot(&online, schema).await;
    assert_eq!(count(&expected, "revision "), 2);
    assert_eq!(snapshot(&offline, schema).await, expected);
}

#[tokio::test]
async fn a_failing_script_stops_and_leaves_the_database_as_an_online_run_would() {
    // b's second statement fails: its first index stays, and its row stays marked failed,
    // blocking the next run until someone looks.
    let mut files = merge_files();
    files[2] = sql_with(
        "b",
        "root",
        "transaction: false",
        "CREATE INDEX CONCURRENTLY tasks_title ON tasks (title);\nCREATE INDEX CONCURRENTLY nope ON no_such_table (id);",
        "",
    );
    let set = set(&files);
    let plan = upgrade_plan(&set, &[], "head");
    let script = render(&set, &plan, &options()).unwrap();
    let (offline_db, offline) = fresh_db().await;
    let stderr = run_psql_expecting_failure(&offline_db, &script).await;
    assert!(
        stderr.contains("relation \"no_such_table\" does not exist"),
        "{stderr}"
    );
    let err = migrator(set.clone())
        .migrate_to_head(&offline)
        .await
        .unwrap_err();
    assert!(
        err.to_string().starts_with(
            "revision b (migrations/b_test.sql) is marked failed in the history table: \
             interrupted: the upgrade started by an offline SQL script did not finish"
        ),
        "{err}"
    );
    assert!(db::table_exists(&offline, "tasks_title").await);
    assert_eq!(
        db::history(&offline, "public").await,
        ["a:applied", "b:failed", "root:applied"]
    );
}

#[test]
fn an_empty_plan_renders_a_script_that_does_nothing() {
    let set = merge_set();
    let plan = upgrade_plan(&set, &["root", "a", "b", "m"], "head");
    assert_eq!(
        render(&set, &plan, &options()).unwrap(),
        "-- pelican offline script: upgrade, 0 revisions.\n\
         -- History tables: \"public\".\"pelican_revisions\" and \"public\".\"pelican_log\".\n\
         -- Run it with: psql -v ON_ERROR_STOP=1 -X -f <this file>\n\
         -- (ON_ERROR_STOP makes psql stop at the first error instead of running what follows).\n\
         \n\
         -- Nothing to do: the plan is empty.\n"
    );
}

struct Backfill;

#[pelican::async_trait]
impl Migration for Backfill {
    async fn up(&self, _db: &Client) -> Result<(), BoxError> {
        Ok(())
    }
    async fn down(&self, _db: &Client) -> Result<(), BoxError> {
        Ok(())
    }
}

fn rust_file(id: &str, revises: &str) -> (String, String) {
    (
        format!("migrations/{id}_backfill.rs"),
        format!("//! revision: {id}\n//! revises: {revises}\n\npub struct Backfill;\n"),
    )
}

#[test]
fn rust_migrations_are_refused_before_anything_is_rendered() {
    let mut files = merge_files();
    files.push(rust_file("r1", "m"));
    files.push(sql("s1", "r1", "SELECT 1;", "SELECT 1;"));
    files.push(rust_file("r2", "s1"));
    let set = set(&files);

    let plan = upgrade_plan(&set, &[], "head");
    let err = render(&set, &plan, &options()).unwrap_err();
    assert!(matches!(err, OfflineError::RustMigration { .. }));
    assert_eq!(
        err.to_string(),
        "revision r1 (migrations/r1_backfill.rs) is a Rust migration, so no SQL script can \
         upgrade through it (the plan has more Rust migrations: r2); split the run around it: \
         render the script up to the revisions r1 revises, run that step online from the \
         application that embeds the migration, then render the rest"
    );

    // With its code attached, it still can't be written down.
    let set = set.with_rust("r2", Backfill).unwrap();
    let plan = downgrade_plan(&set, &["root", "a", "b", "m", "r1", "s1", "r2"], "s1");
    let err = render(&set, &plan, &options()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "revision r2 (migrations/r2_backfill.rs) is a Rust migration, so no SQL script can \
         downgrade through it; split the run around it: render the script down to r2 (it stays \
         applied), run that step online from the application that embeds the migration, then \
         render the rest"
    );

    // A plan that avoids them renders, and a stamp never runs them.
    let plan = upgrade_plan(&set, &[], "m");
    assert!(render(&set, &plan, &options()).is_ok());
    let no_revisions: [&str; 0] = [];
    let stamp = Planner::new(set.graph(), no_revisions)
        .unwrap()
        .stamp(&[Target::Heads { branch: None }], false)
        .unwrap();
    let script = render_stamp(&set, &stamp, &options()).unwrap();
    assert!(
        script.contains("-- Stamping root, a, b, m, r1, s1, r2 (recorded as applied, not run)\n")
    );
}

#[test]
fn bad_plans_are_errors_that_say_what_to_do() {
    let set = merge_set();
    let plan = upgrade_plan(&set, &[], "head");
    let whole = options().transaction_mode(TransactionMode::WholePlan);
    assert_eq!(
        render(&set, &plan, &whole).unwrap_err().to_string(),
        "revision b (migrations/b_test.sql) is declared 'transaction: false', so it can't run \
         inside the single transaction of TransactionMode::WholePlan; render the script with \
         TransactionMode::PerMigration"
    );

    let other = chain_set();
    let foreign = upgrade_plan(&other, &[], "head");
    assert_eq!(
        render(&set, &foreign, &options()).unwrap_err().to_string(),
        "the plan names revision c1, which is not among the known migrations (was the plan made \
         from another migration set?)"
    );
    let stamp = Planner::new(other.graph(), ["c1"])
        .unwrap()
        .stamp(&["head".parse().unwrap()], false)
        .unwrap();
    assert_eq!(
        render_stamp(&set, &stamp, &options())
            .unwrap_err()
            .to_string(),
        "the plan names revision c2, which is not among the known migrations (was the plan made \
         from another migration set?)"
    );

    let unsplittable = set_with_body("CREATE INDEX CONCURRENTLY i ON t (x);\nSELECT 'oops;\n");
    let plan = upgrade_plan(&unsplittable, &[], "head");
    assert_eq!(
        render(&unsplittable, &plan, &options())
            .unwrap_err()
            .to_string(),
        "revision n1 (migrations/n1_test.sql, line 8) can't be split into statements: \
         unterminated string literal starting at line 2: the `'` opened there is never closed \
         (a quote inside a string is written `''`)"
    );
    // The same error reaches pelican::Error.
    let err: pelican::Error = render(&unsplittable, &plan, &options()).unwrap_err().into();
    assert!(err.to_string().starts_with("revision n1"));
}

fn set_with_body(up: &str) -> MigrationSet {
    set(&[sql_with("n1", "", "transaction: false", up, "")])
}

//! The Migrator against real PostgreSQL: apply, downgrade, failures, checksums, unknown
//! revisions, non-transactional revisions, locks, odd schema names.

#[path = "support/db.rs"]
mod db;

use std::time::Duration;

use db::{fresh_db, history, ids, log, set, sql, sql_with, table_exists};
use pelican::{Error, Migrator, TransactionMode};

/// root → a, root → b, m = merge(a, b).
fn merge_set() -> pelican::MigrationSet {
    set(&[
        sql(
            "root",
            "",
            "CREATE TABLE root_t (id int);",
            "DROP TABLE root_t;",
        ),
        sql("a", "root", "CREATE TABLE a_t (id int);", "DROP TABLE a_t;"),
        sql("b", "root", "CREATE TABLE b_t (id int);", "DROP TABLE b_t;"),
        sql("m", "a, b", "CREATE TABLE m_t (id int);", "DROP TABLE m_t;"),
    ])
}

#[tokio::test]
async fn apply_downgrade_and_reapply_a_dag_with_a_merge() {
    let (_db, client) = fresh_db().await;
    let migrator = Migrator::new(merge_set());

    let report = migrator.migrate_to_head(&client).await.unwrap();
    assert_eq!(ids(&report), ["root", "a", "b", "m"]);
    for table in ["root_t", "a_t", "b_t", "m_t"] {
        assert!(table_exists(&client, table).await, "{table}");
    }
    assert_eq!(
        history(&client, "public").await,
        ["a:applied", "b:applied", "m:applied", "root:applied"]
    );
    let current: Vec<String> = migrator
        .current(&client)
        .await
        .unwrap()
        .iter()
        .map(|r| r.to_string())
        .collect();
    assert_eq!(current, ["m"]);

    // At head: nothing runs.
    assert!(migrator.migrate_to_head(&client).await.unwrap().is_empty());

    // Down to a: only the merge goes.
    let report = migrator.downgrade(&client, "a").await.unwrap();
    assert_eq!(ids(&report), ["m"]);
    assert!(!table_exists(&client, "m_t").await);
    assert!(table_exists(&client, "b_t").await);
    assert_eq!(
        history(&client, "public").await,
        ["a:applied", "b:applied", "root:applied"]
    );

    // Down to base: everything, in reverse.
    let report = migrator.downgrade(&client, "base").await.unwrap();
    assert_eq!(ids(&report), ["b", "a", "root"]);
    assert!(!table_exists(&client, "root_t").await);
    assert!(history(&client, "public").await.is_empty());

    // And up again.
    assert_eq!(
        ids(&migrator.migrate_to_head(&client).await.unwrap()),
        ["root", "a", "b", "m"]
    );
    assert!(table_exists(&client, "m_t").await);

    // The log kept everything.
    let log = log(&client, "public").await;
    assert_eq!(log.len(), 4 + 1 + 3 + 4);
    assert_eq!(log[4], "m:downgrade:ok");
    assert!(log.iter().all(|l| l.ends_with(":ok")));
}

#[tokio::test]
async fn history_rows_record_what_ran() {
    let (_db, client) = fresh_db().await;
    let migrations = merge_set();
    let checksum = migrations
        .get("m")
        .unwrap()
        .revision()
        .checksum()
        .to_string();
    let migrator = Migrator::new(migrations);
    migrator.migrate_to_head(&client).await.unwrap();
    let rows = migrator.history(&client).await.unwrap();
    let m = rows.iter().find(|r| r.revision == "m").unwrap();
    assert_eq!(m.parents, ["a", "b"]);
    assert_eq!(m.message, "m");
    assert_eq!(m.checksum, checksum);
    assert_eq!(m.checksum_algorithm, "sha256");
    assert_eq!(m.kind, "sql");
    assert_eq!(m.state, pelican::history::RevisionState::Applied);
    assert!(m.duration_ms.is_some());
    assert_eq!(m.applied_by, "postgres");
    assert!(m.applied_at.ends_with('Z'), "{}", m.applied_at);
}

fn failing_set() -> pelican::MigrationSet {
    set(&[
        sql("r1", "", "CREATE TABLE one (id int);", "DROP TABLE one;"),
        sql("r2", "r1", "CREATE TABLE two (id int);", "DROP TABLE two;"),
        sql(
            "r3",
            "r2",
            "CREATE TABLE three (id int);\nINSERT INTO three VALUES (1);\nSELECT no_such_column FROM three;",
            "DROP TABLE three;",
        ),
        sql("r4", "r3", "CREATE TABLE four (id int);", "DROP TABLE four;"),
    ])
}

#[tokio::test]
async fn a_failing_revision_leaves_no_trace_and_keeps_the_ones_before() {
    let (_db, client) = fresh_db().await;
    let err = Migrator::new(failing_set())
        .migrate_to_head(&client)
        .await
        .unwrap_err();
    // The file: header (3 lines), blank, `-- up`, then the body from line 6; the bad
    // statement is on the body's third line.
    assert_eq!(
        err.to_string(),
        "revision r3 (migrations/r3_test.sql, line 8) failed to upgrade: ERROR: column \"no_such_column\" does not exist (SQLSTATE 42703)"
    );
    match &err {
        Error::MigrationFailed { revision, line, .. } => {
            assert_eq!(revision, "r3");
            assert_eq!(*line, Some(8));
        }
        other => panic!("{other:?}"),
    }
    assert!(table_exists(&client, "two").await);
    assert!(!table_exists(&client, "three").await, "r3 left a trace");
    assert_eq!(
        history(&client, "public").await,
        ["r1:applied", "r2:applied"]
    );
    assert_eq!(
        log(&client, "public").await.last().unwrap(),
        "r3:upgrade:failed"
    );
}

#[tokio::test]
async fn in_whole_plan_mode_a_failure_leaves_nothing() {
    let (_db, client) = fresh_db().await;
    let migrator = Migrator::new(failing_set()).transaction_mode(TransactionMode::WholePlan);
    let err = migrator.migrate_to_head(&client).await.unwrap_err();
    assert!(
        matches!(err, Error::MigrationFailed { ref revision, .. } if revision == "r3"),
        "{err}"
    );
    assert!(!table_exists(&client, "one").await);
    assert!(history(&client, "public").await.is_empty());
}

#[tokio::test]
async fn an_edited_applied_file_stops_the_run_until_repaired() {
    let (_db, client) = fresh_db().await;
    let original = vec![
        sql("r1", "", "CREATE TABLE one (id int);", "DROP TABLE one;"),
        sql("r2", "r1", "CREATE TABLE two (id int);", "DROP TABLE two;"),
    ];
    Migrator::new(set(&original))
        .migrate_to_head(&client)
        .await
        .unwrap();

    let mut edited = original.clone();
    edited[0].1 = edited[0].1.replace("(id int)", "(id bigint)");
    edited.push(sql(
        "r3",
        "r2",
        "CREATE TABLE three (id int);",
        "DROP TABLE three;",
    ));
    let migrations = set(&edited);
    let recorded = set(&original)
        .get("r1")
        .unwrap()
        .revision()
        .checksum()
        .to_string();
    let current = migrations
        .get("r1")
        .unwrap()
        .revision()
        .checksum()
        .to_string();
    let migrator = Migrator::new(migrations);
    let err = migrator.migrate_to_head(&client).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "applied migrations were changed after they ran:\n  r1 (migrations/r1_test.sql): recorded {recorded}, file now {current}\n\
             Restore the files as they were applied; or, if the edit is deliberate and the database already matches it, accept the new checksums with Migrator::repair (at a terminal: `pelican repair`)."
        )
    );
    assert!(!table_exists(&client, "three").await, "nothing ran");

    let repaired = migrator.repair(&client).await.unwrap();
    assert_eq!(repaired, ["r1"]);
    assert_eq!(
        ids(&migrator.migrate_to_head(&client).await.unwrap()),
        ["r3"]
    );
    assert!(log(&client, "public")
        .await
        .contains(&"r1:repair:ok".to_owned()));
}

#[tokio::test]
async fn unknown_applied_revisions_are_an_error_unless_allowed() {
    let (_db, client) = fresh_db().await;
    let newer = vec![
        sql("r1", "", "CREATE TABLE one (id int);", "DROP TABLE one;"),
        sql("r2", "r1", "CREATE TABLE two (id int);", "DROP TABLE two;"),
    ];
    Migrator::new(set(&newer))
        .migrate_to_head(&client)
        .await
        .unwrap();
    let older = Migrator::new(set(&newer[..1]));
    let err = older.migrate_to_head(&client).await.unwrap_err();
    assert!(
        err.to_string().starts_with(
            "the database has applied revisions that this application does not know: r2\n"
        ),
        "{err}"
    );
    let report = older
        .allow_unknown_applied(true)
        .migrate_to_head(&client)
        .await
        .unwrap();
    assert!(report.is_empty());
}

#[tokio::test]
async fn non_transactional_revisions_run_statement_by_statement() {
    let (_db, client) = fresh_db().await;
    let up = "CREATE TABLE tasks (id int, title text);
CREATE INDEX CONCURRENTLY tasks_title ON tasks (title);
CREATE FUNCTION shout(t text) RETURNS text LANGUAGE plpgsql AS $body$
BEGIN
    -- a semicolon; inside a dollar-quoted body
    RETURN upper(t) || '!';
END;
$body$;";
    let migrations = set(&[sql_with(
        "r1",
        "",
        "transaction: false",
        up,
        "DROP INDEX CONCURRENTLY tasks_title;\nDROP FUNCTION shout(text);\nDROP TABLE tasks;",
    )]);
    let migrator = Migrator::new(migrations);
    migrator.migrate_to_head(&client).await.unwrap();
    let shout: String = client
        .query_one("SELECT shout('hi')", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(shout, "HI!");
    assert!(table_exists(&client, "tasks_title").await);
    assert_eq!(history(&client, "public").await, ["r1:applied"]);
    migrator.downgrade(&client, "base").await.unwrap();
    assert!(!table_exists(&client, "tasks").await);
    assert!(history(&client, "public").await.is_empty());
}

#[tokio::test]
async fn a_failed_non_transactional_revision_blocks_runs_until_resolved() {
    let (_db, client) = fresh_db().await;
    let files = vec![
        sql("r1", "", "CREATE TABLE one (id int);", "DROP TABLE one;"),
        sql_with(
            "r2",
            "r1",
            "transaction: false",
            "CREATE INDEX CONCURRENTLY one_id ON one (id);\nCREATE INDEX CONCURRENTLY broken ON missing (id);",
            "DROP INDEX CONCURRENTLY one_id;",
        ),
        sql("r3", "r2", "CREATE TABLE three (id int);", "DROP TABLE three;"),
    ];
    let migrator = Migrator::new(set(&files));
    let err = migrator.migrate_to_head(&client).await.unwrap_err();
    assert!(
        err.to_string().starts_with("revision r2 (migrations/r2_test.sql, line 8) failed to upgrade: ERROR: relation \"missing\" does not exist"),
        "{err}"
    );
    // The first statement stays (it ran in autocommit); the row says failed.
    assert!(table_exists(&client, "one_id").await);
    assert_eq!(
        history(&client, "public").await,
        ["r1:applied", "r2:failed"]
    );

    let err = migrator.migrate_to_head(&client).await.unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("revision r2 (migrations/r2_test.sql) is marked failed in the history table: statement 2 failed: revision r2"), "{text}");
    assert!(
        text.contains(
            "the statements before statement 2 were applied, statement 2 and the rest were \
             not. Fix the cause, then run the rest with Migrator::resume (at a terminal: \
             `pelican resolve r2 --resume`); or finish or undo it by hand and record the \
             outcome with Migrator::mark_applied or Migrator::forget (`pelican resolve r2 \
             --applied` or `--forget`)."
        ),
        "{text}"
    );
    assert!(!table_exists(&client, "three").await);

    // Someone finishes the revision by hand, then records it.
    client
        .batch_execute("CREATE TABLE missing (id int)")
        .await
        .unwrap();
    migrator.mark_applied(&client, "r2").await.unwrap();
    assert_eq!(
        ids(&migrator.migrate_to_head(&client).await.unwrap()),
        ["r3"]
    );
    let err = migrator.mark_applied(&client, "r3").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "revision r3 is not marked failed in the history table (it is applied)"
    );
}

#[tokio::test]
async fn forget_clears_a_failed_row() {
    let (_db, client) = fresh_db().await;
    let files = vec![sql_with(
        "r1",
        "",
        "transaction: false",
        "SELECT 1;\nSELECT 1/0;",
        "SELECT 1;",
    )];
    let migrator = Migrator::new(set(&files));
    // The second statement fails (a failing first statement leaves no row at all).
    assert!(migrator.migrate_to_head(&client).await.is_err());
    assert_eq!(history(&client, "public").await, ["r1:failed"]);
    migrator.forget(&client, "r1").await.unwrap();
    assert!(history(&client, "public").await.is_empty());
    assert!(log(&client, "public")
        .await
        .contains(&"r1:forget:ok".to_owned()));
}

#[tokio::test]
async fn downgrading_through_an_irreversible_revision_fails_before_anything_runs() {
    let (_db, client) = fresh_db().await;
    let files = vec![
        sql("r1", "", "CREATE TABLE one (id int);", "DROP TABLE one;"),
        sql_with(
            "r2",
            "r1",
            "irreversible: drops the legacy rows",
            "DELETE FROM one;",
            "",
        ),
        sql(
            "r3",
            "r2",
            "CREATE TABLE three (id int);",
            "DROP TABLE three;",
        ),
    ];
    let migrator = Migrator::new(set(&files));
    migrator.migrate_to_head(&client).await.unwrap();
    let err = migrator.downgrade(&client, "base").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "can't downgrade through r2: it is irreversible (drops the legacy rows)"
    );
    assert!(table_exists(&client, "three").await, "nothing ran");
    assert_eq!(
        ids(&migrator.downgrade(&client, "r2").await.unwrap()),
        ["r3"]
    );
}

#[tokio::test]
async fn schema_names_with_quotes_spaces_and_capitals_work() {
    let (_db, client) = fresh_db().await;
    let schema = "Tenant \"A\" 1";
    let migrator = Migrator::new(merge_set()).schema(schema);
    assert_eq!(
        migrator.migrate_to_head(&client).await.unwrap().steps.len(),
        4
    );
    assert_eq!(history(&client, schema).await.len(), 4);
    assert!(history(&client, "public").await.is_empty());
    assert!(migrator.migrate_to_head(&client).await.unwrap().is_empty());
    migrator.downgrade(&client, "base").await.unwrap();
    assert!(history(&client, schema).await.is_empty());
}

#[tokio::test]
async fn head_with_several_heads_is_an_error_and_heads_runs_them_all() {
    let (_db, client) = fresh_db().await;
    let files = vec![
        sql("root", "", "SELECT 1;", "SELECT 1;"),
        sql("a", "root", "SELECT 1;", "SELECT 1;"),
        sql("b", "root", "SELECT 1;", "SELECT 1;"),
    ];
    let migrator = Migrator::new(set(&files));
    let err = migrator.migrate_to_head(&client).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "'head' is ambiguous: there are several heads (a, b); name one of them, use <branch>@head, or 'heads' for all; or merge them into one (`pelican merge -m MESSAGE heads`)"
    );
    assert!(
        history(&client, "public").await.is_empty(),
        "nothing ran, no table created"
    );
    assert_eq!(
        ids(&migrator.upgrade(&client, "heads").await.unwrap()),
        ["root", "a", "b"]
    );
}

#[tokio::test]
async fn stamp_records_without_running() {
    let (_db, client) = fresh_db().await;
    let migrator = Migrator::new(merge_set());
    let report = migrator.stamp(&client, &["a"], false).await.unwrap();
    let added: Vec<String> = report.added.iter().map(|r| r.to_string()).collect();
    assert_eq!(added, ["root", "a"]);
    assert!(!table_exists(&client, "a_t").await, "stamp runs nothing");
    assert_eq!(
        history(&client, "public").await,
        ["a:stamped", "root:stamped"]
    );
    assert_eq!(
        ids(&migrator.migrate_to_head(&client).await.unwrap()),
        ["b", "m"]
    );
    migrator.stamp(&client, &["base"], false).await.unwrap();
    assert!(history(&client, "public").await.is_empty());
}

#[tokio::test]
async fn status_reports_every_problem_at_once() {
    let (_db, client) = fresh_db().await;
    let files = vec![
        sql("r1", "", "SELECT 1;", "SELECT 1;"),
        sql("r2", "r1", "SELECT 1;", "SELECT 1;"),
    ];
    Migrator::new(set(&files))
        .upgrade(&client, "r1")
        .await
        .unwrap();
    let status = Migrator::new(set(&files)).status(&client).await.unwrap();
    assert_eq!(status.applied, ["r1"]);
    assert_eq!(status.pending, ["r2"]);
    assert_eq!(status.current_heads, ["r1"]);
    assert!(
        status.failed.is_empty()
            && status.unknown.is_empty()
            && status.checksum_mismatches.is_empty()
    );
}

#[tokio::test]
async fn a_failing_migration_releases_the_lock() {
    let (database, client) = fresh_db().await;
    let failing = Migrator::new(failing_set());
    assert!(failing.migrate_to_head(&client).await.is_err());
    // Another session must get the lock at once.
    let other = database.connect().await.unwrap();
    let fixed = vec![sql(
        "r1",
        "",
        "CREATE TABLE one (id int);",
        "DROP TABLE one;",
    )];
    let report = Migrator::new(set(&fixed))
        .allow_unknown_applied(true)
        .lock_wait(Duration::from_millis(200))
        .upgrade(&other, "r1")
        .await;
    assert!(report.is_ok(), "{report:?}");
}

#[tokio::test]
async fn waiting_past_the_lock_wait_is_a_clear_error() {
    let (database, client) = fresh_db().await;
    let slow = vec![sql("r1", "", "SELECT pg_sleep(3);", "SELECT 1;")];
    let slow_migrator = Migrator::new(set(&slow));
    let runner = tokio::spawn(async move { slow_migrator.migrate_to_head(&client).await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let other = database.connect().await.unwrap();
    let impatient = Migrator::new(set(&slow)).lock_wait(Duration::from_millis(300));
    let err = impatient.migrate_to_head(&other).await.unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("timed out after 0."), "{text}");
    assert!(
        text.contains(
            "waiting for the migration lock on public.pelican_revisions, held by backend pid "
        ),
        "{text}"
    );
    assert!(runner.await.unwrap().is_ok());
}

#[tokio::test]
async fn concurrent_migrators_apply_each_revision_exactly_once() {
    let (database, _client) = fresh_db().await;
    let files: Vec<_> = (1..=10)
        .map(|i| {
            let parent = if i == 1 {
                String::new()
            } else {
                format!("r{:02}", i - 1)
            };
            sql(
                &format!("r{i:02}"),
                &parent,
                &format!("CREATE TABLE t{i} (id int); SELECT pg_sleep(0.02);"),
                &format!("DROP TABLE t{i};"),
            )
        })
        .collect();
    let migrations = set(&files);
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let client = database.connect().await.unwrap();
        let migrator = Migrator::new(migrations.clone());
        tasks.push(tokio::spawn(async move {
            migrator.migrate_to_head(&client).await
        }));
    }
    let mut applied_total = 0;
    for task in tasks {
        let report = task.await.unwrap().expect("every caller succeeds");
        applied_total += report.steps.len();
    }
    assert_eq!(
        applied_total, 10,
        "each revision ran exactly once across all callers"
    );
    let client = database.connect().await.unwrap();
    let log = log(&client, "public").await;
    assert_eq!(log.len(), 10);
    assert!(log.iter().all(|l| l.ends_with(":upgrade:ok")));
}

#[tokio::test]
async fn timeouts_apply_per_revision() {
    let (database, client) = fresh_db().await;
    client
        .batch_execute("CREATE TABLE busy (id int)")
        .await
        .unwrap();
    // Another session holds a lock on the table.
    let holder = database.connect().await.unwrap();
    holder
        .batch_execute("BEGIN; LOCK TABLE busy IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let files = vec![sql_with(
        "r1",
        "",
        "lock-timeout: 200ms",
        "ALTER TABLE busy ADD COLUMN x int;",
        "SELECT 1;",
    )];
    let started = std::time::Instant::now();
    let err = Migrator::new(set(&files))
        .migrate_to_head(&client)
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(
        err.to_string()
            .contains("canceling statement due to lock timeout (SQLSTATE 55P03)"),
        "{err}"
    );
    holder.batch_execute("ROLLBACK").await.unwrap();
    // The run-level statement_timeout stops a slow statement.
    let slow = vec![sql("r1", "", "SELECT pg_sleep(5);", "SELECT 1;")];
    let err = Migrator::new(set(&slow))
        .statement_timeout(Duration::from_millis(200))
        .migrate_to_head(&client)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("canceling statement due to statement timeout"),
        "{err}"
    );
    // The session's own settings are untouched afterwards.
    let timeout: String = client
        .query_one("SHOW statement_timeout", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(timeout, "0");
}

/// A Rust migration that transforms data.
struct SplitNames;

#[pelican::async_trait]
impl pelican::Migration for SplitNames {
    async fn up(&self, db: &tokio_postgres::Client) -> Result<(), pelican::migration::BoxError> {
        db.batch_execute("ALTER TABLE users ADD COLUMN first text, ADD COLUMN last text")
            .await?;
        for row in db.query("SELECT id, name FROM users", &[]).await? {
            let (id, name): (i32, String) = (row.get(0), row.get(1));
            let (first, last) = name.split_once(' ').unwrap_or((&name, ""));
            db.execute(
                "UPDATE users SET first = $1, last = $2 WHERE id = $3",
                &[&first, &last, &id],
            )
            .await?;
        }
        if db
            .query_one("SELECT count(*) FROM users WHERE first = 'fail'", &[])
            .await?
            .get::<_, i64>(0)
            > 0
        {
            return Err("refusing to split a user named 'fail'".into());
        }
        Ok(())
    }

    async fn down(&self, db: &tokio_postgres::Client) -> Result<(), pelican::migration::BoxError> {
        db.batch_execute("ALTER TABLE users DROP COLUMN first, DROP COLUMN last")
            .await?;
        Ok(())
    }
}

fn rust_set() -> pelican::MigrationSet {
    let rust_file =
        "//! revision: r2\n//! revises: r1\n//! message: split names\n\npub struct SplitNames;\n";
    let mut entries: Vec<_> = set(&[sql(
        "r1",
        "",
        "CREATE TABLE users (id int PRIMARY KEY, name text);",
        "DROP TABLE users;",
    )])
    .entries()
    .to_vec();
    entries.push(pelican::migration::SetEntry::from_file(
        pelican::source::parse_migration("migrations/r2_split.rs", rust_file.as_bytes()).unwrap(),
    ));
    pelican::MigrationSet::new(entries)
        .unwrap()
        .with_rust("r2", SplitNames)
        .unwrap()
}

#[tokio::test]
async fn rust_migrations_transform_data_in_the_same_transaction_as_their_row() {
    let (_db, client) = fresh_db().await;
    let migrator = Migrator::new(rust_set());
    migrator.upgrade(&client, "r1").await.unwrap();
    client
        .batch_execute("INSERT INTO users VALUES (1, 'Ada Lovelace'), (2, 'Grace Hopper')")
        .await
        .unwrap();
    assert_eq!(
        ids(&migrator.migrate_to_head(&client).await.unwrap()),
        ["r2"]
    );
    let last: String = client
        .query_one("SELECT last FROM users WHERE id = 2", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(last, "Hopper");
    let rows = migrator.history(&client).await.unwrap();
    assert_eq!(
        rows.iter().find(|r| r.revision == "r2").unwrap().kind,
        "rust"
    );
    migrator.downgrade(&client, "r1").await.unwrap();
    assert!(
        client.query("SELECT first FROM users", &[]).await.is_err(),
        "down dropped the columns"
    );
}

#[tokio::test]
async fn a_failing_rust_migration_rolls_back_everything_it_did() {
    let (_db, client) = fresh_db().await;
    let migrator = Migrator::new(rust_set());
    migrator.upgrade(&client, "r1").await.unwrap();
    client
        .batch_execute("INSERT INTO users VALUES (1, 'fail now')")
        .await
        .unwrap();
    let err = migrator.migrate_to_head(&client).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "revision r2 (migrations/r2_split.rs) failed to upgrade: refusing to split a user named 'fail'"
    );
    assert!(
        client.query("SELECT first FROM users", &[]).await.is_err(),
        "the ALTER was rolled back"
    );
    assert_eq!(history(&client, "public").await, ["r1:applied"]);
}

#[tokio::test]
async fn a_rust_migration_known_only_from_its_file_is_refused_before_anything_runs() {
    let (_db, client) = fresh_db().await;
    let rust_file = "//! revision: r2\n//! revises: r1\n\npub struct SplitNames;\n";
    let mut entries: Vec<_> = set(&[sql(
        "r1",
        "",
        "CREATE TABLE users (id int);",
        "DROP TABLE users;",
    )])
    .entries()
    .to_vec();
    entries.push(pelican::migration::SetEntry::from_file(
        pelican::source::parse_migration("migrations/r2_split.rs", rust_file.as_bytes()).unwrap(),
    ));
    let migrator = Migrator::new(pelican::MigrationSet::new(entries).unwrap());
    let err = migrator.migrate_to_head(&client).await.unwrap_err();
    assert!(err.to_string().starts_with("revision r2 (migrations/r2_split.rs) is a Rust migration, and this migrator has only its file"), "{err}");
    assert!(!table_exists(&client, "users").await, "nothing ran");
}

#[tokio::test]
async fn the_sessions_own_settings_survive_a_run() {
    let (database, client) = fresh_db().await;
    client
        .batch_execute("SET lock_timeout = '3s'; SET statement_timeout = '7s'")
        .await
        .unwrap();
    let files = vec![
        sql("r1", "", "CREATE TABLE one (id int);", "DROP TABLE one;"),
        sql_with(
            "r2",
            "r1",
            "transaction: false\nlock-timeout: 1s\nstatement-timeout: 2s",
            "CREATE INDEX CONCURRENTLY one_id ON one (id);",
            "DROP INDEX CONCURRENTLY one_id;",
        ),
    ];
    // Make the migrator wait for the lock once, so that path is covered too.
    let holder = database.connect().await.unwrap();
    let migrator = Migrator::new(set(&files)).lock_timeout(Duration::from_millis(1500));
    holder.batch_execute("SELECT pg_advisory_lock(1885695081, hashtext(current_database() || '/' || 'public' || '/' || 'pelican_revisions'))").await.unwrap();
    let release = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        holder
            .batch_execute("SELECT pg_advisory_unlock_all()")
            .await
            .unwrap();
        holder
    });
    migrator.migrate_to_head(&client).await.unwrap();
    release.await.unwrap();
    for (setting, expected) in [
        ("lock_timeout", "3s"),
        ("statement_timeout", "7s"),
        ("client_connection_check_interval", "0"),
    ] {
        let value: String = client
            .query_one(&format!("SHOW {setting}"), &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(value, expected, "{setting}");
    }
}

// The digest of the history (`pelican_state`) and the start at head that reads only it.

#[allow(dead_code)]
#[path = "../benches/support/proxy.rs"]
mod proxy;

/// Whether `pelican_state` holds the digest of the rows `pelican_revisions` holds now,
/// recomputed here from scratch with the layout's own row function.
async fn digest_is_consistent(client: &tokio_postgres::Client, schema: &str) -> bool {
    let schema = format!("\"{}\"", schema.replace('"', "\"\""));
    let sql = format!(
        "SELECT s.digest = coalesce((SELECT bit_xor({schema}.pelican_revision_digest(revision, \
         checksum_algorithm, checksum, state)) FROM {schema}.pelican_revisions), \
         repeat('0', 256)::bit(256)) AND s.revisions = (SELECT count(*) FROM \
         {schema}.pelican_revisions) FROM {schema}.pelican_state s"
    );
    client.query_one(&sql, &[]).await.unwrap().get(0)
}

/// What `migrator.migrate_to_head` sends on a new connection: the text of each query.
async fn queries_of_a_start(
    database: &pelican::testing::TestDatabase,
    proxy: &proxy::Proxy,
    migrator: &Migrator,
) -> (Result<pelican::Report, Error>, Vec<String>) {
    let _ = proxy.take_logs();
    let client = proxy.connect(database.config()).await;
    let outcome = migrator.migrate_to_head(&client).await;
    drop(client);
    let logs = proxy.take_logs();
    assert_eq!(logs.len(), 1, "one connection");
    let log = &logs[0];
    assert_eq!(
        log.requests_after_connect() as usize,
        log.queries.len(),
        "only simple queries: {}",
        log.message_summary()
    );
    (outcome, log.queries.clone())
}

static EMBEDDED: pelican::EmbeddedMigrations =
    pelican::embed_migrations!("tests/fixtures/embed/billing");

/// One test, because the proxy is one per process: every start at head in it is counted.
#[tokio::test]
async fn a_start_at_head_reads_one_row_and_takes_no_lock() {
    let (database, client) = fresh_db().await;
    let Some(socket) = proxy::unix_socket(database.config()) else {
        eprintln!("skipped: the test server is not reached through a unix socket");
        return;
    };
    let proxy = proxy::Proxy::start(&socket);
    // The probe: whether the server is a standby, the digest table, its owner and its row,
    // in one query.
    let is_digest_read = |q: &str| {
        q.starts_with(
            "SELECT pg_catalog.pg_is_in_recovery(), c.oid IS NOT NULL, CASE WHEN c.relkind = 'r'",
        )
    };

    // A set built at run time.
    let migrator = Migrator::new(merge_set());
    let (outcome, queries) = queries_of_a_start(&database, &proxy, &migrator).await;
    assert_eq!(ids(&outcome.unwrap()), ["root", "a", "b", "m"]);
    assert!(is_digest_read(&queries[0]), "{queries:?}");
    assert!(digest_is_consistent(&client, "public").await);
    let (outcome, queries) = queries_of_a_start(&database, &proxy, &migrator).await;
    assert!(outcome.unwrap().is_empty());
    assert_eq!(queries.len(), 1, "{queries:?}");
    assert!(is_digest_read(&queries[0]), "{queries:?}");
    // `heads` too.
    let _ = proxy.take_logs();
    let proxied = proxy.connect(database.config()).await;
    assert!(migrator
        .upgrade(&proxied, "heads")
        .await
        .unwrap()
        .is_empty());
    drop(proxied);
    assert_eq!(proxy.take_logs()[0].requests_after_connect(), 1);

    // An embedded set: the digest the macro computed is the one the triggers keep.
    let embedded = Migrator::new(&EMBEDDED).schema("billing");
    let (outcome, _) = queries_of_a_start(&database, &proxy, &embedded).await;
    assert_eq!(ids(&outcome.unwrap()), ["b1", "b2"]);
    let (outcome, queries) = queries_of_a_start(&database, &proxy, &embedded).await;
    assert!(outcome.unwrap().is_empty());
    assert_eq!(queries.len(), 1, "{queries:?}");

    // Revisions stamped rather than applied count as applied.
    let (other, other_client) = fresh_db().await;
    migrator
        .stamp(&other_client, &["heads"], false)
        .await
        .unwrap();
    let (outcome, queries) = queries_of_a_start(&other, &proxy, &migrator).await;
    assert!(outcome.unwrap().is_empty());
    assert_eq!(queries.len(), 1, "{queries:?}");

    // A history of layout 1 (before pelican_state): brought to the current layout under the lock,
    // after which a start is one query again.
    client
        .batch_execute(
            "DROP TRIGGER pelican_state_rows ON pelican_revisions;
             DROP TRIGGER pelican_state_truncate ON pelican_revisions;
             DROP FUNCTION pelican_track_state();
             DROP FUNCTION pelican_revision_digest(text, text, text, text);
             DROP TABLE pelican_state;",
        )
        .await
        .unwrap();
    let (outcome, queries) = queries_of_a_start(&database, &proxy, &migrator).await;
    assert!(outcome.unwrap().is_empty());
    assert!(
        queries.iter().any(|q| q.contains("pg_try_advisory_lock")),
        "{queries:?}"
    );
    assert!(digest_is_consistent(&client, "public").await);
    let layout: i32 = client
        .query_one("SELECT layout FROM pelican_state", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(layout, 3);
    let (outcome, queries) = queries_of_a_start(&database, &proxy, &migrator).await;
    assert!(outcome.unwrap().is_empty());
    assert_eq!(queries.len(), 1, "{queries:?}");

    // A trigger disabled by hand, and a row written meanwhile: the digest is stale (the start
    // at head does not look at the triggers: see docs/operations.md). Any operation under the
    // lock enables the triggers again and recomputes the digest: here, `repair`.
    client
        .batch_execute(
            "ALTER TABLE pelican_revisions DISABLE TRIGGER pelican_state_rows;
             UPDATE pelican_revisions SET checksum = 'edited' WHERE revision = 'root';",
        )
        .await
        .unwrap();
    assert!(!digest_is_consistent(&client, "public").await);
    assert_eq!(migrator.repair(&client).await.unwrap(), ["root"]);
    assert!(digest_is_consistent(&client, "public").await);
    let enabled: String = client
        .query_one(
            "SELECT tgenabled::text FROM pg_trigger WHERE tgname = 'pelican_state_rows' \
             AND tgrelid = 'public.pelican_revisions'::regclass",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    // Enabled to fire always (layout 3), replica mode included.
    assert_eq!(enabled, "A");
    let (outcome, queries) = queries_of_a_start(&database, &proxy, &migrator).await;
    assert!(outcome.unwrap().is_empty());
    assert_eq!(queries.len(), 1, "{queries:?}");

    // A second row in pelican_state, written by hand: no digest to trust; the start reads
    // every row (and, with nothing to do, takes no lock).
    client
        .batch_execute("INSERT INTO pelican_state SELECT * FROM pelican_state")
        .await
        .unwrap();
    let (outcome, queries) = queries_of_a_start(&database, &proxy, &migrator).await;
    assert!(outcome.unwrap().is_empty());
    assert!(queries.len() > 1, "{queries:?}");
}

#[tokio::test]
async fn a_changed_checksum_alone_still_stops_the_start() {
    let (_db, client) = fresh_db().await;
    let original = vec![
        sql("r1", "", "CREATE TABLE one (id int);", "DROP TABLE one;"),
        sql("r2", "r1", "CREATE TABLE two (id int);", "DROP TABLE two;"),
    ];
    Migrator::new(set(&original))
        .migrate_to_head(&client)
        .await
        .unwrap();
    let mut edited = original.clone();
    edited[1].1 = edited[1].1.replace("(id int)", "(id bigint)");
    let migrator = Migrator::new(set(&edited));
    for target in ["head", "heads"] {
        let err = migrator.upgrade(&client, target).await.unwrap_err();
        assert!(
            err.to_string()
                .starts_with("applied migrations were changed after they ran:\n  r2 (migrations/r2_test.sql): recorded "),
            "{err}"
        );
    }
    // The same, recorded by hand instead of edited in the file.
    let migrator = Migrator::new(set(&original));
    client
        .batch_execute(
            "UPDATE pelican_revisions SET checksum = repeat('0', 64) WHERE revision = 'r1'",
        )
        .await
        .unwrap();
    assert!(digest_is_consistent(&client, "public").await);
    let err = migrator.migrate_to_head(&client).await.unwrap_err();
    assert!(
        err.to_string().contains(&format!(
            "r1 (migrations/r1_test.sql): recorded {}",
            "0".repeat(64)
        )),
        "{err}"
    );
    migrator.repair(&client).await.unwrap();
    assert!(migrator.migrate_to_head(&client).await.unwrap().is_empty());
}

#[tokio::test]
async fn rows_changed_by_hand_keep_the_digest_right_and_the_start_honest() {
    let (_db, client) = fresh_db().await;
    let files = vec![
        sql(
            "r1",
            "",
            "CREATE TABLE IF NOT EXISTS one (id int);",
            "DROP TABLE one;",
        ),
        sql(
            "r2",
            "r1",
            "CREATE TABLE IF NOT EXISTS two (id int);",
            "DROP TABLE two;",
        ),
    ];
    let migrator = Migrator::new(set(&files));
    migrator.migrate_to_head(&client).await.unwrap();
    assert!(digest_is_consistent(&client, "public").await);

    // A row deleted by hand: the revision runs again.
    client
        .batch_execute("DELETE FROM pelican_revisions WHERE revision = 'r2'")
        .await
        .unwrap();
    assert!(digest_is_consistent(&client, "public").await);
    assert_eq!(
        ids(&migrator.migrate_to_head(&client).await.unwrap()),
        ["r2"]
    );

    // A row marked failed by hand: the start refuses.
    client
        .batch_execute("UPDATE pelican_revisions SET state = 'failed', error = 'by hand' WHERE revision = 'r2'")
        .await
        .unwrap();
    assert!(digest_is_consistent(&client, "public").await);
    let err = migrator.migrate_to_head(&client).await.unwrap_err();
    assert!(matches!(err, Error::FailedRevision { .. }), "{err}");
    migrator.mark_applied(&client, "r2").await.unwrap();
    assert!(digest_is_consistent(&client, "public").await);
    assert!(migrator.migrate_to_head(&client).await.unwrap().is_empty());

    // A revision this application does not know, inserted by hand.
    client
        .batch_execute("INSERT INTO pelican_revisions (revision, checksum, kind, state) VALUES ('zz', repeat('0', 64), 'sql', 'applied')")
        .await
        .unwrap();
    assert!(digest_is_consistent(&client, "public").await);
    let err = migrator.migrate_to_head(&client).await.unwrap_err();
    assert!(matches!(err, Error::UnknownApplied { .. }), "{err}");
    migrator.forget(&client, "zz").await.unwrap();
    assert!(digest_is_consistent(&client, "public").await);
    assert!(migrator.migrate_to_head(&client).await.unwrap().is_empty());

    // Everything truncated: everything runs again.
    client
        .batch_execute("TRUNCATE pelican_revisions")
        .await
        .unwrap();
    assert!(digest_is_consistent(&client, "public").await);
    assert_eq!(
        ids(&migrator.migrate_to_head(&client).await.unwrap()),
        ["r1", "r2"]
    );

    // Stamp, downgrade and upgrade keep it too.
    migrator.stamp(&client, &["r1"], true).await.unwrap();
    assert!(digest_is_consistent(&client, "public").await);
    migrator.upgrade(&client, "head").await.unwrap();
    migrator.downgrade(&client, "base").await.unwrap();
    assert!(digest_is_consistent(&client, "public").await);
    let rows: i64 = client
        .query_one("SELECT revisions FROM pelican_state", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, 0);
}

#[tokio::test]
async fn an_invalid_embedded_set_built_by_hand_is_an_error_of_the_run() {
    use pelican::embedded::{EmbeddedBody, EmbeddedMigration, EmbeddedSql};
    static BROKEN: [EmbeddedMigration; 1] = [EmbeddedMigration::new(
        "a1",
        "a1_first.sql",
        pelican::Checksum::from_parts(pelican::ChecksumAlgorithm::Sha256, [0; 32]),
        EmbeddedBody::Sql {
            up: EmbeddedSql::new("SELECT 1;", 6),
            down: None,
        },
    )
    .with_parents(&["missing"])];
    let migrations = pelican::EmbeddedMigrations::new("migrations", "", &BROKEN);
    let expected = migrations.to_migration_set().unwrap_err().to_string();
    let (_db, client) = fresh_db().await;
    // `Migrator::new` builds nothing; the run reports what is wrong.
    let migrator = Migrator::new(&migrations);
    let err = migrator.migrate_to_head(&client).await.unwrap_err();
    assert_eq!(err.to_string(), expected);
    assert_eq!(
        expected,
        "revision a1 revises missing, which does not exist"
    );
    assert!(!table_exists(&client, "pelican_revisions").await);
}

#[tokio::test]
async fn a_role_that_may_not_read_pelican_state_starts_by_reading_every_row() {
    let (database, client) = fresh_db().await;
    let migrator = Migrator::new(merge_set());
    migrator.migrate_to_head(&client).await.unwrap();
    // Roles belong to the cluster: one name per test database.
    let role = format!("\"reader of {}\"", database.name().replace('"', "\"\""));
    client
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN; GRANT SELECT ON pelican_revisions TO {role};"
        ))
        .await
        .unwrap();
    let mut config = database.config().clone();
    config.user(format!("reader of {}", database.name()));
    let (reader, connection) = config.connect(tokio_postgres::NoTls).await.unwrap();
    let connection = tokio::spawn(connection);
    assert!(migrator.migrate_to_head(&reader).await.unwrap().is_empty());
    drop(reader);
    let _ = connection.await;
    client
        .batch_execute(&format!("DROP OWNED BY {role}; DROP ROLE {role};"))
        .await
        .unwrap();
}

#[tokio::test]
async fn status_shows_a_running_non_transactional_revision_as_running_not_failed() {
    let (database, client) = fresh_db().await;
    let files = vec![sql_with(
        "r1",
        "",
        "transaction: false",
        "SELECT pg_sleep(2);\nCREATE TABLE done (id int);",
        "DROP TABLE done;",
    )];
    let migrator = Migrator::new(set(&files));
    let runner = {
        let migrator = Migrator::new(set(&files));
        let runner_client = database.connect().await.unwrap();
        tokio::spawn(async move { migrator.migrate_to_head(&runner_client).await })
    };
    // Wait until the in-progress row is there (it is written before the first statement).
    let mut seen = None;
    for _ in 0..100 {
        let status = migrator.status(&client).await.unwrap();
        if !status.running.is_empty() {
            seen = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let status = seen.expect("the running revision shows up in status");
    assert_eq!(status.running.len(), 1, "{status:?}");
    assert_eq!(status.running[0].0, "r1");
    assert!(
        status.running[0].1.starts_with("backend pid "),
        "the lock holder is named: {status:?}"
    );
    assert!(
        status.failed.is_empty(),
        "not reported as failed: {status:?}"
    );

    runner.await.unwrap().unwrap();
    let status = migrator.status(&client).await.unwrap();
    assert!(status.running.is_empty() && status.failed.is_empty());
    assert_eq!(status.applied.len(), 1);
}

#[tokio::test]
async fn an_interrupted_non_transactional_revision_without_a_migrator_is_failed() {
    let (_db, client) = fresh_db().await;
    let files = vec![sql_with(
        "r1",
        "",
        "transaction: false",
        "CREATE TABLE done (id int);",
        "DROP TABLE done;",
    )];
    let migrator = Migrator::new(set(&files));
    migrator.migrate_to_head(&client).await.unwrap();
    // What a crash part-way leaves: the in-progress row, and no migrator holding the lock.
    client
        .batch_execute(
            "UPDATE pelican_revisions SET state = 'failed', \
             error = 'interrupted: the upgrade started at 2026-11-21 10:00 UTC did not finish'",
        )
        .await
        .unwrap();
    let status = migrator.status(&client).await.unwrap();
    assert!(status.running.is_empty(), "{status:?}");
    assert_eq!(status.failed.len(), 1, "{status:?}");
    assert_eq!(status.failed[0].0, "r1");
}

#[tokio::test]
async fn in_whole_plan_mode_a_revisions_own_timeout_ends_with_it() {
    let (_db, client) = fresh_db().await;
    let files = vec![
        sql_with(
            "r1",
            "",
            "statement-timeout: 500ms",
            "CREATE TABLE one (id int);",
            "DROP TABLE one;",
        ),
        // No timeout of its own: it runs with the session's (none), not r1's.
        sql("r2", "r1", "SELECT pg_sleep(0.8);", "SELECT 1;"),
    ];
    let report = Migrator::new(set(&files))
        .transaction_mode(TransactionMode::WholePlan)
        .migrate_to_head(&client)
        .await
        .unwrap();
    assert_eq!(ids(&report), ["r1", "r2"]);
    let row = client
        .query_one("SELECT current_setting('statement_timeout')", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "0", "the session's own setting");

    // r1's own timeout still applies to r1.
    let (_db, client) = fresh_db().await;
    let files = vec![
        sql_with(
            "r1",
            "",
            "statement-timeout: 200ms",
            "SELECT pg_sleep(0.6);",
            "SELECT 1;",
        ),
        sql("r2", "r1", "SELECT 1;", "SELECT 1;"),
    ];
    let err = Migrator::new(set(&files))
        .transaction_mode(TransactionMode::WholePlan)
        .migrate_to_head(&client)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("canceling statement due to statement timeout"),
        "{err}"
    );
    assert!(history(&client, "public").await.is_empty());
}

//! Pipelined apply against real PostgreSQL: many revisions per message, each recorded with its
//! own times; a failure in the middle attributed to its revision with the history right; a
//! syntax error in a later revision; the cuts at `transaction: false` revisions and Rust
//! migrations; progress events; the round trips saved.

#[path = "support/db.rs"]
mod db;

#[allow(dead_code)]
#[path = "../benches/support/proxy.rs"]
mod proxy;

use std::sync::{Arc, Mutex};

use db::{fresh_db, history, ids, log, set, sql, sql_with, table_exists};
use pelican::migrator::Progress;
use pelican::{Error, MigrationSet, Migrator};

/// `n` revisions in a chain, each creating a table; their ids are not in the order they run
/// (so that an order by id is not mistaken for the order of application).
fn chain(n: usize) -> Vec<(String, String)> {
    let id = |i: usize| format!("c{:04}", (i * 37) % n);
    (0..n)
        .map(|i| {
            let revises = if i == 0 { String::new() } else { id(i - 1) };
            sql(
                &id(i),
                &revises,
                &format!("CREATE TABLE t_{} (id int);", id(i)),
                &format!("DROP TABLE t_{};", id(i)),
            )
        })
        .collect()
}

fn chain_ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("c{:04}", (i * 37) % n)).collect()
}

#[tokio::test]
async fn a_pipelined_run_records_each_revision_in_order_with_its_own_times() {
    let (_db, client) = fresh_db().await;
    // More than one pipeline's worth (100 revisions).
    let n = 250;
    let migrator = Migrator::new(set(&chain(n)));
    let report = migrator.migrate_to_head(&client).await.unwrap();
    assert_eq!(ids(&report), chain_ids(n));
    assert_eq!(history(&client, "public").await.len(), n);
    assert!(table_exists(&client, &format!("t_{}", chain_ids(n)[n - 1])).await);
    // The history, read in the order it records (by `applied_at`), is the order they ran:
    // each revision's time is its own transaction's start, not the message's.
    let rows = migrator.history(&client).await.unwrap();
    let recorded: Vec<&str> = rows.iter().map(|r| r.revision.as_str()).collect();
    assert_eq!(recorded, chain_ids(n));
    let distinct_times: i64 = client
        .query_one(
            "SELECT count(DISTINCT applied_at) FROM pelican_revisions",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        distinct_times, n as i64,
        "each revision has its own applied_at"
    );
    // Durations are each revision's own, not the time since the message came: together no
    // more than the run (each rounded to a millisecond).
    let total_ms: i64 = client
        .query_one(
            "SELECT sum(duration_ms)::bigint FROM pelican_revisions",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let run_ms = report.elapsed.as_millis() as i64;
    assert!(
        total_ms <= run_ms + n as i64,
        "durations look cumulative: they add up to {total_ms} ms in a run of {run_ms} ms"
    );
    let log = log(&client, "public").await;
    assert_eq!(log.len(), n);
    assert!(log.iter().all(|l| l.ends_with(":upgrade:ok")));
    let log_times: i64 = client
        .query_one("SELECT count(DISTINCT at) FROM pelican_log", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(log_times, n as i64, "each log row has its own time");

    // Downgrading is pipelined too.
    let report = migrator.downgrade(&client, "base").await.unwrap();
    assert_eq!(report.steps.len(), n);
    assert!(history(&client, "public").await.is_empty());
    assert!(!table_exists(&client, "t_c0000").await);
}

/// r1 … r6; `r4` fails with `r4_up` as its body.
fn six(r4_up: &str) -> MigrationSet {
    let mut files = Vec::new();
    for (i, up) in [
        "CREATE TABLE one (id int);",
        "CREATE TABLE two (id int);",
        "CREATE TABLE three (id int);",
        r4_up,
        "CREATE TABLE five (id int);",
        "CREATE TABLE six (id int);",
    ]
    .iter()
    .enumerate()
    {
        let id = format!("r{}", i + 1);
        let revises = if i == 0 {
            String::new()
        } else {
            format!("r{i}")
        };
        files.push(sql(&id, &revises, up, "SELECT 1;"));
    }
    set(&files)
}

/// What a progress callback saw, as `started r1 1/6` and `finished r1 1/6`.
fn recorder() -> (Arc<Mutex<Vec<String>>>, impl Fn(&Progress) + Send + Sync) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&events);
    let callback = move |event: &Progress| {
        let line = match event {
            Progress::Started {
                revision,
                position,
                total,
                ..
            } => format!("started {revision} {position}/{total}"),
            Progress::Finished {
                revision,
                position,
                total,
                ..
            } => format!("finished {revision} {position}/{total}"),
            _ => "other".to_owned(),
        };
        seen.lock().unwrap().push(line);
    };
    (events, callback)
}

#[tokio::test]
async fn a_failure_in_the_middle_keeps_the_earlier_revisions_and_names_the_failing_one() {
    let (_db, client) = fresh_db().await;
    // An error without a position (the server can't point at it): the history tells which
    // revision failed. The file: header (3 lines), blank, `-- up`, the body from line 6.
    let (events, callback) = recorder();
    let broken = six("CREATE TABLE four (id int);\nSELECT 1 / 0;");
    let err = Migrator::new(broken)
        .on_progress(callback)
        .migrate_to_head(&client)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "revision r4 (migrations/r4_test.sql) failed to upgrade: ERROR: division by zero (SQLSTATE 22012)"
    );
    assert!(
        matches!(&err, Error::MigrationFailed { revision, line: None, .. } if revision == "r4")
    );
    assert_eq!(
        history(&client, "public").await,
        ["r1:applied", "r2:applied", "r3:applied"]
    );
    assert!(table_exists(&client, "three").await);
    assert!(!table_exists(&client, "four").await, "r4 left a trace");
    assert!(!table_exists(&client, "five").await, "r5 ran");
    assert_eq!(
        log(&client, "public").await,
        [
            "r1:upgrade:ok",
            "r2:upgrade:ok",
            "r3:upgrade:ok",
            "r4:upgrade:failed"
        ]
    );
    assert_eq!(
        *events.lock().unwrap(),
        [
            "started r1 1/6",
            "finished r1 1/6",
            "started r2 2/6",
            "finished r2 2/6",
            "started r3 3/6",
            "finished r3 3/6",
            "started r4 4/6",
        ]
    );

    // An error with a position: the line in r4's file.
    let err = Migrator::new(six(
        "CREATE TABLE four (id int);\nSELECT no_such_column FROM four;",
    ))
    .migrate_to_head(&client)
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "revision r4 (migrations/r4_test.sql, line 7) failed to upgrade: ERROR: column \"no_such_column\" does not exist (SQLSTATE 42703)"
    );
    assert_eq!(
        history(&client, "public").await,
        ["r1:applied", "r2:applied", "r3:applied"]
    );

    // Fixed, the rerun continues from r4, each revision reported in order.
    let (events, callback) = recorder();
    let report = Migrator::new(six("CREATE TABLE four (id int);"))
        .on_progress(callback)
        .migrate_to_head(&client)
        .await
        .unwrap();
    assert_eq!(ids(&report), ["r4", "r5", "r6"]);
    assert_eq!(history(&client, "public").await.len(), 6);
    assert_eq!(
        *events.lock().unwrap(),
        [
            "started r4 1/3",
            "finished r4 1/3",
            "started r5 2/3",
            "finished r5 2/3",
            "started r6 3/3",
            "finished r6 3/3",
        ]
    );
}

#[tokio::test]
async fn a_syntax_error_in_a_later_revision_still_lets_the_earlier_ones_commit() {
    // PostgreSQL parses the whole message before it runs any of it: the syntax error of r4
    // stops r1 … r3 too, which then run again without it.
    let (_db, client) = fresh_db().await;
    let (events, callback) = recorder();
    let err = Migrator::new(six("CREATE TABLE four (id int);\nCREATE TABLE (;"))
        .on_progress(callback)
        .migrate_to_head(&client)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "revision r4 (migrations/r4_test.sql, line 7) failed to upgrade: ERROR: syntax error at or near \"(\" (SQLSTATE 42601)"
    );
    assert_eq!(
        history(&client, "public").await,
        ["r1:applied", "r2:applied", "r3:applied"]
    );
    assert_eq!(
        log(&client, "public").await.last().unwrap(),
        "r4:upgrade:failed"
    );
    let events = events.lock().unwrap();
    assert_eq!(events.len(), 7, "{events:?}");
    assert_eq!(events[6], "started r4 4/6");
}

/// A Rust migration that counts the tables it finds.
struct CountTables;

#[pelican::async_trait]
impl pelican::Migration for CountTables {
    async fn up(&self, db: &tokio_postgres::Client) -> Result<(), pelican::migration::BoxError> {
        db.batch_execute("CREATE TABLE counted AS SELECT count(*) AS n FROM pg_tables WHERE tablename LIKE 'p%\\_t'")
            .await?;
        Ok(())
    }

    async fn down(&self, db: &tokio_postgres::Client) -> Result<(), pelican::migration::BoxError> {
        db.batch_execute("DROP TABLE counted").await?;
        Ok(())
    }
}

/// p1 p2 (SQL) → p3 (`transaction: false`) → p4 p5 (SQL) → p6 (Rust) → p7 p8 (SQL).
fn mixed() -> MigrationSet {
    let mut files = Vec::new();
    let mut previous = String::new();
    for id in ["p1", "p2", "p3", "p4", "p5", "p7", "p8"] {
        let revises = match id {
            "p7" => "p6".to_owned(),
            _ => previous.clone(),
        };
        let header = if id == "p3" { "transaction: false" } else { "" };
        files.push(sql_with(
            id,
            &revises,
            header,
            &format!("CREATE TABLE {id}_t (id int);"),
            &format!("DROP TABLE {id}_t;"),
        ));
        previous = id.to_owned();
    }
    let mut entries: Vec<_> = set(&files[..5]).entries().to_vec();
    let rust = "//! revision: p6\n//! revises: p5\n//! message: count\n\npub struct CountTables;\n";
    entries.push(pelican::migration::SetEntry::from_file(
        pelican::source::parse_migration("migrations/p6_count.rs", rust.as_bytes()).unwrap(),
    ));
    for (name, text) in &files[5..] {
        entries.push(pelican::migration::SetEntry::from_file(
            pelican::source::parse_migration(name, text.as_bytes()).unwrap(),
        ));
    }
    MigrationSet::new(entries)
        .unwrap()
        .with_rust("p6", CountTables)
        .unwrap()
}

/// The revisions each transactional SQL query applied (one that begins a transaction and
/// inserts history rows), by their rows: `["p1 p2", "p4 p5"]`.
fn applied_per_query(queries: &[String]) -> Vec<String> {
    let insert = "INSERT INTO \"public\".\"pelican_revisions\" (revision";
    queries
        .iter()
        .filter(|q| q.starts_with("BEGIN;") && q.contains(insert))
        .map(|q| {
            q.match_indices(insert)
                .map(|(at, _)| {
                    let values = &q[at..];
                    let start = values.find("VALUES ('").unwrap() + "VALUES ('".len();
                    values[start..start + 2].to_owned()
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// One test, because the proxy is one per process.
#[tokio::test]
async fn pipelines_are_cut_at_non_transactional_and_rust_revisions_and_save_round_trips() {
    let (database, client) = fresh_db().await;
    let Some(socket) = proxy::unix_socket(database.config()) else {
        eprintln!("skipped: the test server is not reached through a unix socket");
        return;
    };
    let proxy = proxy::Proxy::start(&socket);

    // The cuts.
    let (report, queries) = queries_of(&database, &proxy, &Migrator::new(mixed())).await;
    assert_eq!(
        ids(&report),
        ["p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8"]
    );
    assert_eq!(applied_per_query(&queries), ["p1 p2", "p4 p5", "p7 p8"]);
    let counted: i64 = client
        .query_one("SELECT n FROM counted", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(counted, 5, "the Rust migration ran after p1 … p5");
    assert_eq!(history(&client, "public").await.len(), 8);

    // The round trips: 250 revisions in 3 messages instead of 250.
    let n = 250;
    let (database, _client) = fresh_db().await;
    let pipelined = Migrator::new(set(&chain(n)));
    let (_, queries) = queries_of(&database, &proxy, &pipelined).await;
    let per_query: Vec<usize> = applied_per_query(&queries)
        .iter()
        .map(|q| q.split(' ').count())
        .collect();
    assert_eq!(per_query, [100, 100, 50]);
    let pipelined_total = queries.len();

    let (database, _client) = fresh_db().await;
    let one_by_one = Migrator::new(set(&chain(n))).pipeline(false);
    let (_, queries) = queries_of(&database, &proxy, &one_by_one).await;
    assert_eq!(applied_per_query(&queries).len(), n);
    assert_eq!(
        queries.len() - pipelined_total,
        n - 3,
        "the pipeline saves a round trip per revision but one per 100"
    );
}

/// What `migrator.migrate_to_head` sends on a new connection through the proxy.
async fn queries_of(
    database: &pelican::testing::TestDatabase,
    proxy: &proxy::Proxy,
    migrator: &Migrator,
) -> (pelican::Report, Vec<String>) {
    let _ = proxy.take_logs();
    let client = proxy.connect(database.config()).await;
    let report = migrator.migrate_to_head(&client).await.unwrap();
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
    (report, log.queries.clone())
}

//! Issue 6: what a test pays for a migrated, throwaway place to run in, with a DAG of 100
//! revisions (ten branch-and-merge diamonds of ten revisions, each creating a table with an
//! index and a row):
//!
//! * `TempSchema`: a schema made and migrated from scratch, then dropped;
//! * `TempDatabase`: a copy of the template (migrated once, before the samples), then dropped;
//! * `from scratch`: a fresh database (`TestServer::create_database`) migrated by a
//!   `Migrator`, then dropped: what a test pays without either.
//!
//! Each sample is one test's whole cost, creation and drop, timed in this process; the three
//! take turns, with `PELICAN_TEST_SPARE=0` so that nothing runs in the background. Then
//! `TempDatabase` again as a suite runs it: each one starts copying the template for the next
//! (see `src/testing/temp_spare.rs`), so the copy overlaps the previous test's end; first
//! back to back (tests that do nothing: the copy overlaps only the previous drop), then with a
//! test body of `BODY` (what the test itself does is not counted). Goal: `TempDatabase` under
//! 50 ms, and at least 5x cheaper than from scratch.
//!
//! It runs on the shared test server: a throwaway one, or the one `DATABASE_URL` names.
//! `cargo bench --bench temp_overhead`; `PELICAN_BENCH_RUNS` (default 30) sets the samples of
//! each. Under `cargo test --benches` it only checks its migration set.

#[path = "support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use pelican::migration::{Body, SetEntry, SqlBody};
use pelican::testing::{TempDatabase, TempSchema, TestServer};
use pelican::{MigrationSet, Migrator, Revision, RevisionId};
use support::{env_count, ms, ratio, Summary};

/// Turns off the copy made ahead (see `src/testing/temp_spare.rs`).
const SPARE_VAR: &str = "PELICAN_TEST_SPARE";

const REVISIONS: usize = 100;

/// What each test does in the last series, besides connecting: as long as a short real test.
const BODY: Duration = Duration::from_millis(100);

/// Revision `i` of the DAG: in each block of ten, the first forks two branches of four, the
/// last merges them; the first of a block revises the merge of the block before.
fn dag() -> MigrationSet {
    let id = |i: usize| RevisionId::new(format!("r{i:03}")).expect("a valid id");
    let entries = (0..REVISIONS)
        .map(|i| {
            let parents = match i % 10 {
                _ if i == 0 => vec![],
                // The second branch starts at the block's first revision.
                5 => vec![id(i - 5)],
                // The merge of both branches' last revisions.
                9 => vec![id(i - 5), id(i - 1)],
                _ => vec![id(i - 1)],
            };
            let up = format!(
                "CREATE TABLE t{i:03} (id bigserial PRIMARY KEY, name text NOT NULL, created timestamptz DEFAULT now());\n\
                 CREATE INDEX ON t{i:03} (name);\n\
                 INSERT INTO t{i:03} (name) VALUES ('row of {i}');\n"
            );
            SetEntry::new(
                Revision::new(id(i)).with_parents(parents),
                format!("migrations/r{i:03}.sql"),
                Body::Sql {
                    up: SqlBody::new(up, 1),
                    down: Some(SqlBody::new(format!("DROP TABLE t{i:03};"), 1)),
                },
            )
        })
        .collect();
    MigrationSet::new(entries).expect("the bench's DAG is valid")
}

fn main() {
    let set = dag();
    assert_eq!(set.len(), REVISIONS);
    assert_eq!(set.graph().heads(), ["r099"], "one head");
    if !support::benchmarking() {
        println!("temp_overhead: not benchmarking (run `cargo bench --bench temp_overhead`)");
        return;
    }
    let runs = env_count("PELICAN_BENCH_RUNS", 30);
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let server = TestServer::shared().unwrap_or_else(|e| panic!("{e}"));

    // The template is built by the first TempDatabase: timed once, apart.
    let started = Instant::now();
    let first = runtime
        .block_on(TempDatabase::new(set.clone()))
        .unwrap_or_else(|e| panic!("{e}"));
    let template_build = started.elapsed();
    drop(first);

    let schema = || {
        runtime.block_on(async {
            let started = Instant::now();
            let schema = TempSchema::new(set.clone())
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_tables(&schema.connect().await.unwrap()).await;
            let dropping = Instant::now();
            drop(schema);
            (started.elapsed(), dropping.elapsed())
        })
    };
    let database_with_body = |body: Duration| {
        runtime.block_on(async {
            let started = Instant::now();
            let database = TempDatabase::new(set.clone())
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_tables(&database.connect().await.unwrap()).await;
            tokio::time::sleep(body).await;
            let dropping = Instant::now();
            drop(database);
            (started.elapsed() - body, dropping.elapsed())
        })
    };
    let database = || database_with_body(Duration::ZERO);
    let scratch = || {
        runtime.block_on(async {
            let started = Instant::now();
            let database = server
                .create_database()
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let client = database.connect().await.unwrap();
            Migrator::new(set.clone())
                .upgrade(&client, "heads")
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_tables(&client).await;
            drop(client);
            let dropping = Instant::now();
            drop(database);
            (started.elapsed(), dropping.elapsed())
        })
    };
    // The three without background work take turns; TempDatabase copies the template when
    // asked.
    std::env::set_var(SPARE_VAR, "0");
    let mut samples: [Vec<Duration>; 3] = Default::default();
    let mut drops: [Vec<Duration>; 3] = Default::default();
    for _ in 0..3 {
        schema();
        database();
        scratch();
    }
    for run in 0..runs {
        for k in 0..3 {
            let which = (run + k) % 3;
            let (total, dropping) = match which {
                0 => schema(),
                1 => database(),
                _ => scratch(),
            };
            samples[which].push(total);
            drops[which].push(dropping);
        }
    }
    // Then TempDatabase as a suite runs it: each one starts the copy for the next, so
    // back-to-back tests overlap a copy with the previous test's end, and tests that take
    // time hide it.
    std::env::remove_var(SPARE_VAR);
    database();
    let spared: Vec<(Duration, Duration)> = (0..runs).map(|_| database()).collect();
    let spared_drop = Summary::of(&spared.iter().map(|s| s.1).collect::<Vec<_>>()).median;
    let spared = Summary::of(&spared.iter().map(|s| s.0).collect::<Vec<_>>());
    let bodied: Vec<(Duration, Duration)> = (0..runs).map(|_| database_with_body(BODY)).collect();
    let bodied_drop = Summary::of(&bodied.iter().map(|s| s.1).collect::<Vec<_>>()).median;
    let bodied = Summary::of(&bodied.iter().map(|s| s.0).collect::<Vec<_>>());

    let [schema, database, scratch] = samples.map(|s| Summary::of(&s));
    let [schema_drop, database_drop, scratch_drop] = drops.map(|s| Summary::of(&s).median);
    println!();
    let kind = if std::env::var_os("DATABASE_URL").is_some() {
        "the DATABASE_URL server"
    } else {
        "a throwaway server"
    };
    println!("per-test cost, created and dropped, {REVISIONS}-revision DAG, on {kind}:");
    println!("  TempSchema:   {schema}; dropping: {}", ms(schema_drop));
    println!(
        "  TempDatabase, copied when asked: {database}; dropping: {}",
        ms(database_drop)
    );
    println!(
        "  TempDatabase, copied ahead:      {spared}; dropping: {}",
        ms(spared_drop)
    );
    println!(
        "  TempDatabase, copied ahead, tests of {} ms: {bodied}; dropping: {}",
        BODY.as_millis(),
        ms(bodied_drop)
    );
    println!("  from scratch: {scratch}; dropping: {}", ms(scratch_drop));
    println!(
        "  template build (once per set and server): {}",
        ms(template_build)
    );
    println!(
        "  from scratch / TempDatabase: {:.1}x (copied ahead, tests of {} ms), {:.1}x (back to back), {:.1}x (copied when asked); / TempSchema: {:.1}x",
        ratio(scratch.median, bodied.median),
        BODY.as_millis(),
        ratio(scratch.median, spared.median),
        ratio(scratch.median, database.median),
        ratio(scratch.median, schema.median)
    );
    println!("  goal: TempDatabase < 50 ms and >= 5x cheaper than from scratch");
}

/// Checks that the place is migrated: the last table is there with its row.
async fn assert_tables(client: &tokio_postgres::Client) {
    let rows: i64 = client
        .query_one("SELECT count(*) FROM t099", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, 1);
}

//! Issue 12: autogenerate on a large schema. Two databases of 1,000 tables (10 columns,
//! 3 indexes, 2 constraints each), 100 views and 100 functions, the second with 100 tables
//! changed and 10 added; timed: both snapshots (introspection, taken at once on two sessions)
//! + the diff + the plan, as `revision --autogenerate` does them, server start excluded.
//!
//! Side by side in the same run: `migra` (PyPI) on the same two databases, when installed
//! (`pip install migra psycopg2-binary`; found on `PATH` or at `PELICAN_BENCH_MIGRA`). Its
//! time is a whole process, Python's start included; pelican's is in-process, so the ratio
//! favours pelican by that start (about 0.3 s here, measured with `migra --help`, printed
//! too).
//!
//! Goal: under 1 s for pelican on the 2-core machine.
//!
//! `cargo bench --bench autogen_large`; `PELICAN_BENCH_RUNS` (default 5) sets the runs.

#[path = "support/mod.rs"]
mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use pelican::autogen::{plan_changes, AutogenOptions};
use pelican::schema::SnapshotOptions;
use pelican::testing::TestServer;
use support::{env_count, ratio, Summary};

const TABLES: usize = 1000;
const VIEWS: usize = 100;
const FUNCTIONS: usize = 100;

/// The schema; `changed` alters tables 0..100 and adds 10 tables.
fn schema(changed: bool) -> String {
    let mut sql = String::from("CREATE SCHEMA app;\n");
    let tables = if changed { TABLES + 10 } else { TABLES };
    for t in 0..tables {
        let touched = changed && t < 100;
        let title = if touched { "varchar(300)" } else { "text" };
        let extra = if touched { ",\n  extra jsonb" } else { "" };
        sql.push_str(&format!(
            "CREATE TABLE app.t{t} (\n  id bigint PRIMARY KEY,\n  owner bigint NOT NULL,\n  \
             title {title} NOT NULL DEFAULT '',\n  body text,\n  state smallint NOT NULL DEFAULT 0 \
             CHECK (state >= 0),\n  created timestamptz NOT NULL DEFAULT now(),\n  \
             updated timestamptz,\n  score numeric(10,2),\n  flag boolean NOT NULL DEFAULT false,\n  \
             tags text[]{extra}\n);\n\
             CREATE INDEX t{t}_owner ON app.t{t} (owner);\n\
             CREATE INDEX t{t}_created ON app.t{t} (created DESC);\n\
             CREATE UNIQUE INDEX t{t}_title ON app.t{t} (owner, title) WHERE state = 0;\n"
        ));
    }
    for v in 0..VIEWS {
        sql.push_str(&format!(
            "CREATE VIEW app.v{v} AS SELECT id, owner, state FROM app.t{} WHERE flag;\n",
            v * 7
        ));
    }
    for f in 0..FUNCTIONS {
        let body = if changed && f < 10 {
            "$1 + 2"
        } else {
            "$1 + 1"
        };
        sql.push_str(&format!(
            "CREATE FUNCTION app.f{f}(n integer) RETURNS integer LANGUAGE sql IMMUTABLE \
             AS $$ SELECT {body} $$;\n"
        ));
    }
    sql
}

fn migra() -> Option<String> {
    let candidate = std::env::var("PELICAN_BENCH_MIGRA").unwrap_or_else(|_| "migra".into());
    Command::new(&candidate)
        .arg("--help")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| candidate)
}

/// A libpq URL for `database` on the throwaway server (what migra's SQLAlchemy takes).
fn libpq_url(database: &pelican::testing::TestDatabase) -> String {
    let config = database.config();
    let host = support::proxy::unix_socket(config).expect("a unix-socket server");
    format!(
        "postgresql://{}@/{}?host={}&port={}",
        config.get_user().unwrap_or("postgres"),
        database.name(),
        host.parent().unwrap().display(),
        config.get_ports().first().copied().unwrap_or(5432)
    )
}

fn time(runs: usize, mut work: impl FnMut()) -> Summary {
    let samples: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            work();
            start.elapsed()
        })
        .collect();
    Summary::of(&samples)
}

fn main() {
    if !support::benchmarking() {
        assert!(schema(true).contains("CREATE TABLE app.t1009"));
        println!("autogen_large: not benchmarking (run `cargo bench --bench autogen_large`)");
        return;
    }
    let runs = env_count("PELICAN_BENCH_RUNS", 5);
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let server = TestServer::shared().unwrap_or_else(|e| panic!("{e}"));
    let (before, after) = runtime.block_on(async {
        let before = server.create_database().await.unwrap();
        let after = server.create_database().await.unwrap();
        for (database, changed) in [(&before, false), (&after, true)] {
            let client = database.connect().await.unwrap();
            client.batch_execute(&schema(changed)).await.unwrap();
        }
        (before, after)
    });
    let (a, b) = runtime.block_on(async {
        (
            before.connect().await.unwrap(),
            after.connect().await.unwrap(),
        )
    });
    let mut statements = 0;
    let pelican = time(runs, || {
        runtime.block_on(async {
            // Both at once, on two sessions, as `revision --autogenerate` reads them.
            let options = SnapshotOptions::new();
            let (from, to) = tokio::join!(options.snapshot(&a), options.snapshot(&b));
            let plan = plan_changes(&from.unwrap(), &to.unwrap(), &AutogenOptions::default());
            statements = plan.up.len();
        })
    });
    println!(
        "autogen_large: {TABLES} tables, {VIEWS} views, {FUNCTIONS} functions; 100 tables changed, \
         10 added: {statements} statements"
    );
    println!("pelican (2 snapshots at once + diff + plan): {pelican}");
    let snapshot_only = time(runs, || {
        runtime.block_on(async {
            SnapshotOptions::new().snapshot(&b).await.unwrap();
        })
    });
    println!("  one snapshot alone (1,010 tables): {snapshot_only}");
    let (from, to) = runtime.block_on(async {
        let options = SnapshotOptions::new();
        (
            options.snapshot(&a).await.unwrap(),
            options.snapshot(&b).await.unwrap(),
        )
    });
    let plan_only = time(runs, || {
        let diff = from.diff(&to);
        let plan = plan_changes(&from, &to, &AutogenOptions::default());
        assert!(!diff.is_empty() && !plan.up.is_empty());
    });
    println!("  the diff and the plan alone: {plan_only}");
    match migra() {
        Some(program) => {
            let (from, to) = (libpq_url(&before), libpq_url(&after));
            let start_only = time(runs.min(3), || {
                Command::new(&program).arg("--help").output().unwrap();
            });
            let migra_run = time(runs.min(3), || {
                let out = Command::new(&program)
                    .args(["--unsafe", &from, &to])
                    .output()
                    .unwrap();
                // 2 = differences found (migra's convention), 0 = none.
                assert!(
                    matches!(out.status.code(), Some(0 | 2)),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            });
            println!("migra (whole process): {migra_run}");
            println!("migra --help (Python start only): {start_only}");
            println!(
                "ratio pelican / migra: {:.3} (migra minus its start: {:.3})",
                ratio(pelican.median, migra_run.median),
                ratio(
                    pelican.median,
                    migra_run.median.saturating_sub(start_only.median)
                )
            );
        }
        None => println!(
            "migra: not installed (pip install migra psycopg2-binary, or set PELICAN_BENCH_MIGRA)"
        ),
    }
}

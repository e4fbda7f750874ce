//! Issue 15's latency bench: applying 1,000 small migrations to a server 2 ms away (a
//! delay-injecting proxy, `support/delay.rs`), pipelined and one revision per round trip,
//! beside the same pipelined run without the proxy (the floor).
//!
//! Each sample of each process gets a fresh database; the processes take turns, in an order
//! that rotates. Goal: pipelined through the proxy within 1.15x of the run without it.
//!
//! `cargo bench --bench apply_latency`; `PELICAN_BENCH_SAMPLES` (default 7) sets the samples
//! per process, `PELICAN_BENCH_RTT_MS` (default 2) the proxy's round trip. Under
//! `cargo test --benches` it only checks its static data.

#[path = "support/mod.rs"]
mod support;

use std::time::Duration;

use pelican::testing::{TestDatabase, TestServer};
use support::child::{self, Mode};
use support::proxy::unix_socket;
use support::{conninfo_via, env_count, ratio, synthetic, Summary};

const MIGRATIONS: usize = 1_000;

fn main() {
    if let Some(code) = child::run_if_child() {
        std::process::exit(code);
    }
    if !support::benchmarking() {
        let set = pelican::MigrationSet::from(&synthetic::migrations(MIGRATIONS));
        assert_eq!(set.entries().len(), MIGRATIONS);
        println!("apply_latency: not benchmarking (run `cargo bench --bench apply_latency`)");
        return;
    }
    let samples = env_count("PELICAN_BENCH_SAMPLES", 7);
    let rtt = Duration::from_millis(env_count("PELICAN_BENCH_RTT_MS", 2) as u64);
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let server = TestServer::shared().unwrap_or_else(|e| panic!("{e}"));
    let fresh = || -> TestDatabase {
        runtime
            .block_on(server.create_database())
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let probe = fresh();
    let socket = unix_socket(probe.config()).expect("the bench needs a unix-socket server");
    drop(probe);
    let port = support::delay::start(&runtime, &socket, rtt);
    let direct =
        |database: &TestDatabase| conninfo_via(database.config(), socket.parent().unwrap());
    let delayed = |database: &TestDatabase| {
        let config = database.config();
        let mut url = format!("host=127.0.0.1 port={port}");
        if let Some(user) = config.get_user() {
            url.push_str(&format!(" user='{user}'"));
        }
        if let Some(dbname) = config.get_dbname() {
            url.push_str(&format!(" dbname='{dbname}'"));
        }
        url
    };

    let names = [
        "pelican, no proxy (floor)",
        "pelican pipelined, through the proxy",
        "pelican pipeline(false), through the proxy",
    ];
    let mut timings: Vec<Vec<Duration>> = vec![Vec::new(); names.len()];
    for sample in 0..samples {
        for k in 0..names.len() {
            let which = (sample + k) % names.len();
            let database = fresh();
            let elapsed = match which {
                0 => child::time(Mode::Migrate(MIGRATIONS), &direct(&database)),
                1 => child::time(Mode::Migrate(MIGRATIONS), &delayed(&database)),
                _ => child::time(Mode::MigrateOneByOne(MIGRATIONS), &delayed(&database)),
            };
            check_applied(&runtime, &database);
            timings[which].push(elapsed);
        }
    }
    let summaries: Vec<Summary> = timings.iter().map(|t| Summary::of(t)).collect();
    println!();
    println!(
        "applying {MIGRATIONS} migrations to an empty database, {} ms round trip through the proxy",
        rtt.as_millis()
    );
    for (name, summary) in names.iter().zip(&summaries) {
        println!(
            "  {name}: {summary}, {:.3}x the floor",
            ratio(summary.median, summaries[0].median)
        );
    }
    println!("  goal: pipelined through the proxy <= 1.15x the floor");
}

/// Every migration ran, with its history row.
fn check_applied(runtime: &tokio::runtime::Runtime, database: &TestDatabase) {
    runtime.block_on(async {
        let client = database.connect().await.unwrap();
        let applied: i64 = client
            .query_one(
                "SELECT count(*) FROM pelican_revisions WHERE state = 'applied'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(applied, MIGRATIONS as i64);
    });
}

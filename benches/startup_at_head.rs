//! Issue 3 (a): what an application start costs when the database is already at head.
//!
//! Whole processes, timed from spawn to exit, taking turns, many times:
//!
//! * `migrate`: `Migrator::new(&MIGRATIONS)` over 10,000 revisions embedded as static data
//!   (what `embed_migrations!` expands to), connects, calls `migrate_to_head`, exits;
//! * `select1`: connects, runs `SELECT 1`, exits: the floor;
//! * `read-history`: connects and reads what `migrate_to_head` reads of the history table,
//!   without pelican: the floor of any design that looks at every row.
//!
//! Goals: `migrate` makes one round trip after connecting and takes at most 1.2x `select1`.
//! Round trips are counted by a proxy that reads the protocol (see `support/proxy.rs`).
//!
//! `cargo bench --bench startup_at_head`; `PELICAN_BENCH_RUNS` (default 200) sets the runs of
//! each process; `PELICAN_BENCH_HOLD=1` stops after the setup, with the database at head, for
//! profiling a child by hand (see docs/performance.md). Under `cargo test --benches` it only
//! checks its static data.

#[path = "support/mod.rs"]
mod support;

use std::time::Instant;

use pelican::testing::TestServer;
use support::child::{self, Mode};
use support::proxy::unix_socket;
use support::proxy::Proxy;
use support::{conninfo_via, env_count, ms, ratio, synthetic, Summary};

/// `bit(256)` text as bytes, to print a corrected `AT_HEAD_DIGEST`.
fn bits_to_bytes(bits: &str) -> Vec<u8> {
    bits.as_bytes()
        .chunks(8)
        .map(|byte| byte.iter().fold(0u8, |acc, b| (acc << 1) | (b - b'0')))
        .collect()
}

fn main() {
    if let Some(code) = child::run_if_child() {
        std::process::exit(code);
    }
    if !support::benchmarking() {
        let set = pelican::MigrationSet::from(&synthetic::migrations(synthetic::MAX_REVISIONS));
        assert_eq!(
            set.graph().heads().len(),
            1,
            "the static revisions form one chain"
        );
        println!("startup_at_head: not benchmarking (run `cargo bench --bench startup_at_head`)");
        return;
    }
    let revisions = synthetic::MAX_REVISIONS;
    let runs = env_count("PELICAN_BENCH_RUNS", 200);
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let server = TestServer::shared().unwrap_or_else(|e| panic!("{e}"));
    let database = runtime
        .block_on(server.create_database())
        .unwrap_or_else(|e| panic!("{e}"));
    let socket = unix_socket(database.config()).expect("the bench needs a unix-socket server");
    let url = conninfo_via(database.config(), socket.parent().unwrap());
    let migrate = Mode::Migrate(revisions);

    // Setup: the same child, once from an empty database.
    let started = Instant::now();
    let (out, _) = child::output(migrate, &url, false);
    assert_eq!(out.trim(), format!("steps={revisions}"));
    println!(
        "setup: applied {revisions} revisions in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    runtime.block_on(async {
        let client = database.connect().await.unwrap();
        let count: i64 = client
            .query_one(
                "SELECT count(*) FROM pelican_revisions WHERE state = 'applied'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(count as usize, revisions);
        // The digest the set carries (as the macro would compute it) is the one the history's
        // triggers kept: otherwise no start would take the shortcut.
        let digest: String = client
            .query_one("SELECT digest::text FROM pelican_state", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(
            digest,
            synthetic::at_head_digest_bits(),
            "AT_HEAD_DIGEST in benches/support/synthetic.rs is out of date; it should be {:?}",
            bits_to_bytes(&digest)
        );
        // Settle the server so that autovacuum and dirty buffers don't land in the samples.
        for settle in ["VACUUM ANALYZE", "CHECKPOINT"] {
            client.batch_execute(settle).await.unwrap();
        }
    });
    let (out, _) = child::output(migrate, &url, false);
    assert_eq!(out.trim(), "steps=0", "the database is at head");

    if std::env::var_os("PELICAN_BENCH_HOLD").is_some() {
        // For profiling a child by hand: the database stays until Enter.
        println!("database at head; run a child with:");
        println!("  PELICAN_BENCH_CHILD=migrate PELICAN_BENCH_REVISIONS={revisions} PELICAN_BENCH_URL=\"{url}\" {}",
            std::env::current_exe().unwrap().display());
        println!("press Enter to go on");
        let _ = std::io::stdin().read_line(&mut String::new());
    }

    let modes = [
        ("select1", Mode::SelectOne),
        ("read-history", Mode::ReadHistory),
        ("migrate", migrate),
    ];

    // Round trips, through the counting proxy.
    let proxy = Proxy::start(&socket);
    let proxied = conninfo_via(database.config(), proxy.host());
    let mut round_trips = Vec::new();
    for (_, mode) in modes {
        child::output(mode, &proxied, false);
        let logs = proxy.take_logs();
        assert_eq!(logs.len(), 1, "one connection per child");
        round_trips.push(logs.into_iter().next().unwrap());
    }
    drop(proxy);

    // Timings: the children take turns, in an order that rotates, so that none always
    // follows another.
    for _ in 0..10 {
        for (_, mode) in modes {
            child::time(mode, &url);
        }
    }
    let mut samples = vec![Vec::new(); modes.len()];
    for run in 0..runs {
        for k in 0..modes.len() {
            let which = (run + k) % modes.len();
            samples[which].push(child::time(modes[which].1, &url));
        }
    }
    let summaries: Vec<Summary> = samples.iter().map(|s| Summary::of(s)).collect();

    // Where a child's time goes, by its own clock (process start before `main` excluded).
    let phases = |mode: Mode| {
        let mut laps: Vec<(String, Vec<u64>)> = Vec::new();
        for _ in 0..30 {
            let (_, stderr) = child::output(mode, &url, true);
            for (i, (name, micros)) in child::parse_phases(&stderr).into_iter().enumerate() {
                if laps.len() <= i {
                    laps.push((name, Vec::new()));
                }
                laps[i].1.push(micros);
            }
        }
        laps.into_iter()
            .map(|(name, mut v)| {
                v.sort_unstable();
                format!("{name} {:.2}", v[v.len() / 2] as f64 / 1000.0)
            })
            .collect::<Vec<_>>()
            .join(", ")
    };

    println!();
    println!("(a) process start with the database at head ({revisions} applied revisions)");
    let baseline = summaries[0].median;
    for (((name, mode), summary), log) in modes.iter().zip(&summaries).zip(&round_trips) {
        println!("  {name}: {summary}");
        println!(
            "    {:.3}x select1 (+{}); round trips after connecting: {} by messages, {} by turns ({})",
            ratio(summary.median, baseline),
            ms(summary.median.saturating_sub(baseline)),
            log.requests_after_connect(),
            log.turns_after_connect(),
            log.message_summary()
        );
        println!("    median phases in ms: {}", phases(*mode));
    }
    println!("  goal: migrate <= 1.2x select1, 1 round trip after connecting");
}

//! Issue 3 (b): applying 1,000 small migrations to an empty database, beside `psql` running
//! the same SQL with the same transaction boundaries.
//!
//! Each migration creates a table and inserts a row, in its own transaction with its history
//! and log rows. The SQL psql runs is what the migrator sent, recorded by the counting proxy
//! (see `support/proxy.rs`), so both do the same work, lock and history reads included:
//!
//! * `pelican`: a process that builds the set, connects and calls `migrate_to_head`;
//! * `psql -f`: psql sends each statement on its own, as it does with any script;
//! * `psql -f, one query per transaction`: the same script with `\;` between the statements
//!   of each of pelican's queries, so psql sends exactly pelican's queries.
//!
//! Each sample of each process gets a fresh database; the processes take turns. Goals: one
//! round trip per migration, and at most 1.05x psql.
//!
//! `cargo bench --bench apply_migrations`; `PELICAN_BENCH_SAMPLES` (default 15) sets the
//! samples per process. Under `cargo test --benches` it only checks its static data.

#[path = "support/mod.rs"]
mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pelican::testing::{TestDatabase, TestServer};
use support::child::{self, Mode};
use support::proxy::unix_socket;
use support::proxy::{ConnectionLog, Proxy};
use support::{conninfo_via, env_count, ratio, synthetic, Summary};

const MIGRATIONS: usize = 1_000;

fn main() {
    if let Some(code) = child::run_if_child() {
        std::process::exit(code);
    }
    if !support::benchmarking() {
        let set = pelican::MigrationSet::from(&synthetic::migrations(MIGRATIONS));
        assert_eq!(set.entries().len(), MIGRATIONS);
        println!("apply_migrations: not benchmarking (run `cargo bench --bench apply_migrations`)");
        return;
    }
    let samples = env_count("PELICAN_BENCH_SAMPLES", 15);
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let server = TestServer::shared().unwrap_or_else(|e| panic!("{e}"));
    let psql = server.program("psql").unwrap_or_else(|e| panic!("{e}"));
    let fresh = || -> TestDatabase {
        runtime
            .block_on(server.create_database())
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let direct = |database: &TestDatabase| {
        let socket = unix_socket(database.config()).expect("the bench needs a unix-socket server");
        conninfo_via(database.config(), socket.parent().unwrap())
    };
    let migrate = Mode::Migrate(MIGRATIONS);

    // What pelican sends, through the counting proxy.
    let database = fresh();
    let socket = unix_socket(database.config()).expect("the bench needs a unix-socket server");
    let proxy = Proxy::start(&socket);
    let (out, _) = child::output(
        migrate,
        &conninfo_via(database.config(), proxy.host()),
        false,
    );
    assert_eq!(out.trim(), format!("steps={MIGRATIONS}"));
    let pelican_log = only(proxy.take_logs());
    check_applied(&runtime, &database);
    drop(database);

    let dir = std::env::temp_dir().join(format!("pelican-bench-scripts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a directory for the scripts");
    let by_statement = dir.join("by_statement.sql");
    let by_query = dir.join("by_query.sql");
    std::fs::write(&by_statement, script(&pelican_log.queries, false)).unwrap();
    std::fs::write(&by_query, script(&pelican_log.queries, true)).unwrap();

    // What psql sends for each script, and a check that it does the same work.
    let mut psql_logs = Vec::new();
    for path in [&by_statement, &by_query] {
        let database = fresh();
        run_psql(&psql, &conninfo_via(database.config(), proxy.host()), path);
        psql_logs.push(only(proxy.take_logs()));
        check_applied(&runtime, &database);
    }
    drop(proxy);
    check_same_queries(&psql_logs[1].queries, &pelican_log.queries);

    // Timings.
    let names = ["pelican", "psql -f", "psql -f, one query per transaction"];
    let mut timings: Vec<Vec<Duration>> = vec![Vec::new(); names.len()];
    for sample in 0..samples {
        for k in 0..names.len() {
            let which = (sample + k) % names.len();
            let database = fresh();
            let url = direct(&database);
            let elapsed = match which {
                0 => child::time(migrate, &url),
                1 => time_psql(&psql, &url, &by_statement),
                _ => time_psql(&psql, &url, &by_query),
            };
            check_applied(&runtime, &database);
            timings[which].push(elapsed);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);

    let summaries: Vec<Summary> = timings.iter().map(|t| Summary::of(t)).collect();
    let logs = [&pelican_log, &psql_logs[0], &psql_logs[1]];
    let migration_queries = pelican_log
        .queries
        .iter()
        .filter(|q| is_migration(q))
        .count();
    let recorded: usize = pelican_log
        .queries
        .iter()
        .filter(|q| is_migration(q))
        .map(|q| {
            q.matches("INSERT INTO \"public\".\"pelican_revisions\"")
                .count()
        })
        .sum();
    assert_eq!(recorded, MIGRATIONS);
    println!();
    println!("(b) applying {MIGRATIONS} migrations to an empty database, one process each");
    for ((name, summary), log) in names.iter().zip(&summaries).zip(logs) {
        println!("  {name}: {summary}");
        let round_trips = log.requests_after_connect();
        println!(
            "    {:.1} us per migration; round trips after connecting: {round_trips} by messages, \
             {} by turns ({}), {:.2} per migration",
            summary.median.as_secs_f64() * 1e6 / MIGRATIONS as f64,
            log.turns_after_connect(),
            log.message_summary(),
            f64::from(round_trips) / MIGRATIONS as f64
        );
    }
    for (k, name) in names.iter().enumerate().skip(1) {
        println!(
            "  pelican / {name}: {:.3}",
            ratio(summaries[0].median, summaries[k].median)
        );
    }
    let others: Vec<String> = pelican_log
        .queries
        .iter()
        .filter(|q| !is_migration(q))
        .map(|q| first_words(q))
        .collect();
    println!(
        "  pelican's queries: {migration_queries} applying the migrations (pipelined), and {} more: {}",
        others.len(),
        others.join(" | ")
    );
    println!("  goals: one round trip per migration, pelican <= 1.05x psql");
}

/// The only connection a child made.
fn only(mut logs: Vec<ConnectionLog>) -> ConnectionLog {
    assert_eq!(logs.len(), 1, "one connection per process");
    logs.remove(0)
}

/// psql sends the queries it is given with their final `;` and its own line breaks: compared
/// without those, it sends exactly pelican's queries.
fn check_same_queries(psql: &[String], pelican: &[String]) {
    let bare = |query: &String| -> String {
        query
            .chars()
            .filter(|c| !c.is_whitespace() && *c != ';')
            .collect()
    };
    assert_eq!(
        psql.len(),
        pelican.len(),
        "psql and pelican send as many queries"
    );
    if let Some(i) = (0..psql.len()).find(|&i| bare(&psql[i]) != bare(&pelican[i])) {
        panic!(
            "query {i} differs:\npsql sent {:?}\npelican sent {:?}",
            psql[i], pelican[i]
        );
    }
}

/// A query that applies migrations: their transactions, bodies and history rows (several
/// in a pipeline).
fn is_migration(query: &str) -> bool {
    query.starts_with("BEGIN;") && query.contains("INSERT INTO \"public\".\"pelican_revisions\"")
}

fn first_words(query: &str) -> String {
    query
        .split_whitespace()
        .take(4)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A psql script of pelican's queries: each ends with `;`, and with `one_query_each` the
/// statements inside a query are joined with `\;`, which makes psql send them together. The
/// statements are found by pelican's own splitter: the history tables' functions hold `;`
/// in dollar quotes. (The check that psql sends the same queries would catch a bad split.)
fn script(queries: &[String], one_query_each: bool) -> String {
    let mut script = String::new();
    for query in queries {
        let query = query.trim_end().trim_end_matches(';');
        if one_query_each {
            let statements = pelican::migration::statements::split_statements(query)
                .unwrap_or_else(|e| panic!("splitting a query pelican sent: {e}"));
            let statements: Vec<&str> = statements.iter().map(|s| s.sql()).collect();
            script.push_str(&statements.join("\\;\n"));
        } else {
            script.push_str(query);
        }
        script.push_str(";\n");
    }
    script
}

fn psql_command(psql: &Path, url: &str, script: &Path) -> Command {
    let mut command = Command::new(psql);
    // No psqlrc, quiet; errors don't stop the script: pelican's first reads of the history
    // tables fail when they do not exist yet, and so do psql's.
    command
        .args(["-X", "-q", "-d", url, "-f"])
        .arg(script)
        .stdin(Stdio::null());
    command
}

fn run_psql(psql: &Path, url: &str, script: &Path) {
    let output = psql_command(psql, url, script)
        .output()
        .expect("running psql");
    assert!(output.status.success(), "psql failed: {}", output.status);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let unexpected: Vec<&str> = stderr
        .lines()
        .filter(|line| line.contains("ERROR"))
        .filter(|line| {
            !line.contains("relation \"public.pelican_revisions\" does not exist")
                && !line.contains("relation \"public.pelican_state\" does not exist")
        })
        .collect();
    assert!(unexpected.is_empty(), "psql reported errors:\n{stderr}");
}

fn time_psql(psql: &Path, url: &str, script: &Path) -> Duration {
    let mut command = psql_command(psql, url, script);
    command.stdout(Stdio::null()).stderr(Stdio::null());
    let started = Instant::now();
    let status = command.status().expect("running psql");
    let elapsed = started.elapsed();
    assert!(status.success(), "psql failed: {status}");
    elapsed
}

/// Every migration ran, with its history and log rows.
fn check_applied(runtime: &tokio::runtime::Runtime, database: &TestDatabase) {
    runtime.block_on(async {
        let client = database.connect().await.unwrap();
        let row = client
            .query_one(
                "SELECT (SELECT count(*) FROM pelican_revisions WHERE state = 'applied'), \
                        (SELECT count(*) FROM pelican_log WHERE outcome = 'ok'), \
                        (SELECT count(*) FROM pg_tables WHERE tablename LIKE 't\\_%')",
                &[],
            )
            .await
            .unwrap();
        let counts: Vec<i64> = (0..3).map(|i| row.get(i)).collect();
        let expected = MIGRATIONS as i64;
        assert_eq!(
            counts,
            [expected, expected, expected],
            "history, log, tables"
        );
    });
}

//! Issue 15: a fleet of tenant schemas on one server: 1,000 schemas x 50 migrations from
//! empty, and the status of all of them at head. Side by side in one run:
//!
//! * the floor: `psql` sessions in parallel (as many as pelican's most jobs), each sending
//!   the same migrations' SQL for its share of the schemas, each migration in its own
//!   transaction, with no history;
//! * pelican's fleet with jobs 1, 2, 4 and 8;
//! * a loop calling `migrate_to_head` for each schema in turn, what users write today.
//!
//! Every run gets a fresh database with the empty schemas made first (not timed). Goals:
//! from empty within 1.2x of the psql floor; the status of 1,000 schemas at head under
//! 100 ms (one query).
//!
//! `cargo bench --all-features --bench fleet`; `PELICAN_BENCH_TENANTS` (default 1000) and
//! `PELICAN_BENCH_MIGRATIONS` (default 50) change the size, `PELICAN_BENCH_JOBS` (default
//! `1,2,4,8`) the fleet's runs, `PELICAN_BENCH_LOOP=0` leaves the loop out, and
//! `PELICAN_BENCH_AUTOVACUUM=0` turns autovacuum off on the throwaway server. Under
//! `cargo test --benches` it only checks its static data.

#[path = "support/mod.rs"]
mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pelican::fleet::{Fleet, Target};
use pelican::migration::{Body, SetEntry, SqlBody};
use pelican::testing::{tenant_schemas, TestDatabase, TestServer};
use pelican::{MigrationSet, Migrator, Revision};
use support::{env_count, ms, ratio, Summary};

/// Migration `n`'s up: a table with a row, or a column, or an index.
fn up(n: usize) -> String {
    match n % 3 {
        0 => format!(
            "CREATE TABLE t{n} (id bigint PRIMARY KEY, v text);\nINSERT INTO t{n} VALUES (1, 'a');"
        ),
        1 => format!("ALTER TABLE t{} ADD COLUMN c{n} integer;", n - 1),
        _ => format!("CREATE INDEX i{n} ON t{} (v);", n - 2),
    }
}

fn migrations(count: usize) -> MigrationSet {
    let id = |n: usize| format!("{:012x}", n + 1);
    let entries = (0..count)
        .map(|n| {
            let mut revision = Revision::new(id(n).parse().unwrap());
            if n > 0 {
                revision = revision.with_parents(vec![id(n - 1).parse().unwrap()]);
            }
            let body = Body::Sql {
                up: SqlBody::new(up(n), 1),
                down: None,
            };
            SetEntry::new(revision, format!("migrations/{}.sql", id(n)), body)
        })
        .collect();
    MigrationSet::new(entries).expect("a valid chain")
}

fn main() {
    let tenants = env_count("PELICAN_BENCH_TENANTS", 1_000);
    let count = env_count("PELICAN_BENCH_MIGRATIONS", 50);
    let set = migrations(count);
    if !support::benchmarking() {
        assert_eq!(set.entries().len(), count);
        println!("fleet: not benchmarking (run `cargo bench --all-features --bench fleet`)");
        return;
    }
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let server = TestServer::shared().unwrap_or_else(|e| panic!("{e}"));
    let psql = server.program("psql").unwrap_or_else(|e| panic!("{e}"));
    if env_count("PELICAN_BENCH_AUTOVACUUM", 1) == 0 {
        runtime.block_on(async {
            let client = server.connect().await.unwrap();
            client
                .batch_execute("ALTER SYSTEM SET autovacuum = off")
                .await
                .unwrap();
            client
                .batch_execute("SELECT pg_reload_conf()")
                .await
                .unwrap();
        });
        println!("autovacuum off");
    }
    let fresh = || -> (TestDatabase, Vec<Target>) {
        runtime.block_on(async {
            let database = server
                .create_database()
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let targets = tenant_schemas(&database, tenants, "tenant_")
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            (database, targets)
        })
    };
    println!("fleet: {tenants} schemas x {count} migrations, from empty");

    // The floor: psql sessions in parallel, each with its share of the schemas.
    let sessions = 8;
    let (database, targets) = fresh();
    let dir = std::env::temp_dir().join(format!("pelican-bench-fleet-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let scripts: Vec<_> = (0..sessions)
        .map(|session| {
            let mut script = String::from("\\set ON_ERROR_STOP on\n");
            for target in targets.iter().skip(session).step_by(sessions) {
                let schema = target.schema.as_deref().unwrap();
                script.push_str(&format!("SET search_path TO {schema};\n"));
                for n in 0..count {
                    script.push_str(&format!("BEGIN;\n{}\nCOMMIT;\n", up(n)));
                }
            }
            let path = dir.join(format!("session-{session}.sql"));
            std::fs::write(&path, script).unwrap();
            path
        })
        .collect();
    let started = Instant::now();
    let children: Vec<_> = scripts
        .iter()
        .map(|script| {
            Command::new(&psql)
                .args(["-q", "-X", "-d", database.connection_string(), "-f"])
                .arg(script)
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success(), "psql failed");
    }
    let floor = started.elapsed();
    println!(
        "psql, {sessions} sessions in parallel (the floor): {}",
        ms(floor)
    );
    std::fs::remove_dir_all(&dir).ok();
    drop(database);

    let job_counts: Vec<usize> = std::env::var("PELICAN_BENCH_JOBS")
        .unwrap_or_else(|_| "1,2,4,8".to_owned())
        .split(',')
        .map(|n| {
            n.trim()
                .parse()
                .expect("PELICAN_BENCH_JOBS lists whole numbers")
        })
        .collect();
    let most_jobs = job_counts.iter().copied().max().unwrap_or(1);
    let mut best = None;
    for jobs in job_counts {
        let (database, targets) = fresh();
        let fleet = Fleet::new(set.clone(), targets).jobs(jobs);
        let started = Instant::now();
        let report = runtime.block_on(fleet.upgrade("head")).unwrap();
        let elapsed = started.elapsed();
        assert!(report.all_succeeded(), "{}", report.summary());
        println!(
            "pelican fleet, jobs {jobs}: {} ({:.2}x the floor)",
            ms(elapsed),
            ratio(elapsed, floor)
        );
        if jobs == most_jobs {
            // At head: the status of every schema, several times.
            let samples: Vec<Duration> = (0..7)
                .map(|_| {
                    let started = Instant::now();
                    let statuses = runtime.block_on(fleet.status()).unwrap();
                    assert!(statuses.iter().all(|s| s.is_current()));
                    started.elapsed()
                })
                .collect();
            println!(
                "pelican fleet status of {tenants} schemas at head: {}",
                Summary::of(&samples)
            );
        }
        best = Some(best.map_or(elapsed, |b: Duration| b.min(elapsed)));
        drop(database);
    }

    if env_count("PELICAN_BENCH_LOOP", 1) == 0 {
        if let Some(best) = best {
            println!("best fleet / floor: {:.2}", ratio(best, floor));
        }
        return;
    }
    // What users write today: migrate_to_head for each schema in turn.
    let (database, targets) = fresh();
    let started = Instant::now();
    runtime.block_on(async {
        let client = database.connect().await.unwrap();
        for target in &targets {
            let schema = target.schema.as_deref().unwrap();
            client
                .batch_execute(&format!("SET search_path TO {schema}"))
                .await
                .unwrap();
            Migrator::new(set.clone())
                .schema(schema)
                .migrate_to_head(&client)
                .await
                .unwrap();
        }
    });
    let looped = started.elapsed();
    println!(
        "a loop of migrate_to_head, one schema after another: {} ({:.2}x the floor)",
        ms(looped),
        ratio(looped, floor)
    );
    if let Some(best) = best {
        println!("best fleet / floor: {:.2}", ratio(best, floor));
    }
}

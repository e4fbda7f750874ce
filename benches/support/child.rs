//! The processes being measured. A bench binary runs as one of them when `PELICAN_BENCH_CHILD`
//! is set: the driver spawns its own executable, so the child is an ordinary optimized
//! program that starts, connects, works and exits.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pelican::Migrator;
use tokio_postgres::NoTls;

use super::synthetic;

/// Which child to be: `select1` or `migrate`.
const MODE_VAR: &str = "PELICAN_BENCH_CHILD";
/// The libpq connection string of the database.
const URL_VAR: &str = "PELICAN_BENCH_URL";
/// How many revisions the `migrate` child's set has.
const REVISIONS_VAR: &str = "PELICAN_BENCH_REVISIONS";
/// When set, the child reports where its time went on stderr.
const PHASES_VAR: &str = "PELICAN_BENCH_PHASES";

/// What a child process does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Connects and runs `SELECT 1` (one simple query): the floor any client pays.
    SelectOne,
    /// Builds the set of `n` revisions, connects, and calls `migrate_to_head`.
    Migrate(usize),
    /// The same with `Migrator::pipeline(false)`: one round trip per revision.
    MigrateOneByOne(usize),
    /// Connects and reads what `migrate_to_head` reads of the history table, without pelican:
    /// the floor of any design that looks at every row.
    ReadHistory,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::SelectOne => "select1",
            Mode::Migrate(_) => "migrate",
            Mode::MigrateOneByOne(_) => "migrate-one-by-one",
            Mode::ReadHistory => "read-history",
        }
    }
}

/// Runs the child and returns its exit code, if this process was started as one.
pub fn run_if_child() -> Option<i32> {
    let mode = std::env::var(MODE_VAR).ok()?;
    Some(match run(&mode) {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("bench child ({mode}): {message}");
            1
        }
    })
}

/// The command that starts a child of this executable against `url`.
pub fn command(mode: Mode, url: &str) -> Command {
    let exe = std::env::current_exe().expect("the path of the running bench binary");
    let mut command = Command::new(exe);
    command
        .env(MODE_VAR, mode.name())
        .env(URL_VAR, url)
        .env_remove(PHASES_VAR)
        .stdin(Stdio::null());
    if let Mode::Migrate(revisions) | Mode::MigrateOneByOne(revisions) = mode {
        command.env(REVISIONS_VAR, revisions.to_string());
    }
    command
}

/// Runs a child to the end, its output discarded, and returns how long it took from spawn
/// to exit.
pub fn time(mode: Mode, url: &str) -> Duration {
    let mut command = command(mode, url);
    command.stdout(Stdio::null()).stderr(Stdio::inherit());
    let started = Instant::now();
    let status = command.status().expect("spawning a bench child");
    let elapsed = started.elapsed();
    assert!(
        status.success(),
        "the {} child failed: {status}",
        mode.name()
    );
    elapsed
}

/// Runs a child to the end and returns its stdout (what it did) and stderr.
pub fn output(mode: Mode, url: &str, phases: bool) -> (String, String) {
    let mut command = command(mode, url);
    if phases {
        command.env(PHASES_VAR, "1");
    }
    let output = command.output().expect("spawning a bench child");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "the {} child failed: {}\n{stderr}",
        mode.name(),
        output.status
    );
    (String::from_utf8_lossy(&output.stdout).into_owned(), stderr)
}

/// Microseconds spent in each phase of a child, as it reports them with `PELICAN_BENCH_PHASES`.
pub fn parse_phases(stderr: &str) -> Vec<(String, u64)> {
    stderr
        .lines()
        .filter_map(|line| line.strip_prefix("phases "))
        .flat_map(|rest| rest.split_whitespace())
        .filter_map(|pair| {
            let (name, micros) = pair.split_once('=')?;
            Some((name.to_owned(), micros.parse().ok()?))
        })
        .collect()
}

fn run(mode: &str) -> Result<(), String> {
    let url = std::env::var(URL_VAR).map_err(|_| format!("{URL_VAR} is not set"))?;
    let phases = std::env::var_os(PHASES_VAR).is_some();
    let mut clock = Phases::new(phases);
    // One thread, as small as a runtime gets: the baseline process should be as cheap as
    // possible, so that whatever pelican adds shows.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting tokio: {e}"))?;
    clock.lap("runtime");
    let outcome = runtime.block_on(async {
        match mode {
            "select1" => {
                let client = connect(&url).await?;
                clock.lap("connect");
                let rows = client
                    .simple_query("SELECT 1")
                    .await
                    .map_err(|e| format!("SELECT 1: {e}"))?;
                clock.lap("query");
                Ok(format!("messages={}", rows.len()))
            }
            "read-history" => {
                let client = connect(&url).await?;
                clock.lap("connect");
                let rows = client
                    .simple_query(
                        "SELECT revision, checksum, checksum_algorithm, state, error \
                         FROM \"public\".\"pelican_revisions\"",
                    )
                    .await
                    .map_err(|e| format!("reading the history: {e}"))?;
                clock.lap("query");
                Ok(format!("messages={}", rows.len()))
            }
            "migrate" | "migrate-one-by-one" => {
                let revisions: usize = std::env::var(REVISIONS_VAR)
                    .ok()
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(|| format!("{REVISIONS_VAR} is not a number"))?;
                let migrator =
                    Migrator::new(&synthetic::migrations(revisions)).pipeline(mode == "migrate");
                clock.lap("build");
                let client = connect(&url).await?;
                clock.lap("connect");
                let report = migrator
                    .migrate_to_head(&client)
                    .await
                    .map_err(|e| format!("migrate_to_head: {e}"))?;
                clock.lap("migrate");
                drop(migrator);
                clock.lap("drop");
                Ok(format!("steps={}", report.steps.len()))
            }
            other => Err(format!("unknown child mode '{other}'")),
        }
    });
    drop(runtime);
    clock.lap("shutdown");
    println!("{}", outcome?);
    clock.report();
    Ok(())
}

async fn connect(url: &str) -> Result<tokio_postgres::Client, String> {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .map_err(|e| format!("connecting: {e}"))?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            eprintln!("connection: {error}");
        }
    });
    Ok(client)
}

/// Lap times, kept only when asked for.
struct Phases {
    enabled: bool,
    last: Instant,
    laps: Vec<(&'static str, Duration)>,
}

impl Phases {
    fn new(enabled: bool) -> Self {
        Phases {
            enabled,
            last: Instant::now(),
            laps: Vec::new(),
        }
    }

    fn lap(&mut self, name: &'static str) {
        if self.enabled {
            let now = Instant::now();
            self.laps.push((name, now - self.last));
            self.last = now;
        }
    }

    fn report(&self) {
        if self.enabled {
            let laps: Vec<String> = self
                .laps
                .iter()
                .map(|(name, d)| format!("{name}={}", d.as_micros()))
                .collect();
            eprintln!("phases {}", laps.join(" "));
        }
    }
}

//! Migrators in separate processes on one database, as an application's replicas are: they
//! start at the same moment, one is killed with SIGKILL in the middle of a slow migration, the
//! server restarts under a run, a failing run must not keep the lock from the next one.
//!
//! A child process is this test binary run again (`child_process_running_a_migrator`, below):
//! it has its own tokio runtime and its own connection pool, runs the migration set an
//! environment variable names, and talks to the test line by line over stdin and stdout (see
//! [`MigratorProcess`]).

#[path = "support/db.rs"]
mod db;

use std::io::Write as _;
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use db::{fresh_db, history, ids, log, set, sql, sql_with, table_exists};
use pelican::testing::{TestDatabase, TestServer};
use pelican::{MigrationSet, Migrator};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio_postgres::Client;

/// The migration set a child runs (a name [`migration_set`] knows).
const CHILD_SET_VAR: &str = "PELICAN_PROCESS_TEST_SET";
/// The connection string of the database a child migrates.
const CHILD_DATABASE_VAR: &str = "PELICAN_PROCESS_TEST_DATABASE";
/// The child's `Migrator::lock_wait`, in milliseconds (the default when unset).
const CHILD_LOCK_WAIT_VAR: &str = "PELICAN_PROCESS_TEST_LOCK_WAIT_MS";
/// When set, the child keeps running (its pool and session open) after its run, until its
/// stdin closes: an application that logs a failed migration and keeps serving.
const CHILD_HOLD_VAR: &str = "PELICAN_PROCESS_TEST_HOLD";
/// What starts every line a child says to the test (the harness prints around it).
const MARKER: &str = "pelican-child: ";

/// How long any step of a child may take before the test gives up: generous, since only a
/// broken migrator comes near it.
const STEP_DEADLINE: Duration = Duration::from_secs(60);
/// How soon after a client dies the server must end its session, lock included: the
/// migrating session checks its client every second (`client_connection_check_interval`).
const ORPHAN_DEADLINE: Duration = Duration::from_secs(3);

// --- Migration sets ----------------------------------------------------------------------

/// The sets children run, by name.
fn migration_set(name: &str) -> MigrationSet {
    match name {
        "chain" => chain(),
        "slow" => slow(true),
        "slow-autocommit" => slow(false),
        "failing" => set(&[
            sql("r1", "", "CREATE TABLE one (id int);", "DROP TABLE one;"),
            sql(
                "r2",
                "r1",
                "CREATE TABLE two (id int);\nSELECT 1/0;",
                "DROP TABLE two;",
            ),
        ]),
        "fixed" => set(&[
            sql("r1", "", "CREATE TABLE one (id int);", "DROP TABLE one;"),
            sql("r2", "r1", "CREATE TABLE two (id int);", "DROP TABLE two;"),
            sql(
                "r3",
                "r2",
                "CREATE TABLE three (id int);",
                "DROP TABLE three;",
            ),
        ]),
        other => panic!("no migration set named {other}"),
    }
}

/// Ten revisions in a line, each a little slow, so that concurrent runs overlap.
fn chain() -> MigrationSet {
    let files: Vec<_> = chain_ids()
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let parent = if i == 0 {
                String::new()
            } else {
                format!("c{i:02}")
            };
            sql(
                id,
                &parent,
                &format!("CREATE TABLE t_{id} (id int);\nSELECT pg_sleep(0.05);"),
                &format!("DROP TABLE t_{id};"),
            )
        })
        .collect();
    set(&files)
}

fn chain_ids() -> Vec<String> {
    (1..=10).map(|i| format!("c{i:02}")).collect()
}

/// r1 → r2 → r3, where r2 works until the test opens `migration_gate`: a long backfill,
/// whose length depends on the data, not on the file. So the same files can be killed
/// part-way, then run again to the end, as an operator would.
fn slow(transactional: bool) -> MigrationSet {
    let header = if transactional {
        ""
    } else {
        "transaction: false"
    };
    set(&[
        sql("r1", "", "CREATE TABLE one (id int);", "DROP TABLE one;"),
        sql_with("r2", "r1", header, SLOW_UP, "DROP TABLE two;"),
        sql(
            "r3",
            "r2",
            "CREATE TABLE three (id int);",
            "DROP TABLE three;",
        ),
    ])
}

const SLOW_UP: &str = "CREATE TABLE two (id int);
DO $$
BEGIN
    WHILE NOT (SELECT open FROM migration_gate) LOOP
        PERFORM pg_sleep(0.05);
    END LOOP;
END
$$;";

async fn close_gate(client: &Client) {
    client
        .batch_execute(
            "CREATE TABLE migration_gate (open boolean NOT NULL);
             INSERT INTO migration_gate VALUES (false);",
        )
        .await
        .expect("creating the gate");
}

async fn open_gate(client: &Client) {
    client
        .batch_execute("UPDATE migration_gate SET open = true")
        .await
        .expect("opening the gate");
}

// --- Watching the server -----------------------------------------------------------------

/// Waits until another session is inside the slow revision (its query names the gate, or,
/// when the revision came in a pipeline whose text `pg_stat_activity` shows only the start
/// of, it sleeps waiting for the gate); returns its backend pid.
async fn backend_in_slow_revision(client: &Client) -> i32 {
    let deadline = Instant::now() + STEP_DEADLINE;
    loop {
        let rows = client
            .query(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
                 AND pid <> pg_backend_pid() AND state = 'active' \
                 AND (query LIKE '%migration_gate%' OR wait_event = 'PgSleep')",
                &[],
            )
            .await
            .expect("reading pg_stat_activity");
        if let Some(row) = rows.first() {
            return row.get(0);
        }
        assert!(
            Instant::now() < deadline,
            "no session entered the slow revision within {STEP_DEADLINE:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until the backend `pid` is gone, at most [`ORPHAN_DEADLINE`] after `killed`; returns
/// how long that took.
async fn wait_until_session_ends(client: &Client, pid: i32, killed: Instant) -> Duration {
    loop {
        let alive: bool = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)",
                &[&pid],
            )
            .await
            .expect("reading pg_stat_activity")
            .get(0);
        if !alive {
            return killed.elapsed();
        }
        assert!(
            killed.elapsed() < ORPHAN_DEADLINE,
            "the killed process's session (backend pid {pid}) still runs {ORPHAN_DEADLINE:?} \
             after the kill: the server did not notice that its client was gone"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// How many sessions hold (`granted`) or wait for (`!granted`) a pelican migration lock in
/// this database.
async fn pelican_locks(client: &Client, granted: bool) -> i64 {
    client
        .query_one(
            // 1885695081 is 0x70656c69, "peli": the first half of every pelican lock key.
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' \
             AND classid = 1885695081::oid AND granted = $1 \
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            &[&granted],
        )
        .await
        .expect("reading pg_locks")
        .get(0)
}

// --- Child processes ---------------------------------------------------------------------

/// What a child's run ended with: the revisions it applied, or its error's text.
type Outcome = Result<Vec<String>, String>;

#[derive(Default)]
struct ChildOptions {
    lock_wait: Option<Duration>,
    hold: bool,
}

/// A migrator in a child process. It connects, says `ready`, waits for `go` on stdin, runs
/// `migrate_to_head`, says what happened, then exits (0 for success, 1 for an error), or
/// with [`ChildOptions::hold`] waits for its stdin to close first.
struct MigratorProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl MigratorProcess {
    fn spawn(set: &str, database: &TestDatabase, options: ChildOptions) -> Self {
        let mut command = Command::new(std::env::current_exe().expect("the test binary"));
        command
            .args([
                "--exact",
                "child_process_running_a_migrator",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_SET_VAR, set)
            .env(CHILD_DATABASE_VAR, database.connection_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        if let Some(wait) = options.lock_wait {
            command.env(CHILD_LOCK_WAIT_VAR, wait.as_millis().to_string());
        }
        if options.hold {
            command.env(CHILD_HOLD_VAR, "1");
        }
        let mut child = command.spawn().expect("starting a child process");
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        MigratorProcess {
            child,
            stdin,
            stdout,
        }
    }

    /// The next line the child says (without the marker), or the next raw line when `raw`.
    async fn next_line(&mut self, raw: bool) -> String {
        let deadline = Instant::now() + STEP_DEADLINE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = tokio::time::timeout(left, self.stdout.next_line())
                .await
                .unwrap_or_else(|_| panic!("the child said nothing for {STEP_DEADLINE:?}"))
                .expect("reading the child's output")
                .unwrap_or_else(|| panic!("the child ended ({:?})", self.child.try_wait()));
            if raw {
                return line;
            }
            if let Some(at) = line.find(MARKER) {
                return line[at + MARKER.len()..].to_owned();
            }
        }
    }

    /// Waits until the child is connected and waiting for `go`.
    async fn ready(&mut self) {
        let line = self.next_line(false).await;
        assert_eq!(line, "ready");
    }

    async fn go(&mut self) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin
            .write_all(b"go\n")
            .await
            .expect("writing to the child");
        stdin.flush().await.expect("writing to the child");
    }

    async fn outcome(&mut self) -> Outcome {
        let line = self.next_line(false).await;
        if let Some(applied) = line.strip_prefix("applied ") {
            return Ok(applied
                .split(',')
                .filter(|id| !id.is_empty())
                .map(str::to_owned)
                .collect());
        }
        assert_eq!(line, "error begin");
        let mut text = Vec::new();
        loop {
            let line = self.next_line(true).await;
            if line.ends_with(&format!("{MARKER}error end")) {
                return Err(text.join("\n"));
            }
            text.push(line);
        }
    }

    fn has_exited(&mut self) -> bool {
        self.child
            .try_wait()
            .expect("looking at the child")
            .is_some()
    }

    /// Closes the child's stdin (letting a holding child go) and waits for it to exit.
    async fn exit_status(&mut self) -> ExitStatus {
        self.stdin = None;
        tokio::time::timeout(STEP_DEADLINE, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("the child did not exit within {STEP_DEADLINE:?}"))
            .expect("waiting for the child")
    }

    /// SIGKILL: no destructor, no exit handler; the kernel closes its connections.
    async fn kill(&mut self) {
        self.child.kill().await.expect("killing the child");
    }
}

/// Not a test: the child process of the tests above, run by them with the `CHILD_*`
/// variables set (see [`MigratorProcess`]).
#[test]
#[ignore = "the child process of the tests in this file, run by them"]
fn child_process_running_a_migrator() {
    let Ok(set_name) = std::env::var(CHILD_SET_VAR) else {
        return;
    };
    let connection_string = std::env::var(CHILD_DATABASE_VAR).expect(CHILD_DATABASE_VAR);
    let mut migrator = Migrator::new(migration_set(&set_name));
    if let Ok(millis) = std::env::var(CHILD_LOCK_WAIT_VAR) {
        migrator = migrator.lock_wait(Duration::from_millis(millis.parse().expect("millis")));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let config: tokio_postgres::Config = connection_string
        .parse()
        .expect("a valid connection string");
    let manager = deadpool_postgres::Manager::new(config, tokio_postgres::NoTls);
    let pool = deadpool_postgres::Pool::builder(manager)
        .max_size(1)
        .build()
        .expect("a pool");
    // Connect before saying ready, so that all children start migrating together.
    drop(runtime.block_on(pool.get()).expect("a connection"));
    tell("ready");
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .expect("reading stdin");

    let outcome = runtime.block_on(migrator.migrate_to_head(&pool));
    match &outcome {
        Ok(report) => tell(&format!("applied {}", ids(report).join(","))),
        Err(err) => {
            tell("error begin");
            println!("{err}");
            tell("error end");
        }
    }
    if std::env::var_os(CHILD_HOLD_VAR).is_some() {
        while std::io::stdin().read_line(&mut line).is_ok_and(|n| n > 0) {}
    }
    std::process::exit(if outcome.is_ok() { 0 } else { 1 });
}

fn tell(message: &str) {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{MARKER}{message}").expect("writing stdout");
    stdout.flush().expect("writing stdout");
}

// --- The tests ---------------------------------------------------------------------------

#[tokio::test]
async fn four_processes_starting_at_once_apply_each_revision_exactly_once() {
    let (database, client) = fresh_db().await;
    let mut processes: Vec<_> = (0..4)
        .map(|_| MigratorProcess::spawn("chain", &database, ChildOptions::default()))
        .collect();
    for process in &mut processes {
        process.ready().await;
    }
    // All are connected: let them go together.
    for process in &mut processes {
        process.go().await;
    }
    let mut applied = Vec::new();
    for process in &mut processes {
        applied.extend(process.outcome().await.expect("every process succeeds"));
        let status = process.exit_status().await;
        assert!(status.success(), "{status}");
    }
    applied.sort();
    assert_eq!(
        applied,
        chain_ids(),
        "each revision ran in exactly one process"
    );

    let expected_log: Vec<String> = chain_ids()
        .iter()
        .map(|id| format!("{id}:upgrade:ok"))
        .collect();
    assert_eq!(log(&client, "public").await, expected_log);
    let expected_history: Vec<String> = chain_ids()
        .iter()
        .map(|id| format!("{id}:applied"))
        .collect();
    assert_eq!(history(&client, "public").await, expected_history);
    for id in chain_ids() {
        assert!(table_exists(&client, &format!("t_{id}")).await, "{id}");
    }
}

/// Replicas that start while another one is inside a revision must wait for it and then
/// find nothing to do. For a `transaction: false` revision they see its in-progress row
/// (marked failed until it finishes) and must not take it for a failure.
async fn processes_starting_during_a_run_wait_for_it(set_name: &str) {
    let (database, client) = fresh_db().await;
    close_gate(&client).await;
    let mut first = MigratorProcess::spawn(set_name, &database, ChildOptions::default());
    let mut others: Vec<_> = (0..3)
        .map(|_| MigratorProcess::spawn(set_name, &database, ChildOptions::default()))
        .collect();
    first.ready().await;
    for process in &mut others {
        process.ready().await;
    }
    first.go().await;
    backend_in_slow_revision(&client).await;
    for process in &mut others {
        process.go().await;
    }
    // Each of the others either queues for the lock or (wrongly) gives up.
    let deadline = Instant::now() + STEP_DEADLINE;
    loop {
        let waiting = pelican_locks(&client, false).await;
        let exited = others
            .iter_mut()
            .map(|p| p.has_exited())
            .filter(|&e| e)
            .count() as i64;
        if waiting + exited >= 3 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{waiting} waiting, {exited} exited"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    open_gate(&client).await;

    assert_eq!(
        first.outcome().await,
        Ok(vec!["r1".into(), "r2".into(), "r3".into()])
    );
    for process in &mut others {
        assert_eq!(
            process.outcome().await,
            Ok(vec![]),
            "it waited, then found head"
        );
    }
    for process in others.iter_mut().chain([&mut first]) {
        let status = process.exit_status().await;
        assert!(status.success(), "{status}");
    }
    assert_eq!(
        history(&client, "public").await,
        ["r1:applied", "r2:applied", "r3:applied"]
    );
}

#[tokio::test]
async fn processes_starting_during_a_transactional_revision_wait_for_it() {
    processes_starting_during_a_run_wait_for_it("slow").await;
}

#[tokio::test]
async fn processes_starting_during_a_non_transactional_revision_wait_for_it() {
    processes_starting_during_a_run_wait_for_it("slow-autocommit").await;
}

#[tokio::test]
async fn a_process_killed_inside_a_transactional_revision_leaves_nothing_and_no_lock() {
    let (database, client) = fresh_db().await;
    close_gate(&client).await;
    let mut process = MigratorProcess::spawn("slow", &database, ChildOptions::default());
    process.ready().await;
    process.go().await;
    let backend = backend_in_slow_revision(&client).await;
    assert_eq!(history(&client, "public").await, ["r1:applied"]);

    process.kill().await;
    let killed = Instant::now();
    let waited = wait_until_session_ends(&client, backend, killed).await;
    println!("the server ended the killed process's session {waited:?} after the kill");
    assert_eq!(
        pelican_locks(&client, true).await,
        0,
        "the lock went with it"
    );
    // Nothing of r2 is left: its table and history row were in its transaction.
    assert!(!table_exists(&client, "two").await);
    assert_eq!(history(&client, "public").await, ["r1:applied"]);

    // The same files again, this time with the slow part quick.
    open_gate(&client).await;
    let report = Migrator::new(slow(true))
        .lock_wait(ORPHAN_DEADLINE)
        .migrate_to_head(&client)
        .await
        .expect("the rerun completes");
    assert_eq!(ids(&report), ["r2", "r3"]);
    assert_eq!(
        log(&client, "public").await,
        ["r1:upgrade:ok", "r2:upgrade:ok", "r3:upgrade:ok"]
    );
}

#[tokio::test]
async fn a_process_killed_inside_a_non_transactional_revision_leaves_a_failed_row_to_resolve() {
    let (database, client) = fresh_db().await;
    close_gate(&client).await;
    let mut process = MigratorProcess::spawn("slow-autocommit", &database, ChildOptions::default());
    process.ready().await;
    process.go().await;
    let backend = backend_in_slow_revision(&client).await;
    // Marked failed while it runs, so that a crash can't go unnoticed.
    assert_eq!(
        history(&client, "public").await,
        ["r1:applied", "r2:failed"]
    );

    process.kill().await;
    let killed = Instant::now();
    let waited = wait_until_session_ends(&client, backend, killed).await;
    println!("the server ended the killed process's session {waited:?} after the kill");
    assert_eq!(
        pelican_locks(&client, true).await,
        0,
        "the lock went with it"
    );

    let migrator = Migrator::new(slow(false)).lock_wait(ORPHAN_DEADLINE);
    let err = migrator.migrate_to_head(&client).await.unwrap_err();
    let text = err.to_string();
    println!("the next run: {text}");
    assert!(
        text.starts_with(
            "revision r2 (migrations/r2_test.sql) is marked failed in the history table: \
             interrupted: the upgrade started at unix time "
        ),
        "{text}"
    );
    assert!(
        text.ends_with(
            " did not finish\nIt runs outside a transaction, so part of it may have been \
             applied. Check the database, finish or undo its statements by hand, then record \
             the outcome with Migrator::mark_applied or Migrator::forget (at a terminal: \
             `pelican resolve r2 --applied` or `pelican resolve r2 --forget`)."
        ),
        "{text}"
    );
    assert!(!table_exists(&client, "three").await, "nothing ran");

    // Its first statement committed on its own: the operator undoes it, forgets the row,
    // and runs the same files again.
    assert!(table_exists(&client, "two").await);
    client.batch_execute("DROP TABLE two").await.unwrap();
    migrator.forget(&client, "r2").await.expect("forget");
    open_gate(&client).await;
    let report = migrator
        .migrate_to_head(&client)
        .await
        .expect("the rerun completes");
    assert_eq!(ids(&report), ["r2", "r3"]);
    assert_eq!(
        history(&client, "public").await,
        ["r1:applied", "r2:applied", "r3:applied"]
    );
    assert_eq!(
        log(&client, "public").await,
        [
            "r1:upgrade:ok",
            "r2:forget:ok",
            "r2:upgrade:ok",
            "r3:upgrade:ok"
        ]
    );
}

#[tokio::test]
async fn a_server_restart_during_a_run_is_a_clear_error_and_a_rerun_completes() {
    // A private server: restarting the shared one would break the other tests.
    let server = TestServer::start_throwaway().expect("a private server");
    let database = server.create_database().await.expect("a database");
    let observer = database.connect().await.expect("a connection");
    close_gate(&observer).await;
    let migrating = database.connect().await.expect("a connection");
    let run =
        tokio::spawn(async move { Migrator::new(slow(true)).migrate_to_head(&migrating).await });
    backend_in_slow_revision(&observer).await;

    server.restart().await.expect("the server restarts");
    let err = tokio::time::timeout(STEP_DEADLINE, run)
        .await
        .expect("the run ends")
        .expect("the run does not panic")
        .expect_err("the run fails");
    println!("the run cut by the restart: {err}");
    assert_eq!(
        err.to_string(),
        "revision r2 (migrations/r2_test.sql) failed to upgrade: FATAL: terminating connection \
         due to administrator command (SQLSTATE 57P01)"
    );

    let client = database
        .connect()
        .await
        .expect("connecting after the restart");
    assert_eq!(history(&client, "public").await, ["r1:applied"]);
    assert!(!table_exists(&client, "two").await);
    open_gate(&client).await;
    let report = Migrator::new(slow(true))
        .migrate_to_head(&client)
        .await
        .expect("the rerun completes");
    assert_eq!(ids(&report), ["r2", "r3"]);
}

#[tokio::test]
async fn a_failing_migration_in_one_process_lets_the_next_process_run_at_once() {
    let (database, client) = fresh_db().await;
    // The failing process keeps running afterwards, its pooled session open: if the run left
    // the lock held on it, nobody could migrate until that process ends.
    let hold = ChildOptions {
        hold: true,
        ..ChildOptions::default()
    };
    let mut failing = MigratorProcess::spawn("failing", &database, hold);
    failing.ready().await;
    failing.go().await;
    assert_eq!(
        failing.outcome().await,
        Err(
            "revision r2 (migrations/r2_test.sql) failed to upgrade: ERROR: division by zero \
             (SQLSTATE 22012)"
                .to_owned()
        )
    );

    let impatient = ChildOptions {
        lock_wait: Some(Duration::from_millis(500)),
        ..ChildOptions::default()
    };
    let mut fixed = MigratorProcess::spawn("fixed", &database, impatient);
    fixed.ready().await;
    fixed.go().await;
    assert_eq!(fixed.outcome().await, Ok(vec!["r2".into(), "r3".into()]));
    assert!(!failing.has_exited(), "the failing process still runs");
    assert!(fixed.exit_status().await.success());
    assert_eq!(failing.exit_status().await.code(), Some(1));
    assert_eq!(
        log(&client, "public").await,
        [
            "r1:upgrade:ok",
            "r2:upgrade:failed",
            "r2:upgrade:ok",
            "r3:upgrade:ok"
        ]
    );
}

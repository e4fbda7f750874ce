//! The test harness itself: throwaway servers, per-test databases, cleanup that survives
//! `SIGKILL`, restarts.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pelican::testing::{TestServer, TestingError};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Set in the child process of the cleanup tests; says how the child should end.
const CHILD_MODE_VAR: &str = "PELICAN_CLUSTER_TEST_CHILD";

#[tokio::test]
async fn a_throwaway_server_starts_from_nothing() -> TestResult {
    let server = TestServer::start_throwaway()?;
    assert!(server.is_throwaway());
    let data_dir = server
        .data_dir()
        .expect("a throwaway server has a data dir")
        .to_path_buf();
    assert!(data_dir.join("PG_VERSION").is_file());
    assert!(server.log_path().expect("and a log").is_file());
    assert!(server.program("pg_ctl")?.is_file());
    // PostgreSQL never runs as root: as root, the files belong to an unprivileged account.
    assert_ne!(
        std::os::unix::fs::MetadataExt::uid(&data_dir.metadata()?),
        0
    );

    let client = server.connect().await?;
    let setting = |name: &'static str| {
        let client = &client;
        async move {
            let row = client.query_one(&format!("SHOW {name}"), &[]).await?;
            Ok::<String, tokio_postgres::Error>(row.get(0))
        }
    };
    assert_eq!(
        setting("listen_addresses").await?,
        "",
        "TCP must stay closed"
    );
    assert_eq!(setting("fsync").await?, "off");
    assert_eq!(setting("synchronous_commit").await?, "off");
    assert_eq!(setting("full_page_writes").await?, "off");
    assert_eq!(setting("max_connections").await?, "300");
    assert_eq!(setting("server_encoding").await?, "UTF8");
    let user: String = client
        .query_one("SELECT current_user::text", &[])
        .await?
        .get(0);
    assert_eq!(user, "postgres");
    drop(client);

    drop(server);
    assert!(
        !data_dir.exists(),
        "dropping the server deletes {}",
        data_dir.display()
    );
    Ok(())
}

#[tokio::test]
async fn two_databases_are_isolated() -> TestResult {
    let server = TestServer::shared()?;
    let first = server.create_database().await?;
    let second = server.create_database().await?;
    assert_ne!(first.name(), second.name());

    let one = first.connect().await?;
    one.batch_execute(
        "CREATE TABLE isolation_probe (id int); INSERT INTO isolation_probe VALUES (1)",
    )
    .await?;
    let current: String = one
        .query_one("SELECT current_database()::text", &[])
        .await?
        .get(0);
    assert_eq!(current, first.name());

    let two = second.connect().await?;
    let current: String = two
        .query_one("SELECT current_database()::text", &[])
        .await?
        .get(0);
    assert_eq!(current, second.name());
    let error = two
        .query("SELECT * FROM isolation_probe", &[])
        .await
        .expect_err("the table exists only in the first database");
    assert_eq!(
        error.as_db_error().map(|e| e.message()),
        Some("relation \"isolation_probe\" does not exist")
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_tests_share_one_server() -> TestResult {
    // Many threads asking at once get the one server.
    let servers: Vec<usize> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| scope.spawn(|| TestServer::shared().map(|s| s as *const TestServer as usize)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no panic"))
            .collect::<Result<_, TestingError>>()
    })?;
    assert!(
        servers.windows(2).all(|pair| pair[0] == pair[1]),
        "{servers:?}"
    );

    // And use it at the same time, each in a database of its own.
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..12 {
        tasks.spawn(async move {
            let database = TestServer::shared()?.create_database().await?;
            let client = database.connect().await?;
            client
                .batch_execute(&format!(
                    "CREATE TABLE t (n int); INSERT INTO t VALUES ({i})"
                ))
                .await?;
            let n: i32 = client.query_one("SELECT n FROM t", &[]).await?.get(0);
            assert_eq!(n, i);
            Ok::<String, Box<dyn std::error::Error + Send + Sync>>(database.name().to_owned())
        });
    }
    let mut names = Vec::new();
    while let Some(outcome) = tasks.join_next().await {
        names.push(outcome?.map_err(|e| e.to_string())?);
    }
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 12);
    Ok(())
}

async fn database_exists(
    server: &TestServer,
    name: &str,
) -> Result<bool, Box<dyn std::error::Error>> {
    let client = server.connect().await?;
    let row = client
        .query_one(
            "SELECT count(*) FROM pg_database WHERE datname = $1",
            &[&name],
        )
        .await?;
    Ok(row.get::<_, i64>(0) == 1)
}

#[tokio::test]
async fn a_dropped_database_is_gone_even_with_open_connections() -> TestResult {
    let server = TestServer::shared()?;
    let database = server.create_database().await?;
    let name = database.name().to_owned();
    assert!(database_exists(server, &name).await?);

    let still_open = database.connect().await?;
    drop(database);
    assert!(
        !database_exists(server, &name).await?,
        "{name} should have been dropped"
    );
    assert!(
        still_open.simple_query("SELECT 1").await.is_err(),
        "its sessions were ended"
    );
    Ok(())
}

#[tokio::test]
async fn psql_connects_with_the_connection_string() -> TestResult {
    let server = TestServer::shared()?;
    let database = server.create_database().await?;
    let output = Command::new(server.program("psql")?)
        .arg(database.connection_string())
        .args(["-X", "-tAc", "SELECT current_database()"])
        .output()?;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8(output.stdout)?.trim(), database.name());
    Ok(())
}

#[tokio::test]
async fn restart_ends_sessions_and_keeps_data() -> TestResult {
    let server = TestServer::start_throwaway()?;
    let database = server.create_database().await?;
    let before = database.connect().await?;
    before
        .batch_execute("CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)")
        .await?;

    server.restart().await?;

    assert!(
        before.simple_query("SELECT 1").await.is_err(),
        "old sessions end"
    );
    let after = database.connect().await?;
    let n: i32 = after.query_one("SELECT n FROM kept", &[]).await?.get(0);
    assert_eq!(n, 42);
    Ok(())
}

#[tokio::test]
async fn restart_is_refused_for_the_shared_and_for_foreign_servers() -> TestResult {
    let shared = TestServer::shared()?;
    let error = shared.restart().await.unwrap_err();
    if shared.is_throwaway() {
        assert_eq!(
            error.to_string(),
            "refusing to restart the shared test server: every other test using it would lose \
             its connections; start a private one with TestServer::start_throwaway()"
        );
    } else {
        assert!(
            matches!(error, TestingError::NotThrowaway { .. }),
            "{error}"
        );
    }

    let foreign = TestServer::from_url("postgresql://alice:hunter2@127.0.0.1:1/app")?;
    let error = foreign.restart().await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "cannot restart the server at postgresql://alice:***@127.0.0.1:1/app: it comes from \
         DATABASE_URL (or from_url), not from the test harness; use \
         TestServer::start_throwaway() in tests that restart the server"
    );
    Ok(())
}

#[tokio::test]
async fn an_unreachable_server_is_named_without_its_password() -> TestResult {
    // Nothing listens on port 1.
    let server = TestServer::from_url("postgresql://alice:hunter2@127.0.0.1:1/app")?;
    let error = server.create_database().await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "could not connect to postgresql://alice:***@127.0.0.1:1/app: error connecting to \
         server: Connection refused (os error 111)"
    );
    assert!(!format!("{error:?} {server:?}").contains("hunter2"));
    Ok(())
}

// --- Cleanup when the test process ends -------------------------------------------------

/// What a child process reports once its server runs.
struct ChildServer {
    child: std::process::Child,
    dir: PathBuf,
    postmaster: u32,
}

/// Runs this test binary again, as a child that starts a throwaway server and then ends
/// the way `mode` says.
fn spawn_child_with_server(mode: &str) -> Result<ChildServer, Box<dyn std::error::Error>> {
    let mut child = Command::new(std::env::current_exe()?)
        .args([
            "--exact",
            "child_process_holding_a_server",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD_MODE_VAR, mode)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let mut lines = BufReader::new(child.stdout.take().ok_or("no stdout")?).lines();
    while let Some(line) = lines.next() {
        let line = line?;
        if let Some(report) = line.strip_prefix("SERVER ") {
            let (dir, pid) = report.rsplit_once(' ').ok_or("bad report")?;
            // Keep reading, or the child's test harness fails writing its summary.
            std::thread::spawn(move || lines.for_each(drop));
            return Ok(ChildServer {
                child,
                dir: PathBuf::from(dir),
                postmaster: pid.parse()?,
            });
        }
    }
    let status = child.wait()?;
    Err(format!("the child ended ({status}) without starting a server").into())
}

/// Alive, and not a zombie waiting for a parent that never reaps it.
fn process_is_running(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(") ")
            .map(|(_, rest)| !rest.starts_with('Z') && !rest.starts_with('X'))
            .unwrap_or(true),
        Err(_) => false,
    }
}

fn wait_until_cleaned_up(dir: &Path, postmaster: u32) -> TestResult {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if !dir.exists() && !process_is_running(postmaster) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err(format!(
        "after 10s: directory {} exists: {}, postmaster {postmaster} running: {}",
        dir.display(),
        dir.exists(),
        process_is_running(postmaster)
    )
    .into())
}

#[cfg(target_os = "linux")]
#[test]
fn a_sigkilled_test_process_leaves_nothing_behind() -> TestResult {
    let ChildServer {
        mut child,
        dir,
        postmaster,
    } = spawn_child_with_server("sigkill")?;
    assert!(
        dir.is_dir(),
        "{} should exist while the child runs",
        dir.display()
    );
    assert!(process_is_running(postmaster));

    child.kill()?; // SIGKILL: no destructor, no exit handler runs.
    child.wait()?;
    wait_until_cleaned_up(&dir, postmaster)
}

#[cfg(target_os = "linux")]
#[test]
fn a_server_never_dropped_is_cleaned_up_at_exit() -> TestResult {
    let ChildServer {
        mut child,
        dir,
        postmaster,
    } = spawn_child_with_server("exit")?;
    let status = child.wait()?;
    assert!(status.success(), "child: {status}");
    wait_until_cleaned_up(&dir, postmaster)
}

/// Not a test: the child process of the tests above (run with `--ignored` and
/// `PELICAN_CLUSTER_TEST_CHILD` set). It starts a server, reports its directory and
/// postmaster pid, then either keeps running until killed (`sigkill`) or leaks the server,
/// as a `static` would, and exits (`exit`); or it reports why a server can't start
/// (`error`).
#[test]
#[ignore = "the child process of the cleanup tests"]
fn child_process_holding_a_server() {
    let Ok(mode) = std::env::var(CHILD_MODE_VAR) else {
        return;
    };
    if mode == "error" {
        let error = TestServer::start_throwaway().expect_err("the parent set up a failure");
        println!("ERROR BEGIN\n{error}\nERROR END");
        return;
    }
    let server = TestServer::start_throwaway().expect("the child starts a server");
    let data_dir = server
        .data_dir()
        .expect("a throwaway server has a data dir");
    let pid_file =
        std::fs::read_to_string(data_dir.join("postmaster.pid")).expect("postmaster.pid");
    let postmaster = pid_file.lines().next().expect("a pid line");
    println!(
        "SERVER {} {postmaster}",
        data_dir.parent().expect("a parent").display()
    );
    match mode.as_str() {
        "sigkill" => loop {
            std::thread::sleep(Duration::from_secs(60));
        },
        _ => std::mem::forget(server),
    }
}

/// The pristine data directories kept for the next server, owned like `data_dir`.
fn templates_beside(data_dir: &Path) -> Result<Vec<PathBuf>, Box<dyn std::error::Error>> {
    use std::os::unix::fs::MetadataExt;
    let owner = data_dir.metadata()?.uid();
    let base = data_dir
        .parent()
        .and_then(Path::parent)
        .ok_or("no base directory")?;
    let mut templates = Vec::new();
    for entry in std::fs::read_dir(base)? {
        let entry = entry?;
        let is_template = entry
            .file_name()
            .to_string_lossy()
            .starts_with("pelican-initdb-");
        if is_template && entry.metadata()?.uid() == owner {
            templates.push(entry.path());
        }
    }
    Ok(templates)
}

#[tokio::test]
async fn a_damaged_template_is_rebuilt() -> TestResult {
    let first = TestServer::start_throwaway()?;
    let data_dir = first.data_dir().ok_or("no data dir")?.to_path_buf();
    let templates = templates_beside(&data_dir)?;
    assert!(!templates.is_empty(), "the first server leaves a template");
    // What a /tmp cleaner might do: a template that looks fine but can't start a server.
    for template in &templates {
        let _ = std::fs::remove_file(template.join("global/pg_control"));
    }

    let second = TestServer::start_throwaway()?;
    let client = second.create_database().await?.connect().await;
    assert!(client.is_ok(), "the second server starts anyway");
    let rebuilt = templates_beside(second.data_dir().ok_or("no data dir")?)?;
    assert!(
        rebuilt
            .iter()
            .any(|t| t.join("global/pg_control").is_file()),
        "a complete template is back: {rebuilt:?}"
    );
    Ok(())
}

// --- Errors that need a changed environment (so, a child process) -------------------------

/// Runs the child in `error` mode with `PELICAN_PG_BINDIR` set to `bin_dir`; returns the
/// message of its start error.
fn start_error_with_bin_dir(bin_dir: &Path) -> Result<String, Box<dyn std::error::Error>> {
    let output = Command::new(std::env::current_exe()?)
        .args([
            "--exact",
            "child_process_holding_a_server",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD_MODE_VAR, "error")
        .env("PELICAN_PG_BINDIR", bin_dir)
        .env_remove("DATABASE_URL")
        .output()?;
    let stdout = String::from_utf8(output.stdout)?;
    let message = stdout
        .split_once("ERROR BEGIN\n")
        .and_then(|(_, rest)| rest.split_once("\nERROR END"))
        .map(|(message, _)| message.to_owned());
    message.ok_or_else(|| format!("no error reported; the child said:\n{stdout}").into())
}

#[test]
fn a_bin_dir_without_postgresql_is_named() -> TestResult {
    let message = start_error_with_bin_dir(Path::new("/nonexistent/pg/bin"))?;
    assert_eq!(
        message,
        "PELICAN_PG_BINDIR=/nonexistent/pg/bin has no `initdb`: point it at the bin directory \
         of a PostgreSQL server installation (the one holding initdb, postgres and pg_ctl)"
    );
    Ok(())
}

#[test]
fn a_failing_initdb_shows_its_output_and_leaves_nothing() -> TestResult {
    use std::os::unix::fs::PermissionsExt;
    let bin_dir = std::env::temp_dir().join(format!("pelican-fake-bin-{}", std::process::id()));
    std::fs::create_dir_all(&bin_dir)?;
    let scripts = [
        (
            "initdb",
            "echo 'initdb: error: simulated failure' >&2; exit 3",
        ),
        ("postgres", "exit 1"),
        ("pg_ctl", "exit 1"),
    ];
    for (name, body) in scripts {
        let path = bin_dir.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n"))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
    }
    let message = start_error_with_bin_dir(&bin_dir);
    std::fs::remove_dir_all(&bin_dir)?;
    let message = message?;

    let prefix = format!(
        "{}/initdb failed (exit status: 3) creating ",
        bin_dir.display()
    );
    let suffix = "/data; its output ends with:\ninitdb: error: simulated failure";
    assert!(
        message.starts_with(&prefix) && message.ends_with(suffix),
        "{message}"
    );
    let server_dir = &message[prefix.len()..message.len() - suffix.len()];
    assert!(
        !Path::new(server_dir).exists(),
        "{server_dir} was left behind"
    );
    Ok(())
}

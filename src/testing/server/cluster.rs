//! A throwaway PostgreSQL cluster: `initdb` in a private temporary directory, a server that
//! listens only on a unix socket in that directory, and a watchdog that removes it all when
//! the test process ends.

use std::ffi::OsStr;
use std::fs::{self, OpenOptions};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::testing::server::account::{run_as, Account};
use crate::testing::server::template::Template;
use crate::testing::server::watchdog::Watchdog;
use crate::testing::TestingError;

mod private_dir;
mod standby;

pub(super) use private_dir::create_private_dir;

/// The port number names the socket file (`.s.PGSQL.5432`); nothing listens on TCP.
pub(crate) const PORT: u16 = 5432;

/// The superuser `initdb` creates.
pub(crate) const SUPERUSER: &str = "postgres";

/// How long a start may take before the harness gives up (slow CI machines included).
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// How long `pg_ctl stop` may take during a restart.
const STOP_TIMEOUT: Duration = Duration::from_secs(60);

/// How often a starting or stopping server is looked at.
const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// Lines of a log shown in an error.
const LOG_TAIL_LINES: usize = 20;

/// `initdb` options besides the data directory: a `postgres` superuser that needs no
/// password, UTF-8, the C locale (English messages, byte-order sorting, same everywhere),
/// and no waiting for the disk since nothing survives the test run.
const INITDB_ARGS: &[&str] = &[
    "-U",
    SUPERUSER,
    "--auth=trust",
    "-E",
    "UTF8",
    "--no-locale",
    "--no-sync",
    "--no-instructions",
];

/// Server settings: only a unix socket, no durability (the data is thrown away), nothing in
/// the background that tests don't need.
const SETTINGS: &[(&str, &str)] = &[
    ("listen_addresses", ""),
    ("fsync", "off"),
    ("synchronous_commit", "off"),
    ("full_page_writes", "off"),
    ("wal_level", "minimal"),
    ("max_wal_senders", "0"),
    ("max_connections", "300"),
    ("autovacuum", "off"),
    ("jit", "off"),
    ("huge_pages", "off"),
];

/// Environment variables that would make `initdb` or `postgres` use something other than
/// what the command line says.
const IGNORED_ENV: &[&str] = &["PGDATA", "PGPORT", "PGHOST", "PGUSER", "PGOPTIONS"];

/// What a cluster is to others.
pub(crate) enum Kind<'a> {
    /// On its own (`wal_level = minimal`, no WAL senders): the usual throwaway server.
    Standalone,
    /// A primary standbys can stream from.
    Primary,
    /// A hot standby streaming from this primary (its data copied with `pg_basebackup -R`).
    StandbyOf(&'a Cluster),
}

/// A running throwaway cluster. Dropping it stops the server and deletes its directory.
pub(crate) struct Cluster {
    dir: PathBuf,
    data_dir: PathBuf,
    log_path: PathBuf,
    bin_dir: PathBuf,
    account: Option<Account>,
    /// The major version, from the data directory's `PG_VERSION` (0 if unreadable).
    major_version: u32,
    /// Whether it runs with the settings of streaming replication (a primary or a standby).
    streaming: bool,
    /// The port of `127.0.0.1` (and of the socket) when it listens on TCP too.
    tcp_port: Option<u16>,
    /// The postmaster, our child; `None` only while a restart is under way or after a
    /// failed one.
    server: tokio::sync::Mutex<Option<Child>>,
    watchdog: Watchdog,
}

enum Readiness {
    Ready,
    Starting,
    Exited(ExitStatus),
}

impl Cluster {
    /// Creates and starts a cluster with the programs in `bin_dir`, listening on `127.0.0.1`
    /// too at `tcp_port` if given. Blocks until the server accepts connections.
    pub(crate) fn start(bin_dir: PathBuf, tcp_port: Option<u16>) -> Result<Cluster, TestingError> {
        Cluster::start_as(bin_dir, Kind::Standalone, tcp_port)
    }

    /// Creates and starts a cluster of this kind. Blocks until the server accepts
    /// connections (read-only ones, for a standby).
    pub(crate) fn start_as(
        bin_dir: PathBuf,
        kind: Kind<'_>,
        tcp_port: Option<u16>,
    ) -> Result<Cluster, TestingError> {
        let (dir, account) = create_private_dir()?;
        let data_dir = dir.join("data");
        let log_path = dir.join("server.log");
        // From here on the watchdog owns the cleanup: any early return drops it, and
        // dropping it stops whatever was started and deletes `dir`.
        let watchdog =
            match Watchdog::spawn(&dir, &data_dir, &bin_dir.join("pg_ctl"), account.as_ref()) {
                Ok(watchdog) => watchdog,
                Err(error) => {
                    let _ = fs::remove_dir_all(&dir);
                    return Err(error);
                }
            };
        let owner = fs::metadata(&dir)
            .map_err(|error| {
                TestingError::filesystem("inspect the test server directory", &dir, error)
            })?
            .uid();
        let template = Template::new(dir.parent().unwrap_or(&dir), &bin_dir, owner, INITDB_ARGS);
        let mut cluster = Cluster {
            dir,
            data_dir,
            log_path,
            bin_dir,
            account,
            major_version: 0,
            streaming: !matches!(kind, Kind::Standalone),
            tcp_port,
            server: tokio::sync::Mutex::new(None),
            watchdog,
        };
        if let Kind::StandbyOf(primary) = kind {
            cluster.base_backup(primary)?;
            cluster.launch()?;
            cluster.major_version = primary.major_version;
            return Ok(cluster);
        }
        let from_template = cluster.create_data_dir(&template)?;
        match cluster.launch() {
            Err(TestingError::ServerExited { .. }) if from_template => {
                // A damaged template must not fail the run: start over with `initdb`,
                // which also makes a new template.
                template.discard();
                fs::remove_dir_all(&cluster.data_dir).map_err(|error| {
                    TestingError::filesystem("remove the data directory", &cluster.data_dir, error)
                })?;
                cluster.create_data_dir(&template)?;
                cluster.launch()?;
            }
            outcome => outcome?,
        }
        cluster.major_version = fs::read_to_string(cluster.data_dir.join("PG_VERSION"))
            .ok()
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(0);
        Ok(cluster)
    }

    /// Fills the data directory: a copy of the template when there is a usable one (returns
    /// `true`), else `initdb`, whose result becomes the template for the next server.
    fn create_data_dir(&self, template: &Template) -> Result<bool, TestingError> {
        if template.is_usable() {
            if self.copy_dir(template.path(), &self.data_dir) {
                return Ok(true);
            }
            let _ = fs::remove_dir_all(&self.data_dir);
        }
        self.initdb()?;
        let staged = self.dir.join("template");
        if self.copy_dir(&self.data_dir, &staged) {
            template.publish(&staged);
        }
        Ok(false)
    }

    /// `cp -R -p`, run as the server's account so the copy belongs to it.
    fn copy_dir(&self, from: &Path, to: &Path) -> bool {
        self.command("cp")
            .arg("-R")
            .arg("-p")
            .arg(from)
            .arg(to)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }

    /// Starts the postmaster and waits until it accepts connections.
    fn launch(&mut self) -> Result<(), TestingError> {
        let mut server = self.spawn_server()?;
        let outcome = self.wait_until_ready(&mut server);
        *self.server.get_mut() = Some(server);
        outcome
    }

    /// The directory holding everything: data directory, log, socket.
    pub(crate) fn socket_dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub(crate) fn log_path(&self) -> &Path {
        &self.log_path
    }

    pub(crate) fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    pub(crate) fn major_version(&self) -> u32 {
        self.major_version
    }

    /// Whether standbys can stream from it.
    pub(crate) fn is_primary(&self) -> bool {
        self.streaming && !self.data_dir.join("standby.signal").exists()
    }

    /// The port of the socket, and of `127.0.0.1` when the server listens on TCP.
    pub(crate) fn port(&self) -> u16 {
        self.tcp_port.unwrap_or(PORT)
    }

    pub(crate) fn tcp_port(&self) -> Option<u16> {
        self.tcp_port
    }

    /// Stops the server (`pg_ctl stop -m fast`: sessions are ended, as in a real restart)
    /// and starts it again on the same data and socket.
    pub(crate) async fn restart(&self) -> Result<(), TestingError> {
        let mut server = self.server.lock().await;
        self.stop(&mut server).await?;
        let mut child = self.spawn_server()?;
        let outcome = self.wait_until_ready_async(&mut child).await;
        *server = Some(child);
        outcome
    }

    /// A PostgreSQL program, run as the server's account.
    fn pg_command(&self, program: &str) -> Command {
        self.command(self.bin_dir.join(program))
    }

    /// A program run as the server's account, in the cluster's directory, with an
    /// environment that can't redirect it.
    fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut command = Command::new(program);
        command
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .env("LC_ALL", "C")
            .env("TZ", "UTC");
        for variable in IGNORED_ENV {
            command.env_remove(variable);
        }
        run_as(&mut command, self.account.as_ref());
        command
    }

    fn initdb(&self) -> Result<(), TestingError> {
        let mut command = self.pg_command("initdb");
        command.arg("-D").arg(&self.data_dir).args(INITDB_ARGS);
        let program = self.bin_dir.join("initdb");
        match run_to_end(&mut command, &program)? {
            None => Ok(()),
            Some((status, output)) => Err(TestingError::Initdb {
                program,
                data_dir: self.data_dir.clone(),
                status,
                output,
            }),
        }
    }

    fn spawn_server(&self) -> Result<Child, TestingError> {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .map_err(|error| {
                TestingError::filesystem("open the server log", &self.log_path, error)
            })?;
        if let Some(account) = &self.account {
            std::os::unix::fs::chown(&self.log_path, Some(account.uid), Some(account.gid))
                .map_err(|error| {
                    TestingError::filesystem(
                        "give the server's account (chown) the server log",
                        &self.log_path,
                        error,
                    )
                })?;
        }
        let stderr = log.try_clone().map_err(|error| {
            TestingError::filesystem("open the server log", &self.log_path, error)
        })?;
        let mut command = self.pg_command("postgres");
        command
            .arg("-D")
            .arg(&self.data_dir)
            .arg("-p")
            .arg(self.port().to_string())
            .arg("-c")
            .arg(format!("unix_socket_directories={}", self.dir.display()));
        let streaming = if self.streaming {
            standby::STREAMING
        } else {
            &[]
        };
        for (name, value) in SETTINGS.iter().chain(streaming) {
            command.arg("-c").arg(format!("{name}={value}"));
        }
        if self.tcp_port.is_some() {
            command.arg("-c").arg("listen_addresses=127.0.0.1");
        }
        // Its own process group: a Ctrl-C on the terminal is for the tests; the watchdog
        // stops the server after them.
        command.stdout(log).stderr(stderr).process_group(0);
        command
            .spawn()
            .map_err(|error| TestingError::spawn(self.bin_dir.join("postgres"), error))
    }

    /// Ready once `postmaster.pid` names our child and says `ready` (its 8th line), which
    /// the postmaster writes when it accepts connections, or `standby` (a hot standby
    /// accepting read-only ones).
    fn readiness(&self, server: &mut Child) -> Readiness {
        if let Ok(Some(status)) = server.try_wait() {
            return Readiness::Exited(status);
        }
        let Ok(pid_file) = fs::read_to_string(self.data_dir.join("postmaster.pid")) else {
            return Readiness::Starting;
        };
        let lines: Vec<&str> = pid_file.lines().map(str::trim).collect();
        let ours = lines.first() == Some(&server.id().to_string().as_str());
        if ours && matches!(lines.get(7), Some(&"ready" | &"standby")) {
            Readiness::Ready
        } else {
            Readiness::Starting
        }
    }

    fn wait_until_ready(&self, server: &mut Child) -> Result<(), TestingError> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            match self.readiness(server) {
                Readiness::Ready => return Ok(()),
                Readiness::Exited(status) => return Err(self.exited_error(status)),
                Readiness::Starting if Instant::now() >= deadline => {
                    return Err(self.timeout_error())
                }
                Readiness::Starting => std::thread::sleep(POLL_INTERVAL),
            }
        }
    }

    async fn wait_until_ready_async(&self, server: &mut Child) -> Result<(), TestingError> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            match self.readiness(server) {
                Readiness::Ready => return Ok(()),
                Readiness::Exited(status) => return Err(self.exited_error(status)),
                Readiness::Starting if Instant::now() >= deadline => {
                    return Err(self.timeout_error())
                }
                Readiness::Starting => tokio::time::sleep(POLL_INTERVAL).await,
            }
        }
    }

    /// Stops the server with `pg_ctl stop -m fast` and reaps the postmaster.
    async fn stop(&self, server: &mut Option<Child>) -> Result<(), TestingError> {
        let program = self.bin_dir.join("pg_ctl");
        let mut pg_ctl = self
            .pg_command("pg_ctl")
            .arg("stop")
            .arg("-D")
            .arg(&self.data_dir)
            .args(["-m", "fast", "-w", "-t"])
            .arg(STOP_TIMEOUT.as_secs().to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| TestingError::spawn(&program, error))?;
        // Polled rather than waited on, so the runtime keeps serving the test's other tasks.
        let status = loop {
            match pg_ctl.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) => tokio::time::sleep(POLL_INTERVAL).await,
                Err(error) => return Err(TestingError::spawn(&program, error)),
            }
        };
        if !status.success() {
            // The output is a few lines, well within the pipe buffer.
            let mut output = String::new();
            for stream in [
                pg_ctl.stdout.take().map(read_all),
                pg_ctl.stderr.take().map(read_all),
            ] {
                output.push_str(&stream.unwrap_or_default());
            }
            return Err(TestingError::Stop {
                program,
                data_dir: self.data_dir.clone(),
                status,
                output: output.trim().to_owned(),
            });
        }
        if let Some(mut postmaster) = server.take() {
            // `pg_ctl -w` returned once the postmaster removed its pid file; it exits
            // right after.
            while let Ok(None) = postmaster.try_wait() {
                tokio::time::sleep(POLL_INTERVAL).await;
            }
        }
        Ok(())
    }

    fn exited_error(&self, status: ExitStatus) -> TestingError {
        TestingError::ServerExited {
            status,
            log: self.log_path.clone(),
            log_tail: self.log_tail(),
        }
    }

    fn timeout_error(&self) -> TestingError {
        TestingError::StartTimeout {
            waited: START_TIMEOUT,
            log: self.log_path.clone(),
            log_tail: self.log_tail(),
        }
    }

    fn log_tail(&self) -> String {
        match fs::read(&self.log_path) {
            Ok(bytes) => last_lines(&String::from_utf8_lossy(&bytes), LOG_TAIL_LINES),
            Err(error) => format!("(could not read the log: {error})"),
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // The watchdog stops the server and deletes the directory; waiting for it makes the
        // cleanup synchronous.
        self.watchdog.finish();
        if let Some(mut postmaster) = self.server.get_mut().take() {
            if let Ok(None) = postmaster.try_wait() {
                // The watchdog could not stop it; a last resort.
                let _ = postmaster.kill();
            }
            let _ = postmaster.wait();
        }
    }
}

fn read_all(mut stream: impl io::Read) -> String {
    let mut text = String::new();
    let _ = stream.read_to_string(&mut text);
    text
}

/// Runs `command` (which runs `program`) to its end: `None` when it succeeded, else how it
/// exited and the last lines of what it printed.
fn run_to_end(
    command: &mut Command,
    program: &Path,
) -> Result<Option<(ExitStatus, String)>, TestingError> {
    let output = command
        .output()
        .map_err(|error| TestingError::spawn(program, error))?;
    if output.status.success() {
        return Ok(None);
    }
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    Ok(Some((output.status, last_lines(&text, LOG_TAIL_LINES))))
}

pub(super) fn last_lines(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(count)..].join("\n")
}

#[cfg(test)]
mod tests;

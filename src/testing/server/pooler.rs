//! [`TestPooler`]: a throwaway PgBouncer in transaction pooling mode in front of a
//! [`TestServer`], for tests of what breaks behind a connection pooler.
//!
//! It listens on a unix socket in a private directory (no TCP port, so parallel test
//! processes never collide), lets every user of its `auth_file` in without a password
//! (`auth_type = trust`), and forwards every database name to the server. As root it runs as
//! the server's account (PgBouncer refuses to run as root). Like the server's watchdog, a
//! tiny `sh` process holding the read end of a pipe from the test process kills PgBouncer
//! and deletes the directory as soon as the test process ends, however it ends.

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use tokio_postgres::config::Host;
use tokio_postgres::{Client, Config};

use super::account::run_as;
use super::cluster::{create_private_dir, last_lines};
use super::TestServer;
use crate::conninfo;
use crate::testing::TestingError;

/// The environment variable naming the `pgbouncer` program, when it is not on `PATH` or in
/// `/usr/sbin`.
pub const PGBOUNCER_VAR: &str = "PELICAN_PGBOUNCER";

/// The port PgBouncer's socket is named after (`.s.PGSQL.6432` in its directory).
const PORT: u16 = 6432;

/// How long PgBouncer may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// `$1` = pgbouncer, `$2` = its configuration, `$3` = the directory to delete afterwards.
const SCRIPT: &str = r#"trap '' INT TERM HUP QUIT
"$1" "$2" </dev/null &
pid=$!
while read -r _; do :; done
kill -KILL "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
rm -rf "$3"
"#;

/// A PgBouncer in transaction pooling mode (`pool_mode = transaction`) in front of a test
/// server, stopped and deleted when dropped (and in any case when the test process ends).
///
/// Its pools are small (`default_pool_size`, 4 server connections per database and user by
/// default), so that concurrent clients really do share server sessions.
///
/// ```no_run
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// use pelican::testing::{TestPooler, TestServer};
///
/// let server = TestServer::start_throwaway()?;
/// let database = server.create_database().await?;
/// let pooler = TestPooler::start(&server)?;
/// let client = pooler.connect(database.name()).await?;
/// client.batch_execute("CREATE TABLE t (id int)").await?;
/// # Ok(())
/// # }
/// ```
pub struct TestPooler {
    dir: PathBuf,
    user: String,
    process: Child,
    /// The write end of the wrapper's stdin; closing it stops PgBouncer.
    lifeline: Option<ChildStdin>,
}

impl TestPooler {
    /// Starts PgBouncer in front of `server` with the default pool size (4), and waits until
    /// it accepts connections.
    pub fn start(server: &TestServer) -> Result<TestPooler, TestingError> {
        TestPooler::start_with_pool_size(server, 4)
    }

    /// Starts PgBouncer in front of `server`, with at most `pool_size` server connections
    /// per database and user.
    pub fn start_with_pool_size(
        server: &TestServer,
        pool_size: u32,
    ) -> Result<TestPooler, TestingError> {
        let program = find_pgbouncer()?;
        let (dir, account) = create_private_dir()?;
        let user = server.config.get_user().unwrap_or("postgres").to_owned();
        let config_path = dir.join("pgbouncer.ini");
        let write = |path: &Path, text: String| {
            fs::write(path, text)
                .map_err(|error| TestingError::filesystem("write", path.to_path_buf(), error))
        };
        write(&dir.join("users.txt"), format!("\"{user}\" \"\"\n"))?;
        write(&config_path, configuration(&dir, &server.config, pool_size))?;
        if let Some(account) = &account {
            for file in ["users.txt", "pgbouncer.ini"] {
                let path = dir.join(file);
                std::os::unix::fs::chown(&path, Some(account.uid), Some(account.gid))
                    .map_err(|error| TestingError::filesystem("chown", path.clone(), error))?;
            }
        }
        let shell = Path::new("/bin/sh");
        let mut command = Command::new(shell);
        command
            .arg("-c")
            .arg(SCRIPT)
            .arg("pelican-pgbouncer")
            .arg(&program)
            .arg(&config_path)
            .arg(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .current_dir("/")
            .process_group(0);
        run_as(&mut command, account.as_ref());
        let mut process = command
            .spawn()
            .map_err(|error| TestingError::spawn(shell, error))?;
        let lifeline = process.stdin.take();
        let pooler = TestPooler {
            dir,
            user,
            process,
            lifeline,
        };
        pooler.wait_ready()?;
        Ok(pooler)
    }

    /// The connection string of database `dbname` through PgBouncer.
    pub fn connection_string(&self, dbname: &str) -> String {
        format!(
            "postgresql://{user}@/{db}?host={host}&port={PORT}",
            user = conninfo::percent_encode(&self.user),
            db = conninfo::percent_encode(dbname),
            host = conninfo::percent_encode(&self.dir.to_string_lossy()),
        )
    }

    /// Connects to database `dbname` through PgBouncer.
    pub async fn connect(&self, dbname: &str) -> Result<Client, TestingError> {
        let mut config = Config::new();
        config
            .host_path(&self.dir)
            .port(PORT)
            .user(&self.user)
            .dbname(dbname);
        super::database::connect(&config, &self.connection_string(dbname)).await
    }

    /// PgBouncer's log file.
    pub fn log_path(&self) -> PathBuf {
        self.dir.join("pgbouncer.log")
    }

    /// Waits until PgBouncer's socket exists (it accepts connections from then on).
    fn wait_ready(&self) -> Result<(), TestingError> {
        let socket = self.dir.join(format!(".s.PGSQL.{PORT}"));
        let started = Instant::now();
        while !socket.exists() {
            if started.elapsed() > START_TIMEOUT {
                let log_tail = match fs::read(self.log_path()) {
                    Ok(bytes) => last_lines(&String::from_utf8_lossy(&bytes), 20),
                    Err(error) => format!("(could not read the log: {error})"),
                };
                return Err(TestingError::PoolerStart {
                    log: self.log_path(),
                    log_tail,
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }
}

impl Drop for TestPooler {
    fn drop(&mut self) {
        if self.lifeline.take().is_some() {
            let _ = self.process.wait();
        }
    }
}

/// PgBouncer's configuration: every database forwarded to the server `server` names.
fn configuration(dir: &Path, server: &Config, pool_size: u32) -> String {
    let host = match server.get_hosts().first() {
        Some(Host::Unix(path)) => path.to_string_lossy().into_owned(),
        Some(Host::Tcp(name)) => name.clone(),
        None => "localhost".to_owned(),
    };
    let port = server.get_ports().first().copied().unwrap_or(5432);
    format!(
        "[databases]\n\
         * = host={host} port={port}\n\
         \n\
         [pgbouncer]\n\
         listen_addr =\n\
         listen_port = {PORT}\n\
         unix_socket_dir = {dir}\n\
         auth_type = trust\n\
         auth_file = {dir}/users.txt\n\
         pool_mode = transaction\n\
         default_pool_size = {pool_size}\n\
         max_client_conn = 500\n\
         server_reset_query =\n\
         ignore_startup_parameters = extra_float_digits, options\n\
         logfile = {dir}/pgbouncer.log\n\
         pidfile = {dir}/pgbouncer.pid\n",
        dir = dir.display(),
    )
}

/// `pgbouncer`: [`PGBOUNCER_VAR`], else `PATH`, `/usr/sbin`, `/usr/local/sbin`.
fn find_pgbouncer() -> Result<PathBuf, TestingError> {
    if let Some(path) = std::env::var_os(PGBOUNCER_VAR).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    let mut searched: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect())
        .unwrap_or_default();
    searched.extend(["/usr/sbin", "/usr/local/sbin"].map(PathBuf::from));
    searched
        .iter()
        .map(|dir| dir.join("pgbouncer"))
        .find(|path| path.is_file())
        .ok_or(TestingError::PoolerNotFound { searched })
}

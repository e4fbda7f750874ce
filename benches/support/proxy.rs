//! A unix-socket proxy in front of the server that counts round trips by reading the
//! client's side of the PostgreSQL protocol.
//!
//! Two independent counts, which must agree:
//!
//! * **requests**: frontend messages the server answers and the client then waits for: the
//!   startup packet, each simple `Query` (`Q`), each `Sync` (`S`, which ends an extended-protocol
//!   exchange: `prepare` is one, `query` another) and each `FunctionCall` (`F`);
//! * **turns**: how many times the client spoke after the server had spoken (or first): a
//!   round trip as the wire sees it, whatever the messages. `Terminate` is not a turn (no one
//!   waits for an answer).
//!
//! Every `Query`'s text is kept, so a run can be replayed by another client (`psql`).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::Shutdown;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use tokio_postgres::config::Host;
use tokio_postgres::Config;

/// What one client connection sent.
#[derive(Debug, Clone, Default)]
pub struct ConnectionLog {
    /// Startup-phase packets other than SSL/GSS negotiation (1 for a normal connection).
    pub startups: u32,
    /// Typed frontend messages by their type byte.
    pub messages: BTreeMap<char, u32>,
    /// Times the client spoke after the server (see the module documentation).
    pub turns: u32,
    /// The text of every simple `Query`, in order.
    pub queries: Vec<String>,
}

impl ConnectionLog {
    /// Round trips after the connection is established, by message count.
    pub fn requests_after_connect(&self) -> u32 {
        ['Q', 'S', 'F']
            .iter()
            .map(|kind| self.messages.get(kind).copied().unwrap_or(0))
            .sum()
    }

    /// Round trips after the connection is established, by direction changes on the wire
    /// (the startup exchange is the first turn).
    pub fn turns_after_connect(&self) -> u32 {
        self.turns.saturating_sub(1)
    }

    /// `Q=3 S=0 X=1`: the messages by type, for reports.
    pub fn message_summary(&self) -> String {
        self.messages
            .iter()
            .map(|(kind, n)| format!("{kind}={n}"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A running proxy: connect to [`Proxy::host`] (a socket directory) with the server's port.
pub struct Proxy {
    dir: PathBuf,
    socket: PathBuf,
    logs: Arc<Mutex<Vec<Arc<Mutex<ConnectionLog>>>>>,
}

impl Proxy {
    /// Starts a proxy for the server listening on the unix socket `upstream`
    /// (`<dir>/.s.PGSQL.<port>`); it listens on a socket of the same name in a new directory.
    pub fn start(upstream: &Path) -> Proxy {
        let name = upstream.file_name().expect("a socket file name").to_owned();
        let dir = std::env::temp_dir().join(format!("pelican-bench-proxy-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("creating the proxy's socket directory");
        let socket = dir.join(name);
        let listener = UnixListener::bind(&socket).expect("binding the proxy socket");
        let logs: Arc<Mutex<Vec<Arc<Mutex<ConnectionLog>>>>> = Arc::default();
        let upstream = upstream.to_path_buf();
        let accepted = Arc::clone(&logs);
        thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { break };
                let Ok(server) = UnixStream::connect(&upstream) else {
                    eprintln!("proxy: cannot reach the server at {}", upstream.display());
                    continue;
                };
                let log = Arc::new(Mutex::new(ConnectionLog::default()));
                accepted.lock().unwrap().push(Arc::clone(&log));
                relay(client, server, log);
            }
        });
        Proxy { dir, socket, logs }
    }

    /// The directory to give as `host`.
    pub fn host(&self) -> &Path {
        &self.dir
    }

    /// A connection through the proxy to the database `direct` names (its user, database,
    /// password and port; the proxy's directory as the host).
    pub async fn connect(&self, direct: &Config) -> tokio_postgres::Client {
        let mut config = Config::new();
        config
            .host_path(self.host())
            .port(direct.get_ports().first().copied().unwrap_or(5432))
            .user(direct.get_user().expect("a user"))
            .dbname(direct.get_dbname().expect("a database name"));
        if let Some(password) = direct.get_password() {
            config.password(password);
        }
        let (client, connection) = config.connect(tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(connection);
        client
    }

    /// The logs of every connection so far (finished or not), oldest first, and forgets them.
    pub fn take_logs(&self) -> Vec<ConnectionLog> {
        std::mem::take(&mut *self.logs.lock().unwrap())
            .into_iter()
            .map(|log| log.lock().unwrap().clone())
            .collect()
    }
}

impl Drop for Proxy {
    /// Removes the socket, so nothing new connects; the accepting thread stays blocked until
    /// the bench process exits, which is soon.
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.socket);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

const CLIENT: u8 = 1;
const SERVER: u8 = 2;

fn relay(client: UnixStream, server: UnixStream, log: Arc<Mutex<ConnectionLog>>) {
    let last_speaker = Arc::new(AtomicU8::new(0));
    let (client_read, server_write) = (
        client.try_clone().expect("cloning a socket"),
        server.try_clone().expect("cloning a socket"),
    );
    let speaker = Arc::clone(&last_speaker);
    thread::spawn(move || client_to_server(client_read, server_write, &log, &speaker));
    thread::spawn(move || server_to_client(server, client, &last_speaker));
}

fn client_to_server(
    mut from: UnixStream,
    mut to: UnixStream,
    log: &Mutex<ConnectionLog>,
    last_speaker: &AtomicU8,
) {
    let mut parser = FrontendParser::default();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let chunk = &buffer[..n];
        {
            let mut log = log.lock().unwrap();
            let terminate_only = chunk.len() == 5 && chunk[0] == b'X';
            if last_speaker.swap(CLIENT, Ordering::SeqCst) != CLIENT && !terminate_only {
                log.turns += 1;
            }
            parser.feed(chunk, &mut log);
        }
        if to.write_all(chunk).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

fn server_to_client(mut from: UnixStream, mut to: UnixStream, last_speaker: &AtomicU8) {
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        // Before forwarding: the client can only answer what it has received.
        last_speaker.store(SERVER, Ordering::SeqCst);
        if to.write_all(&buffer[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// Splits the client's byte stream into messages.
#[derive(Default)]
struct FrontendParser {
    pending: Vec<u8>,
    started: bool,
}

/// `SSLRequest` and `GSSENCRequest`: answered with one byte, the startup goes on.
const NEGOTIATION_CODES: [u32; 2] = [80_877_103, 80_877_104];

impl FrontendParser {
    fn feed(&mut self, chunk: &[u8], log: &mut ConnectionLog) {
        self.pending.extend_from_slice(chunk);
        let mut at = 0;
        loop {
            let rest = &self.pending[at..];
            if !self.started {
                // Untyped: length (including itself), then a code.
                if rest.len() < 8 {
                    break;
                }
                let len = u32::from_be_bytes(rest[0..4].try_into().unwrap()) as usize;
                if rest.len() < len {
                    break;
                }
                let code = u32::from_be_bytes(rest[4..8].try_into().unwrap());
                if !NEGOTIATION_CODES.contains(&code) {
                    log.startups += 1;
                    self.started = true;
                }
                at += len;
            } else {
                // Typed: a type byte, then a length that counts itself but not the type.
                if rest.len() < 5 {
                    break;
                }
                let len = u32::from_be_bytes(rest[1..5].try_into().unwrap()) as usize;
                if rest.len() < 1 + len {
                    break;
                }
                let kind = rest[0] as char;
                *log.messages.entry(kind).or_default() += 1;
                if kind == 'Q' {
                    let text = &rest[5..1 + len];
                    let text = text.strip_suffix(&[0]).unwrap_or(text);
                    log.queries.push(String::from_utf8_lossy(text).into_owned());
                }
                at += 1 + len;
            }
        }
        self.pending.drain(..at);
    }
}

/// The unix socket of a server reached through a socket directory: what to put a proxy in
/// front of.
pub fn unix_socket(config: &Config) -> Option<PathBuf> {
    let dir = config.get_hosts().iter().find_map(|host| match host {
        Host::Unix(dir) => Some(dir.clone()),
        _ => None,
    })?;
    let port = config.get_ports().first().copied().unwrap_or(5432);
    Some(dir.join(format!(".s.PGSQL.{port}")))
}

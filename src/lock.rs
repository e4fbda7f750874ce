//! The session advisory lock that serializes migrators, and the connection it is held on.
//!
//! The key is derived from the database, the history table's schema and its name, so tenants
//! in different schemas never queue behind each other. The lock is taken with a try-lock and,
//! when that fails, a wait bounded by `lock_timeout` (woken as soon as the holder lets go),
//! and it is released on every path: explicitly after a run, and by closing the connection
//! when a run is abandoned (a panic in a migration, a cancelled future), because a lock held
//! by a pooled connection that goes back to the pool would block every later deploy.

use std::ops::Deref;
use std::time::{Duration, Instant};

use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, SimpleQueryMessage};

use crate::error::Error;
use crate::quote::literal;

/// The first half of every pelican lock key: "peli" in ASCII.
const LOCK_CLASS: i32 = 0x7065_6c69;

/// A connection the migrator runs on: from a pool, or one you lend it.
pub enum Connection<'a> {
    /// Taken from a `deadpool_postgres` pool.
    Pooled(Box<deadpool_postgres::Object>),
    /// A client you own.
    Borrowed(&'a Client),
}

impl Deref for Connection<'_> {
    type Target = Client;

    fn deref(&self) -> &Client {
        match self {
            Connection::Pooled(object) => object,
            Connection::Borrowed(client) => client,
        }
    }
}

/// Where the migrator gets its connection: a `deadpool_postgres::Pool` or a
/// `tokio_postgres::Client`.
#[async_trait::async_trait]
pub trait Database: Send + Sync {
    /// A connection to run on.
    async fn connection(&self) -> Result<Connection<'_>, Error>;
}

#[async_trait::async_trait]
impl Database for deadpool_postgres::Pool {
    async fn connection(&self) -> Result<Connection<'_>, Error> {
        self.get()
            .await
            .map(|object| Connection::Pooled(Box::new(object)))
            .map_err(Error::from)
    }
}

#[async_trait::async_trait]
impl Database for Client {
    async fn connection(&self) -> Result<Connection<'_>, Error> {
        Ok(Connection::Borrowed(self))
    }
}

/// The lock for one history table.
#[derive(Debug, Clone)]
pub(crate) struct LockKey {
    /// The server-side expression of the second half of the key.
    key_sql: String,
    /// What the lock protects, for messages.
    label: String,
}

impl LockKey {
    pub(crate) fn new(schema: &str, table: &str) -> Self {
        LockKey {
            key_sql: format!(
                "hashtext(current_database() || '/' || {} || '/' || {})",
                literal(schema),
                literal(table)
            ),
            label: format!("{schema}.{table}"),
        }
    }

    /// Takes the lock within `wait`, or fails naming the session that holds it.
    pub(crate) async fn acquire<'a>(
        &self,
        connection: Connection<'a>,
        wait: Duration,
    ) -> Result<LockGuard<'a>, Error> {
        let started = Instant::now();
        // One round trip: try the lock, and read the session settings we are about to change
        // so they can be put back (a pooled connection goes on serving the application).
        let probe = format!(
            "SELECT pg_try_advisory_lock({LOCK_CLASS}, {}), current_setting('lock_timeout'), \
             current_setting('client_connection_check_interval', true)",
            self.key_sql
        );
        let values = first_row(
            &connection
                .simple_query(&probe)
                .await
                .map_err(|e| Error::database("taking the migration lock", e))?,
        );
        let acquired = values.first().and_then(Option::as_deref) == Some("t");
        let saved_lock_timeout = values
            .get(1)
            .cloned()
            .flatten()
            .unwrap_or_else(|| "0".to_owned());
        // Absent before PostgreSQL 14, which only costs the safety net below.
        let saved_interval = values.get(2).cloned().flatten();
        let restore = saved_interval
            .as_ref()
            .map(|v| format!("SET client_connection_check_interval = {};\n", literal(v)))
            .unwrap_or_default();
        if saved_interval.is_some() {
            // Make the server notice within a second when this client dies mid-statement, so
            // an orphaned session doesn't keep the lock for the rest of a long migration.
            let _ = connection
                .batch_execute("SET client_connection_check_interval = 1000")
                .await;
        }
        if !acquired {
            let millis = wait.as_millis().max(1);
            let restore_lock_timeout =
                format!("SET lock_timeout = {}", literal(&saved_lock_timeout));
            let wait_sql = format!(
                "SET lock_timeout = {millis}; SELECT pg_advisory_lock({LOCK_CLASS}, {}); {restore_lock_timeout}",
                self.key_sql
            );
            tracing::info!(lock = %self.label, "waiting for another migrator to finish");
            if let Err(err) = connection.batch_execute(&wait_sql).await {
                let _ = connection
                    .batch_execute(&format!("{restore}{restore_lock_timeout}"))
                    .await;
                if err.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) {
                    let holder = self.holder(&connection).await;
                    return Err(Error::LockTimeout {
                        lock: self.label.clone(),
                        waited: started.elapsed(),
                        holder,
                    });
                }
                return Err(Error::database("waiting for the migration lock", err));
            }
        }
        tracing::debug!(lock = %self.label, waited_ms = started.elapsed().as_millis() as u64, "migration lock taken");
        Ok(LockGuard {
            connection: Some(connection),
            unlock_sql: format!(
                "{restore}SELECT pg_advisory_unlock({LOCK_CLASS}, {})",
                self.key_sql
            ),
        })
    }

    /// Describes the session holding the lock, if it can be seen.
    pub(crate) async fn holder(&self, client: &Client) -> Option<String> {
        let sql = format!(
            "SELECT a.pid, coalesce(nullif(a.application_name, ''), '?'), \
             coalesce(a.client_addr::text, 'local'), coalesce(a.state, '?'), \
             coalesce(extract(epoch FROM now() - a.state_change)::bigint, 0) \
             FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 \
             AND l.classid = {LOCK_CLASS}::oid AND l.objid = ({} ::bigint & 4294967295)::oid \
             AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            self.key_sql
        );
        let messages = client.simple_query(&sql).await.ok()?;
        messages.into_iter().find_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(format!(
                "backend pid {} (application '{}', client {}, {} for {}s)",
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?
            )),
            _ => None,
        })
    }
}

/// The held lock. Release it with [`LockGuard::release`]; if it is dropped instead (a panic,
/// a cancelled run), a pooled connection is closed rather than returned to its pool, which
/// makes the server release the lock.
pub(crate) struct LockGuard<'a> {
    connection: Option<Connection<'a>>,
    unlock_sql: String,
}

impl LockGuard<'_> {
    /// The connection the lock is held on.
    pub(crate) fn client(&self) -> &Client {
        self.connection
            .as_deref()
            .expect("the connection is held until release")
    }

    /// Releases the lock. When that fails (the connection broke), the server has released
    /// it already or will when the session ends.
    pub(crate) async fn release(mut self) -> Result<(), Error> {
        let connection = self.connection.take().expect("released once");
        let result = connection.batch_execute(&self.unlock_sql).await;
        if result.is_err() {
            discard(connection);
        }
        result.map_err(|e| Error::database("releasing the migration lock", e))
    }
}

impl Drop for LockGuard<'_> {
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            tracing::warn!(
                "migration run abandoned while holding the lock; closing its connection"
            );
            discard(connection);
        }
    }
}

/// Closes a pooled connection instead of returning it (with its session state) to the pool.
fn discard(connection: Connection<'_>) {
    if let Connection::Pooled(object) = connection {
        drop(deadpool_postgres::Object::take(*object));
    }
}

/// The first row's values (`None` for SQL NULL); empty when there is no row.
fn first_row(messages: &[SimpleQueryMessage]) -> Vec<Option<String>> {
    messages
        .iter()
        .find_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(
                (0..row.len())
                    .map(|i| row.get(i).map(str::to_owned))
                    .collect(),
            ),
            _ => None,
        })
        .unwrap_or_default()
}

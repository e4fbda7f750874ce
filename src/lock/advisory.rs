//! The session advisory lock that serializes migrators (the strategy for direct
//! connections), and the connection it is held on.
//!
//! The key is derived from the database, the history table's schema and its name, so tenants
//! in different schemas never queue behind each other. The lock is taken with a try-lock and,
//! when that fails, a wait bounded by `lock_timeout` (woken as soon as the holder lets go),
//! and it is released on every path: explicitly after a run, and by closing the connection
//! when a run is abandoned (a panic in a migration, a cancelled future), because a lock held
//! by a pooled connection that goes back to the pool would block every later deploy.
//!
//! While it holds the lock, the session is marked as pelican's (the `pelican.migrating`
//! setting), so that the DDL guard (`crate::guard`) leaves its migrations out of its log.

use std::time::{Duration, Instant};

use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, SimpleQueryMessage};

use super::Connection;
use crate::error::Error;
use crate::quote::literal;
use crate::sql::guard::{MARK_SETTING, MARK_VALUE};

/// The first half of every pelican lock key: "peli" in ASCII.
const LOCK_CLASS: i32 = 0x7065_6c69;

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
    ///
    /// The guard exists before the first await: a run cancelled while it waits, or right
    /// after the server granted the lock, drops it, which closes a pooled connection instead
    /// of returning it to its pool with the lock (or a pending lock request) on it.
    ///
    /// With `expected_pid`, the backend process id the server announced at connect time
    /// (see `super::pooler`), the lock is tried only when the query runs on that backend:
    /// otherwise a pooler is in front, nothing is locked, and the connection comes back as
    /// [`Advisory::BehindPooler`].
    pub(crate) async fn acquire<'a>(
        &self,
        connection: Connection<'a>,
        wait: Duration,
        expected_pid: Option<i32>,
    ) -> Result<Advisory<'a>, Error> {
        // The wait is a `lock_timeout`: checked before the connection is touched.
        let wait_millis = crate::revision::check_setting_millis("lock_wait", wait)?;
        let started = Instant::now();
        let mut guard = AdvisoryGuard {
            connection: Some(connection),
            unlock_sql: String::new(),
        };
        let client = guard.client();
        // One round trip: try the lock (marking the session as pelican's when it is taken,
        // see `mark_sql`), and read the session settings the wait and the run change, so
        // they can be put back (the connection may go on serving the application): for a
        // client lent to us, every setting its session changed, but the mark.
        // Behind a pooler (the backend is not the one announced), the lock is not even tried:
        // the answer is NULL.
        let pooled = expected_pid.map_or(String::new(), |pid| {
            format!("WHEN pg_catalog.pg_backend_pid() <> {pid} THEN NULL ")
        });
        let probe = format!(
            "SELECT CASE {pooled}WHEN pg_catalog.pg_try_advisory_lock({LOCK_CLASS}, {}) \
             THEN {} IS NOT NULL ELSE false END, {}, \
             (SELECT pg_catalog.string_agg(pg_catalog.format('SELECT pg_catalog.set_config(%L, %L, false);', \
             name, setting), '') FROM pg_catalog.pg_settings WHERE source = 'session' \
             AND context <> 'internal' AND name <> {})",
            self.key_sql,
            mark_sql(),
            SAVED_SETTINGS
                .iter()
                .map(|name| format!("pg_catalog.current_setting({}, true)", literal(name)))
                .collect::<Vec<_>>()
                .join(", "),
            literal(MARK_SETTING),
        );
        let values = first_row(
            &client
                .simple_query(&probe)
                .await
                .map_err(|e| Error::database("taking the migration lock", e))?,
        );
        let answer = values.first().and_then(Option::as_deref);
        if answer.is_none() && expected_pid.is_some() {
            // Nothing was locked or changed: the connection goes back as it came.
            let connection = guard.connection.take().expect("held until here");
            return Ok(Advisory::BehindPooler(connection));
        }
        let acquired = answer == Some("t");
        // A setting this server lacks (before PostgreSQL 14, 17) reads as NULL: left alone.
        let saved: Vec<(&str, String)> = SAVED_SETTINGS
            .iter()
            .zip(values.iter().skip(1))
            .filter_map(|(name, value)| Some((*name, value.clone()?)))
            .collect();
        let set_back = |keep: &dyn Fn(&str) -> bool| -> String {
            saved
                .iter()
                .filter(|(name, _)| keep(name))
                .map(|(name, value)| format!("SET {name} = {};\n", literal(value)))
                .collect()
        };
        let restore_saved = set_back(&|_| true);
        let session_settings = values
            .get(1 + SAVED_SETTINGS.len())
            .cloned()
            .flatten()
            .unwrap_or_default();
        let has = |name: &str| saved.iter().any(|(saved, _)| *saved == name);
        if has("client_connection_check_interval") {
            // Make the server notice within a second when this client dies mid-statement, so
            // an orphaned session doesn't keep the lock for the rest of a long migration.
            execute(client, "SET client_connection_check_interval = 1000").await?;
        }
        if !acquired {
            // Only `lock_timeout` bounds the wait: a role's own statement (or transaction)
            // timeout must not cut it short.
            let mut wait_sql = format!("SET lock_timeout = {};\n", wait_millis.max(1));
            for setting in ["statement_timeout", "transaction_timeout"] {
                if has(setting) {
                    wait_sql.push_str(&format!("SET {setting} = 0;\n"));
                }
            }
            // After the wait, its settings go back; the connection check stays on for the run.
            let restore_wait = set_back(&|name| name != "client_connection_check_interval");
            wait_sql.push_str(&format!(
                "SELECT pg_catalog.pg_advisory_lock({LOCK_CLASS}, {});\nSELECT {};\n{restore_wait}",
                self.key_sql,
                mark_sql(),
            ));
            tracing::info!(lock = %self.label, "waiting for another migrator to finish");
            if let Err(err) = client.batch_execute(&wait_sql).await {
                execute(client, &restore_saved).await?;
                let error = if err.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) {
                    Error::LockTimeout {
                        lock: self.label.clone(),
                        waited: started.elapsed(),
                        holder: self.holder(client).await,
                    }
                } else {
                    Error::database("waiting for the migration lock", err)
                };
                // Not locked, settings as they were: the connection may serve on.
                guard.connection.take();
                return Err(error);
            }
        }
        tracing::debug!(lock = %self.label, waited_ms = started.elapsed().as_millis() as u64, "migration lock taken");
        // Afterwards the session is put back as it came: a lent client gets its own settings
        // back (a migration may have changed any of them); a pooled connection is closed
        // after the unlock instead (see `AdvisoryGuard::release`).
        let restore = match guard.connection {
            Some(Connection::Borrowed(_)) => {
                format!("RESET ALL;\nRESET ROLE;\n{session_settings}{restore_saved}")
            }
            _ => restore_saved,
        };
        guard.unlock_sql = format!(
            "{restore}RESET {MARK_SETTING};\nSELECT pg_catalog.pg_advisory_unlock({LOCK_CLASS}, {})",
            self.key_sql
        );
        Ok(Advisory::Held(guard))
    }

    /// What the lock protects, for messages: `schema.table`.
    pub(crate) fn label(&self) -> &str {
        &self.label
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

/// What trying the advisory lock came to.
pub(crate) enum Advisory<'a> {
    /// The lock is held.
    Held(AdvisoryGuard<'a>),
    /// The query ran on another backend than the one announced: a pooler is in front, and
    /// nothing was locked.
    BehindPooler(Connection<'a>),
}

/// The held lock. Release it with [`AdvisoryGuard::release`]; if it is dropped instead (a panic,
/// a cancelled run), a pooled connection is closed rather than returned to its pool, which
/// makes the server release the lock.
pub(crate) struct AdvisoryGuard<'a> {
    connection: Option<Connection<'a>>,
    unlock_sql: String,
}

impl AdvisoryGuard<'_> {
    /// The connection the lock is held on.
    pub(crate) fn client(&self) -> &Client {
        self.connection
            .as_deref()
            .expect("the connection is held until release")
    }

    /// Releases the lock and puts the session back as it came. A transaction left open and
    /// failed (by a migration's code) is rolled back first, so the unlock can run. A pooled
    /// connection is then closed rather than returned to its pool: whatever a migration
    /// changed in its session (settings, temporary tables, roles, prepared statements) goes
    /// with it. When the unlock fails (the connection broke), the server has released the
    /// lock already or will when the session ends.
    pub(crate) async fn release(mut self) -> Result<(), Error> {
        let client = self.client();
        let mut result = client.batch_execute(&self.unlock_sql).await;
        if matches!(&result, Err(err) if err.code() == Some(&SqlState::IN_FAILED_SQL_TRANSACTION)) {
            tracing::warn!("a transaction was left open and failed; rolling it back to unlock");
            result = match client.batch_execute("ROLLBACK").await {
                Ok(()) => client.batch_execute(&self.unlock_sql).await,
                Err(err) => Err(err),
            };
        }
        // Until here a cancellation dropped the guard (and closed a pooled connection).
        let connection = self.connection.take().expect("released once");
        if result.is_err() || matches!(connection, Connection::Pooled(_)) {
            discard(connection);
        }
        result.map_err(|e| Error::database("releasing the migration lock", e))
    }
}

impl Drop for AdvisoryGuard<'_> {
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            tracing::warn!(
                "migration run abandoned while holding (or waiting for) the lock; closing its connection"
            );
            discard(connection);
        }
    }
}

/// Closes a pooled connection instead of returning it (with its session state) to the pool.
pub(super) fn discard(connection: Connection<'_>) {
    if let Connection::Pooled(object) = connection {
        drop(deadpool_postgres::Object::take(*object));
    }
}

async fn execute(client: &Client, sql: &str) -> Result<(), Error> {
    client
        .batch_execute(sql)
        .await
        .map_err(|e| Error::database("setting up the migration lock's session", e))
}

/// Marks the session as running pelican's own migrations for as long as it holds the lock
/// (a session setting, set in the query that takes the lock and reset in the one that
/// releases it): the DDL guard (`crate::guard`) does not record what such a session does.
fn mark_sql() -> String {
    format!(
        "pg_catalog.set_config({}, {}, false)",
        literal(MARK_SETTING),
        literal(MARK_VALUE)
    )
}

/// The settings the lock's wait and the run change, saved when the lock is tried and put back
/// on release: `NULL` (left alone) where the server lacks them.
const SAVED_SETTINGS: [&str; 4] = [
    "lock_timeout",
    "statement_timeout",
    "transaction_timeout",
    "client_connection_check_interval",
];

/// The first row's values (`None` for SQL NULL); empty when there is no row.
pub(super) fn first_row(messages: &[SimpleQueryMessage]) -> Vec<Option<String>> {
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

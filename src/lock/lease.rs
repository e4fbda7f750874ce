//! The lease lock: a row of `pelican_lease` in the history schema, for connections that go
//! through a pooler (see [`super::LockStrategy::Lease`]).
//!
//! Taking it is one statement (`INSERT … ON CONFLICT DO UPDATE … WHERE expired`, see
//! `crate::sql::lease`), retried until `lock_wait` passes: exactly one migrator's statement
//! inserts the row or takes over an expired one, because PostgreSQL locks the row for the
//! update and evaluates the condition on its latest version. The row names its owner (host,
//! process, a random token) and its expiry. A heartbeat task renews it every third of its TTL
//! on a connection of its own, and releases it when told to, or when the guard is dropped
//! (a panic, a cancelled run). A killed process renews nothing: its lease expires after the
//! TTL and the next migrator takes it over.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, SimpleQueryMessage};

use super::advisory::{discard, first_row};
use super::{Connection, SideConnection};
use crate::error::Error;
use crate::sql::lease::LeaseSql;

/// The longest pause between two attempts to take a lease someone holds.
const MAX_POLL: Duration = Duration::from_secs(1);

/// The held lease.
pub(crate) struct LeaseGuard<'a> {
    connection: Option<Connection<'a>>,
    sql: LeaseSql,
    token: String,
    ttl: Duration,
    behind_pooler: bool,
    /// Set by the heartbeat when the lease was found taken by someone else.
    lost: Arc<AtomicBool>,
    /// The heartbeat task and the channel that stops it (it releases the lease then).
    heartbeat: Option<Heartbeat>,
    /// When the lease was last renewed on the main connection (without a heartbeat).
    renewed: Mutex<Instant>,
}

/// The heartbeat task, and the channel that stops it (it releases the lease then).
type Heartbeat = (oneshot::Sender<()>, JoinHandle<Result<(), Error>>);

/// Takes the lease within `wait`, or fails naming its holder. `announced` is the backend
/// process id announced at connect time (see `super::pooler`), to tell whether the
/// connection goes through a pooler.
pub(super) async fn acquire<'a>(
    sql: &LeaseSql,
    connection: Connection<'a>,
    side: Option<SideConnection>,
    wait: Duration,
    ttl: Duration,
    announced: Option<i32>,
) -> Result<LeaseGuard<'a>, Error> {
    let started = Instant::now();
    let token = random_token();
    let take = sql.take(&owner(), &token, ttl);
    let mut created = false;
    let mut poll = Duration::from_millis(50);
    let mut announced_wait = false;
    let row = loop {
        let row = match connection.simple_query(&take).await {
            Ok(messages) => first_row(&messages),
            Err(err)
                if !created
                    && matches!(
                        err.code(),
                        Some(&SqlState::UNDEFINED_TABLE | &SqlState::INVALID_SCHEMA_NAME)
                    ) =>
            {
                create_table(sql, &connection).await?;
                created = true;
                continue;
            }
            Err(err) => return Err(Error::database("taking the migration lease", err)),
        };
        if row.first().and_then(Option::as_deref) == Some("t") {
            break row;
        }
        let holder = describe_holder(&row);
        let waited = started.elapsed();
        if waited >= wait {
            return Err(Error::LeaseTimeout {
                lock: sql.label(),
                waited,
                holder,
            });
        }
        if !std::mem::replace(&mut announced_wait, true) {
            tracing::info!(lease = %sql.label(), %holder, "waiting for another migrator's lease");
        }
        // Retry soon after the holder's lease would expire, never later than the wait allows.
        let expires_in = row
            .get(4)
            .and_then(Option::as_deref)
            .and_then(|s| s.parse::<u64>().ok())
            .map(Duration::from_secs);
        let mut pause = poll.min(wait - waited);
        if let Some(expires_in) = expires_in.filter(|d| !d.is_zero()) {
            pause = pause.min(expires_in);
        }
        tokio::time::sleep(pause).await;
        poll = (poll * 2).min(MAX_POLL);
    };
    let backend = row
        .get(1)
        .and_then(Option::as_deref)
        .and_then(|s| s.parse::<i32>().ok());
    // Unknown counts as pooled: then nothing relies on the session.
    let behind_pooler = announced.is_none() || announced != backend;
    tracing::debug!(lease = %sql.label(), behind_pooler, waited_ms = started.elapsed().as_millis() as u64, "migration lease taken");
    let lost = Arc::new(AtomicBool::new(false));
    let heartbeat = side.map(|side| {
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(heartbeat(
            side,
            sql.clone(),
            token.clone(),
            ttl,
            Arc::clone(&lost),
            stopped,
        ));
        (stop, task)
    });
    Ok(LeaseGuard {
        connection: Some(connection),
        sql: sql.clone(),
        token,
        ttl,
        behind_pooler,
        lost,
        heartbeat,
        renewed: Mutex::new(Instant::now()),
    })
}

/// Creates the lease table (and its schema) when missing.
async fn create_table(sql: &LeaseSql, client: &Client) -> Result<(), Error> {
    let context = "creating the lease table";
    let exists = client
        .simple_query(&sql.schema_exists())
        .await
        .map_err(|e| Error::database(context, e))?
        .iter()
        .any(|m| matches!(m, SimpleQueryMessage::Row(_)));
    client
        .batch_execute(&sql.create(exists))
        .await
        .map_err(|e| Error::database(context, e))
}

/// Renews the lease every third of its TTL until told to stop, then releases it. A renewal
/// that finds the lease taken by someone else marks it lost and stops.
async fn heartbeat(
    client: SideConnection,
    sql: LeaseSql,
    token: String,
    ttl: Duration,
    lost: Arc<AtomicBool>,
    mut stop: oneshot::Receiver<()>,
) -> Result<(), Error> {
    let renew = sql.renew(&token, ttl);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            () = tokio::time::sleep(ttl / 3) => {}
        }
        match client.simple_query(&renew).await {
            Ok(messages) if first_row(&messages).is_empty() => {
                tracing::error!(lease = %sql.label(), "the migration lease was lost: another migrator took it over");
                lost.store(true, Ordering::SeqCst);
                return Ok(());
            }
            Ok(_) => tracing::trace!(lease = %sql.label(), "lease renewed"),
            // A broken heartbeat connection: the run goes on until the lease is found lost.
            Err(err) => {
                tracing::warn!(lease = %sql.label(), error = %err, "could not renew the migration lease")
            }
        }
    }
    client
        .batch_execute(&sql.release(&token))
        .await
        .map_err(|e| Error::database("releasing the migration lease", e))
}

impl LeaseGuard<'_> {
    /// The connection the run goes on.
    pub(crate) fn client(&self) -> &Client {
        self.connection
            .as_deref()
            .expect("the connection is held until release")
    }

    /// Whether the connection goes through a pooler.
    pub(crate) fn behind_pooler(&self) -> bool {
        self.behind_pooler
    }

    /// See [`super::LockGuard::keep_alive`].
    pub(crate) async fn keep_alive(&self) -> Result<(), Error> {
        let due = || {
            self.renewed
                .lock()
                .map_or(true, |at| at.elapsed() >= self.ttl / 3)
        };
        if self.heartbeat.is_none() && due() {
            let renewed = self
                .client()
                .simple_query(&self.sql.renew(&self.token, self.ttl))
                .await
                .map_err(|e| Error::database("renewing the migration lease", e))?;
            if first_row(&renewed).is_empty() {
                self.lost.store(true, Ordering::SeqCst);
            }
            if let Ok(mut at) = self.renewed.lock() {
                *at = Instant::now();
            }
        }
        if self.lost.load(Ordering::SeqCst) {
            return Err(Error::LeaseLost {
                lock: self.sql.label(),
                ttl: self.ttl,
            });
        }
        Ok(())
    }

    /// Releases the lease: on the heartbeat's connection when there is one (whatever state
    /// a migration left the main connection in), else on the main connection, after rolling
    /// back a transaction a migration left open. A pooled main connection is closed rather
    /// than returned to its pool, as with the advisory lock.
    pub(crate) async fn release(mut self) -> Result<(), Error> {
        let connection = self.connection.take().expect("released once");
        let result = match self.heartbeat.take() {
            Some((stop, task)) => {
                let _ = stop.send(());
                match task.await {
                    Ok(result) => result,
                    Err(_) => Ok(()),
                }
            }
            None => {
                let release = self.sql.release(&self.token);
                let mut result = connection.batch_execute(&release).await;
                if matches!(&result, Err(err) if err.code() == Some(&SqlState::IN_FAILED_SQL_TRANSACTION))
                {
                    result = match connection.batch_execute("ROLLBACK").await {
                        Ok(()) => connection.batch_execute(&release).await,
                        Err(err) => Err(err),
                    };
                }
                result.map_err(|e| Error::database("releasing the migration lease", e))
            }
        };
        discard(connection);
        result
    }
}

impl Drop for LeaseGuard<'_> {
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            tracing::warn!(
                "migration run abandoned while holding the lease; releasing it from its heartbeat"
            );
            // The heartbeat task releases the lease when its channel closes; without one,
            // the lease expires after its TTL.
            self.heartbeat.take();
            discard(connection);
        }
    }
}

/// Describes the live holder of `sql`'s lease, if any.
pub(super) async fn holder(sql: &LeaseSql, client: &Client) -> Option<String> {
    let messages = client.simple_query(&sql.holder()).await.ok()?;
    let row = first_row(&messages);
    row.first()?.as_ref()?;
    Some(describe(&row))
}

/// The holder an attempt to take the lease read back (columns 2 to 4 of the row).
fn describe_holder(row: &[Option<String>]) -> String {
    describe(row.get(2..).unwrap_or_default())
}

/// Describes a holder from its owner, seconds held and seconds left.
fn describe(values: &[Option<String>]) -> String {
    let value = |i: usize| {
        values
            .get(i)
            .cloned()
            .flatten()
            .unwrap_or_else(|| "?".into())
    };
    format!(
        "{} (held for {}s, expiring in {}s unless renewed)",
        value(0),
        value(1),
        value(2)
    )
}

/// Who takes the lease: host, process id and program, for the holder's description.
fn owner() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown host".to_owned());
    let program = std::env::args()
        .next()
        .and_then(|arg| {
            std::path::Path::new(&arg)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "?".to_owned());
    format!("{program} pid {} on {host}", std::process::id())
}

/// A token no other run shares: 128 random bits (std's hasher keys are random per process,
/// and each call draws new ones).
fn random_token() -> String {
    let word = || {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u32(std::process::id());
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        hasher.finish()
    };
    format!("{:016x}{:016x}", word(), word())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_differ_and_owners_name_the_process() {
        assert_ne!(random_token(), random_token());
        assert_eq!(random_token().len(), 32);
        assert!(owner().contains(&format!("pid {}", std::process::id())));
        let row = [
            Some("f".to_owned()),
            Some("42".to_owned()),
            Some("pelican pid 7 on web-1".to_owned()),
            Some("12".to_owned()),
            Some("48".to_owned()),
        ];
        assert_eq!(
            describe_holder(&row),
            "pelican pid 7 on web-1 (held for 12s, expiring in 48s unless renewed)"
        );
    }
}

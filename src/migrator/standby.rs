//! Writes refused on a hot standby: the probe every run starts with says whether the server
//! is in recovery (`pg_is_in_recovery()`), and the refusal names the server, its database and
//! the primary it streams from, before any lock is taken or anything is written.

use tokio_postgres::{Client, SimpleQueryMessage};

use super::*;
use crate::error::Error;

/// How the server describes itself: its database, its address (or its socket's port), and
/// the primary it streams from when the role may see it (`pg_stat_wal_receiver` shows the
/// sender to superusers and `pg_read_all_stats` only).
const DESCRIBE_SQL: &str = "SELECT pg_catalog.current_database()::text, \
     COALESCE(pg_catalog.host(pg_catalog.inet_server_addr()) || ':' || pg_catalog.inet_server_port(), \
     'a unix socket, port ' || pg_catalog.current_setting('port')), \
     (SELECT w.sender_host || ':' || w.sender_port FROM pg_catalog.pg_stat_wal_receiver w LIMIT 1)";

impl Migrator {
    /// `Err(Error::Standby)` when the probe found a standby (`in_recovery`): one more query,
    /// on that path only, to name the server.
    pub(super) async fn refuse_standby(
        &self,
        client: &Client,
        in_recovery: bool,
        operation: &'static str,
    ) -> Result<(), Error> {
        if !in_recovery {
            return Ok(());
        }
        let messages = client.simple_query(DESCRIBE_SQL).await.unwrap_or_default();
        let row = messages.iter().find_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(row),
            _ => None,
        });
        let text = |i: usize| row.and_then(|row| row.get(i)).map(str::to_owned);
        Err(Error::Standby {
            operation,
            database: text(0).unwrap_or_default(),
            server: text(1).unwrap_or_else(|| "an unknown address".to_owned()),
            primary: text(2),
        })
    }

    /// Before a write that does not start with a probe of its own (stamp, repair, resolve):
    /// the probe, and the refusal on a standby.
    pub(super) async fn refuse_on_standby(
        &self,
        client: &Client,
        operation: &'static str,
    ) -> Result<(), Error> {
        let probe = self.history.probe(client).await?;
        self.refuse_standby(client, probe.in_recovery, operation)
            .await
    }
}

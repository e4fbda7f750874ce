//! The guard's log read back: one typed entry per DDL command (or dropped object) recorded.

use std::fmt;
use std::time::SystemTime;

use tokio_postgres::error::SqlState;
use tokio_postgres::Client;

use super::GuardError;
use crate::sql::guard::GuardSql;

/// Which event trigger wrote an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DdlEvent {
    /// `ddl_command_end`: an object created or altered (one entry per object the command
    /// touched: `CREATE TABLE` with a `serial` column gives the table, its sequence and its
    /// index).
    Command,
    /// `sql_drop`: an object dropped (the one the command named, and those dropped with it
    /// by `CASCADE`).
    Drop,
}

/// One row of `pelican_ddl_log`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DdlLogEntry {
    /// Its id, increasing in the order rows were written.
    pub id: i64,
    /// When it was written (the command's end).
    pub at: SystemTime,
    /// The same instant as RFC 3339 in UTC, to the millisecond (`2026-11-21T10:00:00.123Z`).
    pub at_utc: String,
    /// Which event trigger wrote it.
    pub event: DdlEvent,
    /// The role that logged in (`session_user`).
    pub session_role: String,
    /// The role the command ran as (`current_user`, after any `SET ROLE`).
    pub acting_role: String,
    /// The client's `application_name`, when it set one.
    pub application_name: Option<String>,
    /// The client's address; `None` for a Unix-domain socket.
    pub client_addr: Option<String>,
    /// The server process of the session.
    pub backend_pid: i32,
    /// The transaction the command ran in.
    pub transaction_id: Option<i64>,
    /// The command tag: `ALTER TABLE`, `CREATE INDEX`, `DROP TABLE`...
    pub command_tag: String,
    /// The kind of object: `table`, `index`, `table column`, `function`...
    pub object_type: Option<String>,
    /// The object, as `pg_identify_object` names it: `public.users`, `public.users.nick`.
    pub object_identity: Option<String>,
    /// The object's schema, when it has one.
    pub schema_name: Option<String>,
    /// The text of the query the client sent (all of it when it held several statements;
    /// cut at 64 KiB).
    pub statement: Option<String>,
}

impl DdlLogEntry {
    /// Where the command came from, for people: the address, or `a local socket`.
    pub fn origin(&self) -> &str {
        self.client_addr.as_deref().unwrap_or("a local socket")
    }
}

impl fmt::Display for DdlLogEntry {
    /// One line: `ALTER TABLE table public.users by role alice from 10.0.0.7 at
    /// 2026-11-21T10:00:00.123Z: ALTER TABLE users ADD COLUMN nick text`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.command_tag)?;
        if let Some(kind) = &self.object_type {
            write!(f, " {kind}")?;
        }
        if let Some(object) = self.object_identity.as_deref().filter(|o| !o.is_empty()) {
            write!(f, " {object}")?;
        }
        write!(f, " by role {}", self.acting_role)?;
        if self.session_role != self.acting_role {
            write!(f, " (logged in as {})", self.session_role)?;
        }
        write!(f, " from {} at {}", self.origin(), self.at_utc)?;
        if let Some(statement) = &self.statement {
            write!(f, ": {}", one_line(statement, 200))?;
        }
        Ok(())
    }
}

/// `text` on one line (whitespace runs as one space), cut at `limit` characters.
fn one_line(text: &str, limit: usize) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let line = words.join(" ");
    match line.char_indices().nth(limit) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

/// The log of the guard in `history_schema`, oldest first; only the entries written at or
/// after `since` when it is given.
///
/// Fails with [`GuardError::NotInstalled`] when there is no log there, and with
/// [`GuardError::LogNotReadable`] when this role may not read it.
pub async fn read_log(
    client: &Client,
    history_schema: &str,
    since: Option<SystemTime>,
) -> Result<Vec<DdlLogEntry>, GuardError> {
    let sql = GuardSql::new(history_schema);
    let rows = match client.query(&sql.read_log_query(), &[&since]).await {
        Ok(rows) => rows,
        Err(err) if err.code() == Some(&SqlState::UNDEFINED_TABLE) => {
            return Err(GuardError::NotInstalled {
                schema: history_schema.to_owned(),
            })
        }
        Err(err) if err.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE) => {
            let role = client
                .query_one("SELECT current_user::text", &[])
                .await
                .map(|row| row.get(0))
                .unwrap_or_else(|_| "(unknown)".to_owned());
            return Err(GuardError::LogNotReadable {
                role,
                table: sql.log_table().to_owned(),
            });
        }
        Err(err) => return Err(GuardError::database("reading the DDL log")(err)),
    };
    Ok(rows
        .iter()
        .map(|row| DdlLogEntry {
            id: row.get(0),
            at: row.get(1),
            at_utc: row.get(2),
            event: if row.get::<_, &str>(3) == "sql_drop" {
                DdlEvent::Drop
            } else {
                DdlEvent::Command
            },
            session_role: row.get(4),
            acting_role: row.get(5),
            application_name: row.get::<_, Option<String>>(6).filter(|a| !a.is_empty()),
            client_addr: row.get(7),
            backend_pid: row.get(8),
            transaction_id: row.get(9),
            command_tag: row.get(10),
            object_type: row.get(11),
            object_identity: row.get(12),
            schema_name: row.get(13),
            statement: row.get(14),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_reads_as_one_line() {
        let entry = DdlLogEntry {
            id: 1,
            at: SystemTime::UNIX_EPOCH,
            at_utc: "2026-11-21T10:00:00.000Z".to_owned(),
            event: DdlEvent::Command,
            session_role: "postgres".to_owned(),
            acting_role: "alice".to_owned(),
            application_name: Some("psql".to_owned()),
            client_addr: Some("10.0.0.7".to_owned()),
            backend_pid: 42,
            transaction_id: Some(7),
            command_tag: "ALTER TABLE".to_owned(),
            object_type: Some("table".to_owned()),
            object_identity: Some("public.users".to_owned()),
            schema_name: Some("public".to_owned()),
            statement: Some("ALTER TABLE users\n    ADD COLUMN nick text;".to_owned()),
        };
        assert_eq!(
            entry.to_string(),
            "ALTER TABLE table public.users by role alice (logged in as postgres) from 10.0.0.7 \
             at 2026-11-21T10:00:00.000Z: ALTER TABLE users ADD COLUMN nick text;"
        );
        assert_eq!(one_line("abcdef", 3), "abc…");
    }
}

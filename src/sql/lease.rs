//! The SQL of the lease lock (`crate::lock`'s strategy for connection poolers): the lease
//! table's DDL, and the statements that take, renew and release a lease. Each is one
//! statement, in autocommit, so that it works through a pooler in transaction mode.

use std::time::Duration;

use super::guard::MARK_LOCAL;
use crate::quote::{ident, literal};

/// The table holding one lease row per history table of its schema.
pub const LEASE_TABLE: &str = "pelican_lease";

/// The first half of the transaction-scoped advisory lock that serializes creating the lease
/// table ("pelilease"'s first four bytes would do; any constant unique to pelican does).
const CREATE_LOCK_CLASS: i32 = 0x706c_6561;

/// The statements of one lease: the lease row named after the history table it protects, in
/// the history schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LeaseSql {
    schema: String,
    /// The quoted `schema.pelican_lease`.
    table: String,
    /// The quoted name of the row: the history table's name.
    name: String,
}

impl LeaseSql {
    /// The lease protecting the history table `table` in `schema`.
    pub(crate) fn new(schema: &str, table: &str) -> Self {
        LeaseSql {
            schema: schema.to_owned(),
            table: format!("{}.{}", ident(schema), ident(LEASE_TABLE)),
            name: literal(table),
        }
    }

    /// What the lease protects, for messages: `schema.pelican_lease` row `table`.
    pub(crate) fn label(&self) -> String {
        format!("{}.{LEASE_TABLE}", self.schema)
    }

    /// Creates the schema and the lease table when missing, in one transaction serialized
    /// by a transaction-scoped advisory lock (which, unlike a session lock, is safe through a
    /// pooler), so that migrators racing to create it don't collide.
    pub(crate) fn create(&self, schema_exists: bool) -> String {
        let schema = if schema_exists {
            String::new()
        } else {
            format!("CREATE SCHEMA IF NOT EXISTS {};\n", ident(&self.schema))
        };
        format!(
            "BEGIN;\n{MARK_LOCAL}\
             SELECT pg_catalog.pg_advisory_xact_lock({CREATE_LOCK_CLASS}, pg_catalog.hashtext({}));\n\
             {schema}\
             CREATE TABLE IF NOT EXISTS {} (\n    \
                 name text PRIMARY KEY,\n    \
                 owner text NOT NULL,\n    \
                 token text NOT NULL,\n    \
                 acquired_at timestamptz NOT NULL,\n    \
                 renewed_at timestamptz NOT NULL,\n    \
                 expires_at timestamptz NOT NULL\n\
             );\n\
             COMMENT ON TABLE {} IS 'pelican: the migration lease of each history table \
             (the lock that works through connection poolers)';\n\
             COMMIT;",
            literal(&self.schema),
            self.table,
            self.table,
        )
    }

    /// Whether the schema exists (`CREATE SCHEMA IF NOT EXISTS` needs the CREATE privilege on
    /// the database even when it does).
    pub(crate) fn schema_exists(&self) -> String {
        format!(
            "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = {}",
            literal(&self.schema)
        )
    }

    /// One attempt to take the lease, as one statement: inserted when there is no row, taken
    /// over when the row's lease has expired, left alone otherwise. Returns one row:
    /// whether it was taken, the backend that ran the statement, and the
    /// holder as it was before (owner, seconds held, seconds until it expires).
    pub(crate) fn take(&self, owner: &str, token: &str, ttl: Duration) -> String {
        format!(
            "WITH taken AS (\n    \
                 INSERT INTO {table} AS l (name, owner, token, acquired_at, renewed_at, expires_at)\n    \
                 VALUES ({name}, {owner}, {token}, pg_catalog.clock_timestamp(), \
                 pg_catalog.clock_timestamp(), pg_catalog.clock_timestamp() + {ttl})\n    \
                 ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, token = EXCLUDED.token, \
                 acquired_at = EXCLUDED.acquired_at, renewed_at = EXCLUDED.renewed_at, \
                 expires_at = EXCLUDED.expires_at\n    \
                 WHERE l.expires_at < pg_catalog.clock_timestamp()\n    \
                 RETURNING 1\n\
             )\n\
             SELECT EXISTS (SELECT FROM taken) AS taken, pg_catalog.pg_backend_pid() AS backend_pid, \
             h.owner, \
             floor(extract(epoch FROM pg_catalog.clock_timestamp() - h.acquired_at))::bigint AS since, \
             ceil(extract(epoch FROM h.expires_at - pg_catalog.clock_timestamp()))::bigint AS expires_in\n\
             FROM (SELECT 1) AS one LEFT JOIN {table} AS h ON h.name = {name}",
            table = self.table,
            name = self.name,
            owner = literal(owner),
            token = literal(token),
            ttl = interval(ttl),
        )
    }

    /// Renews the lease for another `ttl` from now, if it is still this token's: a row comes
    /// back when it is.
    pub(crate) fn renew(&self, token: &str, ttl: Duration) -> String {
        format!(
            "UPDATE {table} SET renewed_at = pg_catalog.clock_timestamp(), \
             expires_at = pg_catalog.clock_timestamp() + {ttl} \
             WHERE name = {name} AND token = {token} RETURNING 1",
            table = self.table,
            name = self.name,
            token = literal(token),
            ttl = interval(ttl),
        )
    }

    /// The live holder of the lease, if any: owner, seconds held, seconds until it expires.
    pub(crate) fn holder(&self) -> String {
        format!(
            "SELECT owner, floor(extract(epoch FROM pg_catalog.clock_timestamp() - acquired_at))::bigint, \
             ceil(extract(epoch FROM expires_at - pg_catalog.clock_timestamp()))::bigint \
             FROM {} WHERE name = {} AND expires_at > pg_catalog.clock_timestamp()",
            self.table, self.name
        )
    }

    /// Releases the lease, if it is still this token's.
    pub(crate) fn release(&self, token: &str) -> String {
        format!(
            "DELETE FROM {} WHERE name = {} AND token = {}",
            self.table,
            self.name,
            literal(token)
        )
    }
}

/// A duration as an SQL interval, in milliseconds.
fn interval(duration: Duration) -> String {
    format!("interval '{} milliseconds'", duration.as_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_quote_the_schema_and_the_owner() {
        let sql = LeaseSql::new("app meta", "pelican_revisions");
        assert_eq!(sql.label(), "app meta.pelican_lease");
        let take = sql.take("host 'a'", "t0k", Duration::from_secs(60));
        assert!(
            take.contains("INSERT INTO \"app meta\".\"pelican_lease\" AS l"),
            "{take}"
        );
        assert!(take.contains("'host ''a'''"), "{take}");
        assert!(take.contains("+ interval '60000 milliseconds'"), "{take}");
        assert!(take.contains("WHERE l.expires_at < pg_catalog.clock_timestamp()"));
        assert_eq!(
            sql.release("t0k"),
            "DELETE FROM \"app meta\".\"pelican_lease\" WHERE name = 'pelican_revisions' AND token = 't0k'"
        );
        assert!(sql
            .renew("t0k", Duration::from_millis(1500))
            .contains("1500 milliseconds"));
        assert!(sql
            .create(false)
            .contains("CREATE SCHEMA IF NOT EXISTS \"app meta\""));
        assert!(!sql.create(true).contains("CREATE SCHEMA"));
    }
}

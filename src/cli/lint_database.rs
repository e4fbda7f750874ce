//! What `pelican lint` reads of the database it lints against: the server's version and the
//! size of each table.

use tokio_postgres::Client;

use super::error::CliError;
use crate::lint::{LintOptions, TableSize, Tables, SMALL_TABLE_BYTES};

/// The server's version as (major, minor): `150004` → (15, 4).
pub(super) async fn server_version(client: &Client) -> Result<(u32, u32), CliError> {
    let row = client
        .query_one("SELECT current_setting('server_version_num')::int", &[])
        .await
        .map_err(|e| crate::Error::database("reading the server's version", e))?;
    let number: i32 = row.get(0);
    let number = u32::try_from(number).unwrap_or(0);
    Ok((number / 10_000, number % 10_000))
}

/// Every table's size (indexes and TOAST included; a partitioned table's is its partitions')
/// and the planner's row estimate, outside the system schemas.
pub(super) async fn table_sizes(
    client: &Client,
    options: &LintOptions,
) -> Result<Tables, CliError> {
    let rows = client
        .query(
            "SELECT c.relname, \
                    CASE WHEN c.relkind = 'p' \
                         THEN (SELECT coalesce(sum(pg_total_relation_size(t.relid)), 0) \
                               FROM pg_partition_tree(c.oid) t)::bigint \
                         ELSE pg_total_relation_size(c.oid) END, \
                    c.reltuples::float8 \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p', 'm') \
               AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
               AND n.nspname NOT LIKE 'pg_toast%'",
            &[],
        )
        .await
        .map_err(|e| crate::Error::database("reading the tables' sizes", e))?;
    let mut tables = Tables::default();
    tables.small_table_bytes = options.small_table_bytes.unwrap_or(SMALL_TABLE_BYTES);
    for row in rows {
        let bytes: i64 = row.get(1);
        tables.insert(
            row.get::<_, String>(0),
            TableSize {
                bytes: u64::try_from(bytes).unwrap_or(0),
                rows: row.get(2),
            },
        );
    }
    Ok(tables)
}

//! Migration sets written inline, and throwaway databases, for runtime tests.
#![allow(dead_code)]

use pelican::migration::SetEntry;
use pelican::source::parse_migration;
use pelican::testing::{TestDatabase, TestServer};
use pelican::MigrationSet;
use tokio_postgres::Client;

/// A SQL migration file: `(file name, text)`.
pub fn sql(id: &str, revises: &str, up: &str, down: &str) -> (String, String) {
    sql_with(id, revises, "", up, down)
}

/// A SQL migration file with extra header lines (`-- key: value`).
pub fn sql_with(
    id: &str,
    revises: &str,
    extra_header: &str,
    up: &str,
    down: &str,
) -> (String, String) {
    let mut text = format!("-- revision: {id}\n-- revises: {revises}\n-- message: {id}\n");
    for line in extra_header.lines().filter(|l| !l.trim().is_empty()) {
        text.push_str(&format!("-- {}\n", line.trim()));
    }
    text.push_str(&format!("\n-- up\n{up}\n\n-- down\n{down}\n"));
    (format!("migrations/{id}_test.sql"), text)
}

pub fn set(files: &[(String, String)]) -> MigrationSet {
    let entries = files
        .iter()
        .map(|(name, text)| {
            SetEntry::from_file(
                parse_migration(name, text.as_bytes()).unwrap_or_else(|e| panic!("{e}")),
            )
        })
        .collect();
    MigrationSet::new(entries).unwrap_or_else(|e| panic!("{e}"))
}

pub async fn fresh_db() -> (TestDatabase, Client) {
    let database = TestServer::shared()
        .expect("a PostgreSQL server for tests")
        .create_database()
        .await
        .expect("a fresh database");
    let client = database.connect().await.expect("a connection");
    (database, client)
}

/// Whether a table exists (in any schema on the search path, or qualified).
pub async fn table_exists(client: &Client, name: &str) -> bool {
    client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&name])
        .await
        .unwrap()
        .get(0)
}

/// `revision:state` of every history row, sorted.
pub async fn history(client: &Client, schema: &str) -> Vec<String> {
    let sql = format!(
        "SELECT revision || ':' || state FROM \"{}\".pelican_revisions ORDER BY revision",
        schema.replace('"', "\"\"")
    );
    match client.query(&sql, &[]).await {
        Ok(rows) => rows.iter().map(|r| r.get(0)).collect(),
        Err(_) => Vec::new(),
    }
}

/// `revision:operation:outcome` of every log row, in order.
pub async fn log(client: &Client, schema: &str) -> Vec<String> {
    let sql = format!(
        "SELECT revision || ':' || operation || ':' || outcome FROM \"{}\".pelican_log ORDER BY id",
        schema.replace('"', "\"\"")
    );
    client
        .query(&sql, &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

pub fn ids(report: &pelican::Report) -> Vec<String> {
    report
        .steps
        .iter()
        .map(|s| s.revision.to_string())
        .collect()
}

/// The server's major version (`14`, `18`): some output of PostgreSQL's own deparsers
/// differs between versions, and some features start at one.
pub async fn server_major(client: &Client) -> u32 {
    let num: i32 = client
        .query_one("SELECT current_setting('server_version_num')::int", &[])
        .await
        .unwrap()
        .get(0);
    u32::try_from(num / 10_000).unwrap()
}

/// How `pg_get_viewdef` writes a column of the one table a view reads: `tasks.id` up to
/// PostgreSQL 15, `id` from 16 on.
pub async fn view_column(client: &Client, table: &str, column: &str) -> String {
    if server_major(client).await >= 16 {
        column.to_owned()
    } else {
        format!("{table}.{column}")
    }
}

/// The `pg_dump` to dump `client`'s server with, or `None` (saying so on stderr) when the
/// only one installed is older than the server: `pg_dump` refuses a newer server ("aborting
/// because of server version mismatch"), and the server binaries of other versions that
/// scripts/postgres-versions.sh installs have no client programs.
pub async fn pg_dump_for(client: &Client, test: &str) -> Option<std::path::PathBuf> {
    let server = TestServer::shared().expect("a PostgreSQL server for tests");
    let pg_dump = server.program("pg_dump").expect("pg_dump");
    let output = std::process::Command::new(&pg_dump)
        .arg("--version")
        .output()
        .expect("pg_dump --version");
    // "pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
    let version = String::from_utf8_lossy(&output.stdout).into_owned();
    let dump_major: u32 = version
        .split_whitespace()
        .nth(2)
        .and_then(|v| v.split('.').next())
        .and_then(|major| major.parse().ok())
        .unwrap_or_else(|| panic!("unexpected `pg_dump --version` output: {version}"));
    let server_major = server_major(client).await;
    if dump_major < server_major {
        eprintln!(
            "skipped {test}: {} is pg_dump {dump_major}, which cannot dump a PostgreSQL \
             {server_major} server (install pg_dump {server_major} to run it)",
            pg_dump.display()
        );
        return None;
    }
    Some(pg_dump)
}

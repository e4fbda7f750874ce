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

//! A hot standby built for real: a throwaway primary, a streaming replica made with
//! `pg_basebackup -R`. Every write is refused there, at once, naming the server and the
//! primary; the read-only commands work there and show the primary's state once replayed.
#![cfg(feature = "cli")]

#[path = "support/cli.rs"]
mod cli;
#[path = "support/db.rs"]
mod db;

use std::time::{Duration, Instant};

use cli::Project;
use db::{set, sql};
use pelican::testing::{TestDatabase, TestServer};
use pelican::{Error, Migrator};
use tokio_postgres::Client;

/// The URL of `database` on `server` (the standby has the primary's databases).
fn url_on(server: &TestServer, database: &TestDatabase) -> String {
    server
        .connection_string()
        .replacen("@/postgres?", &format!("@/{}?", database.name()), 1)
}

async fn connect(url: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

/// Waits until the standby has replayed everything the primary wrote so far.
async fn wait_for_replay(primary: &Client, standby: &Client) {
    let lsn: String = primary
        .query_one("SELECT pg_current_wal_lsn()::text", &[])
        .await
        .unwrap()
        .get(0);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let replayed: bool = standby
            .query_one(
                "SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn",
                &[&lsn],
            )
            .await
            .unwrap()
            .get(0);
        if replayed {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the standby did not replay {lsn}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The socket directory of a harness server, as `pg_stat_wal_receiver` shows its primary.
fn socket_of(server: &TestServer) -> String {
    server
        .connection_string()
        .split("host=")
        .nth(1)
        .and_then(|rest| rest.split('&').next())
        .unwrap()
        .replace("%2F", "/")
}

#[tokio::test]
async fn writes_are_refused_on_a_standby_and_reads_show_the_primary_state() {
    let primary = TestServer::start_primary().unwrap();
    let database = primary.create_database().await.unwrap();
    let standby = primary.start_standby().unwrap();
    let on_primary = database.connect().await.unwrap();
    let standby_url = url_on(&standby, &database);
    let on_standby = connect(&standby_url).await;
    let in_recovery: bool = on_standby
        .query_one("SELECT pg_is_in_recovery()", &[])
        .await
        .unwrap()
        .get(0);
    assert!(in_recovery, "the standby says pg_is_in_recovery");

    let migrations = set(&[
        sql("a1", "", "CREATE TABLE t1 (id int);", "DROP TABLE t1;"),
        sql("a2", "a1", "CREATE TABLE t2 (id int);", "DROP TABLE t2;"),
    ]);
    let migrator = Migrator::new(migrations);
    let refusal = |operation: &str| {
        format!(
            "cannot {operation} on database \"{}\" at a unix socket, port 5432: that server is a \
             hot standby (pg_is_in_recovery() is true), which is read-only; run it against the \
             primary (this standby streams from {}:5432). Read-only commands (current, status, \
             history, check) work on a standby",
            database.name(),
            socket_of(&primary)
        )
    };

    // The library: refused before anything, on a database with no history yet.
    let err = migrator.migrate_to_head(&on_standby).await.unwrap_err();
    assert!(matches!(err, Error::Standby { .. }), "{err:?}");
    assert_eq!(err.to_string(), refusal("upgrade"));
    assert!(migrator.current(&on_standby).await.unwrap().is_empty());

    // The CLI, on a project with the same files.
    let project = Project::new("standby");
    project.migration("a1", "");
    project.migration("a2", "a1");
    let on = |args: &[&str], url: &str| {
        let mut all = vec!["--database-url", url];
        all.extend(args);
        project.pelican_env(&all, &[])
    };
    let stderr = on(&["upgrade"], &standby_url).fails(1).to_owned();
    assert!(stderr.contains(&refusal("upgrade")), "{stderr}");
    assert_eq!(on(&["current"], &standby_url).ok(), "");

    // The primary is migrated; once the standby replayed it, reads there show it.
    on(&["upgrade"], database.connection_string()).ok();
    wait_for_replay(&on_primary, &on_standby).await;
    assert_eq!(on(&["current"], &standby_url).ok(), "a2 (head)\n");
    let status = on(&["status"], &standby_url).ok().to_owned();
    assert!(status.contains("a2"), "{status}");
    let history = on(&["history", "-r", "current:"], &standby_url)
        .ok()
        .to_owned();
    assert!(history.contains("a2"), "{history}");
    let check = on(&["check"], &standby_url);
    assert_eq!(check.code, 0, "{check:?}");

    // Every write is refused there, at head too; nothing changed on either server.
    let stderr = on(&["downgrade", "base"], &standby_url).fails(1).to_owned();
    assert!(stderr.contains(&refusal("downgrade")), "{stderr}");
    let stderr = on(&["stamp", "a1"], &standby_url).fails(1).to_owned();
    assert!(stderr.contains(&refusal("stamp")), "{stderr}");
    let stderr = on(&["upgrade"], &standby_url).fails(1).to_owned();
    assert!(stderr.contains(&refusal("upgrade")), "{stderr}");
    let err = migrator.repair(&on_standby).await.unwrap_err();
    assert_eq!(err.to_string(), refusal("repair"));
    assert_eq!(
        on(&["current"], database.connection_string()).ok(),
        "a2 (head)\n"
    );
    assert_eq!(on(&["current"], &standby_url).ok(), "a2 (head)\n");
}

#[tokio::test]
async fn a_standby_needs_a_primary_started_for_it() {
    let server = TestServer::start_throwaway().unwrap();
    let err = server.start_standby().unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "cannot start a standby of the server at {}: it was not started with \
             TestServer::start_primary() (other throwaway servers run with wal_level = minimal \
             and no WAL senders)",
            server.connection_string()
        )
    );
}

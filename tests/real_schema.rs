//! Autogenerate on a real application's schema: Lemmy, the federated link aggregator
//! (<https://github.com/LemmyNet/lemmy>, AGPL-3.0), through its 229 diesel migrations as
//! published in the crate `lemmy_db_schema` 0.19.11 on crates.io. The test downloads that
//! crate (nothing of Lemmy is kept in this repository) and checks it against a pinned SHA-256;
//! `PELICAN_LEMMY_CRATE` names a local copy instead.
//!
//! * From empty: the plan from an empty database to Lemmy's schema rebuilds it exactly (equal
//!   snapshots, and equal `pg_dump --schema-only` output).
//! * Stepwise over its history: after each real migration, the plan from the previous state
//!   to the new one gives the same schema, planning again gives nothing, and its down gives
//!   the previous state back.

#[path = "support/db.rs"]
mod db;

use std::path::{Path, PathBuf};
use std::process::Command;

use pelican::autogen::{plan_changes, AutogenOptions, ChangePlan};
use pelican::schema::{Snapshot, SnapshotOptions};
use pelican::testing::{TestDatabase, TestServer};
use sha2::{Digest, Sha256};
use tokio_postgres::Client;

const CRATE_URL: &str =
    "https://static.crates.io/crates/lemmy_db_schema/lemmy_db_schema-0.19.11.crate";
const CRATE_SHA256: &str = "9f308f5eb73cdb4bd0f282d20b52617f63bf7d8e65fe6722ce722fbe5dc7b280";

/// Lemmy's migrations, in order: (name, up, down).
fn lemmy_migrations() -> Vec<(String, String, String)> {
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let dir = base.join("lemmy_db_schema-0.19.11");
    if !dir.join("migrations").is_dir() {
        // Unpacked beside, then renamed into place: tests in other processes may race here.
        // A directory per call: two tests of one process may both get here.
        static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let own = base.join(format!("lemmy-{}-{call}", std::process::id()));
        std::fs::create_dir_all(&own).unwrap();
        let archive = match std::env::var("PELICAN_LEMMY_CRATE") {
            Ok(path) => PathBuf::from(path),
            Err(_) => {
                let path = own.join("lemmy_db_schema.crate");
                let status = Command::new("curl")
                    .args(["-sSfL", "--retry", "3", "-o"])
                    .arg(&path)
                    .arg(CRATE_URL)
                    .status()
                    .expect("curl runs");
                assert!(status.success(), "could not download {CRATE_URL}");
                path
            }
        };
        let bytes = std::fs::read(&archive).unwrap();
        let digest: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            digest,
            CRATE_SHA256,
            "{} is not the pinned crate",
            archive.display()
        );
        let status = Command::new("tar")
            .arg("xzf")
            .arg(&archive)
            .arg("-C")
            .arg(&own)
            .status()
            .expect("tar runs");
        assert!(status.success());
        let _ = std::fs::rename(own.join("lemmy_db_schema-0.19.11"), &dir);
        let _ = std::fs::remove_dir_all(&own);
    }
    let mut names: Vec<String> = std::fs::read_dir(dir.join("migrations"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|path| path.join("up.sql").is_file())
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let read = |name: &str, file: &str| {
        std::fs::read_to_string(Path::new(&dir).join("migrations").join(name).join(file)).unwrap()
    };
    names
        .into_iter()
        .map(|name| {
            let (up, down) = (read(&name, "up.sql"), read(&name, "down.sql"));
            (name, up, down)
        })
        .collect()
}

async fn database() -> (TestDatabase, Client) {
    db::fresh_db().await
}

async fn snapshot(client: &Client) -> Snapshot {
    SnapshotOptions::new().snapshot(client).await.unwrap()
}

/// Column order is not autogenerate's business (it says so in a note).
fn sorted(mut snapshot: Snapshot) -> Snapshot {
    for table in snapshot.tables.values_mut() {
        table.columns.sort_by(|a, b| a.name.cmp(&b.name));
    }
    snapshot
}

async fn apply(client: &Client, what: &str, sql: &str) {
    client
        .batch_execute(sql)
        .await
        .unwrap_or_else(|e| panic!("{what} failed: {e:?}\n{sql}"));
}

fn planned(from: &Snapshot, to: &Snapshot, step: &str) -> ChangePlan {
    let plan = plan_changes(from, to, &AutogenOptions::default());
    assert!(
        plan.unsupported.is_empty(),
        "{step}: {:?}",
        plan.unsupported
    );
    plan
}

fn pg_dump(database: &TestDatabase) -> String {
    let server = TestServer::shared().unwrap();
    let output = Command::new(server.program("pg_dump").unwrap())
        .args([
            "--schema-only",
            "--no-owner",
            "--dbname",
            database.connection_string(),
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter(|line| !line.starts_with("-- Dumped") && !line.starts_with("\\"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn lemmy_from_empty_is_rebuilt_exactly() {
    let migrations = lemmy_migrations();
    assert_eq!(migrations.len(), 229);
    let (real_db, real) = database().await;
    for (name, up, _) in &migrations {
        apply(&real, name, up).await;
    }
    let (built_db, built) = database().await;
    let target = snapshot(&real).await;
    assert!(target.tables.len() > 70, "{}", target.tables.len());
    let plan = planned(&snapshot(&built).await, &target, "from empty");
    apply(&built, "the generated up", &plan.up_sql()).await;
    assert_eq!(snapshot(&built).await, target);
    // `pelican dump`'s text: the same bytes from both databases, and it loads into a third.
    let dumped = pelican::autogen::dump(&target, "Lemmy");
    assert_eq!(
        pelican::autogen::dump(&snapshot(&built).await, "Lemmy"),
        dumped
    );
    let (_loaded_db, loaded) = database().await;
    apply(&loaded, "the dump", &dumped).await;
    assert_eq!(snapshot(&loaded).await, target, "the dump loads back");
    let (real_dump, built_dump) = (pg_dump(&real_db), pg_dump(&built_db));
    if real_dump != built_dump {
        let first = real_dump
            .lines()
            .zip(built_dump.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        let around = |dump: &str| {
            dump.lines()
                .skip(first.saturating_sub(3))
                .take(12)
                .collect::<Vec<_>>()
                .join("\n")
        };
        panic!(
            "pg_dump differs at line {}:\n--- Lemmy's migrations\n{}\n--- generated\n{}",
            first + 1,
            around(&real_dump),
            around(&built_dump)
        );
    }
}

#[tokio::test]
async fn lemmy_history_stepwise_up_down_and_nothing_left_to_plan() {
    let (_real_db, real) = database().await;
    let (_built_db, built) = database().await;
    let mut previous = snapshot(&built).await;
    for (name, up, _) in lemmy_migrations() {
        apply(&real, &name, &up).await;
        let target = snapshot(&real).await;
        let plan = planned(&previous, &target, &name);
        apply(&built, &format!("{name}: up"), &plan.up_sql()).await;
        let reached = snapshot(&built).await;
        assert_eq!(
            sorted(reached.clone()),
            sorted(target.clone()),
            "{name}: up\n{}",
            plan.up_sql()
        );
        let again = plan_changes(&reached, &target, &AutogenOptions::default());
        assert!(
            again.up.is_empty(),
            "{name}: planned again\n{}",
            again.up_sql()
        );
        apply(&built, &format!("{name}: down"), &plan.down_sql()).await;
        assert_eq!(
            sorted(snapshot(&built).await),
            sorted(previous.clone()),
            "{name}: down\n{}",
            plan.down_sql()
        );
        apply(&built, &format!("{name}: up again"), &plan.up_sql()).await;
        previous = snapshot(&built).await;
    }
}

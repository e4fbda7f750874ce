//! Fleets on real PostgreSQL: many tenant schemas (and databases on two servers) migrated at
//! once, each exactly once with its own history; failures kept to their tenant; reruns that
//! touch only what is left.
#![cfg(feature = "fleet")]

use pelican::fleet::{Fleet, Outcome, Target};
use pelican::migration::{Body, SetEntry, SqlBody};
use pelican::testing::{TestDatabase, TestServer};
use pelican::{MigrationSet, Revision};

/// Three revisions: two tables and a column, unqualified (they land in the tenant's schema).
fn migrations() -> MigrationSet {
    let revision = |id: &str, parent: Option<&str>, up: &'static str, down: &'static str| {
        let mut revision = Revision::new(id.parse().unwrap());
        if let Some(parent) = parent {
            revision = revision.with_parents(vec![parent.parse().unwrap()]);
        }
        let body = Body::Sql {
            up: SqlBody::new(up, 1),
            down: Some(SqlBody::new(down, 1)),
        };
        SetEntry::new(revision, format!("migrations/{id}.sql"), body)
    };
    MigrationSet::new(vec![
        revision(
            "a1",
            None,
            "CREATE TABLE accounts (id bigint PRIMARY KEY);",
            "DROP TABLE accounts;",
        ),
        revision(
            "a2",
            Some("a1"),
            "CREATE TABLE invoices (id bigint PRIMARY KEY, account bigint REFERENCES accounts);",
            "DROP TABLE invoices;",
        ),
        revision(
            "a3",
            Some("a2"),
            "ALTER TABLE accounts ADD COLUMN name text;",
            "ALTER TABLE accounts DROP COLUMN name;",
        ),
    ])
    .unwrap()
}

async fn database() -> TestDatabase {
    TestServer::shared()
        .unwrap()
        .create_database()
        .await
        .unwrap()
}

fn tenants(db: &TestDatabase, count: usize) -> Vec<Target> {
    (1..=count)
        .map(|n| Target::schema(db.connection_string(), format!("tenant_{n}")))
        .collect()
}

/// The revisions recorded in `schema`'s own history, in order.
async fn history(client: &tokio_postgres::Client, schema: &str) -> Vec<String> {
    client
        .query(
            &format!("SELECT revision FROM \"{schema}\".pelican_revisions ORDER BY revision"),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}

#[tokio::test]
async fn fifty_schemas_with_eight_jobs_each_migrated_once_with_its_own_history() {
    let db = database().await;
    let targets = pelican::testing::tenant_schemas(&db, 50, "tenant_")
        .await
        .unwrap();
    assert_eq!(targets, tenants(&db, 50));
    let fleet = Fleet::new(migrations(), targets).jobs(8);
    let report = fleet.upgrade("head").await.unwrap();
    assert!(report.all_succeeded(), "{}", report.summary());
    assert_eq!(report.counts().migrated, 50, "{}", report.summary());
    let client = db.connect().await.unwrap();
    for n in 1..=50 {
        let schema = format!("tenant_{n}");
        assert_eq!(
            history(&client, &schema).await,
            ["a1", "a2", "a3"],
            "{schema}"
        );
        let columns: i64 = client
            .query_one(
                "SELECT count(*) FROM information_schema.columns WHERE table_schema = $1 \
                 AND table_name IN ('accounts', 'invoices')",
                &[&schema],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(
            columns, 4,
            "accounts (id, name) and invoices (id, account) in {schema}"
        );
    }
    // Nothing left: a rerun finds every tenant there.
    let again = fleet.upgrade("head").await.unwrap();
    assert_eq!(again.counts().already_there, 50, "{}", again.summary());
}

#[tokio::test]
async fn two_fleet_runs_at_once_apply_everything_exactly_once() {
    let db = database().await;
    let first = Fleet::new(migrations(), tenants(&db, 20)).jobs(4);
    let second = Fleet::new(migrations(), tenants(&db, 20)).jobs(4);
    let (a, b) = tokio::join!(first.upgrade("head"), second.upgrade("head"));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(
        a.all_succeeded() && b.all_succeeded(),
        "{}\n{}",
        a.summary(),
        b.summary()
    );
    let migrated_revisions: usize = a
        .targets
        .iter()
        .chain(&b.targets)
        .map(|r| match &r.outcome {
            Outcome::Migrated { revisions } => revisions.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(
        migrated_revisions,
        20 * 3,
        "each revision of each tenant ran once"
    );
    let client = db.connect().await.unwrap();
    for n in 1..=20 {
        assert_eq!(
            history(&client, &format!("tenant_{n}")).await,
            ["a1", "a2", "a3"]
        );
    }
}

#[tokio::test]
async fn a_poisoned_tenant_fails_alone_and_the_rerun_touches_only_it() {
    let db = database().await;
    let client = db.connect().await.unwrap();
    client
        .batch_execute("CREATE SCHEMA tenant_7; CREATE TABLE tenant_7.invoices (poison int);")
        .await
        .unwrap();
    let fleet = Fleet::new(migrations(), tenants(&db, 12)).jobs(4);
    let report = fleet.upgrade("head").await.unwrap();
    let counts = report.counts();
    assert_eq!(
        (counts.migrated, counts.failed),
        (11, 1),
        "{}",
        report.summary()
    );
    assert!(!report.all_succeeded());
    let failure = report.failures().next().unwrap();
    assert_eq!(failure.target.schema.as_deref(), Some("tenant_7"));
    let Outcome::Failed { revision, error } = &failure.outcome else {
        unreachable!()
    };
    assert_eq!(
        revision.as_ref().map(ToString::to_string).as_deref(),
        Some("a2")
    );
    assert!(
        error
            .to_string()
            .contains("relation \"invoices\" already exists"),
        "{error}"
    );
    assert_eq!(
        history(&client, "tenant_7").await,
        ["a1"],
        "what committed before stays"
    );

    client
        .batch_execute("DROP TABLE tenant_7.invoices")
        .await
        .unwrap();
    let rerun = fleet.upgrade("head").await.unwrap();
    let touched: Vec<String> = rerun
        .targets
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Migrated { .. }))
        .map(|r| r.target.to_string())
        .collect();
    assert_eq!(touched.len(), 1, "{}", rerun.summary());
    assert!(touched[0].ends_with("/tenant_7"), "{touched:?}");
    assert!(rerun.all_succeeded());
}

#[tokio::test]
async fn a_failed_canary_stops_the_rest_and_fail_fast_stops_new_starts() {
    let db = database().await;
    let client = db.connect().await.unwrap();
    client
        .batch_execute("CREATE SCHEMA tenant_2; CREATE TABLE tenant_2.accounts (poison int);")
        .await
        .unwrap();
    let report = Fleet::new(migrations(), tenants(&db, 10))
        .jobs(2)
        .canary(3)
        .upgrade("head")
        .await
        .unwrap();
    let counts = report.counts();
    assert_eq!(
        (counts.migrated, counts.failed, counts.not_run),
        (2, 1, 7),
        "{}",
        report.summary()
    );
    assert!(
        report.summary().contains("7 not run"),
        "{}",
        report.summary()
    );

    let report = Fleet::new(migrations(), tenants(&db, 10))
        .jobs(1)
        .fail_fast(true)
        .upgrade("head")
        .await
        .unwrap();
    let counts = report.counts();
    // One job: tenant_1 is there already, tenant_2 fails, nothing starts after it.
    assert_eq!(
        (counts.already_there, counts.failed, counts.not_run),
        (1, 1, 8),
        "{}",
        report.summary()
    );
}

#[tokio::test]
async fn databases_on_two_servers_and_bad_targets_give_clear_outcomes() {
    let other = TestServer::start_throwaway().unwrap();
    let (here, there) = (database().await, other.create_database().await.unwrap());
    let targets = vec![
        Target::database(here.connection_string()),
        Target::database(there.connection_string()),
        Target::schema(here.connection_string(), "Tenant One"),
        Target::database("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"),
    ];
    let report = Fleet::new(migrations(), targets)
        .jobs(4)
        .upgrade("head")
        .await
        .unwrap();
    let outcomes: Vec<String> = report
        .targets
        .iter()
        .map(|r| r.outcome.to_string())
        .collect();
    assert_eq!(&outcomes[..3], ["migrated: a1, a2, a3"; 3], "{outcomes:#?}");
    assert!(outcomes[3].starts_with("failed: "), "{outcomes:#?}");
    let client = here.connect().await.unwrap();
    assert_eq!(history(&client, "Tenant One").await, ["a1", "a2", "a3"]);

    let error = Fleet::new(migrations(), Vec::new())
        .upgrade("head")
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "the fleet has no target: no schema or database was given"
    );
    let error = pelican::fleet::schemas_from_query(
        &client,
        here.connection_string(),
        "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'nothing\\_%'",
    )
    .await
    .unwrap_err();
    assert!(
        error.to_string().contains("the query returned no row"),
        "{error}"
    );
}

#[tokio::test]
async fn status_tells_current_behind_and_failed_tenants_apart() {
    let db = database().await;
    let all = tenants(&db, 40);
    Fleet::new(migrations(), all[..30].to_vec())
        .jobs(8)
        .upgrade("head")
        .await
        .unwrap();
    let client = db.connect().await.unwrap();
    client
        .batch_execute("CREATE SCHEMA tenant_31; CREATE TABLE tenant_31.invoices (poison int);")
        .await
        .unwrap();
    Fleet::new(migrations(), vec![all[30].clone()])
        .upgrade("head")
        .await
        .unwrap();
    let statuses = Fleet::new(migrations(), all.clone())
        .jobs(4)
        .status()
        .await
        .unwrap();
    assert_eq!(statuses.len(), 40);
    let current: Vec<usize> = (0..40).filter(|&i| statuses[i].is_current()).collect();
    assert_eq!(
        current,
        (0..30).collect::<Vec<_>>(),
        "the first 30, in order"
    );
    let by_digest: Vec<usize> = (0..40).filter(|&i| statuses[i].by_digest).collect();
    assert_eq!(
        by_digest, current,
        "the schemas at head are read from their digests at once"
    );
    for status in &statuses {
        assert_eq!(
            statuses
                .iter()
                .filter(|s| s.target == status.target)
                .count(),
            1
        );
    }
    let behind = statuses[30].status.as_ref().unwrap();
    assert_eq!(behind.applied.len(), 1, "tenant_31 stopped after a1");
    assert_eq!(behind.pending.len(), 2);
    let fresh = statuses[35].status.as_ref().unwrap();
    assert_eq!(fresh.pending.len(), 3, "tenant_36 has nothing yet");
    let at_head = statuses[0].status.as_ref().unwrap();
    assert_eq!(at_head.current_heads.len(), 1);
    assert_eq!(at_head.applied.len(), 3);
}

#[tokio::test]
async fn batches_move_with_a_pause_and_fail_fast_stops_the_batches_after_a_failure() {
    let db = database().await;
    let started = std::time::Instant::now();
    let report = Fleet::new(migrations(), tenants(&db, 9))
        .jobs(4)
        .batch(3, std::time::Duration::from_millis(300))
        .upgrade("head")
        .await
        .unwrap();
    assert_eq!(report.counts().migrated, 9, "{}", report.summary());
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(600),
        "two pauses between three batches: {:?}",
        started.elapsed()
    );

    let db = database().await;
    db.connect()
        .await
        .unwrap()
        .batch_execute("CREATE SCHEMA tenant_4; CREATE TABLE tenant_4.accounts (poison int);")
        .await
        .unwrap();
    let report = Fleet::new(migrations(), tenants(&db, 9))
        .jobs(1)
        .batch(3, std::time::Duration::ZERO)
        .fail_fast(true)
        .upgrade("head")
        .await
        .unwrap();
    let outcomes: Vec<&str> = report
        .targets
        .iter()
        .map(|r| match r.outcome {
            Outcome::Migrated { .. } => "migrated",
            Outcome::Failed { .. } => "failed",
            Outcome::NotRun => "not run",
            _ => "other",
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            "migrated", "migrated", "migrated", "failed", "not run", "not run", "not run",
            "not run", "not run"
        ]
    );
}

#[tokio::test]
async fn drift_compares_each_database_with_its_own_replay() {
    let (first, second) = (database().await, database().await);
    let targets = vec![
        Target::database(first.connection_string()),
        Target::database(second.connection_string()),
    ];
    let fleet = Fleet::new(migrations(), targets).jobs(2);
    fleet.upgrade("a2").await.unwrap();
    let client = second.connect().await.unwrap();
    client
        .batch_execute("CREATE INDEX by_hand ON invoices (account)")
        .await
        .unwrap();
    let drifts = fleet.drift(None).await.unwrap();
    assert!(drifts[0].matches(), "{:?}", drifts[0].differences);
    let lines = drifts[1].differences.as_ref().unwrap();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("by_hand"), "{lines:?}");
}

#[tokio::test]
async fn progress_events_start_and_finish_every_target_with_its_revisions_between() {
    use pelican::fleet::FleetProgress;
    use std::sync::{Arc, Mutex};

    let db = database().await;
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = events.clone();
    let fleet = Fleet::new(migrations(), tenants(&db, 3))
        .jobs(2)
        .on_progress(move |event| {
            let line = match event {
                FleetProgress::Started { target } => {
                    format!("start {}", target.schema.as_deref().unwrap())
                }
                FleetProgress::Revision { target, .. } => {
                    format!("revision {}", target.schema.as_deref().unwrap())
                }
                FleetProgress::Finished {
                    target, outcome, ..
                } => {
                    format!("finish {} {outcome}", target.schema.as_deref().unwrap())
                }
                _ => "other".to_owned(),
            };
            seen.lock().unwrap().push(line);
        });
    fleet.upgrade("head").await.unwrap();
    let events = events.lock().unwrap().clone();
    for n in 1..=3 {
        let tenant = format!("tenant_{n}");
        let mine: Vec<&String> = events
            .iter()
            .filter(|e| e.split(' ').nth(1) == Some(tenant.as_str()))
            .collect();
        assert_eq!(
            mine.first().map(|s| s.as_str()),
            Some(format!("start {tenant}").as_str()),
            "{events:?}"
        );
        assert!(
            mine.last()
                .unwrap()
                .starts_with(&format!("finish {tenant} migrated")),
            "{events:?}"
        );
        // Three revisions, each started and finished.
        assert_eq!(
            mine.iter().filter(|e| e.starts_with("revision")).count(),
            6,
            "{events:?}"
        );
    }
    // A second run finds every target there: each started and finished, no revision run.
    let revisions = Arc::new(Mutex::new(0));
    let counted = revisions.clone();
    let again = Fleet::new(migrations(), tenants(&db, 3))
        .jobs(2)
        .on_progress(move |event| {
            if let FleetProgress::Revision { .. } = event {
                *counted.lock().unwrap() += 1;
            }
        });
    assert_eq!(
        again.upgrade("head").await.unwrap().counts().already_there,
        3
    );
    assert_eq!(*revisions.lock().unwrap(), 0);
}

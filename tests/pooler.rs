//! Migrating through PgBouncer in transaction pooling mode (a real one, started by
//! `pelican::testing::TestPooler`), where a session advisory lock and session settings
//! silently break: the lease lock, its detection, its expiry after a SIGKILL, and
//! `transaction: false` revisions refused or run on a direct connection.

#[path = "support/cli.rs"]
mod cli;
#[path = "support/db.rs"]
mod db;

use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use cli::Project;
use db::{fresh_db, history, ids, log, set, sql, sql_with, table_exists};
use pelican::lock::LockStrategy;
use pelican::testing::{TestDatabase, TestPooler, TestServer};
use pelican::{Error, MigrationSet, Migrator};
use tokio_postgres::Client;

/// One PgBouncer per test process, in front of the shared server (each test has its own
/// database behind it).
fn pooler() -> &'static TestPooler {
    static POOLER: OnceLock<TestPooler> = OnceLock::new();
    POOLER.get_or_init(|| {
        let server = TestServer::shared().expect("a PostgreSQL server for tests");
        TestPooler::start(server).expect("PgBouncer (apt-get install pgbouncer)")
    })
}

/// A fresh database, a direct connection to it, and one through PgBouncer.
async fn through_pooler() -> (TestDatabase, Client, Client) {
    let (database, direct) = fresh_db().await;
    let pooled = pooler()
        .connect(database.name())
        .await
        .expect("a connection through PgBouncer");
    (database, direct, pooled)
}

fn chain() -> MigrationSet {
    set(&[
        sql("a1", "", "CREATE TABLE t_a1 (id int);", "DROP TABLE t_a1;"),
        sql(
            "a2",
            "a1",
            "CREATE TABLE t_a2 (id int);",
            "DROP TABLE t_a2;",
        ),
        sql(
            "a3",
            "a2",
            "CREATE TABLE t_a3 (id int);",
            "DROP TABLE t_a3;",
        ),
    ])
}

/// Whether the lease table exists in `public`.
async fn lease_table_exists(client: &Client) -> bool {
    table_exists(client, "public.pelican_lease").await
}

/// The lease rows left in `public.pelican_lease`.
async fn lease_rows(client: &Client) -> i64 {
    count(client, "SELECT count(*) FROM public.pelican_lease").await
}

/// The number a `SELECT count(*) …` returns.
async fn count(client: &Client, sql: &str) -> i64 {
    client
        .query_one(sql, &[])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .get(0)
}

#[tokio::test]
async fn auto_takes_the_lease_through_pgbouncer_and_the_advisory_lock_directly() {
    let (_database, direct, pooled) = through_pooler().await;
    let report = Migrator::new(chain())
        .migrate_to_head(&pooled)
        .await
        .unwrap();
    assert_eq!(ids(&report), ["a1", "a2", "a3"]);
    assert!(lease_table_exists(&direct).await, "the lease was used");
    assert_eq!(lease_rows(&direct).await, 0, "and released");
    assert_eq!(
        history(&direct, "public").await,
        ["a1:applied", "a2:applied", "a3:applied"]
    );
    // At head, nothing is locked at all: the table stays as it is.
    let again = Migrator::new(chain())
        .migrate_to_head(&pooled)
        .await
        .unwrap();
    assert!(again.is_empty());

    // Directly, auto is the advisory lock: no lease table is created.
    let (_other, direct_only) = fresh_db().await;
    Migrator::new(chain())
        .migrate_to_head(&direct_only)
        .await
        .unwrap();
    assert!(!lease_table_exists(&direct_only).await);
    assert_eq!(history(&direct_only, "public").await.len(), 3);
}

#[tokio::test]
async fn the_advisory_lock_through_pgbouncer_is_refused_before_anything_runs() {
    let (_database, direct, pooled) = through_pooler().await;
    let err = Migrator::new(chain())
        .lock_strategy(LockStrategy::Advisory)
        .migrate_to_head(&pooled)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::AdvisoryLockBehindPooler { .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "the advisory migration lock on public.pelican_revisions can't be trusted on this \
         connection: it goes through a connection pooler (such as PgBouncer in transaction \
         mode), which may run each transaction on another server session, so the lock would \
         not protect the run and could stay behind on a session other clients get; use the \
         lease lock (--lock lease or --lock auto, LockStrategy::Lease or Auto), or connect to \
         PostgreSQL directly"
    );
    assert!(history(&direct, "public").await.is_empty(), "nothing ran");
    let locks = count(
        &direct,
        // This test's database only: the other tests run beside it on the same server.
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
    .await;
    assert_eq!(
        locks, 0,
        "no advisory lock was left on a pooled server session"
    );

    // Directly, the advisory strategy works as always.
    let (_other, direct_only) = fresh_db().await;
    Migrator::new(chain())
        .lock_strategy(LockStrategy::Advisory)
        .migrate_to_head(&direct_only)
        .await
        .unwrap();
    assert!(!lease_table_exists(&direct_only).await);
}

#[tokio::test]
async fn the_lease_works_on_a_direct_connection_too_and_reads_work_through_pgbouncer() {
    let (_database, direct, pooled) = through_pooler().await;
    let migrator = Migrator::new(chain()).lock_strategy(LockStrategy::Lease);
    migrator.upgrade(&direct, "a2").await.unwrap();
    assert!(lease_table_exists(&direct).await);
    assert_eq!(lease_rows(&direct).await, 0);
    // Read-only operations through the pooler.
    let current = migrator.current(&pooled).await.unwrap();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0].as_str(), "a2");
    let status = migrator.status(&pooled).await.unwrap();
    assert_eq!(status.pending.len(), 1);
    assert_eq!(migrator.history(&pooled).await.unwrap().len(), 2);
    migrator.downgrade(&pooled, "a1").await.unwrap();
    assert_eq!(history(&direct, "public").await, ["a1:applied"]);
}

/// A pool through PgBouncer, as an application has.
fn pool_through_pooler(database: &TestDatabase) -> deadpool_postgres::Pool {
    let config: tokio_postgres::Config =
        pooler().connection_string(database.name()).parse().unwrap();
    let manager = deadpool_postgres::Manager::new(config, tokio_postgres::NoTls);
    deadpool_postgres::Pool::builder(manager)
        .max_size(1)
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_heartbeat_keeps_the_lease_through_a_revision_longer_than_its_ttl() {
    let (database, direct, _pooled) = through_pooler().await;
    let slow = set(&[
        sql("s1", "", "CREATE TABLE t_s1 (id int);", "DROP TABLE t_s1;"),
        sql("s2", "s1", "SELECT pg_sleep(2.5);", ""),
        sql(
            "s3",
            "s2",
            "CREATE TABLE t_s3 (id int);",
            "DROP TABLE t_s3;",
        ),
    ]);
    let migrator = Migrator::new(slow)
        .lock_strategy(LockStrategy::Lease)
        .lease_ttl(Duration::from_secs(1))
        .lock_wait(Duration::from_secs(30));
    // Two application instances, each with a pool of one connection through PgBouncer: the
    // heartbeat opens its own connection beside the pool.
    let (first, second) = (
        pool_through_pooler(&database),
        pool_through_pooler(&database),
    );
    let running = migrator.migrate_to_head(&first);
    let waiting = async {
        wait_for_sleep(&direct).await;
        migrator.migrate_to_head(&second).await
    };
    let (ran, waited) = tokio::join!(running, waiting);
    assert_eq!(ids(&ran.unwrap()), ["s1", "s2", "s3"]);
    assert!(
        waited.unwrap().is_empty(),
        "the second instance found everything applied"
    );
    assert_eq!(
        log(&direct, "public").await,
        ["s1:upgrade:ok", "s2:upgrade:ok", "s3:upgrade:ok"]
    );
}

/// Waits until a session of this database sleeps in `pg_sleep`.
async fn wait_for_sleep(client: &Client) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let sleeping: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                 AND wait_event = 'PgSleep'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if sleeping > 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no migrator reached the slow revision"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_lease_held_elsewhere_is_waited_for_and_the_timeout_names_its_holder() {
    let (_database, direct, pooled) = through_pooler().await;
    let migrator = Migrator::new(chain()).lock_strategy(LockStrategy::Lease);
    migrator.upgrade(&pooled, "a1").await.unwrap();
    direct
        .batch_execute(
            "INSERT INTO public.pelican_lease VALUES ('pelican_revisions', 'deploy pid 42 on web-1', \
             'other', now() - interval '5 minutes', now(), now() + interval '1 hour')",
        )
        .await
        .unwrap();
    let started = Instant::now();
    let err = migrator
        .clone()
        .lock_wait(Duration::from_millis(700))
        .migrate_to_head(&pooled)
        .await
        .unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(700));
    assert!(started.elapsed() < Duration::from_secs(5));
    let message = err.to_string();
    assert!(
        message.starts_with("timed out after 0.7s waiting for the migration lease in public.pelican_lease, held by deploy pid 42 on web-1 (held for 300s, expiring in 3600s unless renewed); another migrator is still running (raise the wait with --lock-wait or Migrator::lock_wait; a killed migrator's lease expires by itself after its TTL)"),
        "{message}"
    );
    assert_eq!(history(&direct, "public").await, ["a1:applied"]);

    // An expired lease is taken over.
    direct
        .batch_execute("UPDATE public.pelican_lease SET expires_at = now() - interval '1 second'")
        .await
        .unwrap();
    let report = migrator.migrate_to_head(&pooled).await.unwrap();
    assert_eq!(ids(&report), ["a2", "a3"]);
    assert_eq!(lease_rows(&direct).await, 0);
}

const INDEX_ID: &str = "CREATE INDEX CONCURRENTLY items_id ON items (id);";

/// `items`, then a `transaction: false` revision c2 running `up`.
fn with_concurrent_index(up: &str) -> MigrationSet {
    set(&[
        sql(
            "c1",
            "",
            "CREATE TABLE items (id int);",
            "DROP TABLE items;",
        ),
        sql_with(
            "c2",
            "c1",
            "transaction: false",
            up,
            "DROP INDEX CONCURRENTLY items_id;",
        ),
    ])
}

#[tokio::test]
async fn a_transaction_false_revision_through_pgbouncer_is_refused_without_a_direct_url() {
    let (_database, direct, pooled) = through_pooler().await;
    let err = Migrator::new(with_concurrent_index(INDEX_ID))
        .migrate_to_head(&pooled)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "revision c2 (migrations/c2_test.sql) is declared transaction: false and can't run through a \
         connection pooler: its statements run one by one outside a transaction, with session \
         settings, which a pooler in transaction mode does not keep; give a direct connection \
         to PostgreSQL for such revisions (--direct-url, Migrator::direct_url), or run the \
         upgrade against PostgreSQL directly. Nothing ran"
    );
    assert!(history(&direct, "public").await.is_empty(), "nothing ran");
    assert!(!table_exists(&direct, "items").await);
}

#[tokio::test]
async fn a_transaction_false_revision_runs_on_the_direct_url() {
    let (database, direct, pooled) = through_pooler().await;
    let report = Migrator::new(with_concurrent_index(INDEX_ID))
        .direct_url(database.connection_string())
        .migrate_to_head(&pooled)
        .await
        .unwrap();
    assert_eq!(ids(&report), ["c1", "c2"]);
    assert_eq!(
        history(&direct, "public").await,
        ["c1:applied", "c2:applied"]
    );
    assert!(table_exists(&direct, "items_id").await);

    // A direct URL that goes through the pooler too is refused, naming it.
    let (other, other_direct, other_pooled) = through_pooler().await;
    let through = pooler().connection_string(other.name());
    let err = Migrator::new(with_concurrent_index(INDEX_ID))
        .direct_url(&through)
        .migrate_to_head(&other_pooled)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "the direct connection ({through}) for transaction: false revisions goes through a \
             connection pooler too; give the address of the PostgreSQL server itself"
        )
    );
    assert!(history(&other_direct, "public").await.is_empty());
}

#[tokio::test]
async fn resume_through_pgbouncer_runs_on_the_direct_url_or_is_refused() {
    let (database, direct, pooled) = through_pooler().await;
    let failing = with_concurrent_index(
        "CREATE INDEX CONCURRENTLY items_id ON items (id);\n\
         CREATE INDEX CONCURRENTLY items_name ON items (name);",
    );
    let migrator = Migrator::new(failing);
    // Run directly, statement 2 fails: the row says so.
    migrator.migrate_to_head(&direct).await.unwrap_err();
    assert_eq!(
        history(&direct, "public").await,
        ["c1:applied", "c2:failed"]
    );
    direct
        .batch_execute("ALTER TABLE items ADD COLUMN name text")
        .await
        .unwrap();
    let err = migrator.resume(&pooled, "c2").await.unwrap_err();
    assert!(
        matches!(err, Error::NotTransactionalBehindPooler { .. }),
        "{err}"
    );
    assert_eq!(
        history(&direct, "public").await,
        ["c1:applied", "c2:failed"]
    );
    let step = migrator
        .clone()
        .direct_url(database.connection_string())
        .resume(&pooled, "c2")
        .await
        .unwrap();
    assert_eq!(step.revision.as_str(), "c2");
    assert_eq!(
        history(&direct, "public").await,
        ["c1:applied", "c2:applied"]
    );
    assert!(table_exists(&direct, "items_name").await);
}

#[tokio::test]
async fn the_ddl_guard_leaves_out_migrations_run_under_the_lease() {
    let (_database, direct, pooled) = through_pooler().await;
    pelican::guard::install(&direct, "public").await.unwrap();
    Migrator::new(chain())
        .migrate_to_head(&pooled)
        .await
        .unwrap();
    let log_rows = "SELECT count(*) FROM public.pelican_ddl_log";
    assert_eq!(
        count(&direct, log_rows).await,
        0,
        "pelican's own migrations (and tables) are not recorded"
    );
    // The mark did not outlive the transactions.
    direct
        .batch_execute("CREATE TABLE by_hand (id int)")
        .await
        .unwrap();
    assert_eq!(count(&direct, log_rows).await, 1);
}

// --- Processes ----------------------------------------------------------------------------

/// A project whose `migrations` directory holds r1..r6, each creating `t_<id>`.
async fn project_of_six(name: &str) -> Project {
    let project = Project::with_db(name).await;
    let mut revises = String::new();
    for n in 1..=6 {
        let id = format!("r{n}");
        project.migration(&id, &revises);
        revises = id;
    }
    project
}

#[tokio::test]
async fn eight_processes_racing_through_pgbouncer_apply_each_revision_exactly_once() {
    let project = project_of_six("pooler-race").await;
    let url = pooler().connection_string(project.db.as_ref().unwrap().name());
    let children: Vec<_> = (0..8)
        .map(|n| {
            // Half of them detect the pooler, half are told.
            let strategy = if n % 2 == 0 { "auto" } else { "lease" };
            Command::new(env!("CARGO_BIN_EXE_pelican"))
                .args(["--database-url", &url, "upgrade", "--lock", strategy])
                .current_dir(&project.root)
                .env_remove("DATABASE_URL")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("the pelican binary runs")
        })
        .collect();
    let mut upgraded = 0;
    for child in children {
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{stderr}");
        if stderr.contains("Upgraded ") {
            upgraded += 1;
        } else {
            assert!(stderr.starts_with("Nothing to upgrade"), "{stderr}");
        }
    }
    assert!(upgraded >= 1);
    let client = project.client().await;
    let ids: Vec<String> = (1..=6).map(|n| format!("r{n}")).collect();
    assert_eq!(
        log(&client, "public").await,
        ids.iter()
            .map(|id| format!("{id}:upgrade:ok"))
            .collect::<Vec<_>>(),
        "each revision ran exactly once"
    );
    assert_eq!(
        history(&client, "public").await,
        ids.iter()
            .map(|id| format!("{id}:applied"))
            .collect::<Vec<_>>()
    );
    assert_eq!(lease_rows(&client).await, 0, "the lease was released");
}

#[tokio::test]
async fn a_migrator_killed_holding_the_lease_is_taken_over_after_its_ttl() {
    let project = Project::with_db("pooler-kill").await;
    project.migration("k1", "");
    project.migration_with(
        "k2",
        "k1",
        "",
        "CREATE TABLE t_k2 (id int);\nDO $$ BEGIN WHILE NOT (SELECT open FROM gate) LOOP \
         PERFORM pg_sleep(0.05); END LOOP; END $$;",
    );
    project.migration("k3", "k2");
    let client = project.client().await;
    client
        .batch_execute("CREATE TABLE gate (open boolean); INSERT INTO gate VALUES (false);")
        .await
        .unwrap();
    let url = pooler().connection_string(project.db.as_ref().unwrap().name());
    let args = ["--database-url", &url, "upgrade", "--lease-ttl", "3s"];
    let mut first = Command::new(env!("CARGO_BIN_EXE_pelican"))
        .args(args)
        .current_dir(&project.root)
        .env_remove("DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_sleep(&client).await;
    let holder: String = client
        .query_one("SELECT owner FROM public.pelican_lease", &[])
        .await
        .unwrap()
        .get(0);
    assert!(
        holder.starts_with(&format!("pelican pid {} on ", first.id())),
        "{holder}"
    );
    first.kill().unwrap(); // SIGKILL: no release, no heartbeat any more
    first.wait().unwrap();
    // Its statement is still running on the server, behind the pooler, with the revisions
    // pipelined after it: end that session too, so that nothing of the dead run commits
    // and the next run has them all to do.
    client
        .batch_execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE query LIKE '%FROM gate%' AND pid <> pg_backend_pid()",
        )
        .await
        .unwrap();
    client
        .batch_execute("UPDATE gate SET open = true")
        .await
        .unwrap();
    // What is left of the dead holder's lease, by the server's clock (its last renewal may
    // have come late on a busy machine, so not a fixed time after the kill).
    let left: f64 = client
        .query_one(
            "SELECT extract(epoch FROM expires_at - clock_timestamp())::float8 \
             FROM public.pelican_lease",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        left > 0.0,
        "the dead holder's lease ran out {:.2}s ago",
        -left
    );
    let started = Instant::now();
    let second = project.pelican_env(&args, &[]);
    let waited = started.elapsed().as_secs_f64();
    assert_eq!(second.code, 0, "{second:?}");
    // It waited for the lease to run out, and took it soon after (it retries at least every
    // second).
    assert!(
        waited >= left - 0.2,
        "the next run finished after {waited:.2}s, before the lease ran out ({left:.2}s left)"
    );
    assert!(
        waited < left + 3.0,
        "the next run took {waited:.2}s, long after the lease ran out ({left:.2}s left)"
    );
    assert_eq!(
        history(&client, "public").await,
        ["k1:applied", "k2:applied", "k3:applied"]
    );
    let k2_runs = log(&client, "public")
        .await
        .iter()
        .filter(|line| line.as_str() == "k2:upgrade:ok")
        .count();
    assert_eq!(k2_runs, 1, "k2 committed exactly once");
    assert_eq!(lease_rows(&client).await, 0);
}

#[tokio::test]
async fn the_cli_refuses_the_advisory_lock_through_pgbouncer_and_reads_lock_settings() {
    let project = project_of_six("pooler-cli").await;
    let url = pooler().connection_string(project.db.as_ref().unwrap().name());
    let run = project.pelican_env(
        &["--database-url", &url, "upgrade", "--lock", "advisory"],
        &[],
    );
    assert_eq!(
        run.fails(1),
        "error: the advisory migration lock on public.pelican_revisions can't be trusted on \
         this connection: it goes through a connection pooler (such as PgBouncer in \
         transaction mode), which may run each transaction on another server session, so the \
         lock would not protect the run and could stay behind on a session other clients get; \
         use the lease lock (--lock lease or --lock auto, LockStrategy::Lease or Auto), or \
         connect to PostgreSQL directly\n"
    );
    // The same from pelican.toml; the option wins over the file.
    project.write("pelican.toml", "lock = \"advisory\"\nlease_ttl = \"10s\"\n");
    project
        .pelican_env(&["--database-url", &url, "upgrade", "r1"], &[])
        .fails(1);
    project
        .pelican_env(
            &["--database-url", &url, "upgrade", "r1", "--lock", "auto"],
            &[],
        )
        .ok();
    // A CONCURRENTLY revision: refused through the pooler, run with --direct-url.
    project.migration_with(
        "r7",
        "r6",
        "transaction: false",
        "CREATE INDEX CONCURRENTLY t_r6_id ON t_r6 (id);",
    );
    let refused = project.pelican_env(&["--database-url", &url, "upgrade", "--lock", "auto"], &[]);
    assert_eq!(
        refused.fails(1),
        "error: revision r7 (migrations/r7_test.sql) is declared transaction: false and can't \
         run through a connection pooler: its statements run one by one outside a transaction, \
         with session settings, which a pooler in transaction mode does not keep; give a direct \
         connection to PostgreSQL for such revisions (--direct-url, Migrator::direct_url), or \
         run the upgrade against PostgreSQL directly. Nothing ran\n"
    );
    let direct = project.url().to_owned();
    let args = [
        "--database-url",
        &url,
        "upgrade",
        "--lock",
        "auto",
        "--direct-url",
        &direct,
    ];
    assert!(project.pelican_env(&args, &[]).ok().is_empty());
    let client = project.client().await;
    assert!(table_exists(&client, "t_r6_id").await);

    let usage = project.pelican_env(&["upgrade", "--lock", "sometimes"], &[]);
    assert!(
        usage.fails(2).starts_with(
            "error: invalid value 'sometimes' for '--lock <STRATEGY>'\n  [possible values: \
             advisory, lease, auto]"
        ),
        "{usage:?}"
    );
    project.write("pelican.toml", "lock = \"sometimes\"\n");
    assert_eq!(
        project
            .pelican_env(&["--database-url", &url, "upgrade"], &[])
            .fails(1),
        "error: pelican.toml: 'lock' must be \"advisory\", \"lease\" or \"auto\": how \
         migrators serialize\n"
    );
    project.write("pelican.toml", "lease_ttl = \"100ms\"\n");
    assert_eq!(
        project
            .pelican_env(&["--database-url", &url, "upgrade"], &[])
            .fails(1),
        "error: pelican.toml: 'lease_ttl': '100ms' is too short for a lease: give at least 1s \
         (the heartbeat renews it every third of it)\n"
    );
}

/// A fleet's schema targets need the tenant's search_path for a whole run: through a pooler in
/// transaction mode it wouldn't last, so each target is refused, naming why, and nothing runs.
#[cfg(feature = "fleet")]
#[tokio::test]
async fn a_fleet_refuses_schema_targets_through_a_pooler() {
    use pelican::fleet::{Fleet, Outcome, Target};

    let (database, direct, _pooled) = through_pooler().await;
    let files = [sql(
        "a1",
        "",
        "CREATE TABLE notes (id int);",
        "DROP TABLE notes;",
    )];
    let pooled_url = pooler().connection_string(database.name());
    let targets = vec![
        Target::schema(pooled_url.as_str(), "tenant_1"),
        Target::schema(pooled_url.as_str(), "tenant_2"),
    ];
    let report = Fleet::new(set(&files), targets)
        .upgrade("head")
        .await
        .unwrap();
    for target in &report.targets {
        let Outcome::Failed { error, .. } = &target.outcome else {
            panic!("{}: {}", target.target, target.outcome);
        };
        assert!(
            matches!(error, Error::SchemaTargetBehindPooler { .. }),
            "{error}"
        );
        assert!(
            error.to_string().contains("through a connection pooler"),
            "{error}"
        );
    }
    assert!(!table_exists(&direct, "public.notes").await);
    assert!(!table_exists(&direct, "tenant_1.notes").await);

    // The server's own connection string runs them.
    let targets = vec![Target::schema(database.connection_string(), "tenant_1")];
    let report = Fleet::new(set(&files), targets)
        .upgrade("head")
        .await
        .unwrap();
    assert!(report.all_succeeded(), "{}", report.summary());
    assert!(table_exists(&direct, "tenant_1.notes").await);
}

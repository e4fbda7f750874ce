//! Issue 10's defects, each reproduced against real PostgreSQL: what an unprivileged role can
//! do to the history, cancelled runs, session state, role settings, failed
//! `transaction: false` revisions, and the server log of a first run.

#[path = "support/db.rs"]
mod db;
#[path = "support/roles.rs"]
mod roles;

use std::time::Duration;

use db::{fresh_db, history, log, set, sql, sql_with, table_exists};
use pelican::{Error, Migrator};
use roles::{connect_as, create_role, lock_holders, pelican_lock_sql};

fn two_revisions() -> pelican::MigrationSet {
    set(&[
        sql("a1", "", "CREATE TABLE t1 (id int);", "DROP TABLE t1;"),
        sql("a2", "a1", "CREATE TABLE t2 (id int);", "DROP TABLE t2;"),
    ])
}

/// Defect 1: a role that may only connect attached `pelican_track_state()` to a temp table
/// and forged "everything applied". EXECUTE is revoked from PUBLIC now, and the function
/// refuses any table but its own.
#[tokio::test]
async fn a_role_that_may_only_connect_cannot_forge_the_digest() {
    let (db, owner) = fresh_db().await;
    let migrator = Migrator::new(two_revisions());
    migrator.upgrade(&owner, "a1").await.unwrap();
    let role = create_role(&owner, "forger", "").await;
    let mallory = connect_as(&db, &role).await;

    let attach = mallory
        .batch_execute(
            "CREATE TEMP TABLE fake (revision text, parents text[], message text, checksum text, \
             checksum_algorithm text, kind text, state text, applied_at timestamptz, \
             duration_ms bigint, applied_by text, error text); \
             CREATE TRIGGER forge AFTER INSERT ON fake FOR EACH ROW \
             EXECUTE FUNCTION public.pelican_track_state()",
        )
        .await
        .expect_err("attaching pelican's trigger function must be refused");
    let denied = attach.as_db_error().expect("a server error");
    assert_eq!(denied.code().code(), "42501", "{denied:?}");
    assert_eq!(
        denied.message(),
        "permission denied for function public.pelican_track_state"
    );

    // Even a role allowed to run it (here: the owner) can't point it at another table.
    owner
        .batch_execute(
            "CREATE TABLE decoy (LIKE public.pelican_revisions INCLUDING DEFAULTS); \
             CREATE TRIGGER forge AFTER INSERT ON decoy FOR EACH ROW \
             EXECUTE FUNCTION public.pelican_track_state()",
        )
        .await
        .unwrap();
    let forged = owner
        .batch_execute(
            "INSERT INTO decoy (revision, checksum, checksum_algorithm, kind, state) \
             VALUES ('a2', 'x', 'sha256', 'sql', 'applied')",
        )
        .await
        .expect_err("the trigger function refuses other tables");
    assert!(
        format!("{forged:?}").contains("keeps the digest of"),
        "{forged:?}"
    );

    let report = migrator.migrate_to_head(&owner).await.unwrap();
    assert_eq!(db::ids(&report), ["a2"]);
    assert!(table_exists(&owner, "t2").await);
}

/// The privileges test: as a role with only CONNECT, nothing pelican created can be executed
/// or written.
#[tokio::test]
async fn nothing_pelican_creates_is_executable_or_writable_by_a_role_that_may_only_connect() {
    let (db, owner) = fresh_db().await;
    Migrator::new(two_revisions())
        .migrate_to_head(&owner)
        .await
        .unwrap();
    let role = create_role(&owner, "outsider", "").await;
    let outsider = connect_as(&db, &role).await;
    let attempts = [
        "SELECT public.pelican_revision_digest('a', 'sha256', 'x', 'applied')",
        "SELECT public.pelican_track_state()",
        "INSERT INTO public.pelican_revisions (revision, checksum, kind, state) VALUES ('x', 'x', 'sql', 'applied')",
        "UPDATE public.pelican_revisions SET state = 'applied'",
        "DELETE FROM public.pelican_revisions",
        "TRUNCATE public.pelican_revisions",
        "UPDATE public.pelican_state SET revisions = 0",
        "INSERT INTO public.pelican_log (revision, operation, outcome) VALUES ('x', 'upgrade', 'ok')",
        "SELECT nextval('public.pelican_log_id_seq')",
        "ALTER TABLE public.pelican_revisions DISABLE TRIGGER ALL",
        "DROP TABLE public.pelican_state",
        "CREATE OR REPLACE FUNCTION public.pelican_track_state() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NULL; END$$",
    ];
    for sql in attempts {
        let err = outsider
            .batch_execute(sql)
            .await
            .expect_err(sql)
            .as_db_error()
            .map(|e| e.code().code().to_owned());
        // 42501 insufficient_privilege; 42809 wrong object type for the direct call.
        assert!(
            matches!(
                err.as_deref(),
                Some("42501") | Some("0A000") | Some("42809")
            ),
            "{sql}: {err:?}"
        );
    }
}

/// Defect 3: a history table created beforehand by another role, with a trigger that makes
/// that role a superuser, is refused before anything is read or written.
#[tokio::test]
async fn a_history_table_owned_by_another_role_is_refused_and_never_written() {
    let (db, owner) = fresh_db().await;
    let role = create_role(&owner, "squatter", "").await;
    owner
        .batch_execute(&format!("GRANT CREATE ON SCHEMA public TO {role}"))
        .await
        .unwrap();
    let mallory = connect_as(&db, &role).await;
    mallory
        .batch_execute(&format!(
            "CREATE TABLE public.pelican_revisions (revision text, parents text[], message text, \
             checksum text, checksum_algorithm text, kind text, state text, \
             applied_at timestamptz, duration_ms bigint, applied_by text, error text); \
             CREATE FUNCTION public.escalate() RETURNS trigger LANGUAGE plpgsql AS \
             $$BEGIN ALTER ROLE {role} SUPERUSER; RETURN NEW; END$$; \
             CREATE TRIGGER escalate BEFORE INSERT ON public.pelican_revisions \
             FOR EACH ROW EXECUTE FUNCTION public.escalate();"
        ))
        .await
        .unwrap();

    let err = Migrator::new(two_revisions())
        .migrate_to_head(&owner)
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::UntrustedHistory { .. }), "{err:?}");
    assert!(
        message.starts_with(&format!(
            "refusing to use the table \"public\".\"pelican_revisions\": it is owned by role \"{role}\""
        )),
        "{message}"
    );
    assert!(message.contains("Security model"), "{message}");
    assert!(!is_superuser(&owner, &role).await);
    assert!(!table_exists(&owner, "t1").await, "nothing ran");

    // A view where pelican keeps its digest is never read either: reading it would run its
    // owner's code as the migrating role.
    mallory
        .batch_execute(&format!(
            "DROP TABLE public.pelican_revisions; \
             CREATE FUNCTION public.escalate_on_read() RETURNS int LANGUAGE plpgsql AS \
             $$BEGIN ALTER ROLE {role} SUPERUSER; RETURN 3; END$$; \
             CREATE VIEW public.pelican_state AS SELECT public.escalate_on_read() AS layout, \
             repeat('0', 256)::bit(256) AS digest, 0::bigint AS revisions;"
        ))
        .await
        .unwrap();
    let err = Migrator::new(two_revisions())
        .migrate_to_head(&owner)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("refusing to use the view \"public\".\"pelican_state\""),
        "{err}"
    );
    assert!(!is_superuser(&owner, &role).await);

    // A role that is a member of the owner is trusted.
    mallory
        .batch_execute("DROP VIEW public.pelican_state")
        .await
        .unwrap();
    owner
        .batch_execute(&format!("GRANT {role} TO CURRENT_USER"))
        .await
        .unwrap();
    let member = create_role(&owner, "member", "").await;
    owner
        .batch_execute(&format!(
            "GRANT {role} TO {member}; GRANT CREATE ON SCHEMA public TO {member}"
        ))
        .await
        .unwrap();
    let member_client = connect_as(&db, &member).await;
    let report = Migrator::new(two_revisions())
        .migrate_to_head(&member_client)
        .await
        .unwrap();
    assert_eq!(db::ids(&report), ["a1", "a2"]);
}

async fn is_superuser(client: &tokio_postgres::Client, role: &str) -> bool {
    client
        .query_one("SELECT rolsuper FROM pg_roles WHERE rolname = $1", &[&role])
        .await
        .unwrap()
        .get(0)
}

/// Defect 4: a Rust migration that swallows an error aborts its transaction; the migrator
/// rolls it back before logging and unlocking, so the borrowed client works afterwards and
/// holds no lock.
#[tokio::test]
async fn a_rust_migration_that_swallows_an_error_leaves_the_borrowed_client_usable() {
    struct SwallowsAnError;
    #[pelican::async_trait]
    impl pelican::Migration for SwallowsAnError {
        async fn up(
            &self,
            db: &tokio_postgres::Client,
        ) -> Result<(), pelican::migration::BoxError> {
            let _ = db
                .batch_execute("CREATE TABLE already_there (id int)")
                .await;
            Ok(())
        }
        async fn down(
            &self,
            _: &tokio_postgres::Client,
        ) -> Result<(), pelican::migration::BoxError> {
            Ok(())
        }
    }
    let (_db, client) = fresh_db().await;
    client
        .batch_execute("CREATE TABLE already_there (id int)")
        .await
        .unwrap();
    let rust_file = "//! revision: r2\n//! revises: a1\n//! message: swallow\n\npub struct S;\n";
    let mut entries = set(&[sql("a1", "", "CREATE TABLE t1 (id int);", "DROP TABLE t1;")])
        .entries()
        .to_vec();
    entries.push(pelican::migration::SetEntry::from_file(
        pelican::source::parse_migration("migrations/r2_swallow.rs", rust_file.as_bytes()).unwrap(),
    ));
    let migrations = pelican::MigrationSet::new(entries)
        .unwrap()
        .with_rust("r2", SwallowsAnError)
        .unwrap();
    let err = Migrator::new(migrations)
        .migrate_to_head(&client)
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with(
            "revision r2 (migrations/r2_swallow.rs) failed to upgrade: recording the migration:"
        ),
        "{message}"
    );
    assert!(message.contains("its error was ignored"), "{message}");
    // The client is usable and holds no lock; the failure is in the log.
    let one: i32 = client.query_one("SELECT 1", &[]).await.unwrap().get(0);
    assert_eq!(one, 1);
    assert_eq!(lock_holders(&client).await, 0);
    let log = log(&client, "public").await;
    assert_eq!(log.last().map(String::as_str), Some("r2:upgrade:failed"));
    assert_eq!(history(&client, "public").await, ["a1:applied"]);
}

/// Defect 5: a down section that turns triggers off for its transaction does not leave the
/// digest claiming "at head".
#[tokio::test]
async fn a_migration_that_turns_triggers_off_does_not_fool_the_digest() {
    let (_db, client) = fresh_db().await;
    let migrations = set(&[
        sql("a1", "", "CREATE TABLE t1 (id int);", "DROP TABLE t1;"),
        sql(
            "a2",
            "a1",
            "CREATE TABLE t2 (id int);",
            "SET LOCAL session_replication_role = replica;\nDROP TABLE t2;",
        ),
    ]);
    let migrator = Migrator::new(migrations);
    migrator.migrate_to_head(&client).await.unwrap();
    migrator.downgrade(&client, "-1").await.unwrap();
    assert!(!table_exists(&client, "t2").await);
    let report = migrator.migrate_to_head(&client).await.unwrap();
    assert_eq!(db::ids(&report), ["a2"]);
    assert!(table_exists(&client, "t2").await);
}

/// Defect 6: a migration's session settings don't reach the application's next use of the
/// pool, nor a lent client (which gets its own settings back).
#[tokio::test]
async fn session_settings_a_migration_changes_do_not_leak() {
    let (db, client) = fresh_db().await;
    let migrations = set(&[sql(
        "a1",
        "",
        "SET session_replication_role = replica;\nSET work_mem = '1MB';\nCREATE TABLE t1 (id int);",
        "DROP TABLE t1;",
    )]);
    let migrator = Migrator::new(migrations);
    let pool = roles::pool(&db, 1);
    migrator.migrate_to_head(&pool).await.unwrap();
    let app = pool.get().await.unwrap();
    let role: String = app
        .query_one("SHOW session_replication_role", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(role, "origin");
    drop(app);
    // The digest written in that run is right: a downgrade and an upgrade run again.
    migrator.downgrade(&pool, "base").await.unwrap();
    assert_eq!(
        db::ids(&migrator.migrate_to_head(&pool).await.unwrap()),
        ["a1"]
    );

    // A lent client gets its own settings back.
    migrator.downgrade(&client, "base").await.unwrap();
    client.batch_execute("SET work_mem = '7MB'").await.unwrap();
    migrator.migrate_to_head(&client).await.unwrap();
    let settings = client
        .query_one(
            "SELECT current_setting('work_mem'), current_setting('session_replication_role')",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(settings.get::<_, String>(0), "7MB");
    assert_eq!(settings.get::<_, String>(1), "origin");
}

/// Defect 7: a role-level statement_timeout does not cut the lock wait short; the wait
/// still ends with `LockTimeout` when it really times out.
#[tokio::test]
async fn a_role_statement_timeout_does_not_cut_the_lock_wait_short() {
    let (db, client) = fresh_db().await;
    // The first migration records the session's settings while it runs, after the wait.
    let migrator = Migrator::new(set(&[
        sql(
            "a1",
            "",
            "CREATE TABLE t1 AS SELECT current_setting('statement_timeout') AS statement_timeout, \
             current_setting('client_connection_check_interval') AS check_interval;",
            "DROP TABLE t1;",
        ),
        sql("a2", "a1", "CREATE TABLE t2 (id int);", "DROP TABLE t2;"),
    ]));
    let holder = db.connect().await.unwrap();
    holder
        .batch_execute(&pelican_lock_sql("public"))
        .await
        .unwrap();
    let mut config = db.config().clone();
    config.options("-c statement_timeout=300");
    let (waiter, connection) = config.connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    let release = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1200)).await;
        holder
            .batch_execute("SELECT pg_advisory_unlock_all()")
            .await
            .unwrap();
        holder
    });
    let report = migrator
        .clone()
        .lock_wait(Duration::from_secs(30))
        .migrate_to_head(&waiter)
        .await
        .unwrap();
    assert_eq!(db::ids(&report), ["a1", "a2"]);
    let during = client
        .query_one("SELECT statement_timeout, check_interval FROM t1", &[])
        .await
        .unwrap();
    // The role's statement timeout applies to the migrations (only the wait lifts it), and
    // the server checks for a vanished client every second while they run.
    assert_eq!(during.get::<_, String>(0), "300ms");
    assert_eq!(during.get::<_, String>(1), "1s");
    let holder = release.await.unwrap();
    // The role's own setting is back afterwards.
    let timeout: String = waiter
        .query_one("SHOW statement_timeout", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(timeout, "300ms");

    holder
        .batch_execute(&pelican_lock_sql("public"))
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let err = migrator
        .lock_wait(Duration::from_millis(900))
        .downgrade(&waiter, "base")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::LockTimeout { .. }), "{err}");
    assert!(
        started.elapsed() >= Duration::from_millis(850),
        "{:?}",
        started.elapsed()
    );
    drop(client);
}

/// Defect 10: a `transaction: false` revision whose first statement fails leaves the
/// history exactly as it was; one that fails later records the statement, and `resume`
/// runs the rest.
#[tokio::test]
async fn a_failed_non_transactional_revision_is_recorded_precisely_and_resumes() {
    let (_db, client) = fresh_db().await;
    let no_tx = "transaction: false";
    let migrations = set(&[
        sql("a1", "", "CREATE TABLE t1 (id int);", "DROP TABLE t1;"),
        sql_with(
            "a2",
            "a1",
            no_tx,
            "CREATE TABLE t2 (id int);\nINSERT INTO needed VALUES (1);\nCREATE TABLE t3 (id int);",
            "DROP TABLE does_not_exist;\nDROP TABLE t3;",
        ),
    ]);
    let migrator = Migrator::new(migrations);

    // Up: statement 2 fails; statement 1 stays; the row says so.
    let err = migrator.migrate_to_head(&client).await.unwrap_err();
    assert!(err.to_string().contains("line"), "{err}");
    assert!(table_exists(&client, "t2").await);
    assert_eq!(
        history(&client, "public").await,
        ["a1:applied", "a2:failed"]
    );
    let row = migrator
        .history(&client)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.revision == "a2")
        .unwrap();
    assert_eq!(
        row.failed_at,
        Some(pelican::history::FailedStatement {
            direction: pelican::Direction::Up,
            statement: 2
        })
    );
    let blocked = migrator.migrate_to_head(&client).await.unwrap_err();
    assert!(
        blocked
            .to_string()
            .contains("`pelican resolve a2 --resume`"),
        "{blocked}"
    );
    let status = migrator.status(&client).await.unwrap();
    assert_eq!(status.failed.len(), 1);
    assert!(
        status.failed[0].1.starts_with("statement 2 failed: "),
        "{:?}",
        status.failed
    );

    // Resuming before the cause is fixed fails at the same statement, and changes nothing.
    migrator.resume(&client, "a2").await.unwrap_err();
    assert_eq!(
        history(&client, "public").await,
        ["a1:applied", "a2:failed"]
    );
    client
        .batch_execute("CREATE TABLE needed (id int)")
        .await
        .unwrap();
    let step = migrator.resume(&client, "a2").await.unwrap();
    assert_eq!(step.revision.as_str(), "a2");
    assert!(table_exists(&client, "t3").await);
    assert_eq!(
        history(&client, "public").await,
        ["a1:applied", "a2:applied"]
    );
    assert_eq!(log(&client, "public").await.last().unwrap(), "a2:resume:ok");

    // Down: the first statement fails; nothing took effect, so the history is unchanged.
    let err = migrator.downgrade(&client, "a1").await.unwrap_err();
    assert!(err.to_string().contains("does_not_exist"), "{err}");
    assert_eq!(
        history(&client, "public").await,
        ["a1:applied", "a2:applied"]
    );
    assert_eq!(
        migrator
            .current(&client)
            .await
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["a2"]
    );
    assert!(migrator.migrate_to_head(&client).await.unwrap().is_empty());
}

/// Defect 10: `stamp --purge` erases every row, failed ones included, and logs it.
#[tokio::test]
async fn stamp_purge_erases_failed_rows_too_and_logs_it() {
    let (_db, client) = fresh_db().await;
    let migrations = set(&[
        sql("a1", "", "CREATE TABLE t1 (id int);", "DROP TABLE t1;"),
        sql_with(
            "a2",
            "a1",
            "transaction: false",
            "CREATE TABLE t2 (id int);\nSELECT 1/0;",
            "DROP TABLE t2;",
        ),
    ]);
    let migrator = Migrator::new(migrations);
    migrator.migrate_to_head(&client).await.unwrap_err();
    assert_eq!(
        history(&client, "public").await,
        ["a1:applied", "a2:failed"]
    );
    // Without --purge, the failed row blocks the stamp.
    let err = migrator.stamp(&client, &["a2"], false).await.unwrap_err();
    assert!(matches!(err, Error::FailedRevision { .. }), "{err}");
    let report = migrator.stamp(&client, &["a2"], true).await.unwrap();
    assert_eq!(report.added.len(), 2);
    assert_eq!(
        history(&client, "public").await,
        ["a1:stamped", "a2:stamped"]
    );
    let log = log(&client, "public").await;
    assert!(log.contains(&"a2:purge:ok".to_owned()), "{log:?}");
    assert!(log.contains(&"a1:purge:ok".to_owned()), "{log:?}");
    assert!(migrator.migrate_to_head(&client).await.unwrap().is_empty());
}

/// Defect 11: a first run on an empty database, and the reads after it, write no ERROR into
/// the server log.
#[tokio::test]
async fn a_first_run_writes_no_error_into_the_server_log() {
    let server = pelican::testing::TestServer::start_throwaway().unwrap();
    let database = server.create_database().await.unwrap();
    let client = database.connect().await.unwrap();
    let migrator = Migrator::new(two_revisions()).schema("fresh_schema");
    migrator.status(&client).await.unwrap();
    migrator.history(&client).await.unwrap();
    migrator.migrate_to_head(&client).await.unwrap();
    migrator.migrate_to_head(&client).await.unwrap();
    migrator.downgrade(&client, "base").await.unwrap();
    migrator.status(&client).await.unwrap();
    let log = std::fs::read_to_string(server.log_path().unwrap()).unwrap();
    let errors: Vec<&str> = log.lines().filter(|l| l.contains("ERROR:")).collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

/// Defect 2: `migrate_to_head` dropped at many points (while another session holds the lock,
/// and while a migration runs) never leaves the lock on a session of the pool, and the next
/// run completes.
#[tokio::test]
async fn a_cancelled_run_never_leaves_the_lock_on_the_pool() {
    let (db, observer) = fresh_db().await;
    let migrations = set(&[sql(
        "a1",
        "",
        "SELECT pg_sleep(0.15);\nCREATE TABLE t1 (id int);",
        "DROP TABLE t1;",
    )]);
    let migrator = Migrator::new(migrations).lock_wait(Duration::from_secs(20));
    let pool = roles::pool(&db, 1);
    let holder = db.connect().await.unwrap();
    for held in [true, false] {
        for millis in [0, 1, 2, 5, 10, 20, 40, 80, 120, 160, 200, 300] {
            let context = format!("lock held elsewhere: {held}, dropped after {millis} ms");
            if held {
                holder
                    .batch_execute(&pelican_lock_sql("public"))
                    .await
                    .unwrap();
            }
            let run = tokio::time::timeout(
                Duration::from_millis(millis),
                migrator.migrate_to_head(&pool),
            )
            .await;
            if held {
                assert!(
                    run.is_err(),
                    "{context}: the run can't finish while the lock is held"
                );
                holder
                    .batch_execute("SELECT pg_advisory_unlock_all()")
                    .await
                    .unwrap();
            }
            // Within a few seconds no session holds or waits for the lock (a closed
            // connection's server process may take up to client_connection_check_interval
            // to notice), and none of them is the pool's.
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            while lock_holders(&observer).await > 0 {
                assert!(
                    std::time::Instant::now() < deadline,
                    "{context}: the lock stays held"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            {
                let pooled = pool.get().await.unwrap();
                let mine: i64 = pooled
                    .query_one(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()",
                        &[],
                    )
                    .await
                    .unwrap()
                    .get(0);
                assert_eq!(mine, 0, "{context}");
            }
            migrator
                .migrate_to_head(&pool)
                .await
                .unwrap_or_else(|e| panic!("{context}: {e}"));
            assert!(table_exists(&observer, "t1").await, "{context}");
            migrator.downgrade(&pool, "base").await.unwrap();
        }
    }
}

/// Defect 4 (durations): a timeout PostgreSQL can't take is refused before anything runs,
/// naming the setting, instead of failing mid-run with "Value exceeds integer range".
#[tokio::test]
async fn timeouts_postgres_cannot_take_are_refused_before_anything_runs() {
    let (_db, client) = fresh_db().await;
    let too_long = Duration::from_secs(600 * 3600);
    for (migrator, setting) in [
        (
            Migrator::new(two_revisions()).lock_timeout(too_long),
            "lock_timeout",
        ),
        (
            Migrator::new(two_revisions()).statement_timeout(too_long),
            "statement_timeout",
        ),
        (
            Migrator::new(two_revisions()).lock_wait(too_long),
            "lock_wait",
        ),
    ] {
        let err = migrator.migrate_to_head(&client).await.unwrap_err();
        assert!(matches!(err, Error::TimeoutTooLong(_)), "{err:?}");
        assert!(
            err.to_string().starts_with(&format!(
                "{setting} of 2160000s is too long: PostgreSQL's maximum is 2147483647ms"
            )),
            "{err}"
        );
        assert!(!table_exists(&client, "t1").await, "{setting}: nothing ran");
        assert!(
            !table_exists(&client, "public.pelican_revisions").await,
            "{setting}: not even the history tables were created"
        );
    }
}

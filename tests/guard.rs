//! The DDL guard on real PostgreSQL: hand DDL recorded with who, what and the statement;
//! pelican's own runs (library) left out; the log append-only; install idempotent and
//! upgraded in place; remove clean; a server restart survived; a role without the privilege
//! told so. The CLI's `guard` verbs are in tests/cli/guard.rs.

#[path = "support/db.rs"]
mod db;
#[path = "support/roles.rs"]
mod roles;

use db::{fresh_db, set, sql, sql_with};
use pelican::guard::{self, DdlEvent, GuardError, InstallOutcome, RemoveLog};
use pelican::testing::TestServer;
use pelican::Migrator;
use tokio_postgres::Client;

/// `command_tag object_identity by acting_role` of every entry, in order.
async fn entries(client: &Client, schema: &str) -> Vec<String> {
    guard::read_log(client, schema, None)
        .await
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {} by {}",
                e.command_tag,
                e.object_identity.as_deref().unwrap_or("-"),
                e.acting_role
            )
        })
        .collect()
}

/// Names of the guard's event triggers and functions left in the database.
async fn leftovers(client: &Client) -> Vec<String> {
    client
        .query(
            "SELECT evtname::text FROM pg_event_trigger WHERE evtname LIKE 'pelican%' \
             UNION ALL SELECT proname::text FROM pg_proc WHERE proname LIKE 'pelican_ddl%' \
             ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test]
async fn hand_ddl_is_recorded_with_role_command_object_and_statement() {
    let (database, client) = fresh_db().await;
    assert_eq!(
        guard::install(&client, "public").await.unwrap(),
        InstallOutcome::Installed
    );
    let alice = roles::create_role(&client, "alice", "").await;
    client
        .batch_execute(&format!(
            "CREATE TABLE users (id int PRIMARY KEY, name text);
             ALTER TABLE users OWNER TO {alice};
             GRANT USAGE, CREATE ON SCHEMA public TO {alice};
             CREATE TEMP TABLE scratch (x int);"
        ))
        .await
        .unwrap();
    let as_alice = roles::connect_as(&database, &alice).await;
    as_alice
        .batch_execute("SET application_name = 'psql-by-hand'")
        .await
        .unwrap();
    as_alice
        .batch_execute("ALTER TABLE users ADD COLUMN nick text")
        .await
        .unwrap();
    as_alice
        .batch_execute("CREATE INDEX users_nick ON users (nick)")
        .await
        .unwrap();
    as_alice
        .batch_execute("ALTER TABLE users DROP COLUMN nick")
        .await
        .unwrap();
    client.batch_execute("DROP TABLE users").await.unwrap();

    let log = guard::read_log(&client, "public", None).await.unwrap();
    let by_alice: Vec<_> = log.iter().filter(|e| e.acting_role == alice).collect();
    let add = by_alice
        .iter()
        .find(|e| e.statement.as_deref() == Some("ALTER TABLE users ADD COLUMN nick text"))
        .expect("the ADD COLUMN is recorded");
    assert_eq!(add.command_tag, "ALTER TABLE");
    assert_eq!(add.object_identity.as_deref(), Some("public.users"));
    assert_eq!(add.object_type.as_deref(), Some("table"));
    assert_eq!(add.schema_name.as_deref(), Some("public"));
    assert_eq!(add.session_role, alice);
    assert_eq!(add.application_name.as_deref(), Some("psql-by-hand"));
    assert_eq!(add.event, DdlEvent::Command);
    assert!(add.backend_pid > 0 && add.transaction_id.is_some());
    assert!(add.to_string().contains(&format!(
        "ALTER TABLE table public.users by role {alice} from a local socket at "
    )));
    assert!(by_alice.iter().any(|e| e.command_tag == "CREATE INDEX"
        && e.object_identity.as_deref() == Some("public.users_nick")));
    // The dropped column comes from sql_drop, the ALTER from ddl_command_end.
    assert!(by_alice
        .iter()
        .any(|e| e.event == DdlEvent::Drop
            && e.object_identity.as_deref() == Some("public.users.nick")));
    let dropped = log
        .iter()
        .find(|e| e.event == DdlEvent::Drop && e.object_identity.as_deref() == Some("public.users"))
        .expect("the DROP TABLE is recorded");
    assert_eq!(dropped.command_tag, "DROP TABLE");
    assert_eq!(dropped.statement.as_deref(), Some("DROP TABLE users"));
    // Temporary objects are the session's business.
    assert!(!log.iter().any(|e| e
        .object_identity
        .as_deref()
        .is_some_and(|o| o.contains("scratch"))));
    // `since` keeps the later entries only.
    let last = log.last().unwrap();
    let later = guard::read_log(&client, "public", Some(last.at))
        .await
        .unwrap();
    assert!(!later.is_empty() && later.iter().all(|e| e.at >= last.at));

    let status = guard::status(&client, "public").await.unwrap();
    assert!(status.is_active() && status.function_current, "{status:?}");
    assert_eq!(status.rows, Some(log.len() as i64));
    assert_eq!(status.last_entry_at, Some(last.at));
}

/// A transactional revision, a `transaction: false` one and a failing one.
fn app_set(fail: bool) -> pelican::MigrationSet {
    let mut files = vec![
        sql(
            "r1",
            "",
            "CREATE TABLE accounts (id int PRIMARY KEY, email text);",
            "DROP TABLE accounts;",
        ),
        sql_with(
            "r2",
            "r1",
            "transaction: false",
            "CREATE INDEX CONCURRENTLY accounts_email ON accounts (email);",
            "DROP INDEX CONCURRENTLY accounts_email;",
        ),
    ];
    if fail {
        files.push(sql(
            "r3",
            "r2",
            "ALTER TABLE accounts ADD COLUMN nick text; SELECT 1/0;",
            "",
        ));
    }
    set(&files)
}

/// What the session says of pelican's mark.
async fn mark(client: &Client) -> Option<String> {
    client
        .query_one("SELECT current_setting('pelican.migrating', true)", &[])
        .await
        .unwrap()
        .get::<_, Option<String>>(0)
        .filter(|v| !v.is_empty())
}

#[tokio::test]
async fn pelicans_own_runs_are_not_recorded_and_the_mark_does_not_outlive_them() {
    let (database, client) = fresh_db().await;
    guard::install(&client, "public").await.unwrap();
    let migrator = Migrator::new(app_set(false));

    // A lent client: upgrade (creating the history tables too), downgrade, upgrade.
    let lent = database.connect().await.unwrap();
    migrator.migrate_to_head(&lent).await.unwrap();
    migrator.downgrade(&lent, "base").await.unwrap();
    migrator.upgrade(&lent, "head").await.unwrap();
    // A pool, with the history in another schema.
    let pool = roles::pool(&database, 2);
    let pooled = set(&[sql(
        "p1",
        "",
        "CREATE TABLE pooled (x int);",
        "DROP TABLE pooled;",
    )]);
    Migrator::new(pooled)
        .schema("ops")
        .migrate_to_head(&pool)
        .await
        .unwrap();
    assert_eq!(entries(&client, "public").await, Vec::<String>::new());
    assert_eq!(mark(&lent).await, None);

    // After a failed run the mark is gone too: the same session's hand DDL is recorded.
    let failing = Migrator::new(app_set(true));
    failing.migrate_to_head(&lent).await.unwrap_err();
    assert_eq!(mark(&lent).await, None);
    assert_eq!(entries(&client, "public").await, Vec::<String>::new());
    lent.batch_execute("CREATE TABLE by_hand (x int)")
        .await
        .unwrap();
    let session = current_role(&lent).await;
    assert_eq!(
        entries(&client, "public").await,
        [format!("CREATE TABLE public.by_hand by {session}")]
    );
}

#[tokio::test]
async fn the_log_refuses_update_delete_and_truncate_even_for_its_owner() {
    let (_database, client) = fresh_db().await;
    guard::install(&client, "public").await.unwrap();
    client
        .batch_execute("CREATE TABLE t (x int)")
        .await
        .unwrap();
    for statement in [
        "UPDATE pelican_ddl_log SET acting_role = 'nobody'",
        "DELETE FROM pelican_ddl_log",
        "TRUNCATE pelican_ddl_log",
    ] {
        let err = client.batch_execute(statement).await.unwrap_err();
        let db = err.as_db_error().unwrap();
        assert!(
            db.message().contains("append-only"),
            "{statement}: {}",
            db.message()
        );
    }
    assert_eq!(entries(&client, "public").await.len(), 1);
    // Nobody else may write to it or read it.
    let granted: bool = client
        .query_one(
            "SELECT has_table_privilege('public', 'pelican_ddl_log', 'INSERT') \
             OR has_table_privilege('public', 'pelican_ddl_log', 'SELECT')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(!granted);
}

#[tokio::test]
async fn install_twice_is_fine_and_an_older_or_disabled_guard_is_brought_up_to_date() {
    let (_database, client) = fresh_db().await;
    assert_eq!(
        guard::install(&client, "audit").await.unwrap(),
        InstallOutcome::Installed
    );
    client
        .batch_execute("CREATE TABLE t (x int)")
        .await
        .unwrap();
    assert_eq!(
        guard::install(&client, "audit").await.unwrap(),
        InstallOutcome::AlreadyCurrent
    );

    // An older function (here: one edited by hand, which records nothing).
    client
        .batch_execute(
            "SET pelican.migrating = 'on';
             CREATE OR REPLACE FUNCTION audit.pelican_ddl_record() RETURNS event_trigger
             LANGUAGE plpgsql AS $$ BEGIN END $$;
             RESET pelican.migrating;",
        )
        .await
        .unwrap();
    let status = guard::status(&client, "audit").await.unwrap();
    assert!(status.function_exists && !status.function_current);
    assert_eq!(
        guard::install(&client, "audit").await.unwrap(),
        InstallOutcome::Upgraded
    );
    // A disabled trigger.
    client
        .batch_execute("ALTER EVENT TRIGGER pelican_ddl_guard_drop DISABLE")
        .await
        .unwrap();
    assert!(!guard::status(&client, "audit").await.unwrap().is_active());
    assert_eq!(
        guard::install(&client, "audit").await.unwrap(),
        InstallOutcome::Upgraded
    );
    // A dropped append-only trigger.
    client
        .batch_execute("DROP TRIGGER pelican_ddl_log_no_truncate ON audit.pelican_ddl_log")
        .await
        .unwrap();
    assert!(
        !guard::status(&client, "audit")
            .await
            .unwrap()
            .log_append_only
    );
    assert_eq!(
        guard::install(&client, "audit").await.unwrap(),
        InstallOutcome::Upgraded
    );
    let status = guard::status(&client, "audit").await.unwrap();
    assert!(status.is_active() && status.function_current && status.log_append_only);
    // The rows were kept, and neither reinstall recorded itself.
    client.batch_execute("DROP TABLE t").await.unwrap();
    let me = current_role(&client).await;
    assert_eq!(
        entries(&client, "audit").await,
        [
            format!("CREATE TABLE public.t by {me}"),
            format!("DROP TRIGGER pelican_ddl_log_no_truncate on audit.pelican_ddl_log by {me}"),
            format!("DROP TABLE public.t by {me}")
        ]
    );

    // A database has one guard.
    let err = guard::install(&client, "public").await.unwrap_err();
    assert!(
        matches!(&err, GuardError::InstalledElsewhere { installed, .. } if installed == "audit"),
        "{err}"
    );
}

async fn current_role(client: &Client) -> String {
    client
        .query_one("SELECT current_user::text", &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn remove_leaves_no_trigger_or_function_and_keeps_the_log_unless_asked() {
    let (_database, client) = fresh_db().await;
    guard::install(&client, "public").await.unwrap();
    client
        .batch_execute("CREATE TABLE t (x int)")
        .await
        .unwrap();

    guard::remove(&client, "public", RemoveLog::Keep)
        .await
        .unwrap();
    // The log stays, append-only (its own trigger function stays with it).
    assert_eq!(leftovers(&client).await, ["pelican_ddl_log_refuse"]);
    assert_eq!(entries(&client, "public").await.len(), 1);
    assert!(client
        .batch_execute("DELETE FROM pelican_ddl_log")
        .await
        .is_err());
    client.batch_execute("DROP TABLE t").await.unwrap();
    assert_eq!(
        entries(&client, "public").await.len(),
        1,
        "nothing recorded"
    );
    let status = guard::status(&client, "public").await.unwrap();
    assert!(!status.is_active() && status.log_exists && !status.function_exists);

    guard::remove(&client, "public", RemoveLog::Drop)
        .await
        .unwrap();
    assert_eq!(leftovers(&client).await, Vec::<String>::new());
    assert!(guard::status(&client, "public").await.unwrap().is_absent());
    assert!(matches!(
        guard::read_log(&client, "public", None).await,
        Err(GuardError::NotInstalled { .. })
    ));
    // Removing what is not there is fine.
    guard::remove(&client, "public", RemoveLog::Drop)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_guard_survives_a_server_restart() {
    let server = TestServer::start_throwaway().expect("a throwaway server");
    let database = server.create_database().await.unwrap();
    let client = database.connect().await.unwrap();
    guard::install(&client, "public").await.unwrap();
    drop(client);
    server.restart().await.unwrap();
    let client = database.connect().await.unwrap();
    assert!(guard::status(&client, "public").await.unwrap().is_active());
    client
        .batch_execute("CREATE TABLE after_restart (x int)")
        .await
        .unwrap();
    let log = entries(&client, "public").await;
    assert_eq!(log.len(), 1, "{log:?}");
    assert!(log[0].starts_with("CREATE TABLE public.after_restart by "));
}

#[tokio::test]
async fn a_role_that_may_not_create_event_triggers_is_told_so_and_nothing_changes() {
    let (database, client) = fresh_db().await;
    let role = roles::create_role(&client, "deployer", "").await;
    client
        .batch_execute(&format!(
            "GRANT CREATE ON DATABASE \"{}\" TO {role}; GRANT CREATE ON SCHEMA public TO {role}",
            database.name()
        ))
        .await
        .unwrap();
    let deployer = roles::connect_as(&database, &role).await;

    let err = guard::install(&deployer, "public").await.unwrap_err();
    assert!(
        matches!(
            err,
            GuardError::NotPermitted {
                operation: "install",
                ..
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    for needle in [
        role.as_str(),
        "superuser",
        "pelican guard install",
        "`pelican drift` works without the guard",
    ] {
        assert!(message.contains(needle), "{needle:?} in {message}");
    }
    assert!(guard::status(&client, "public").await.unwrap().is_absent());
    // The session is usable: the failed transaction was rolled back.
    deployer.batch_execute("SELECT 1").await.unwrap();

    // Installed by a superuser: the deployer can't remove it, nor read the log.
    guard::install(&client, "public").await.unwrap();
    let err = guard::remove(&deployer, "public", RemoveLog::Drop)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            GuardError::NotPermitted {
                operation: "remove",
                ..
            }
        ),
        "{err:?}"
    );
    let err = guard::read_log(&deployer, "public", None)
        .await
        .unwrap_err();
    assert!(matches!(err, GuardError::LogNotReadable { .. }), "{err:?}");
    assert!(err.to_string().contains("GRANT SELECT ON"), "{err}");
    // Its DDL is recorded under its name.
    deployer
        .batch_execute("CREATE TABLE deployer_t (x int)")
        .await
        .unwrap();
    assert_eq!(
        entries(&client, "public").await,
        [format!("CREATE TABLE public.deployer_t by {role}")]
    );
}

#[tokio::test]
async fn snapshots_leave_the_guard_out() {
    let (_database, client) = fresh_db().await;
    guard::install(&client, "public").await.unwrap();
    let snapshot = pelican::schema::snapshot(&client, &["public"])
        .await
        .unwrap();
    assert!(snapshot.tables.is_empty(), "{:?}", snapshot.tables.keys());
    assert!(
        snapshot.functions.is_empty(),
        "{:?}",
        snapshot.functions.keys()
    );
    assert!(
        snapshot.triggers.is_empty(),
        "{:?}",
        snapshot.triggers.keys()
    );
}

//! Throwaway schemas and databases (`TempSchema`, `TempDatabase`) and `#[pelican::test]`,
//! against real PostgreSQL: isolation, targets, fixtures, clean-up after a panic, the
//! janitor, template reuse, and 50 tests at once.

use std::panic::AssertUnwindSafe;
use std::sync::Mutex;

use pelican::migration::{Body, SetEntry, SqlBody};
use pelican::testing::{
    sweep_leftovers, TempDatabase, TempSchema, TempSetup, TestServer, LEFTOVER_AGE,
};
use pelican::{EmbeddedMigrations, MigrationSet, Revision};
use tokio_postgres::Client;

type TestResult = Result<(), Box<dyn std::error::Error>>;

static MIGRATIONS: EmbeddedMigrations =
    pelican::embed_migrations!("tests/fixtures/temp/migrations");

async fn admin() -> Client {
    TestServer::shared().unwrap().connect().await.unwrap()
}

async fn schema_exists(name: &str) -> bool {
    admin()
        .await
        .query_opt("SELECT 1 FROM pg_namespace WHERE nspname = $1", &[&name])
        .await
        .unwrap()
        .is_some()
}

async fn database_exists(name: &str) -> bool {
    admin()
        .await
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .await
        .unwrap()
        .is_some()
}

async fn count_tasks(client: &Client) -> i64 {
    client
        .query_one("SELECT count(*) FROM tasks", &[])
        .await
        .unwrap()
        .get(0)
}

async fn columns(client: &Client, table: &str) -> Vec<String> {
    client
        .query(
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            &[&table],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}

/// The history rows of a database, with their timestamps.
async fn history(database: &TempDatabase) -> Vec<(String, String)> {
    let client = database.connect().await.unwrap();
    client
        .query(
            "SELECT revision, applied_at::text FROM pelican_revisions ORDER BY revision",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect()
}

fn ids(revisions: &[pelican::RevisionId]) -> Vec<String> {
    revisions.iter().map(|r| r.to_string()).collect()
}

#[tokio::test]
async fn schemas_with_the_same_tables_do_not_see_each_other() -> TestResult {
    let first = TempSchema::new(&MIGRATIONS).await?;
    let second = TempSchema::new(&MIGRATIONS).await?;
    assert_ne!(first.name(), second.name());
    let (a, b) = (first.connect().await?, second.connect().await?);
    a.execute(
        "INSERT INTO tasks (title) VALUES ('only in the first')",
        &[],
    )
    .await?;
    assert_eq!(count_tasks(&a).await, 1);
    assert_eq!(count_tasks(&b).await, 0);
    let schema: String = a
        .query_one("SELECT current_schema()::text", &[])
        .await?
        .get(0);
    assert_eq!(schema, first.name());
    // The history is in the schema too, and says it is at the head.
    assert_eq!(ids(&first.migrator().current(&a).await?), ["t3"]);
    // A pool has the same search path.
    let pooled = second.pool()?.get().await?;
    assert_eq!(count_tasks(&pooled).await, 0);
    Ok(())
}

#[tokio::test]
async fn a_schema_is_migrated_to_the_target_it_is_given() -> TestResult {
    let schema = TempSetup::new(&MIGRATIONS).target("t2").schema().await?;
    let client = schema.connect().await?;
    assert_eq!(columns(&client, "tasks").await, ["id", "title", "priority"]);
    // The test can take it further.
    schema.migrator().upgrade(&client, "t3").await?;
    assert_eq!(
        columns(&client, "tasks").await,
        ["id", "title", "priority", "done"]
    );
    Ok(())
}

#[tokio::test]
async fn the_schema_is_dropped_with_the_value() -> TestResult {
    let schema = TempSchema::new(&MIGRATIONS).await?;
    let name = schema.name().to_owned();
    let client = schema.connect().await?;
    assert!(schema_exists(&name).await);
    drop(schema);
    assert!(!schema_exists(&name).await);
    // Its sessions were ended with it.
    assert!(client.simple_query("SELECT 1").await.is_err());
    Ok(())
}

/// A test that panics in the middle of a transaction holding a lock on its table: dropping
/// the schema during unwinding must end that session, or it would wait on the lock.
#[test]
fn a_panicking_test_leaves_no_schema_or_database_behind() {
    let names = Mutex::new(Vec::new());
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let schema = TempSchema::new(&MIGRATIONS).await.unwrap();
            let database = TempDatabase::new(&MIGRATIONS).await.unwrap();
            names
                .lock()
                .unwrap()
                .extend([schema.name().to_owned(), database.name().to_owned()]);
            for client in [
                schema.connect().await.unwrap(),
                database.connect().await.unwrap(),
            ] {
                client
                    .batch_execute("BEGIN; LOCK TABLE tasks IN ACCESS EXCLUSIVE MODE")
                    .await
                    .unwrap();
                std::mem::forget(client); // still connected, in its transaction
            }
            panic!("the test fails");
        })
    }));
    assert!(outcome.is_err(), "the test panicked");
    let names = names.into_inner().unwrap();
    assert_eq!(names.len(), 2);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        assert!(
            !schema_exists(&names[0]).await,
            "schema {} is left",
            names[0]
        );
        assert!(
            !database_exists(&names[1]).await,
            "database {} is left",
            names[1]
        );
    });
}

#[pelican::test(migrations = MIGRATIONS, fixtures("tests/fixtures/temp/tasks.sql"))]
async fn fixtures_run_after_migrating(schema: TempSchema) {
    let client = schema.connect().await.unwrap();
    assert_eq!(count_tasks(&client).await, 2);
}

#[pelican::test(
    migrations = "tests/fixtures/temp/migrations",
    target = "t2",
    fixtures("tests/fixtures/temp/tasks.sql")
)]
async fn a_database_test_with_every_option(database: TempDatabase) -> TestResult {
    let client = database.connect().await?;
    assert_eq!(count_tasks(&client).await, 2);
    assert_eq!(columns(&client, "tasks").await, ["id", "title", "priority"]);
    assert_eq!(ids(&database.migrator().current(&client).await?), ["t2"]);
    Ok(())
}

#[tokio::test]
async fn a_failing_fixture_names_the_file_and_the_schema() {
    let error = TempSetup::new(&MIGRATIONS)
        .fixture_sql(
            "tests/fixtures/broken.sql",
            "INSERT INTO no_such_table VALUES (1)",
        )
        .schema()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("fixture tests/fixtures/broken.sql failed in test schema pelican_tmp_"),
        "{error}"
    );
    assert!(
        error.ends_with(r#"db error: ERROR: relation "no_such_table" does not exist"#),
        "{error}"
    );

    let missing = TempSetup::new(&MIGRATIONS)
        .fixture("tests/fixtures/temp/missing.sql")
        .database()
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        missing,
        "could not read the fixture tests/fixtures/temp/missing.sql: No such file or directory (os error 2)"
    );
}

#[tokio::test]
async fn a_bad_target_names_the_schema_and_the_target() {
    let error = TempSetup::new(&MIGRATIONS)
        .target("t9")
        .schema()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("could not migrate test schema pelican_tmp_"),
        "{error}"
    );
    assert!(error.contains(" to `t9`: "), "{error}");
}

/// Databases cloned from one template carry the template's history rows, timestamps
/// included: the second database was copied, not migrated again.
#[tokio::test]
async fn databases_of_one_set_are_copies_of_one_template() -> TestResult {
    let first = TempDatabase::new(&MIGRATIONS).await?;
    let second = TempDatabase::new(&MIGRATIONS).await?;
    assert_eq!(first.template(), second.template());
    assert_ne!(first.name(), second.name());
    let rows = history(&first).await;
    assert_eq!(rows.len(), 3);
    assert_eq!(rows, history(&second).await);

    let template: (bool, bool) = admin()
        .await
        .query_one(
            "SELECT datistemplate, datallowconn FROM pg_database WHERE datname = $1",
            &[&first.template()],
        )
        .await
        .map(|row| (row.get(0), row.get(1)))?;
    assert_eq!(template, (true, false), "a template nobody can connect to");

    // And the copies are separate databases.
    let a = first.connect().await?;
    a.execute("INSERT INTO tasks (title) VALUES ('first only')", &[])
        .await?;
    assert_eq!(count_tasks(&second.connect().await?).await, 0);
    Ok(())
}

#[tokio::test]
async fn a_changed_set_or_target_gets_a_template_of_its_own() -> TestResult {
    let mut entries = MigrationSet::from(&MIGRATIONS).entries().to_vec();
    entries.push(SetEntry::new(
        Revision::new("t4".parse()?).with_parents(vec!["t3".parse()?]),
        "t4_notes.sql",
        Body::Sql {
            up: SqlBody::new("ALTER TABLE tasks ADD COLUMN notes text", 1),
            down: None,
        },
    ));
    let grown = MigrationSet::new(entries)?;

    let original = TempDatabase::new(&MIGRATIONS).await?;
    let changed = TempDatabase::new(grown).await?;
    let earlier = TempSetup::new(&MIGRATIONS).target("t1").database().await?;
    assert_ne!(original.template(), changed.template());
    assert_ne!(original.template(), earlier.template());

    let client = changed.connect().await?;
    assert_eq!(
        columns(&client, "tasks").await,
        ["id", "title", "priority", "done", "notes"]
    );
    let client = earlier.connect().await?;
    assert_eq!(columns(&client, "tasks").await, ["id", "title"]);
    let client = original.connect().await?;
    assert_eq!(
        columns(&client, "tasks").await,
        ["id", "title", "priority", "done"]
    );
    Ok(())
}

/// Four tests ask for the template of a set nobody has built yet, at the same moment: the
/// build lock makes one build it, and all four get copies of that one (their history rows
/// carry the same timestamps). Test processes meet the same lock, on the server.
#[test]
fn a_new_template_is_built_once_by_tests_asking_at_once() {
    let unique = format!(
        "SELECT {} AS run",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let mut entries = MigrationSet::from(&MIGRATIONS).entries().to_vec();
    entries.push(SetEntry::new(
        Revision::new("t4".parse().unwrap()).with_parents(vec!["t3".parse().unwrap()]),
        "t4_unique.sql",
        Body::Sql {
            up: SqlBody::new(unique, 1),
            down: None,
        },
    ));
    let set = MigrationSet::new(entries).unwrap();
    // A server of its own: the one-off template (and its spare) go with it.
    let private = TestServer::start_throwaway().unwrap();
    let setup = TempSetup::new(set).server(&private);
    let barrier = std::sync::Barrier::new(4);
    let made: Vec<(String, Vec<(String, String)>)> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    barrier.wait();
                    runtime.block_on(async {
                        let database = setup.database().await.unwrap();
                        (database.template().to_owned(), history(&database).await)
                    })
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert_eq!(made[0].1.len(), 4);
    for other in &made[1..] {
        assert_eq!(other, &made[0]);
    }
}

#[tokio::test]
async fn a_setup_can_name_a_server_of_its_own() -> TestResult {
    let private = TestServer::start_throwaway()?;
    let setup = TempSetup::new(&MIGRATIONS).server(&private);
    let schema = setup.schema().await?;
    let database = setup.database().await?;
    let on_private = private.connect().await?;
    let found: i64 = on_private
        .query_one(
            "SELECT (SELECT count(*) FROM pg_namespace WHERE nspname = $1) \
                  + (SELECT count(*) FROM pg_database WHERE datname = $2)",
            &[&schema.name(), &database.name()],
        )
        .await?
        .get(0);
    assert_eq!(found, 2, "both are on the private server");
    assert!(
        !database_exists(database.name()).await,
        "not on the shared one"
    );
    Ok(())
}

#[tokio::test]
async fn the_janitor_removes_old_leftovers_and_keeps_fresh_ones() -> TestResult {
    let server = TestServer::shared()?;
    let client = server.connect().await?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let old = now - 2 * 3600;
    let old_schema = format!("pelican_tmp_{old}_1_0_00000000");
    let old_database = format!("pelican_tmp_{old}_1_1_00000000");
    let fresh_schema = format!("pelican_tmp_{now}_1_2_00000000");
    let old_spare = format!("pelican_spare_00000000deadbeef_{old}_00000000_0");
    let fresh_spare = format!("pelican_spare_00000000deadbeef_{now}_00000000_1");
    let old_template = "pelican_tpl_00000000deadbeef";
    let fresh_template = "pelican_tpl_00000000cafef00d";
    client
        .batch_execute(&format!(
            "CREATE SCHEMA {old_schema}; CREATE TABLE {old_schema}.t (id int); \
             CREATE SCHEMA {fresh_schema};"
        ))
        .await?;
    for statement in [
        format!("CREATE DATABASE {old_database}"),
        format!("CREATE DATABASE {old_spare}"),
        format!("CREATE DATABASE {fresh_spare}"),
        format!("CREATE DATABASE {old_template} IS_TEMPLATE true ALLOW_CONNECTIONS false"),
        format!("COMMENT ON DATABASE {old_template} IS 'pelican test template, last used at unix time {old}'"),
        format!("CREATE DATABASE {fresh_template} IS_TEMPLATE true ALLOW_CONNECTIONS false"),
        format!("COMMENT ON DATABASE {fresh_template} IS 'pelican test template, last used at unix time {now}'"),
    ] {
        client.batch_execute(&statement).await?;
    }

    let swept = sweep_leftovers(server, LEFTOVER_AGE).await?;
    assert!(swept.schemas.contains(&old_schema), "{swept:?}");
    assert!(swept.databases.contains(&old_database), "{swept:?}");
    assert!(swept.databases.contains(&old_spare), "{swept:?}");
    assert!(
        swept.templates.iter().any(|t| t == old_template),
        "{swept:?}"
    );
    assert!(!schema_exists(&old_schema).await);
    assert!(!database_exists(&old_database).await);
    assert!(!database_exists(&old_spare).await);
    assert!(database_exists(&fresh_spare).await, "a fresh spare is kept");
    assert!(!database_exists(old_template).await);
    assert!(schema_exists(&fresh_schema).await, "a fresh schema is kept");
    assert!(
        database_exists(fresh_template).await,
        "a template in use is kept"
    );

    for statement in [
        format!("DROP SCHEMA {fresh_schema}"),
        format!("DROP DATABASE {fresh_spare}"),
        format!("ALTER DATABASE {fresh_template} IS_TEMPLATE false"),
        format!("DROP DATABASE {fresh_template}"),
    ] {
        client.batch_execute(&statement).await?;
    }
    Ok(())
}

/// Two views of `private`, as two test processes (or two runs) on one `DATABASE_URL` server
/// have: each its own spares in this process.
fn runs_on(private: &TestServer, names: &[&str]) -> Vec<TestServer> {
    names
        .iter()
        .map(|name| {
            TestServer::from_url(&format!(
                "{}&application_name={name}",
                private.connection_string()
            ))
            .unwrap()
        })
        .collect()
}

/// The names of the databases on the server of `client` that start with `prefix`.
async fn databases_named(client: &Client, prefix: &str) -> Vec<String> {
    client
        .query(
            "SELECT datname::text FROM pg_database WHERE starts_with(datname, $1) ORDER BY 1",
            &[&prefix],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}

/// The spare copies of `database`'s template on the server of `client`, once there are
/// `count` (made on a thread of their own).
async fn spares_of(client: &Client, database: &TempDatabase, count: usize) -> Vec<String> {
    let key = database.template().strip_prefix("pelican_tpl_").unwrap();
    let prefix = format!("pelican_spare_{key}_");
    for _ in 0..500 {
        let spares = databases_named(client, &prefix).await;
        if spares.len() >= count {
            return spares;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("no {count} spares named {prefix}* after 10 s");
}

/// On a server the harness did not start, the copy made ahead is a spare named after its
/// template; it outlives the run, and the next run's first test takes it (renamed to a
/// throwaway name). A spare someone else took is not used twice.
#[tokio::test]
async fn on_a_database_url_server_the_next_run_takes_the_spare_left_by_the_last() -> TestResult {
    let private = TestServer::start_throwaway()?;
    let [last_run, next_run] = <[TestServer; 2]>::try_from(runs_on(&private, &["last", "next"]))
        .map_err(|_| "two views")?;
    let admin = private.connect().await?;

    let first = TempSetup::new(&MIGRATIONS)
        .server(&last_run)
        .database()
        .await?;
    let left = spares_of(&admin, &first, 1).await;
    assert_eq!(left.len(), 1, "one spare: {left:?}");
    drop(first);

    let taken = TempSetup::new(&MIGRATIONS)
        .server(&next_run)
        .database()
        .await?;
    assert!(taken.name().starts_with("pelican_tmp_"), "{}", taken.name());
    assert!(
        !databases_named(&admin, &left[0]).await.contains(&left[0]),
        "the spare was taken: {}",
        left[0]
    );
    let client = taken.connect().await?;
    assert_eq!(count_tasks(&client).await, 0, "a migrated copy");
    client
        .execute("INSERT INTO tasks (title) VALUES ('taken')", &[])
        .await?;

    // The last run's own spare is gone: its next test gets another database.
    let other = TempSetup::new(&MIGRATIONS)
        .server(&last_run)
        .database()
        .await?;
    assert_ne!(other.name(), taken.name());
    assert_eq!(count_tasks(&other.connect().await?).await, 0);

    drop((taken, other));
    assert_eq!(
        databases_named(&admin, "pelican_tmp_").await,
        Vec::<String>::new(),
        "the tests' databases are dropped; only spares stay"
    );
    Ok(())
}

/// Spares left on the server, each marked with a table of its own, and six test processes
/// asking for a database at the same moment: each spare goes to exactly one of them.
#[test]
fn a_spare_goes_to_one_test_when_several_processes_ask_at_once() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let private = TestServer::start_throwaway().unwrap();
    let runs = runs_on(&private, &["a", "b", "c", "d", "e", "f", "maker"]);
    let (maker, runs) = runs.split_last().unwrap();
    let marked = runtime.block_on(async {
        // The template, and three marked spares as earlier runs would leave them.
        let built = TempSetup::new(&MIGRATIONS)
            .server(maker)
            .database()
            .await
            .unwrap();
        let key = built
            .template()
            .strip_prefix("pelican_tpl_")
            .unwrap()
            .to_owned();
        let template = built.template().to_owned();
        drop(built);
        let admin = private.connect().await.unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        for mark in 0..3 {
            let spare = format!("pelican_spare_{key}_{now}_0000000{mark}_0");
            admin
                .batch_execute(&format!(
                    "CREATE DATABASE \"{spare}\" TEMPLATE \"{template}\""
                ))
                .await
                .unwrap();
            let mut config = private.config().clone();
            config.dbname(&spare);
            let (client, connection) = config.connect(tokio_postgres::NoTls).await.unwrap();
            let driver = tokio::spawn(connection);
            client
                .batch_execute(&format!("CREATE TABLE marker_{mark} ()"))
                .await
                .unwrap();
            drop(client);
            driver.await.unwrap().unwrap();
        }
        3
    });

    let barrier = std::sync::Barrier::new(runs.len());
    let got: Vec<(TempDatabase, Vec<String>)> = std::thread::scope(|scope| {
        let threads: Vec<_> = runs
            .iter()
            .map(|run| {
                let barrier = &barrier;
                scope.spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    barrier.wait();
                    runtime.block_on(async {
                        let database = TempSetup::new(&MIGRATIONS)
                            .server(run)
                            .database()
                            .await
                            .unwrap();
                        let marks = database
                            .connect()
                            .await
                            .unwrap()
                            .query(
                                "SELECT tablename::text FROM pg_tables \
                                 WHERE tablename LIKE 'marker\\_%'",
                                &[],
                            )
                            .await
                            .unwrap()
                            .iter()
                            .map(|row| row.get(0))
                            .collect();
                        (database, marks)
                    })
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let mut names: Vec<&str> = got.iter().map(|(database, _)| database.name()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), runs.len(), "six different databases");
    let mut marks: Vec<&String> = got.iter().flat_map(|(_, marks)| marks).collect();
    marks.sort();
    assert_eq!(
        marks,
        ["marker_0", "marker_1", "marker_2"],
        "each of the {marked} spares went to one test"
    );
}

/// `history_schema` moves a TempDatabase's history tables out of `public`, for the template
/// and for `migrator()`; the same migrations with the history elsewhere are another template.
#[tokio::test]
async fn a_database_keeps_its_history_in_the_schema_it_is_given() -> TestResult {
    let database = TempSetup::new(&MIGRATIONS)
        .target("t2")
        .history_schema("app_meta")
        .database()
        .await?;
    let client = database.connect().await?;
    let history_tables: Vec<String> = client
        .query(
            "SELECT schemaname || '.' || tablename FROM pg_tables \
             WHERE tablename LIKE 'pelican\\_%' ORDER BY 1",
            &[],
        )
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert!(!history_tables.is_empty());
    assert!(
        history_tables.iter().all(|t| t.starts_with("app_meta.")),
        "{history_tables:?}"
    );
    assert_eq!(ids(&database.migrator().current(&client).await?), ["t2"]);
    database.migrator().upgrade(&client, "t3").await?;
    assert_eq!(ids(&database.migrator().current(&client).await?), ["t3"]);
    assert_eq!(
        columns(&client, "tasks").await,
        ["id", "title", "priority", "done"]
    );

    let in_public = TempSetup::new(&MIGRATIONS).target("t2").database().await?;
    assert_ne!(in_public.template(), database.template());
    Ok(())
}

#[pelican::test(migrations = MIGRATIONS, history_schema = "app_meta")]
async fn the_test_attribute_takes_a_history_schema(database: TempDatabase) -> TestResult {
    let client = database.connect().await?;
    let revisions: i64 = client
        .query_one("SELECT count(*) FROM app_meta.pelican_revisions", &[])
        .await?
        .get(0);
    assert_eq!(revisions, 3);
    assert_eq!(ids(&database.migrator().current(&client).await?), ["t3"]);
    Ok(())
}

#[tokio::test]
async fn a_schema_refuses_a_history_schema() {
    let error = TempSetup::new(&MIGRATIONS)
        .history_schema("app_meta")
        .schema()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("could not make a TempSchema on "),
        "{error}"
    );
    assert!(
        error.ends_with(
            ": its setup says history_schema(\"app_meta\"), but a TempSchema keeps its history \
             in the throwaway schema itself; drop the option, or use a TempDatabase"
        ),
        "{error}"
    );
}

/// Fifty `#[pelican::test]` functions, each creating the same table in its own schema; the
/// harness runs them (two at a time on two cores), and `fifty_tests_at_once` runs them all
/// at the same moment, each on a thread of its own.
macro_rules! isolated_tests {
    ($($name:ident = $n:literal),* $(,)?) => {
        $(
            #[pelican::test(migrations = MIGRATIONS)]
            async fn $name(schema: TempSchema) {
                let client = schema.connect().await.unwrap();
                client
                    .batch_execute(&format!(
                        "CREATE TABLE scratch (n int); INSERT INTO scratch VALUES ({});
                         INSERT INTO tasks (title) VALUES ('task {}')",
                        $n, $n
                    ))
                    .await
                    .unwrap();
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                let rows = client.query("SELECT n FROM scratch", &[]).await.unwrap();
                let seen: Vec<i32> = rows.iter().map(|row| row.get(0)).collect();
                assert_eq!(seen, [$n]);
                assert_eq!(count_tasks(&client).await, 1);
            }
        )*

        #[test]
        fn fifty_tests_at_once() {
            let tests: Vec<fn()> = vec![$($name),*];
            assert_eq!(tests.len(), 50);
            let threads: Vec<_> = tests.into_iter().map(std::thread::spawn).collect();
            for thread in threads {
                thread.join().expect("every test passes");
            }
        }
    };
}

isolated_tests!(
    isolated_00 = 0,
    isolated_01 = 1,
    isolated_02 = 2,
    isolated_03 = 3,
    isolated_04 = 4,
    isolated_05 = 5,
    isolated_06 = 6,
    isolated_07 = 7,
    isolated_08 = 8,
    isolated_09 = 9,
    isolated_10 = 10,
    isolated_11 = 11,
    isolated_12 = 12,
    isolated_13 = 13,
    isolated_14 = 14,
    isolated_15 = 15,
    isolated_16 = 16,
    isolated_17 = 17,
    isolated_18 = 18,
    isolated_19 = 19,
    isolated_20 = 20,
    isolated_21 = 21,
    isolated_22 = 22,
    isolated_23 = 23,
    isolated_24 = 24,
    isolated_25 = 25,
    isolated_26 = 26,
    isolated_27 = 27,
    isolated_28 = 28,
    isolated_29 = 29,
    isolated_30 = 30,
    isolated_31 = 31,
    isolated_32 = 32,
    isolated_33 = 33,
    isolated_34 = 34,
    isolated_35 = 35,
    isolated_36 = 36,
    isolated_37 = 37,
    isolated_38 = 38,
    isolated_39 = 39,
    isolated_40 = 40,
    isolated_41 = 41,
    isolated_42 = 42,
    isolated_43 = 43,
    isolated_44 = 44,
    isolated_45 = 45,
    isolated_46 = 46,
    isolated_47 = 47,
    isolated_48 = 48,
    isolated_49 = 49,
);

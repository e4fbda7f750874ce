//! Least privilege: a role that owns only its schema (no CREATE on public, not a superuser,
//! no CREATEDB, not the database's owner) runs migrations with its history in that schema,
//! through the library and the CLI; and each privilege it lacks is named in the message a
//! user sees, with the GRANT that gives it.
#![cfg(feature = "cli")]

#[path = "support/cli.rs"]
mod cli;
#[path = "support/db.rs"]
mod db;
#[path = "support/roles.rs"]
mod roles;

use cli::Project;
use db::{fresh_db, history, set, sql, table_exists};
use pelican::testing::TestDatabase;
use pelican::{Error, Migrator};
use roles::{connect_as, create_role};
use tokio_postgres::Client;

/// A role owning a schema of its name (first on its search path, `"$user"`), and nothing
/// else: CREATE on public revoked (PostgreSQL 15 does it by default; older versions don't).
async fn schema_owner(admin: &Client) -> String {
    let role = create_role(admin, "app", "NOSUPERUSER NOCREATEDB NOCREATEROLE").await;
    admin
        .batch_execute(&format!(
            "REVOKE CREATE ON SCHEMA public FROM PUBLIC; \
             CREATE SCHEMA {role} AUTHORIZATION {role};"
        ))
        .await
        .unwrap();
    role
}

/// The URL of `database` as `role` (trust authentication: no password).
fn url_as(database: &TestDatabase, role: &str) -> String {
    database.connection_string().replacen(
        "postgresql://postgres@",
        &format!("postgresql://{role}@"),
        1,
    )
}

fn two_revisions() -> pelican::MigrationSet {
    set(&[
        sql(
            "a1",
            "",
            "CREATE TABLE items (id int);",
            "DROP TABLE items;",
        ),
        sql(
            "a2",
            "a1",
            "ALTER TABLE items ADD COLUMN name text;",
            "ALTER TABLE items DROP COLUMN name;",
        ),
    ])
}

fn project_of(name: &str) -> Project {
    let project = Project::new(name);
    project.migration_sections(
        "a1",
        "",
        "",
        "CREATE TABLE items (id int);",
        "DROP TABLE items;",
    );
    project.migration_sections(
        "a2",
        "a1",
        "",
        "ALTER TABLE items ADD COLUMN name text;",
        "ALTER TABLE items DROP COLUMN name;",
    );
    project
}

/// Runs `pelican --database-url URL ARGS` in the project.
fn pelican(project: &Project, url: &str, args: &[&str]) -> cli::Run {
    let mut all = vec!["--database-url", url];
    all.extend(args);
    project.pelican_env(&all, &[])
}

#[tokio::test]
async fn a_role_owning_only_its_schema_migrates_through_the_library() {
    let (db, admin) = fresh_db().await;
    let role = schema_owner(&admin).await;
    let app = connect_as(&db, &role).await;
    let migrator = Migrator::new(two_revisions()).schema(role.clone());

    let report = migrator.migrate_to_head(&app).await.unwrap();
    assert_eq!(report.steps.len(), 2);
    assert!(table_exists(&admin, &format!("{role}.items")).await);
    assert!(table_exists(&admin, &format!("{role}.pelican_revisions")).await);
    assert!(!table_exists(&admin, "public.pelican_revisions").await);
    assert_eq!(history(&admin, &role).await, ["a1:applied", "a2:applied"]);
    // At head: nothing to do, and nothing refused.
    assert!(migrator
        .migrate_to_head(&app)
        .await
        .unwrap()
        .steps
        .is_empty());

    migrator.downgrade(&app, "a1").await.unwrap();
    let current: Vec<String> = migrator
        .current(&app)
        .await
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(current, ["a1"]);
    migrator.downgrade(&app, "base").await.unwrap();
    assert!(!table_exists(&admin, &format!("{role}.items")).await);
}

#[tokio::test]
async fn a_role_owning_only_its_schema_migrates_through_the_cli() {
    let (db, admin) = fresh_db().await;
    let role = schema_owner(&admin).await;
    let url = url_as(&db, &role);
    let project = project_of("least-privilege");
    let run = |args: &[&str]| {
        let mut all = vec!["--schema", role.as_str()];
        all.extend(args);
        pelican(&project, &url, &all)
    };
    run(&["upgrade"]).ok();
    assert_eq!(run(&["current"]).ok(), "a2 (head)\n");
    let check = run(&["check"]);
    assert_eq!(check.code, 0, "{check:?}");
    run(&["downgrade", "a1"]).ok();
    assert_eq!(run(&["current"]).ok(), "a1\n");
    assert_eq!(history(&admin, &role).await, ["a1:applied"]);
    assert!(table_exists(&admin, &format!("{role}.items")).await);
}

/// Each missing privilege, as the CLI user reads it.
#[tokio::test]
async fn each_missing_privilege_is_named_with_its_grant() {
    let (db, admin) = fresh_db().await;
    let role = schema_owner(&admin).await;
    admin
        .batch_execute(&format!(
            "CREATE SCHEMA shared; GRANT USAGE ON SCHEMA shared TO {role}; \
             CREATE SCHEMA locked; \
             CREATE TABLE {role}.admins_table (id int);"
        ))
        .await
        .unwrap();
    let url = url_as(&db, &role);
    let project = project_of("missing-privileges");
    let elsewhere = "or keep the history in a schema the role owns (Migrator::schema; at a \
                     terminal: --schema, or `schema` in pelican.toml)";

    // No CREATE on the history schema (public, by default; and one it may only use).
    for schema in ["public", "shared"] {
        let stderr = pelican(&project, &url, &["--schema", schema, "upgrade"])
            .fails(1)
            .to_owned();
        assert!(
            stderr.contains(&format!(
                "role {role} cannot create pelican's history table in schema \"{schema}\": it \
                 lacks CREATE on that schema; GRANT CREATE ON SCHEMA {schema} TO {role}, \
                 {elsewhere}"
            )),
            "{stderr}"
        );
    }
    // No USAGE on it.
    let stderr = pelican(&project, &url, &["--schema", "locked", "upgrade"])
        .fails(1)
        .to_owned();
    assert!(
        stderr.contains(&format!(
            "role {role} cannot use pelican's history schema \"locked\": it lacks USAGE on that \
             schema; GRANT USAGE, CREATE ON SCHEMA locked TO {role}, {elsewhere}"
        )),
        "{stderr}"
    );
    // A history schema that does not exist, and no CREATE on the database.
    let stderr = pelican(&project, &url, &["--schema", "meta", "upgrade"])
        .fails(1)
        .to_owned();
    let database = db.name();
    assert!(
        stderr.contains(&format!(
            "role {role} cannot create pelican's history schema \"meta\": it does not exist, and \
             the role lacks CREATE on database \"{database}\"; create it for the role (CREATE \
             SCHEMA meta AUTHORIZATION {role}), or GRANT CREATE ON DATABASE {database} TO \
             {role}, {elsewhere}"
        )),
        "{stderr}"
    );
    assert!(!table_exists(&admin, "public.pelican_revisions").await);

    // A migration that needs what the role lacks: the server's error, and what it means.
    let fails_with = |up: &str, expected: &str| {
        project.migration_sections("a3", "a2", "", up, "SELECT 1;");
        let stderr = pelican(&project, &url, &["--schema", &role, "upgrade"])
            .fails(1)
            .to_owned();
        assert!(stderr.contains(expected), "{stderr}");
    };
    fails_with(
        "ALTER TABLE admins_table ADD COLUMN note text;",
        "failed to upgrade: ERROR: must be owner of table admins_table (SQLSTATE 42501); \
         pelican: only the owner of table admins_table (or a member of the role that owns it) \
         may alter or drop it; run the migration as that role, or have it transferred (ALTER \
         TABLE ... OWNER TO role)",
    );
    fails_with(
        "CREATE TABLE public.outside (id int);",
        "ERROR: permission denied for schema public (SQLSTATE 42501); pelican: the role lacks \
         a privilege on schema public: USAGE to use what is in it, CREATE to create objects in \
         it; its owner or a superuser can GRANT USAGE (or CREATE) ON SCHEMA public TO it, or \
         create the object in a schema the role owns",
    );
    assert_eq!(history(&admin, &role).await, ["a1:applied", "a2:applied"]);

    // No CONNECT on the database.
    admin
        .batch_execute(&format!(
            "REVOKE CONNECT ON DATABASE {database} FROM PUBLIC"
        ))
        .await
        .unwrap();
    let stderr = pelican(&project, &url, &["--schema", &role, "current"])
        .fails(1)
        .to_owned();
    assert!(
        stderr.contains(&format!(
            "FATAL: permission denied for database \"{database}\" (SQLSTATE 42501); DETAIL: User \
             does not have CONNECT privilege.; pelican: the role lacks CONNECT on database \
             {database}; its owner or a superuser can GRANT CONNECT ON DATABASE {database} TO it"
        )),
        "{stderr}"
    );
}

/// Through the library, the typed error.
#[tokio::test]
async fn the_library_returns_the_missing_privilege_typed() {
    let (db, admin) = fresh_db().await;
    let role = schema_owner(&admin).await;
    let app = connect_as(&db, &role).await;
    let err = Migrator::new(two_revisions())
        .migrate_to_head(&app)
        .await
        .unwrap_err();
    match &err {
        Error::HistoryPrivilege {
            role: named,
            schema,
            missing,
        } => {
            assert_eq!(named, &role);
            assert_eq!(schema, "public");
            assert_eq!(missing, &pelican::history::MissingPrivilege::Create);
        }
        other => panic!("{other:?}"),
    }
    assert!(!table_exists(&admin, "items").await);
}

/// History tables a superuser created (trusted, but not the role's): a run that would write
/// them is refused before anything runs, naming the table and the grants.
#[tokio::test]
async fn history_tables_the_role_may_only_read_are_refused_before_anything_runs() {
    let (db, admin) = fresh_db().await;
    let role = schema_owner(&admin).await;
    let first = set(&[sql(
        "a1",
        "",
        "CREATE TABLE items (id int);",
        "DROP TABLE items;",
    )]);
    Migrator::new(first)
        .schema("meta")
        .migrate_to_head(&admin)
        .await
        .unwrap();
    admin
        .batch_execute(&format!(
            "GRANT USAGE ON SCHEMA meta TO {role}; \
             GRANT SELECT ON ALL TABLES IN SCHEMA meta TO {role}"
        ))
        .await
        .unwrap();
    let app = connect_as(&db, &role).await;
    let err = Migrator::new(two_revisions())
        .schema("meta")
        .migrate_to_head(&app)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "role {role} cannot write pelican's history table \"meta\".\"pelican_revisions\": it \
             lacks INSERT, UPDATE or DELETE on it (or INSERT on pelican_log and USAGE on its id \
             sequence); run pelican as the role that owns the history tables (or a member of \
             it), or GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA meta TO {role} \
             and GRANT USAGE ON ALL SEQUENCES IN SCHEMA meta TO {role}"
        )
    );
    assert!(!table_exists(&admin, &format!("{role}.items")).await);
    assert_eq!(history(&admin, "meta").await, ["a1:applied"]);
    // Reading needs no more than it has.
    let current = Migrator::new(two_revisions())
        .schema("meta")
        .current(&app)
        .await
        .unwrap();
    assert_eq!(current.len(), 1);
}

/// Fleet drift of a database migrated by a role whose tables went to its own schema (first
/// on its path as `"$user"`): the replay follows that path, so nothing is reported.
#[cfg(feature = "fleet")]
#[tokio::test]
async fn fleet_drift_replays_a_schema_owners_database_on_its_search_path() {
    use pelican::fleet::{Fleet, Target};

    let (database, admin) = fresh_db().await;
    let role = schema_owner(&admin).await;
    let history_schema = role.clone();
    let fleet = Fleet::new(
        two_revisions(),
        vec![Target::database(url_as(&database, &role))],
    )
    .configure(move |migrator| migrator.schema(history_schema.clone()));
    let report = fleet.upgrade("head").await.unwrap();
    assert!(report.all_succeeded(), "{}", report.summary());
    assert!(table_exists(&admin, &format!("{role}.items")).await);

    let drifts = fleet.drift(None).await.unwrap();
    assert!(drifts[0].matches(), "{:?}", drifts[0].differences);

    admin
        .batch_execute(&format!("ALTER TABLE {role}.items ADD COLUMN by_hand int"))
        .await
        .unwrap();
    let drifts = fleet.drift(None).await.unwrap();
    let lines = drifts[0].differences.as_ref().unwrap();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("by_hand"), "{lines:?}");
}

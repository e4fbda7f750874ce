//! `pelican drift`: the database against a replay of its applied revisions.

use super::cli::Project;

/// A project at head with a schema of several kinds.
async fn project(name: &str) -> Project {
    let p = Project::with_db(name).await;
    p.migration_sections(
        "a1",
        "",
        "",
        "CREATE TYPE mood AS ENUM ('happy', 'sad');\n\
         CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, \
         mood mood, CONSTRAINT users_email_long CHECK (length(email) > 3));\n\
         CREATE FUNCTION answer() RETURNS int LANGUAGE sql AS 'SELECT 41';",
        "DROP FUNCTION answer();\nDROP TABLE users;\nDROP TYPE mood;",
    );
    p.pelican(&["upgrade", "head"]).ok();
    p
}

#[tokio::test]
async fn hand_changes_are_reported_with_the_sql_that_adopts_or_reverts_them() {
    let p = project("drift-report").await;
    let run = p.pelican(&["drift"]);
    assert_eq!(run.ok(), "");
    assert!(
        run.stderr
            .contains("No drift: the database matches its applied revisions (at a1)."),
        "{}",
        run.stderr
    );

    p.client()
        .await
        .batch_execute(
            "ALTER TABLE users ADD COLUMN nick text;\n\
             CREATE INDEX users_email ON users (email);\n\
             ALTER TABLE users ALTER COLUMN email SET DEFAULT 'nobody@example.com';\n\
             ALTER TABLE users DROP CONSTRAINT users_email_long;\n\
             CREATE OR REPLACE FUNCTION answer() RETURNS int LANGUAGE sql AS 'SELECT 42';\n\
             ALTER TYPE mood ADD VALUE 'meh';",
        )
        .await
        .unwrap();
    let run = p.pelican(&["drift"]);
    let stderr = run.fails(1);
    assert!(
        stderr.contains("error: drift: the database differs from its applied revisions in"),
        "{stderr}"
    );
    let out = &run.stdout;
    assert!(
        out.starts_with("The database differs from its applied revisions (at a1):\n"),
        "{out}"
    );
    for expected in [
        "nick",
        "users_email",
        "nobody@example.com",
        "users_email_long",
        "answer",
        "meh",
    ] {
        assert!(out.contains(expected), "{expected} missing from\n{out}");
    }

    let check = p.pelican(&["check"]);
    assert_eq!(check.fails(10), "error: 1 check failed: drift\n");
    assert!(
        check
            .stdout
            .contains("FAIL the database differs from its applied revisions in 6 places"),
        "{}",
        check.stdout
    );

    let sql = p.pelican(&["drift", "--format", "sql"]);
    for statement in [
        "ADD COLUMN nick text",
        "CREATE INDEX users_email ON users USING btree (email);",
        "ALTER TYPE public.mood ADD VALUE 'meh'",
        "SELECT 42",
    ] {
        assert!(
            sql.stdout.contains(statement),
            "{statement} missing from\n{}",
            sql.stdout
        );
    }
    let revert = p.pelican(&["drift", "--revert-sql"]);
    let text = revert.ok();
    for statement in [
        "DROP COLUMN nick",
        "DROP INDEX public.users_email",
        "users_email_long",
        "SELECT 41",
    ] {
        assert!(text.contains(statement), "{statement} missing from\n{text}");
    }

    let json = p.pelican(&["drift", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value["applied_heads"], serde_json::json!(["a1"]));
    assert!(
        value["differences"].as_array().unwrap().len() >= 6,
        "{value}"
    );
}

#[tokio::test]
async fn a_fix_revision_adopts_the_change_and_the_drift_is_gone_once_stamped() {
    let p = project("drift-fix").await;
    p.client()
        .await
        .batch_execute(
            "ALTER TABLE users ADD COLUMN nick text; CREATE INDEX users_email ON users (email);",
        )
        .await
        .unwrap();
    let run = p.pelican(&["drift", "--fix-revision", "-m", "adopt nick"]);
    let path = run.ok().trim().to_owned();
    assert!(path.contains("_adopt_nick.sql"), "{path}");
    let text = std::fs::read_to_string(p.root.join(&path)).unwrap();
    assert!(text.contains("-- revises: a1\n"), "{text}");
    assert!(
        text.contains("-- Verified on a scratch database"),
        "the plan ran both ways\n{text}"
    );
    assert!(text.contains("ADD COLUMN nick text"), "{text}");
    assert!(text.contains("CREATE INDEX users_email"), "{text}");
    let id = std::path::Path::new(&path)
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()[..12]
        .to_owned();
    // Behind its new head, the database can't take another fix revision.
    let run = p.pelican(&["drift", "--fix-revision", "-m", "again"]);
    let stderr = run.fails(1);
    assert!(stderr.contains("1 revision(s) not applied"), "{stderr}");

    p.pelican(&["stamp", &id]).ok();
    let run = p.pelican(&["drift"]);
    run.ok();
    assert!(run.stderr.contains("No drift"), "{}", run.stderr);
}

#[tokio::test]
async fn revisions_the_migrations_do_not_have_stop_drift_with_a_clear_error() {
    let p = project("drift-unknown").await;
    std::fs::remove_file(p.root.join("migrations/a1_test.sql")).unwrap();
    let run = p.pelican(&["drift"]);
    let stderr = run.fails(1);
    assert!(
        stderr.contains("the database records revisions these migrations don't have (a1)"),
        "{stderr}"
    );
}

#[tokio::test]
async fn check_fails_with_status_10_on_drift_showing_the_differences_and_the_sql() {
    let p = project("drift-check").await;
    p.pelican(&["check"]).ok();
    p.client()
        .await
        .batch_execute("ALTER TABLE users ADD COLUMN nick text")
        .await
        .unwrap();
    let run = p.pelican(&["check"]);
    assert_eq!(run.fails(10), "error: 1 check failed: drift\n");
    let out = &run.stdout;
    assert!(
        out.contains(
            "FAIL the database differs from its applied revisions in 1 place (changed outside \
             migrations; `pelican drift` shows more):\n"
        ),
        "{out}"
    );
    assert!(out.contains("nick"), "{out}");
    assert!(
        out.contains("     ALTER TABLE public.users DROP COLUMN nick;"),
        "the SQL that reconciles, indented\n{out}"
    );
    let json = p.pelican(&["check", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let drift = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "drift")
        .unwrap();
    assert_eq!(drift["exit_status"], 10);
    assert_eq!(drift["ok"], false);
}

#[tokio::test]
async fn check_compares_the_migrations_with_the_desired_schema_with_status_9() {
    let p = project("drift-desired").await;
    p.write(
        "schema.sql",
        "CREATE TYPE mood AS ENUM ('happy', 'sad');\n\
         CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, mood mood,\n\
         CONSTRAINT users_email_long CHECK (length(email) > 3));\n\
         CREATE FUNCTION answer() RETURNS int LANGUAGE sql AS 'SELECT 41';\n",
    );
    let run = p.pelican_env(
        &["check", "--files-only", "--desired-schema", "schema.sql"],
        &[],
    );
    assert!(
        run.stdout
            .contains("ok   the migrations match the desired schema schema.sql\n"),
        "{}{}",
        run.stdout,
        run.stderr
    );
    run.ok();

    p.write("pelican.toml", "desired_schema = \"schema.sql\"\n");
    let mut schema = p.read("schema.sql");
    schema.push_str("CREATE TABLE tags (id bigint PRIMARY KEY);\n");
    p.write("schema.sql", &schema);
    let run = p.pelican(&["check"]);
    assert_eq!(run.fails(9), "error: 1 check failed: schema\n");
    assert!(
        run.stdout.contains(
            "FAIL the migrations at their heads differ from the desired schema schema.sql in 1 \
             place (`pelican revision --autogenerate -m MESSAGE` writes the revision):\n"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("     CREATE TABLE public.tags ("),
        "{}",
        run.stdout
    );

    let run = p.pelican_env(
        &["check", "--files-only", "--desired-schema", "missing.sql"],
        &[],
    );
    let stderr = run.fails(1);
    assert!(stderr.contains("missing.sql"), "{stderr}");
}

#[tokio::test]
async fn a_dev_server_that_refuses_create_database_is_a_clear_error() {
    let p = project("drift-nocreatedb").await;
    let client = p.client().await;
    client
        .batch_execute(
            "DROP ROLE IF EXISTS pelican_no_createdb;\n\
             CREATE ROLE pelican_no_createdb LOGIN NOCREATEDB;",
        )
        .await
        .unwrap();
    let url = p.url().replace(
        "postgresql://postgres@",
        "postgresql://pelican_no_createdb@",
    );
    assert_ne!(url, p.url(), "the URL names its user: {}", p.url());
    let run = p.pelican(&["drift", "--dev-url", &url]);
    let stderr = run.fails(1);
    assert!(
        stderr.contains("permission denied to create database"),
        "{stderr}"
    );
    assert!(
        stderr.contains("CREATEDB"),
        "says what the role needs\n{stderr}"
    );
}

#[tokio::test]
async fn with_the_guard_installed_drift_names_who_changed_what() {
    let p = project("drift-guarded").await;
    p.pelican(&["guard", "install"]).ok();
    let client = p.client().await;
    client
        .batch_execute(
            "DROP ROLE IF EXISTS drift_alice;\n\
             CREATE ROLE drift_alice LOGIN;\n\
             ALTER TABLE users OWNER TO drift_alice;",
        )
        .await
        .unwrap();
    let url = p
        .url()
        .replace("postgresql://postgres@", "postgresql://drift_alice@");
    let (alice, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    alice
        .batch_execute("ALTER TABLE users ADD COLUMN nick text")
        .await
        .unwrap();
    let run = p.pelican(&["drift"]);
    run.fails(1);
    let out = &run.stdout;
    assert!(out.contains("Who changed it (pelican guard):\n"), "{out}");
    assert!(out.contains("by role drift_alice"), "{out}");
    assert!(
        out.contains("ALTER TABLE users ADD COLUMN nick text"),
        "{out}"
    );
    let check = p.pelican(&["check"]);
    check.fails(10);
    assert!(check.stdout.contains("by: ALTER TABLE"), "{}", check.stdout);
    client
        .batch_execute("ALTER TABLE users OWNER TO postgres; DROP ROLE drift_alice;")
        .await
        .ok();
}

//! `revision --autogenerate` and `diff`: the migration written from the difference between
//! the database (or the replayed migrations) and the desired schema, verified first.

use std::fs;

use pelican::testing::TestServer;

use super::cli::Project;

const TASKS: &str = "CREATE TABLE tasks (id bigint PRIMARY KEY, title text NOT NULL);";

const DESIRED: &str = "-- the schema we want\n\
    CREATE TABLE tasks (\n    id bigint PRIMARY KEY,\n    title text NOT NULL,\n    due date\n);\n\
    CREATE INDEX tasks_due ON tasks (due);\n";

fn dev_url() -> String {
    TestServer::shared().unwrap().connection_string().to_owned()
}

/// A project at head on `a1` (which creates `tasks`), with `schema.sql` adding a column.
async fn at_head(name: &str) -> Project {
    let p = Project::with_db(name).await;
    p.migration_with("a1", "", "", TASKS);
    p.write("schema.sql", DESIRED);
    p.pelican(&["upgrade", "head"]).ok();
    p
}

fn migration_files(p: &Project) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(p.path("migrations"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn writes_a_verified_revision_that_upgrades_and_downgrades_then_finds_no_changes() {
    let p = at_head("autogen-flow").await;
    // No --dev-url: a throwaway server from the local binaries, nothing to configure.
    let run = p.pelican(&[
        "revision",
        "--autogenerate",
        "-m",
        "due dates",
        "--desired-schema",
        "schema.sql",
    ]);
    let path = run.ok().trim().to_owned();
    assert!(
        path.starts_with("migrations/") && path.ends_with("_due_dates.sql"),
        "{path}"
    );
    let text = p.read(&path);
    assert!(text.contains("-- revises: a1\n"), "{text}");
    assert!(
        text.contains("-- Verified on a scratch database: up gives the desired schema"),
        "{text}"
    );
    assert!(
        text.contains("ALTER TABLE public.tasks ADD COLUMN due date;"),
        "{text}"
    );
    assert!(
        text.contains("-- hazard: builds an index while writes wait (not CONCURRENTLY)\nCREATE INDEX tasks_due"),
        "{text}"
    );
    let down = text.split("\n-- down\n").nth(1).unwrap();
    assert!(
        down.contains("ALTER TABLE public.tasks DROP COLUMN due;"),
        "{down}"
    );
    // The linter's errors are written for the review too.
    assert!(
        text.contains(
            "-- lint: error[require-concurrent-index-creation]: During normal index creation"
        ),
        "{text}"
    );
    assert!(run.stderr.contains("Created revision"), "{}", run.stderr);

    p.pelican(&["upgrade", "head"]).ok();
    let client = p.client().await;
    client
        .execute("INSERT INTO tasks VALUES (1, 'x', '2027-01-01')", &[])
        .await
        .unwrap();
    let again = p.pelican(&[
        "revision",
        "--autogenerate",
        "-m",
        "again",
        "--desired-schema",
        "schema.sql",
    ]);
    assert_eq!(again.ok(), "", "nothing on stdout: no file");
    assert!(again.stderr.contains("No changes"), "{}", again.stderr);
    assert_eq!(migration_files(&p).len(), 2);
    p.pelican(&["downgrade", "-1"]).ok();
    assert!(
        client.query("SELECT due FROM tasks", &[]).await.is_err(),
        "the down dropped the column"
    );
}

#[tokio::test]
async fn a_database_not_at_head_is_refused_and_nothing_is_written() {
    let p = at_head("autogen-not-head").await;
    p.migration_with("b2", "a1", "", "CREATE TABLE t_b2 (id int);");
    let run = p.pelican(&[
        "revision",
        "--autogenerate",
        "-m",
        "x",
        "--desired-schema",
        "schema.sql",
        "--dev-url",
        &dev_url(),
    ]);
    assert_eq!(
        run.fails(1),
        "error: Target database is not up to date (1 revision(s) not applied): run `pelican \
         upgrade heads` first, or autogenerate from the migrations with --from-migrations, so \
         that the new migration starts where the others end\n"
    );
    assert_eq!(migration_files(&p).len(), 2);
}

#[test]
fn from_migrations_needs_no_database_and_reads_the_settings_file() {
    let p = Project::new("autogen-from-migrations");
    p.migration_with("a1", "", "", TASKS);
    p.write("db/schema.sql", DESIRED);
    p.write(
        "pelican.toml",
        "dir = \"migrations\"\ndesired_schema = \"db/schema.sql\"\ndev_url = \"env:DEV_URL\"\n",
    );
    let run = p.pelican_env(
        &[
            "revision",
            "--autogenerate",
            "-m",
            "due",
            "--from-migrations",
            "--sql",
        ],
        &[("DEV_URL", &dev_url())],
    );
    let text = run.ok();
    assert!(text.starts_with("-- revision: "), "{text}");
    assert!(
        text.contains("-- pelican autogenerate: from the migrations at head to db/schema.sql."),
        "{text}"
    );
    assert!(text.contains("ADD COLUMN due date"), "{text}");
    assert_eq!(migration_files(&p), ["a1_test.sql"], "--sql writes nothing");

    let unset = p.pelican(&[
        "revision",
        "--autogenerate",
        "-m",
        "due",
        "--from-migrations",
    ]);
    assert_eq!(
        unset.fails(1),
        "error: pelican.toml: dev_url names the environment variable DEV_URL, which is not set\n"
    );
}

#[test]
fn a_desired_schema_postgresql_refuses_is_named_by_file_and_line() {
    let p = Project::new("autogen-bad-schema");
    p.migration_with("a1", "", "", TASKS);
    p.write(
        "schema.sql",
        "CREATE TABLE tasks (id bigint);\n\nCREATE INDEX ON tasks (\n  nope);\n",
    );
    let run = p.pelican(&[
        "revision",
        "--autogenerate",
        "-m",
        "x",
        "--from-migrations",
        "--desired-schema",
        "schema.sql",
        "--dev-url",
        &dev_url(),
    ]);
    assert_eq!(
        run.fails(1).lines().last().unwrap(),
        "    CREATE INDEX ON tasks ("
    );
    assert!(
        run.stderr.contains(
            "error: schema.sql:3: PostgreSQL refused the statement: ERROR: column \"nope\" does not exist"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(migration_files(&p), ["a1_test.sql"]);

    let none = p.pelican(&["revision", "--autogenerate", "-m", "x", "--from-migrations"]);
    assert!(none
        .fails(1)
        .starts_with("error: no desired schema: pass --desired-schema PATH"));
    let bad = p.pelican(&[
        "revision",
        "--autogenerate",
        "-m",
        "x",
        "--from-migrations",
        "--desired-schema",
        "schema.sql",
        "--rename",
        "tasks",
    ]);
    assert!(
        bad.fails(2).contains("--rename tasks: write OLD=NEW"),
        "{}",
        bad.stderr
    );
}

#[test]
fn a_rename_is_a_drop_and_an_add_until_confirmed() {
    let p = Project::new("autogen-rename");
    p.migration_with("a1", "", "", TASKS);
    p.write(
        "schema.sql",
        "CREATE TABLE tasks (id bigint PRIMARY KEY, name text NOT NULL);\n",
    );
    let args = [
        "revision",
        "--autogenerate",
        "-m",
        "x",
        "--from-migrations",
        "--sql",
        "--desired-schema",
        "schema.sql",
        "--dev-url",
        &dev_url(),
    ];
    let guessed = p.pelican(&args);
    let text = guessed.ok();
    assert!(text.contains("DROP COLUMN title"), "{text}");
    assert!(
        text.contains("-- WARNING: written as a drop and an add, losing the data: column public.tasks.title may have been renamed to public.tasks.name (confirm with --rename public.tasks.title=public.tasks.name)"),
        "{text}"
    );
    assert!(
        guessed
            .stderr
            .contains("warning: written as a drop and an add"),
        "{}",
        guessed.stderr
    );

    let mut confirmed_args = args.to_vec();
    confirmed_args.extend(["--rename", "public.tasks.title=public.tasks.name"]);
    let confirmed = p.pelican(&confirmed_args);
    let text = confirmed.ok();
    assert!(
        text.contains("ALTER TABLE public.tasks RENAME COLUMN title TO name;"),
        "{text}"
    );
    assert!(!text.contains("DROP COLUMN"), "{text}");
}

#[tokio::test]
async fn diff_compares_any_two_sources() {
    let p = at_head("autogen-diff").await;
    let text = p.pelican(&[
        "diff",
        "--from",
        "database",
        "--to",
        "schema.sql",
        "--format",
        "text",
        "--dev-url",
        &dev_url(),
    ]);
    assert_eq!(
        text.ok(),
        "+ column public.tasks.due date\n+ index public.tasks_due CREATE INDEX tasks_due ON tasks USING btree (due)\n"
    );
    let sql = p.pelican(&[
        "diff",
        "--from",
        "migrations",
        "--to",
        "schema.sql",
        "--dev-url",
        &dev_url(),
    ]);
    assert!(
        sql.ok()
            .contains("ALTER TABLE public.tasks ADD COLUMN due date;"),
        "{}",
        sql.stdout
    );
    let json = p.pelican(&[
        "diff",
        "--from",
        "schema.sql",
        "--to",
        "migrations",
        "--format",
        "json",
        "--dev-url",
        &dev_url(),
    ]);
    let value: serde_json::Value = serde_json::from_str(json.ok()).unwrap();
    assert_eq!(
        value["down"][0]["sql"],
        "ALTER TABLE public.tasks ADD COLUMN due date"
    );
    assert_eq!(value["up"].as_array().unwrap().len(), 2, "{value}");
    let same = p.pelican(&[
        "diff",
        "--from",
        "database",
        "--to",
        "migrations@a1",
        "--dev-url",
        &dev_url(),
    ]);
    assert_eq!(same.ok(), "");
    assert!(same.stderr.contains("No differences."), "{}", same.stderr);
}

#[tokio::test]
async fn online_writes_a_transactional_revision_and_a_concurrent_one_that_apply_with_rows() {
    let p = Project::with_db("autogen-online").await;
    p.migration_with(
        "a1",
        "",
        "",
        "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n\
         CREATE TABLE tasks (id bigint PRIMARY KEY, owner bigint, n int);\n\
         CREATE INDEX tasks_n ON tasks (n);",
    );
    p.pelican(&["upgrade", "head"]).ok();
    let client = p.client().await;
    client
        .batch_execute("INSERT INTO users VALUES (1, 'a@x'); INSERT INTO tasks VALUES (1, 1, 3)")
        .await
        .unwrap();
    p.write(
        "schema.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL UNIQUE);\n\
         CREATE TABLE tasks (id bigint PRIMARY KEY, owner bigint REFERENCES users (id), \
         n int CHECK (n > 0));\n\
         CREATE INDEX tasks_owner ON tasks (owner);\n",
    );
    let run = p.pelican(&[
        "revision",
        "--autogenerate",
        "-m",
        "keys",
        "--online",
        "--desired-schema",
        "schema.sql",
        "--dev-url",
        &dev_url(),
    ]);
    let paths: Vec<&str> = run.ok().lines().collect();
    assert_eq!(paths.len(), 2, "{}", run.stderr);
    let (first, second) = (p.read(paths[0]), p.read(paths[1]));
    assert!(
        first.contains("-- Verified on a scratch database"),
        "{first}"
    );
    assert!(
        first.contains("FOREIGN KEY (owner) REFERENCES users(id) NOT VALID;"),
        "{first}"
    );
    assert!(!first.contains("CONCURRENTLY"), "{first}");
    assert!(
        !first.contains("scans the table"),
        "NOT VALID scans nothing\n{first}"
    );
    assert!(second.contains("\n-- transaction: false\n"), "{second}");
    assert!(
        !first.contains("-- lint: error"),
        "the safe forms pass the linter\n{first}"
    );
    assert!(!second.contains("-- lint: error"), "{second}");
    assert!(
        second.contains(&format!("-- revises: {}", &paths[0][11..23])),
        "{second}"
    );
    for expected in [
        "DROP INDEX CONCURRENTLY IF EXISTS public.tasks_n;",
        "CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON public.users (email);",
        "ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;",
        "CREATE INDEX CONCURRENTLY tasks_owner ON tasks USING btree (owner);",
        "VALIDATE CONSTRAINT tasks_owner_fkey;",
        "ALTER TABLE public.users ALTER COLUMN email SET NOT NULL;",
    ] {
        assert!(second.contains(expected), "{expected}\n{second}");
    }
    p.pelican(&["upgrade", "head"]).ok();
    p.pelican(&["downgrade", "-2"]).ok();
    p.pelican(&["upgrade", "head"]).ok();
    let rows: i64 = client
        .query_one("SELECT count(*) FROM tasks", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, 1);
    let again = p.pelican(&[
        "revision",
        "--autogenerate",
        "-m",
        "x",
        "--desired-schema",
        "schema.sql",
        "--dev-url",
        &dev_url(),
    ]);
    assert!(again.stderr.contains("No changes"), "{}", again.stderr);
}

#[test]
fn without_a_dev_server_or_local_binaries_it_says_how_to_give_one() {
    let p = Project::new("autogen-no-server");
    p.migration_with("a1", "", "", TASKS);
    p.write("schema.sql", DESIRED);
    let run = p.pelican_env(
        &[
            "revision",
            "--autogenerate",
            "-m",
            "x",
            "--from-migrations",
            "--desired-schema",
            "schema.sql",
        ],
        &[("PELICAN_PG_BINDIR", "/nonexistent")],
    );
    let stderr = run.fails(1);
    assert!(
        stderr.contains(
            "error: no server for scratch databases: give one with --dev-url URL (or dev_url in \
             pelican.toml; the role needs CREATEDB), or install the PostgreSQL server programs"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("PELICAN_PG_BINDIR=/nonexistent has no `initdb`"),
        "{stderr}"
    );
    assert_eq!(migration_files(&p), ["a1_test.sql"]);
}

#[tokio::test]
async fn an_enum_label_used_by_the_same_change_is_committed_in_a_revision_of_its_own() {
    let p = Project::with_db("autogen-labels").await;
    p.migration_with(
        "a1",
        "",
        "",
        "CREATE TYPE mood AS ENUM ('sad', 'ok');\n\
         CREATE TABLE moods (id int PRIMARY KEY, m mood NOT NULL DEFAULT 'ok');",
    );
    p.pelican(&["upgrade", "head"]).ok();
    p.write(
        "schema.sql",
        "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');\n\
         CREATE TABLE moods (id int PRIMARY KEY, m mood NOT NULL DEFAULT 'happy');\n",
    );
    let run = p.pelican(&[
        "revision",
        "--autogenerate",
        "-m",
        "happy",
        "--desired-schema",
        "schema.sql",
        "--dev-url",
        &dev_url(),
    ]);
    let paths: Vec<&str> = run.ok().lines().collect();
    assert_eq!(paths.len(), 2, "{}", run.stderr);
    let (first, second) = (p.read(paths[0]), p.read(paths[1]));
    assert!(
        first.contains("-- Verified on a scratch database"),
        "{first}"
    );
    assert!(
        first.contains(
            "enum labels that the next revision uses: PostgreSQL needs them committed first"
        ),
        "{first}"
    );
    let first_up = first.split("\n-- down\n").next().unwrap();
    assert!(
        first_up.contains("ALTER TYPE public.mood ADD VALUE 'happy' AFTER 'ok';"),
        "{first}"
    );
    assert!(!first_up.contains("SET DEFAULT"), "{first}");
    assert!(
        second.contains("-- message: happy (part 2 of 2)"),
        "{second}"
    );
    assert!(second.contains("SET DEFAULT 'happy'::mood;"), "{second}");
    p.pelican(&["upgrade", "head"]).ok();
    p.pelican(&["downgrade", "-2"]).ok();
    p.pelican(&["upgrade", "head"]).ok();
}

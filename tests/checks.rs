//! The built-in migration checks of `pelican::testing` against real PostgreSQL: each passes
//! on good migrations and fails on broken ones with the exact message a user reads.

#[path = "support/db.rs"]
mod db;

use db::{fresh_db, set};
use pelican::testing::{
    assert_downgrade_to_base, assert_round_trip, assert_round_trip_with, assert_single_head,
    assert_upgrade_from_empty, CheckError, TestServer,
};
use pelican::{MigrationSet, Migrator};

/// A SQL migration file `migrations/<id>_<slug>.sql` with a message. Its `-- up` body starts
/// on line 6 and, when `up` is one line, its `-- down` body on line 9.
fn migration(id: &str, revises: &str, message: &str, up: &str, down: &str) -> (String, String) {
    migration_with(id, revises, message, "", up, down)
}

fn migration_with(
    id: &str,
    revises: &str,
    message: &str,
    extra_header: &str,
    up: &str,
    down: &str,
) -> (String, String) {
    let slug = message.replace(' ', "_");
    let mut text = format!("-- revision: {id}\n-- revises: {revises}\n-- message: {message}\n");
    if !extra_header.is_empty() {
        text.push_str(&format!("-- {extra_header}\n"));
    }
    text.push_str(&format!("\n-- up\n{up}\n\n-- down\n{down}\n"));
    (format!("migrations/{id}_{slug}.sql"), text)
}

/// The first revision of most sets below: a users table with an index.
fn users() -> (String, String) {
    migration(
        "a1",
        "",
        "create users",
        "CREATE TABLE users (id int PRIMARY KEY, name text); CREATE INDEX users_name_idx ON users (name);",
        "DROP TABLE users;",
    )
}

/// A DAG with two branches, a merge and a second base, touching many kinds of objects, with
/// correct downgrades:
///
/// ```text
/// a1 ─┬─ b1 ─┐
///     └─ c1 ─┴─ m1 ─┐
/// t1 ───────────────┴─ z1
/// ```
fn good_dag() -> MigrationSet {
    set(&[
        migration(
            "a1",
            "",
            "create users",
            "CREATE TYPE state AS ENUM ('new', 'old');
             CREATE TABLE users (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text, s state);
             CREATE INDEX users_name_idx ON users (name);",
            "DROP TABLE users; DROP TYPE state;",
        ),
        migration(
            "b1",
            "a1",
            "add email",
            "ALTER TABLE users ADD COLUMN email text NOT NULL DEFAULT '';
             CREATE UNIQUE INDEX users_email_idx ON users (lower(email)) WHERE email <> '';",
            "DROP INDEX users_email_idx; ALTER TABLE users DROP COLUMN email;",
        ),
        migration(
            "c1",
            "a1",
            "touch users",
            "ALTER TABLE users ADD COLUMN updated_at timestamptz;
             CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql
                 AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
             CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();",
            "DROP TRIGGER users_touch ON users; DROP FUNCTION touch(); ALTER TABLE users DROP COLUMN updated_at;",
        ),
        migration(
            "m1",
            "b1, c1",
            "merge",
            "CREATE VIEW named_users AS SELECT id, name, email FROM users WHERE name IS NOT NULL;
             COMMENT ON VIEW named_users IS 'users with a name';",
            "DROP VIEW named_users;",
        ),
        migration(
            "t1",
            "",
            "tags schema",
            "CREATE SCHEMA tags; CREATE SEQUENCE tags.tag_seq;
             CREATE DOMAIN tags.label AS text CHECK (VALUE <> '');
             CREATE TABLE tags.tags (id bigint DEFAULT nextval('tags.tag_seq') PRIMARY KEY, label tags.label);",
            "DROP SCHEMA tags CASCADE;",
        ),
        migration(
            "z1",
            "m1, t1",
            "user tags",
            "CREATE TABLE user_tags (user_id int REFERENCES users, tag_id bigint REFERENCES tags.tags,
                 PRIMARY KEY (user_id, tag_id));
             CREATE MATERIALIZED VIEW tag_counts AS SELECT tag_id, count(*) AS n FROM user_tags GROUP BY tag_id;",
            "DROP MATERIALIZED VIEW tag_counts; DROP TABLE user_tags;",
        ),
    ])
}

fn ids(list: &[pelican::RevisionId]) -> Vec<&str> {
    list.iter().map(|id| id.as_str()).collect()
}

#[tokio::test]
async fn a_dag_with_branches_and_merges_round_trips() {
    let (_db, client) = fresh_db().await;
    let migrator = Migrator::new(good_dag());
    let report = assert_round_trip(&migrator, &client)
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        ids(&report.round_tripped),
        ["a1", "b1", "c1", "m1", "t1", "z1"]
    );
    assert!(report.irreversible.is_empty());
    assert_eq!(
        report.to_string(),
        "6 revisions round-trip: a1, b1, c1, m1, t1, z1"
    );
    // The walk ends at heads.
    let status = migrator.status(&client).await.unwrap();
    assert!(status.pending.is_empty(), "{status:?}");
    assert_eq!(ids(&status.current_heads), ["z1"]);
}

#[tokio::test]
async fn the_round_trip_works_through_a_pool_of_one_connection_and_from_a_partial_state() {
    let database = TestServer::shared()
        .unwrap()
        .create_database()
        .await
        .unwrap();
    let manager = deadpool_postgres::Manager::new(database.config().clone(), tokio_postgres::NoTls);
    let pool = deadpool_postgres::Pool::builder(manager)
        .max_size(1)
        .build()
        .unwrap();
    // History in a schema of its own, created by the migrator: it must not count as a
    // migration's leftover.
    let migrator = Migrator::new(good_dag()).schema("pelican_meta");
    migrator.upgrade(&pool, "b1").await.unwrap();

    let report = assert_round_trip(&migrator, &pool).await.unwrap();
    assert_eq!(ids(&report.round_tripped), ["c1", "m1", "t1", "z1"]);

    // On a fresh database, the history schema appears before the first snapshot.
    let (_db, client) = fresh_db().await;
    let report = assert_round_trip(&migrator, &client).await.unwrap();
    assert_eq!(report.round_tripped.len(), 6);
}

#[tokio::test]
async fn a_down_that_forgets_to_drop_a_column_fails_naming_the_revision_and_the_column() {
    let (_db, client) = fresh_db().await;
    let migrator = Migrator::new(set(&[
        users(),
        migration(
            "b2",
            "a1",
            "add email",
            "ALTER TABLE users ADD COLUMN email text NOT NULL DEFAULT ''; CREATE INDEX users_email_idx ON users (email);",
            "DROP INDEX users_email_idx;",
        ),
        migration("c3", "b2", "later", "CREATE TABLE later (id int);", "DROP TABLE later;"),
    ]));
    let error = assert_round_trip(&migrator, &client).await.unwrap_err();
    let expected = "revision b2 (migrations/b2_add_email.sql, \"add email\") does not round-trip: \
                    after upgrade then downgrade, the schema differs from before the upgrade:\n  \
                    + column public.users.email text not null default ''::text\n\
                    (+ is left behind by the downgrade, - is missing after it, ~ differs: before -> after)";
    assert_eq!(error.to_string(), expected);
    // What a test that unwraps or returns the error prints.
    assert_eq!(format!("{error:?}"), expected);
    match error {
        CheckError::NotReversible {
            revision,
            differences,
        } => {
            assert_eq!(revision.id.as_str(), "b2");
            assert_eq!(revision.file, "migrations/b2_add_email.sql");
            assert_eq!(
                differences,
                ["+ column public.users.email text not null default ''::text"]
            );
        }
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn a_down_that_drops_the_wrong_index_fails_showing_both() {
    let (_db, client) = fresh_db().await;
    let migrator = Migrator::new(set(&[
        users(),
        migration(
            "b2",
            "a1",
            "index ids",
            "CREATE INDEX users_id_name_idx ON users (id, name) WHERE name IS NOT NULL;",
            "DROP INDEX users_name_idx;",
        ),
    ]));
    let error = assert_round_trip(&migrator, &client).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "revision b2 (migrations/b2_index_ids.sql, \"index ids\") does not round-trip: after \
         upgrade then downgrade, the schema differs from before the upgrade:\n  \
         + index public.users_id_name_idx CREATE INDEX users_id_name_idx ON users USING btree (id, name) WHERE name IS NOT NULL\n  \
         - index public.users_name_idx CREATE INDEX users_name_idx ON users USING btree (name)\n\
         (+ is left behind by the downgrade, - is missing after it, ~ differs: before -> after)"
    );
}

#[tokio::test]
async fn a_down_that_errors_fails_naming_the_revision_and_sql_error() {
    let (_db, client) = fresh_db().await;
    let migrator = Migrator::new(set(&[
        users(),
        migration(
            "b2",
            "a1",
            "add email",
            "ALTER TABLE users ADD COLUMN email text;",
            "ALTER TABLE users DROP COLUMN e_mail;",
        ),
    ]));
    let error = assert_round_trip(&migrator, &client).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "assert_round_trip: downgrading revision b2 (migrations/b2_add_email.sql, \"add email\") \
         right after its upgrade failed: revision b2 (migrations/b2_add_email.sql) failed to \
         downgrade: ERROR: column \"e_mail\" of relation \"users\" does not exist (SQLSTATE 42703)"
    );
    match error {
        CheckError::StepFailed { source, .. } => {
            assert!(
                matches!(*source, pelican::Error::MigrationFailed { .. }),
                "{source:?}"
            )
        }
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn an_up_that_fails_again_after_its_down_is_caught() {
    // The down restores the schema but not the data: the second upgrade trips over the row
    // the first one inserted.
    let (_db, client) = fresh_db().await;
    let migrator = Migrator::new(set(&[
        users(),
        migration(
            "b2",
            "a1",
            "add admin",
            "INSERT INTO users VALUES (1, 'admin');",
            "SELECT 1;",
        ),
    ]));
    let error = assert_round_trip(&migrator, &client).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "assert_round_trip: upgrading revision b2 (migrations/b2_add_admin.sql, \"add admin\") \
         again after its downgrade failed: revision b2 (migrations/b2_add_admin.sql) failed \
         to upgrade: ERROR: duplicate key value violates unique constraint \"users_pkey\" \
         (SQLSTATE 23505); DETAIL: Key (id)=(1) already exists."
    );
}

#[tokio::test]
async fn an_up_that_builds_another_schema_the_second_time_is_caught() {
    // The down keeps the row the up inserted, and the up creates a table only when it finds
    // one: the schema after the downgrade is right, the second upgrade's is not.
    let (_db, client) = fresh_db().await;
    let migrator = Migrator::new(set(&[
        migration("a1", "", "runs", "CREATE TABLE runs (at timestamptz DEFAULT now());", "DROP TABLE runs;"),
        migration(
            "b2",
            "a1",
            "count runs",
            "DO $$ BEGIN IF EXISTS (SELECT FROM runs) THEN CREATE TABLE rerun (); END IF; END $$; INSERT INTO runs DEFAULT VALUES;",
            "DROP TABLE IF EXISTS rerun;",
        ),
    ]));
    let error = assert_round_trip(&migrator, &client).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "revision b2 (migrations/b2_count_runs.sql, \"count runs\") does not round-trip: upgraded \
         again after its downgrade, it gives another schema than its first upgrade:\n  \
         + table public.rerun\n\
         (+ is only after the second upgrade, - only after the first, ~ differs: first -> \
         second); its downgrade leaves something behind that the upgrade depends on, such as rows"
    );
}

#[tokio::test]
async fn an_irreversible_revision_is_reported_and_the_walk_goes_on() {
    let (_db, client) = fresh_db().await;
    let migrator = Migrator::new(set(&[
        users(),
        migration_with(
            "b2",
            "a1",
            "drop legacy names",
            "irreversible: the names are gone",
            "ALTER TABLE users DROP COLUMN name;",
            "",
        ),
        migration(
            "c3",
            "b2",
            "add email",
            "ALTER TABLE users ADD COLUMN email text;",
            "ALTER TABLE users DROP COLUMN email;",
        ),
    ]));
    let report = assert_round_trip(&migrator, &client).await.unwrap();
    assert_eq!(ids(&report.round_tripped), ["a1", "c3"]);
    assert_eq!(report.irreversible.len(), 1);
    assert_eq!(report.irreversible[0].revision.id.as_str(), "b2");
    assert_eq!(report.irreversible[0].reason, "the names are gone");
    assert_eq!(
        report.to_string(),
        "2 revisions round-trip: a1, c3\nnot downgraded, declared irreversible:\n  \
         b2 (migrations/b2_drop_legacy_names.sql, \"drop legacy names\"): irreversible (the names are gone)"
    );

    // The revisions above an irreversible one are still checked.
    let (_db, client) = fresh_db().await;
    let broken = Migrator::new(set(&[
        users(),
        migration_with(
            "b2",
            "a1",
            "drop legacy names",
            "irreversible: the names are gone",
            "ALTER TABLE users DROP COLUMN name;",
            "",
        ),
        migration(
            "c3",
            "b2",
            "add email",
            "ALTER TABLE users ADD COLUMN email text;",
            "SELECT 1;",
        ),
    ]));
    let error = assert_round_trip(&broken, &client).await.unwrap_err();
    assert!(
        error.to_string().starts_with(
            "revision c3 (migrations/c3_add_email.sql, \"add email\") does not round-trip"
        ),
        "{error}"
    );
}

#[tokio::test]
async fn upgrade_from_empty_passes_and_refuses_a_used_database() {
    let (_db, client) = fresh_db().await;
    let migrator = Migrator::new(good_dag());
    let report = assert_upgrade_from_empty(&migrator, &client).await.unwrap();
    assert_eq!(report.steps.len(), 6);

    let error = assert_upgrade_from_empty(&migrator, &client)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "assert_upgrade_from_empty needs a database where no migration has run, and this one \
         records 6 revisions: a1, b1, c1, m1, t1, z1; use a fresh database \
         (TestServer::shared()?.create_database())"
    );
}

#[tokio::test]
async fn upgrade_from_empty_fails_on_a_broken_up_and_on_a_revision_left_unrecorded() {
    let (_db, client) = fresh_db().await;
    let broken = Migrator::new(set(&[
        users(),
        migration(
            "b2",
            "a1",
            "add email",
            "ALTER TABLE users ADD COLUMN email txt;",
            "ALTER TABLE users DROP COLUMN email;",
        ),
    ]));
    let error = assert_upgrade_from_empty(&broken, &client)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "assert_upgrade_from_empty: upgrade heads failed: revision b2 \
         (migrations/b2_add_email.sql, line 6) failed to upgrade: ERROR: type \"txt\" does not \
         exist (SQLSTATE 42704)"
    );

    // A migration that tampers with the history: upgrade heads "succeeds", the check doesn't.
    let (_db, client) = fresh_db().await;
    let tampering = Migrator::new(set(&[
        users(),
        migration(
            "b2",
            "a1",
            "cleanup",
            "DELETE FROM pelican_revisions WHERE revision = 'a1';",
            "SELECT 1;",
        ),
    ]));
    let error = assert_upgrade_from_empty(&tampering, &client)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "assert_upgrade_from_empty: after upgrade heads, the database is not at heads:\n  \
         still pending: a1\n  not applied: a1"
    );
}

#[tokio::test]
async fn downgrade_to_base_passes_on_good_migrations() {
    let (_db, client) = fresh_db().await;
    let migrator = Migrator::new(good_dag());
    let report = assert_downgrade_to_base(&migrator, &client).await.unwrap();
    let downgraded: Vec<&str> = report.steps.iter().map(|s| s.revision.as_str()).collect();
    assert_eq!(downgraded, ["z1", "t1", "m1", "c1", "b1", "a1"]);
    assert!(migrator.status(&client).await.unwrap().applied.is_empty());
}

#[tokio::test]
async fn downgrade_to_base_names_what_is_left_behind() {
    let (_db, client) = fresh_db().await;
    let migrator = Migrator::new(set(&[
        users(),
        migration(
            "b2",
            "a1",
            "ticket numbers",
            "CREATE SEQUENCE ticket_seq; ALTER TABLE users ADD COLUMN ticket bigint DEFAULT nextval('ticket_seq');",
            "ALTER TABLE users DROP COLUMN ticket;",
        ),
    ]));
    let error = assert_downgrade_to_base(&migrator, &client)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "assert_downgrade_to_base: after upgrade heads then downgrade base, the schema differs \
         from before the upgrade:\n  + sequence public.ticket_seq bigint\n\
         (+ is left behind by the downgrade, - is missing after it, ~ differs: before -> after); \
         assert_round_trip names the revision responsible"
    );
    // As promised: the stairway finds the culprit.
    let (_db, client) = fresh_db().await;
    let error = assert_round_trip(&migrator, &client).await.unwrap_err();
    assert!(
        error.to_string().starts_with(
            "revision b2 (migrations/b2_ticket_numbers.sql, \"ticket numbers\") does not round-trip"
        ),
        "{error}"
    );
}

#[tokio::test]
async fn downgrade_to_base_refuses_irreversible_migrations_and_a_used_database() {
    let (_db, client) = fresh_db().await;
    let irreversible = Migrator::new(set(&[
        users(),
        migration_with(
            "b2",
            "a1",
            "drop legacy names",
            "irreversible: the names are gone",
            "ALTER TABLE users DROP COLUMN name;",
            "",
        ),
    ]));
    let error = assert_downgrade_to_base(&irreversible, &client)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "assert_downgrade_to_base: the migrations can't be downgraded to base, by design:\n  \
         b2 (migrations/b2_drop_legacy_names.sql, \"drop legacy names\"): irreversible (the names are gone)\n\
         assert_round_trip checks the downgrade of every other revision"
    );
    // Refused before anything ran.
    assert!(irreversible
        .status(&client)
        .await
        .unwrap()
        .applied
        .is_empty());

    let migrator = Migrator::new(set(&[users()]));
    migrator.migrate_to_head(&client).await.unwrap();
    let error = assert_downgrade_to_base(&migrator, &client)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "assert_downgrade_to_base needs a database where no migration has run, and this one \
         records 1 revision: a1; use a fresh database (TestServer::shared()?.create_database())"
    );
}

#[tokio::test]
async fn only_the_chosen_schemas_are_compared() {
    let (_db, client) = fresh_db().await;
    // The down forgets a table in schema `scratch`, which the comparison leaves out.
    let migrator = Migrator::new(set(&[migration(
        "a1",
        "",
        "app and scratch",
        "CREATE SCHEMA app; CREATE TABLE app.tasks (id int); CREATE SCHEMA IF NOT EXISTS scratch; CREATE TABLE IF NOT EXISTS scratch.tmp (id int);",
        "DROP SCHEMA app CASCADE;",
    )]));
    let app_only = pelican::schema::SnapshotOptions::new().schemas(["app"]);
    let report = assert_round_trip_with(&migrator, &client, &app_only)
        .await
        .unwrap();
    assert_eq!(ids(&report.round_tripped), ["a1"]);

    let (_db, client) = fresh_db().await;
    let error = assert_round_trip(&migrator, &client).await.unwrap_err();
    assert!(
        error
            .to_string()
            .contains("\n  + schema scratch\n  + table scratch.tmp\n"),
        "{error}"
    );
}

#[test]
fn single_head_passes_on_a_merged_dag_and_lists_unmerged_heads() {
    assert_single_head(&Migrator::new(good_dag())).unwrap();
    let error = assert_single_head(&Migrator::new(set(&[
        users(),
        migration("b2", "a1", "add email", "SELECT 1;", "SELECT 1;"),
        migration("c2", "a1", "add phone", "SELECT 1;", "SELECT 1;"),
    ])))
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "the migrations have 2 heads, so `upgrade head` (Migrator::migrate_to_head) fails:\n  \
         b2 (migrations/b2_add_email.sql, \"add email\")\n  \
         c2 (migrations/c2_add_phone.sql, \"add phone\")\n\
         Merge them into one: `pelican merge -m \"merge heads\" heads`"
    );
}

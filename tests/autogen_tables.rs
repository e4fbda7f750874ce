//! Autogenerate of table-level features against real PostgreSQL: persistence and storage
//! options, partitioned tables and partitions, inheritance, identity and generated columns,
//! type changes, enum labels removed or reordered, row-level security. Each case builds A and
//! B, runs the generated up on A (it must become B) and the down (it must become A again).

#[path = "support/db.rs"]
mod db;
#[path = "support/autogen.rs"]
mod plans;

use pelican::autogen::AutogenOptions;
use plans::round_trip;

fn both_ways() -> AutogenOptions {
    AutogenOptions::default()
}

#[tokio::test]
async fn unlogged_tables_and_storage_options_are_created_and_changed() {
    let a = "CREATE SCHEMA app;
CREATE TABLE app.notes (id int) WITH (fillfactor = 70, autovacuum_enabled = false);
CREATE TABLE app.scratch (value text);";
    let b = "CREATE SCHEMA app;
CREATE TABLE app.notes (id int) WITH (fillfactor = 50, toast_tuple_target = 256);
CREATE UNLOGGED TABLE app.scratch (value text);
CREATE UNLOGGED TABLE app.cache (key text) WITH (fillfactor = 90);";
    let plan = round_trip(a, b, &both_ways()).await;
    let up = plan.up_sql();
    assert!(
        up.contains("CREATE UNLOGGED TABLE app.cache (\n    key text\n) WITH (fillfactor=90);"),
        "{up}"
    );
    assert!(
        up.contains("-- hazard: rewrites the table\nALTER TABLE app.scratch SET UNLOGGED;"),
        "{up}"
    );
    assert!(
        up.contains("ALTER TABLE app.notes RESET (autovacuum_enabled);"),
        "{up}"
    );
    assert!(
        up.contains("ALTER TABLE app.notes SET (fillfactor=50, toast_tuple_target=256);"),
        "{up}"
    );
    round_trip("CREATE SCHEMA app;", b, &both_ways()).await;
}

const EVENTS: &str = "CREATE SCHEMA app;
CREATE TABLE app.users (id int PRIMARY KEY);
CREATE TABLE app.events (
    id int,
    at timestamptz NOT NULL DEFAULT now(),
    name text CHECK (name <> ''),
    owner int REFERENCES app.users (id),
    PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);
CREATE INDEX events_name ON app.events (name);
CREATE TABLE app.events_2026 PARTITION OF app.events
    FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');";

#[tokio::test]
async fn a_partitioned_table_gaining_a_partition() {
    let b = format!(
        "{EVENTS}\nCREATE TABLE app.events_2027 PARTITION OF app.events \
         FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');\n\
         ALTER TABLE app.events_2027 ALTER COLUMN name SET DEFAULT 'x';"
    );
    let plan = round_trip(EVENTS, &b, &both_ways()).await;
    let up = plan.up_sql();
    assert!(
        up.starts_with(
            "CREATE TABLE app.events_2027 PARTITION OF app.events FOR VALUES FROM \
             ('2027-01-01 00:00:00+00') TO ('2028-01-01 00:00:00+00');\n\n\
             ALTER TABLE app.events_2027 ALTER COLUMN name SET DEFAULT 'x'::text;\n"
        ),
        "{up}"
    );
    // Its key, check, foreign key and index come from the parent: not written again.
    assert!(!up.contains("CONSTRAINT") && !up.contains("INDEX"), "{up}");
    assert!(
        plan.down_sql()
            .starts_with("-- hazard: deletes data\n-- hazard: not reversible: the down can't restore what this loses\nDROP TABLE app.events_2027;"),
        "{}",
        plan.down_sql()
    );
}

#[tokio::test]
async fn partitioned_tables_and_partitions_are_created_parents_first_and_dropped_after() {
    // Names that sort the partition before its parent.
    let b = EVENTS
        .replace("app.events_2026", "app.a_events_2026")
        .replace("app.users", "app.z_users");
    let plan = round_trip("CREATE SCHEMA app;", &b, &both_ways()).await;
    let up = plan.up_sql();
    let parent = up.find("CREATE TABLE app.events (").unwrap();
    let partition = up
        .find("CREATE TABLE app.a_events_2026 PARTITION OF")
        .unwrap();
    assert!(parent < partition, "{up}");
    assert!(up.contains(") PARTITION BY RANGE (at);"), "{up}");
    assert!(
        up.contains("CREATE INDEX events_name ON app.events USING btree (name)"),
        "{up}"
    );
    let down = plan.down_sql();
    assert!(
        down.find("DROP TABLE app.a_events_2026").unwrap()
            < down.find("DROP TABLE app.events;").unwrap(),
        "{down}"
    );
}

#[tokio::test]
async fn a_partition_is_attached_and_detached() {
    let a = format!(
        "{EVENTS}\nCREATE TABLE app.events_2027 (id int NOT NULL, at timestamptz NOT NULL, \
         name text, owner int);"
    );
    let b = format!(
        "{EVENTS}\nCREATE TABLE app.events_2027 PARTITION OF app.events \
         FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');"
    );
    let plan = round_trip(&a, &b, &both_ways()).await;
    let up = plan.up_sql();
    let check = up.find("ADD CONSTRAINT events_name_check").unwrap();
    let attach = up
        .find("ALTER TABLE app.events ATTACH PARTITION app.events_2027 FOR VALUES")
        .unwrap();
    assert!(
        check < attach,
        "a CHECK must be there before the attach: {up}"
    );
    assert!(
        plan.down_sql()
            .starts_with("-- hazard: takes ACCESS EXCLUSIVE on an existing table\nALTER TABLE app.events DETACH PARTITION app.events_2027;"),
        "{}",
        plan.down_sql()
    );
}

#[tokio::test]
async fn a_partitioned_table_gaining_a_column_gives_it_to_its_partitions() {
    let b = EVENTS.replace(
        "owner int REFERENCES",
        "done boolean DEFAULT false, owner int REFERENCES",
    );
    let plan = round_trip(EVENTS, &b, &both_ways()).await;
    assert_eq!(
        plan.up_sql(),
        "-- hazard: takes ACCESS EXCLUSIVE on an existing table\n\
         ALTER TABLE app.events ADD COLUMN done boolean DEFAULT false;\n"
    );
}

#[tokio::test]
async fn inheritance_children_are_created_and_start_and_stop_inheriting() {
    let a = "CREATE SCHEMA app;
CREATE TABLE app.base (id int NOT NULL DEFAULT 0, note text CHECK (note <> ''));
CREATE TABLE app.loose (id int NOT NULL DEFAULT 0, note text, extra int);";
    let b = "CREATE SCHEMA app;
CREATE TABLE app.base (id int NOT NULL DEFAULT 0, note text CHECK (note <> ''));
CREATE TABLE app.child (extra int) INHERITS (app.base);
CREATE TABLE app.loose (extra int) INHERITS (app.base);";
    let plan = round_trip(a, b, &both_ways()).await;
    let up = plan.up_sql();
    assert!(
        up.contains("CREATE TABLE app.child (\n    extra integer\n) INHERITS (app.base);"),
        "{up}"
    );
    assert!(
        up.contains("ALTER TABLE app.loose INHERIT app.base;"),
        "{up}"
    );
    assert!(plan
        .down_sql()
        .contains("ALTER TABLE app.loose NO INHERIT app.base;"));
}

#[tokio::test]
async fn identity_columns_are_added_dropped_and_changed() {
    let a = "CREATE SCHEMA app;
CREATE TABLE app.t (id int, code bigint GENERATED ALWAYS AS IDENTITY, n int GENERATED BY DEFAULT AS IDENTITY);";
    let b = "CREATE SCHEMA app;
CREATE TABLE app.t (
    id int GENERATED BY DEFAULT AS IDENTITY (START WITH 10),
    code bigint,
    n int GENERATED ALWAYS AS IDENTITY (INCREMENT BY 5 CACHE 10 CYCLE)
);";
    let plan = round_trip(a, b, &both_ways()).await;
    let up = plan.up_sql();
    assert!(
        up.contains("ALTER TABLE app.t ALTER COLUMN code DROP IDENTITY;"),
        "{up}"
    );
    assert!(
        up.contains("ALTER TABLE app.t ALTER COLUMN n SET GENERATED ALWAYS SET INCREMENT BY 5 SET CACHE 10 SET CYCLE;"),
        "{up}"
    );
}

#[tokio::test]
async fn a_generated_expression_changes_comes_and_goes() {
    let a = "CREATE SCHEMA app;
CREATE TABLE app.t (n int, twice int GENERATED ALWAYS AS (n * 2) STORED, plain int, gone int GENERATED ALWAYS AS (n + 1) STORED);
COMMENT ON COLUMN app.t.twice IS 'n, twice';";
    let b = "CREATE SCHEMA app;
CREATE TABLE app.t (n int, twice int GENERATED ALWAYS AS (n * 3) STORED, plain int GENERATED ALWAYS AS (n - 1) STORED, gone int);
COMMENT ON COLUMN app.t.twice IS 'n, twice';";
    let plan = round_trip(a, b, &both_ways()).await;
    let up = plan.up_sql();
    assert!(
        up.contains("ALTER TABLE app.t ALTER COLUMN gone DROP EXPRESSION;"),
        "{up}"
    );
    assert!(
        up.contains("-- hazard: rewrites the table\nALTER TABLE app.t ADD COLUMN twice integer GENERATED ALWAYS AS (n * 3) STORED;"),
        "{up}"
    );
}

#[tokio::test]
async fn text_becomes_an_enum_and_back_with_using() {
    let a = "CREATE SCHEMA app; CREATE TABLE app.t (s text DEFAULT 'open');";
    let b = "CREATE SCHEMA app; CREATE TYPE app.state AS ENUM ('open', 'done');
CREATE TABLE app.t (s app.state DEFAULT 'open');";
    let plan = round_trip(a, b, &both_ways()).await;
    assert!(
        plan.up_sql()
            .contains("ALTER TABLE app.t ALTER COLUMN s TYPE app.state USING s::app.state;"),
        "{}",
        plan.up_sql()
    );
}

#[tokio::test]
async fn a_type_change_casts_with_using_both_ways() {
    let a = "CREATE SCHEMA app; CREATE TABLE app.t (a text DEFAULT '1', b integer);
INSERT INTO app.t VALUES ('42', 7);";
    let b = "CREATE SCHEMA app; CREATE TABLE app.t (a integer DEFAULT 1, b text);";
    let plan = round_trip(a, b, &both_ways()).await;
    let up = plan.up_sql();
    assert!(
        up.contains("ALTER TABLE app.t ALTER COLUMN a TYPE integer USING a::integer;"),
        "{up}"
    );
    assert!(
        up.contains("ALTER TABLE app.t ALTER COLUMN b TYPE text USING b::text;"),
        "{up}"
    );
    // The rows made it across and back.
    let (_db, client) = plans::built(a).await;
    client.batch_execute(&up).await.unwrap();
    let row = client
        .query_one("SELECT a, b FROM app.t", &[])
        .await
        .unwrap();
    assert_eq!(
        (row.get::<_, i32>(0), row.get::<_, String>(1)),
        (42, "7".to_owned())
    );
}

#[tokio::test]
async fn enum_labels_removed_or_reordered_replace_the_type_and_cast_every_column() {
    let a = "CREATE SCHEMA app;
CREATE TYPE app.state AS ENUM ('open', 'blocked', 'done');
COMMENT ON TYPE app.state IS 'where a task is';
CREATE TABLE app.tasks (id int, state app.state NOT NULL DEFAULT 'open', history app.state[]);
CREATE TABLE app.events (at date, state app.state DEFAULT 'done') PARTITION BY RANGE (at);
CREATE TABLE app.events_all PARTITION OF app.events DEFAULT;
CREATE VIEW app.open AS SELECT id FROM app.tasks WHERE state = 'open';
INSERT INTO app.tasks VALUES (1, 'done', '{open,done}');";
    let b = "CREATE SCHEMA app;
CREATE TYPE app.state AS ENUM ('done', 'open');
COMMENT ON TYPE app.state IS 'where a task is';
CREATE TABLE app.tasks (id int, state app.state NOT NULL DEFAULT 'done', history app.state[]);
CREATE TABLE app.events (at date, state app.state DEFAULT 'done') PARTITION BY RANGE (at);
CREATE TABLE app.events_all PARTITION OF app.events DEFAULT;
CREATE VIEW app.open AS SELECT id FROM app.tasks WHERE state = 'open';";
    let plan = round_trip(a, b, &both_ways()).await;
    let up = plan.up_sql();
    assert!(
        up.contains(
            "ALTER TYPE app.state RENAME TO state_old;\n\n\
             CREATE TYPE app.state AS ENUM ('done', 'open');\n\n\
             COMMENT ON TYPE app.state IS 'where a task is';\n"
        ),
        "{up}"
    );
    assert!(
        up.contains(
            "-- hazard: fails if existing rows break the new rule\n\
             ALTER TABLE app.tasks ALTER COLUMN state TYPE app.state USING state::text::app.state;"
        ),
        "{up}"
    );
    assert!(
        up.contains("ALTER TABLE app.tasks ALTER COLUMN history TYPE app.state[] USING history::text[]::app.state[];"),
        "{up}"
    );
    assert!(up.contains("DROP TYPE app.state_old;"), "{up}");
    // The rows keep their labels across the replacement.
    let (_db, client) = plans::built(a).await;
    client.batch_execute(&up).await.unwrap();
    let row = client
        .query_one("SELECT state::text, history::text FROM app.tasks", &[])
        .await
        .unwrap();
    assert_eq!(
        (row.get::<_, String>(0), row.get::<_, String>(1)),
        ("done".to_owned(), "{open,done}".to_owned())
    );
    // A row holding a removed label makes the up fail, as its hazard says.
    let (_db, client) =
        plans::built(&b.replace("('done', 'open')", "('done', 'open', 'gone')")).await;
    client
        .batch_execute("INSERT INTO app.tasks VALUES (2, 'gone')")
        .await
        .unwrap();
    let plan = pelican::autogen::plan_changes(
        &plans::app(&client).await,
        &plans::app(&plans::built(b).await.1).await,
        &both_ways(),
    );
    assert!(client.batch_execute(&plan.up_sql()).await.is_err());
}

#[tokio::test]
async fn row_level_security_and_policies_are_switched_on_created_changed_and_dropped() {
    let a = "CREATE SCHEMA app;
CREATE TABLE app.tasks (id int, owner text, done boolean);
CREATE POLICY gone ON app.tasks FOR DELETE USING (done);
CREATE POLICY mine ON app.tasks FOR SELECT USING (owner = current_user);";
    let b = "CREATE SCHEMA app;
CREATE TABLE app.tasks (id int, owner varchar(100), done boolean);
ALTER TABLE app.tasks ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.tasks FORCE ROW LEVEL SECURITY;
CREATE POLICY mine ON app.tasks FOR SELECT USING (owner = current_user);
CREATE POLICY open ON app.tasks AS RESTRICTIVE FOR UPDATE TO public
    USING (NOT done) WITH CHECK (id > 0);
CREATE TABLE app.notes (id int, author text);
ALTER TABLE app.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY authors ON app.notes FOR ALL USING (author = current_user);";
    let plan = round_trip(a, b, &both_ways()).await;
    let up = plan.up_sql();
    // A policy that names a retyped column is out of the way while it changes.
    let drop = up.find("DROP POLICY mine ON app.tasks;").unwrap();
    let retype = up.find("ALTER COLUMN owner TYPE").unwrap();
    let create = up.find("CREATE POLICY mine ON app.tasks").unwrap();
    assert!(drop < retype && retype < create, "{up}");
    assert!(
        up.contains("ALTER TABLE app.tasks FORCE ROW LEVEL SECURITY;"),
        "{up}"
    );
    assert!(
        up.contains("CREATE POLICY open ON app.tasks AS RESTRICTIVE FOR UPDATE TO public USING (NOT done) WITH CHECK (id > 0);"),
        "{up}"
    );
    assert!(
        up.contains("ALTER TABLE app.notes ENABLE ROW LEVEL SECURITY;"),
        "{up}"
    );
    assert!(plan
        .down_sql()
        .contains("ALTER TABLE app.tasks DISABLE ROW LEVEL SECURITY;"));
}

#[tokio::test]
async fn row_level_security_is_in_the_snapshot_and_its_diff() {
    use pelican::schema::{PolicyCommand, QualifiedName};
    let (_db, client) = plans::built(
        "CREATE SCHEMA app; CREATE TABLE app.t (id int, owner text);
         ALTER TABLE app.t ENABLE ROW LEVEL SECURITY;
         CREATE POLICY mine ON app.t AS RESTRICTIVE FOR INSERT TO current_user
             WITH CHECK (owner = current_user);",
    )
    .await;
    let before = plans::app(&client).await;
    let t = &before.tables[&QualifiedName::new("app", "t")];
    assert!(t.row_security && !t.force_row_security);
    let mine = &t.policies["mine"];
    assert_eq!(mine.command, PolicyCommand::Insert);
    assert!(!mine.permissive);
    // The role by its name, never `current_user`.
    assert_eq!(mine.roles.len(), 1);
    assert_ne!(mine.roles[0], "public");
    assert_ne!(mine.roles[0], "current_user");
    assert_eq!(mine.using, None);
    assert_eq!(mine.with_check.as_deref(), Some("owner = CURRENT_USER"));
    client
        .batch_execute(
            "ALTER TABLE app.t FORCE ROW LEVEL SECURITY;
             ALTER POLICY mine ON app.t TO public;",
        )
        .await
        .unwrap();
    let after = plans::app(&client).await;
    let lines = before.diff(&after).lines();
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert_eq!(
        lines[0],
        "~ table app.t: forced row security disabled -> enabled"
    );
    assert!(
        lines[1].starts_with("~ table app.t: policy mine restrictive for insert to ")
            && lines[1]
                .ends_with("-> restrictive for insert to public with check (owner = CURRENT_USER)"),
        "{lines:?}"
    );
}

#[tokio::test]
async fn composite_and_range_types_come_before_their_columns_and_go_after() {
    let a = "CREATE SCHEMA app;
CREATE TYPE app.pair AS (x int, y text);
CREATE TYPE app.old AS (a int);";
    let b = "CREATE SCHEMA app;
CREATE TYPE app.pair AS (x bigint, z date);
CREATE TYPE app.span AS RANGE (subtype = float8, subtype_diff = float8mi);
COMMENT ON TYPE app.span IS 'from, to';
CREATE TYPE app.box2 AS (label text COLLATE \"C\", s app.span, n numeric(5,2));
CREATE TABLE app.t (b app.box2, r app.span, many app.box2[]);";
    let plan = round_trip(a, b, &both_ways()).await;
    let up = plan.up_sql();
    assert!(
        up.contains(
            "CREATE TYPE app.span AS RANGE (SUBTYPE = double precision, SUBTYPE_DIFF = float8mi);"
        ),
        "{up}"
    );
    assert!(
        up.contains("CREATE TYPE app.box2 AS (\n    label text COLLATE \"C\",\n    s app.span,\n    n numeric(5,2)\n);"),
        "{up}"
    );
    assert!(up.contains("ALTER TYPE app.pair DROP ATTRIBUTE y;"), "{up}");
    assert!(
        up.contains("ALTER TYPE app.pair ADD ATTRIBUTE z date;"),
        "{up}"
    );
    assert!(
        up.contains("ALTER TYPE app.pair ALTER ATTRIBUTE x TYPE bigint;"),
        "{up}"
    );
    assert!(up.find("CREATE TYPE app.box2").unwrap() < up.find("CREATE TABLE app.t").unwrap());
    let down = plan.down_sql();
    assert!(down.find("DROP TABLE app.t").unwrap() < down.find("DROP TYPE app.box2").unwrap());
    assert!(down.find("DROP TYPE app.box2").unwrap() < down.find("DROP TYPE app.span").unwrap());
}

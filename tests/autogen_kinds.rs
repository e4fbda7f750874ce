//! Autogenerate of extensions, sequences, routines, triggers, domains, materialized views and
//! the comments of schemas, constraints and indexes, against real PostgreSQL: each case's up
//! turns A into B and its down turns B back into A (`support/autogen.rs`), with nothing
//! reported unsupported.

#[path = "support/db.rs"]
mod db;
#[path = "support/autogen.rs"]
mod plans;

use pelican::autogen::{plan_changes, AutogenOptions};
use plans::{app, both_ways, built, round_trip};

const NONE: AutogenOptions = AutogenOptions {
    renames: Vec::new(),
    privileges: false,
};

#[tokio::test]
async fn an_extension_is_created_before_the_columns_that_use_it_and_dropped_after() {
    let a = "CREATE SCHEMA app;";
    let b = "CREATE SCHEMA app; CREATE EXTENSION citext WITH SCHEMA app;\n\
             CREATE TABLE app.users (email app.citext NOT NULL);";
    let plan = round_trip(a, b, &NONE).await;
    let up = plan.up_sql();
    assert!(
        up.find("CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA app VERSION")
            < up.find("CREATE TABLE"),
        "{up}"
    );
    let down = plan.down_sql();
    assert!(
        down.find("DROP TABLE") < down.find("DROP EXTENSION citext"),
        "{down}"
    );
    // From nothing at all, and back: the schema comes first and goes last.
    round_trip("", b, &NONE).await;
    // A comment of its own, and back to the control file's.
    let commented = format!("{b}\nCOMMENT ON EXTENSION citext IS 'case-insensitive';");
    both_ways(b, &commented).await;
    // Moved to another schema.
    let moved = "CREATE SCHEMA app; CREATE SCHEMA ext; CREATE EXTENSION citext WITH SCHEMA ext;";
    let here = "CREATE SCHEMA app; CREATE SCHEMA ext; CREATE EXTENSION citext WITH SCHEMA app;";
    let plan = both_ways(here, moved).await;
    assert_eq!(plan.up_sql().matches("SET SCHEMA ext").count(), 1);
}

#[tokio::test]
async fn an_extension_version_is_updated_in_place() {
    let a = "CREATE SCHEMA app; CREATE EXTENSION citext WITH SCHEMA app VERSION '1.5';";
    let b = "CREATE SCHEMA app; CREATE EXTENSION citext WITH SCHEMA app VERSION '1.6';";
    let (_a_db, a_client) = built(a).await;
    let (_b_db, b_client) = built(b).await;
    let plan = plan_changes(&app(&a_client).await, &app(&b_client).await, &NONE);
    assert!(plan.unsupported.is_empty(), "{:?}", plan.unsupported);
    assert!(plan
        .up_sql()
        .contains("ALTER EXTENSION citext UPDATE TO '1.6';"));
    // citext ships no script back to 1.5: the down is written all the same, with its hazard.
    assert_eq!(
        plan.down_sql(),
        "-- hazard: not reversible: the down can't restore what this loses\n\
         ALTER EXTENSION citext UPDATE TO '1.5';\n"
    );
    a_client.batch_execute(&plan.up_sql()).await.unwrap();
    assert_eq!(app(&a_client).await, app(&b_client).await);
}

#[tokio::test]
async fn a_serial_column_round_trips_from_nothing() {
    let b = "CREATE SCHEMA app; CREATE TABLE app.t (id serial PRIMARY KEY, name text);";
    let plan = round_trip("", b, &NONE).await;
    let up = plan.up_sql();
    let sequence = up.find("CREATE SEQUENCE app.t_id_seq AS integer").unwrap();
    let table = up.find("CREATE TABLE app.t").unwrap();
    let owned = up
        .find("ALTER SEQUENCE app.t_id_seq OWNED BY app.t.id")
        .unwrap();
    assert!(sequence < table && table < owned, "{up}");
    // The sequence goes with its table: no DROP SEQUENCE that would fail.
    assert!(
        !plan.down_sql().contains("DROP SEQUENCE"),
        "{}",
        plan.down_sql()
    );
    // A serial column added to a table that stays, and dropped.
    both_ways(
        "CREATE SCHEMA app; CREATE TABLE app.t (name text);",
        b.replace("PRIMARY KEY", "").as_str(),
    )
    .await;
}

#[tokio::test]
async fn a_sequence_changes_its_options_its_owner_and_its_comment() {
    let a = "CREATE SCHEMA app; CREATE TABLE app.t (a int, b int);\n\
             CREATE SEQUENCE app.s AS integer START 5 INCREMENT 2 MAXVALUE 1000 OWNED BY app.t.a;";
    let b = "CREATE SCHEMA app; CREATE TABLE app.t (b int);\n\
             CREATE SEQUENCE app.s AS bigint START 10 INCREMENT 3 MINVALUE 2 CACHE 5 CYCLE\n\
             OWNED BY app.t.b;\n\
             COMMENT ON SEQUENCE app.s IS 'numbers';";
    let plan = both_ways(a, b).await;
    let up = plan.up_sql();
    // Ownership is given up before the column that owned it is dropped (with its sequence).
    assert!(
        up.find("OWNED BY NONE") < up.find("DROP COLUMN a") && up.contains("OWNED BY app.t.b"),
        "{up}"
    );
    // Created, then dropped, on its own.
    both_ways(
        "CREATE SCHEMA app;",
        "CREATE SCHEMA app; CREATE SEQUENCE app.s;",
    )
    .await;
}

const ROUTINES: &str = "CREATE SCHEMA app;
CREATE FUNCTION app.next_code() RETURNS text LANGUAGE plpgsql AS $$BEGIN RETURN 'c'; END$$;
CREATE FUNCTION app.positive(n integer) RETURNS boolean LANGUAGE sql IMMUTABLE
    AS $$SELECT n > 0$$;
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql
    AS $$BEGIN NEW.updated := now(); RETURN NEW; END$$;
CREATE TABLE app.t (
    code text DEFAULT app.next_code(),
    n integer CHECK (app.positive(n)),
    updated timestamptz
);
CREATE TRIGGER t_touch BEFORE UPDATE ON app.t FOR EACH ROW EXECUTE FUNCTION app.touch();
COMMENT ON FUNCTION app.touch() IS 'sets updated';
COMMENT ON TRIGGER t_touch ON app.t IS 'keeps updated';";

#[tokio::test]
async fn functions_used_by_a_default_a_check_and_a_trigger_come_first_and_go_last() {
    let plan = round_trip("", ROUTINES, &NONE).await;
    let up = plan.up_sql();
    let table = up.find("CREATE TABLE app.t").unwrap();
    assert!(up.find("app.next_code()").unwrap() < table, "{up}");
    assert!(up.find("CREATE TRIGGER t_touch").unwrap() > table, "{up}");
    let down = plan.down_sql();
    assert!(
        down.find("DROP TRIGGER t_touch ON app.t") < down.find("DROP TABLE app.t")
            && down.find("DROP TABLE app.t") < down.find("DROP FUNCTION app.touch()"),
        "{down}"
    );
}

#[tokio::test]
async fn functions_are_replaced_or_dropped_and_created_again_as_their_change_needs() {
    // A new body: replaced in place.
    let body = ROUTINES.replace("RETURN 'c'", "RETURN 'd'");
    let plan = both_ways(ROUTINES, &body).await;
    assert!(
        !plan.up_sql().contains("DROP FUNCTION"),
        "{}",
        plan.up_sql()
    );
    // A new return type (and a new name of an argument): dropped and created again, and the
    // view that calls it with it.
    let a = "CREATE SCHEMA app;
CREATE FUNCTION app.half(n integer) RETURNS integer LANGUAGE sql AS $$SELECT n / 2$$;
CREATE FUNCTION app.p(n integer) RETURNS void LANGUAGE sql AS $$SELECT$$;
COMMENT ON FUNCTION app.half(integer) IS 'half';
CREATE VIEW app.halves AS SELECT app.half(4) AS h;";
    let b = "CREATE SCHEMA app;
CREATE FUNCTION app.half(m integer) RETURNS numeric LANGUAGE sql AS $$SELECT m / 2.0$$;
CREATE PROCEDURE app.p(n integer) LANGUAGE sql AS $$SELECT$$;
CREATE PROCEDURE app.q() LANGUAGE plpgsql AS $$BEGIN NULL; END$$;
COMMENT ON FUNCTION app.half(integer) IS 'half again';
COMMENT ON PROCEDURE app.q() IS 'does nothing';
CREATE VIEW app.halves AS SELECT app.half(4) AS h;";
    let plan = both_ways(a, b).await;
    let up = plan.up_sql();
    assert!(up.contains("DROP FUNCTION app.half(n integer);"), "{up}");
    assert!(up.contains("DROP FUNCTION app.p(n integer);"), "{up}");
    assert!(
        up.find("DROP VIEW app.halves") < up.find("DROP FUNCTION app.half"),
        "{up}"
    );
    // A trigger's new definition is a drop and a create (its function replaced meanwhile);
    // its firing state changes in place.
    let rebuilt = ROUTINES
        .replace(
            "RETURNS trigger LANGUAGE plpgsql\n",
            "RETURNS trigger LANGUAGE plpgsql STRICT\n",
        )
        .replace("BEFORE UPDATE ON", "BEFORE INSERT OR UPDATE ON")
        + "\nALTER TABLE app.t DISABLE TRIGGER t_touch;";
    both_ways(ROUTINES, &rebuilt).await;
    for state in ["ENABLE REPLICA", "ENABLE ALWAYS", "DISABLE"] {
        let fired = format!("{ROUTINES}\nALTER TABLE app.t {state} TRIGGER t_touch;");
        let plan = both_ways(ROUTINES, &fired).await;
        assert_eq!(
            plan.up_sql(),
            format!("ALTER TABLE app.t {state} TRIGGER t_touch;\n")
        );
    }
}

#[tokio::test]
async fn a_sql_function_that_reads_a_new_table_or_view_comes_after_it() {
    let b = "CREATE SCHEMA app;
CREATE TYPE app.state AS ENUM ('open', 'done');
CREATE TABLE app.tasks (id int, state app.state);
CREATE VIEW app.open AS SELECT id FROM app.tasks WHERE state = 'open';
CREATE FUNCTION app.count_in(s app.state) RETURNS bigint LANGUAGE sql STABLE
    AS $$SELECT count(*) FROM app.tasks WHERE tasks.state = s$$;
CREATE FUNCTION app.open_count() RETURNS bigint LANGUAGE sql STABLE
    AS $$SELECT count(*) FROM app.open$$;
CREATE FUNCTION app.sum_step(a integer, b integer) RETURNS integer LANGUAGE sql IMMUTABLE
    AS $$SELECT a + b$$;
CREATE FUNCTION app.sum_step(a bigint, b bigint) RETURNS bigint LANGUAGE sql IMMUTABLE
    AS $$SELECT a + b$$;
CREATE AGGREGATE app.total(integer) (SFUNC = app.sum_step, STYPE = integer, INITCOND = '0');
COMMENT ON AGGREGATE app.total(integer) IS 'sums';";
    let plan = round_trip("CREATE SCHEMA app;", b, &NONE).await;
    let up = plan.up_sql();
    assert!(
        up.find("CREATE TABLE app.tasks") < up.find("FUNCTION app.count_in")
            && up.find("CREATE VIEW app.open") < up.find("FUNCTION app.open_count"),
        "{up}"
    );
    // A column the function reads changes type: views and the function follow.
    let changed = b.replace("tasks (id int,", "tasks (id bigint,");
    both_ways(b, &changed).await;
    // The aggregate changes: dropped and created again.
    both_ways(b, &b.replace("INITCOND = '0'", "INITCOND = '1'")).await;
}

#[tokio::test]
async fn domains_are_created_altered_and_dropped() {
    let a = "CREATE SCHEMA app;
CREATE TYPE app.state AS ENUM ('open', 'done');
CREATE DOMAIN app.open_state AS app.state CONSTRAINT is_open CHECK (VALUE = 'open');
CREATE DOMAIN app.amount AS integer DEFAULT 1 NOT NULL CONSTRAINT positive CHECK (VALUE > 0);
CREATE DOMAIN app.code AS text COLLATE \"C\";
CREATE TABLE app.t (n app.amount, s app.open_state, c app.code);";
    let b = "CREATE SCHEMA app;
CREATE TYPE app.state AS ENUM ('open', 'done');
CREATE DOMAIN app.amount AS integer DEFAULT 2
    CONSTRAINT positive CHECK (VALUE >= 0) CONSTRAINT small CHECK (VALUE < 100);
CREATE DOMAIN app.code AS text COLLATE \"C\";
COMMENT ON DOMAIN app.amount IS 'money';
CREATE TABLE app.t (n app.amount, c app.code);";
    both_ways(a, b).await;
    let plan = round_trip("", a, &NONE).await;
    let up = plan.up_sql();
    assert!(
        up.find("CREATE TYPE app.state") < up.find("CREATE DOMAIN app.open_state")
            && up.find("CREATE DOMAIN app.amount") < up.find("CREATE TABLE"),
        "{up}"
    );
}

const MATVIEWS: &str = "CREATE SCHEMA app;
CREATE TABLE app.tasks (id integer PRIMARY KEY, title text, done boolean);
CREATE VIEW app.open AS SELECT id, title FROM app.tasks WHERE NOT done;
CREATE MATERIALIZED VIEW app.open_titles AS SELECT title FROM app.open;
CREATE INDEX open_titles_title ON app.open_titles (title);
COMMENT ON MATERIALIZED VIEW app.open_titles IS 'cached';
COMMENT ON INDEX app.open_titles_title IS 'by title';
CREATE VIEW app.counted AS SELECT count(*) AS n FROM app.open_titles;";

#[tokio::test]
async fn materialized_views_come_with_their_indexes_in_dependency_order() {
    let plan = round_trip("CREATE SCHEMA app;", MATVIEWS, &NONE).await;
    let up = plan.up_sql();
    let view = up.find("CREATE VIEW app.open AS").unwrap();
    let matview = up
        .find("CREATE MATERIALIZED VIEW app.open_titles AS")
        .unwrap();
    let index = up.find("CREATE INDEX open_titles_title").unwrap();
    let counted = up.find("CREATE VIEW app.counted").unwrap();
    assert!(view < matview && matview < index && index < counted, "{up}");
    // A new definition: dropped (with what reads it) and created again, with its index.
    let redefined = MATVIEWS.replace(
        "SELECT title FROM app.open;",
        "SELECT title, id FROM app.open;",
    );
    let plan = both_ways(MATVIEWS, &redefined).await;
    assert!(
        plan.up_sql()
            .contains("DROP MATERIALIZED VIEW app.open_titles;"),
        "{}",
        plan.up_sql()
    );
    // A column type changes under them.
    both_ways(
        MATVIEWS,
        &MATVIEWS.replace("title text", "title varchar(100)"),
    )
    .await;
    // Index and comments change on a materialized view that stays.
    let reindexed = MATVIEWS
        .replace("(title);", "(title DESC);")
        .replace("'cached'", "'cached twice'");
    both_ways(MATVIEWS, &reindexed).await;
}

#[tokio::test]
async fn a_trigger_on_a_view_follows_the_view_when_it_is_created_again() {
    let a = "CREATE SCHEMA app;
CREATE TABLE app.tasks (id integer, title text);
CREATE VIEW app.titles AS SELECT title FROM app.tasks;
CREATE FUNCTION app.add_title() RETURNS trigger LANGUAGE plpgsql
    AS $$BEGIN INSERT INTO app.tasks (title) VALUES (NEW.title); RETURN NEW; END$$;
CREATE TRIGGER titles_insert INSTEAD OF INSERT ON app.titles
    FOR EACH ROW EXECUTE FUNCTION app.add_title();";
    let b = a.replace("title text", "title varchar(50)");
    let plan = both_ways(a, &b).await;
    let up = plan.up_sql();
    assert!(
        up.find("DROP TRIGGER titles_insert ON app.titles") < up.find("DROP VIEW app.titles")
            && up.find("CREATE VIEW app.titles") < up.find("CREATE TRIGGER titles_insert"),
        "{up}"
    );
}

#[tokio::test]
async fn comments_of_schemas_constraints_and_indexes() {
    let a = "CREATE SCHEMA app;
CREATE TABLE app.t (id int CONSTRAINT t_pkey PRIMARY KEY, n int CONSTRAINT n_positive CHECK (n > 0));
CREATE INDEX t_n ON app.t (n);";
    let b = format!(
        "{a}\nCOMMENT ON SCHEMA app IS 'the app';\n\
         COMMENT ON CONSTRAINT n_positive ON app.t IS 'no zero';\n\
         COMMENT ON CONSTRAINT t_pkey ON app.t IS 'the key';\n\
         COMMENT ON INDEX app.t_n IS 'by n';"
    );
    let plan = both_ways(a, &b).await;
    assert_eq!(plan.up.len(), 4, "{}", plan.up_sql());
    // New objects bring theirs.
    round_trip("", &b, &NONE).await;
    // A constraint created again keeps its comment.
    both_ways(&b, &b.replace("n > 0", "n > 1")).await;
}

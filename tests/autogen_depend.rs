//! Autogenerate ordered by the snapshot's dependencies (`pg_depend`), against real
//! PostgreSQL: only the views over what changes are dropped and created again; views and
//! routines are created in the order of who uses what and dropped in the reverse; defaults,
//! checks and triggers that call a routine created again are set aside around it. Names are
//! chosen so that alphabetical order is the wrong order.

#[path = "support/db.rs"]
mod db;
#[path = "support/autogen.rs"]
mod plans;

use pelican::schema::ObjectRef;
use plans::{app, both_ways, built};

#[tokio::test]
async fn the_snapshot_lists_who_uses_what_by_name() {
    let (_db, client) = built(
        "CREATE SCHEMA app;
CREATE TABLE app.tasks (id int PRIMARY KEY, title text);
CREATE VIEW app.titles AS SELECT title FROM app.tasks;
CREATE FUNCTION app.answer() RETURNS int LANGUAGE sql IMMUTABLE RETURN 42;
ALTER TABLE app.tasks ADD COLUMN score int DEFAULT app.answer();",
    )
    .await;
    let snapshot = app(&client).await;
    let text: Vec<String> = snapshot
        .dependencies
        .iter()
        .flat_map(|(user, used)| used.iter().map(move |u| format!("{user} -> {u}")))
        .collect();
    let has = |line: &str| text.iter().any(|l| l == line);
    assert!(
        has("relation app.titles -> column app.tasks.title"),
        "{text:#?}"
    );
    assert!(
        !has("relation app.titles -> column app.tasks.id"),
        "{text:#?}"
    );
    assert!(
        has("default of app.tasks.score -> function app.answer()"),
        "{text:#?}"
    );
    // Nothing of PostgreSQL's own (the `int4` type, `pg_catalog` routines).
    assert!(snapshot
        .dependencies
        .values()
        .flatten()
        .all(|used| match used {
            ObjectRef::Function(f) => f.schema == "app",
            ObjectRef::Type(t) | ObjectRef::Relation(t) => t.schema == "app",
            _ => true,
        }));
}

#[tokio::test]
async fn only_the_views_over_a_retyped_column_are_created_again() {
    let a = "CREATE SCHEMA app;
CREATE TABLE app.tasks (id int PRIMARY KEY, title varchar(50));
CREATE TABLE app.users (id int PRIMARY KEY, name text);
CREATE VIEW app.a_titles AS SELECT id, title FROM app.tasks;
CREATE VIEW app.b_names AS SELECT id, name FROM app.users;";
    let b = a.replace("title varchar(50)", "title text");
    let plan = both_ways(a, &b).await;
    let up = plan.up_sql();
    assert!(up.contains("DROP VIEW app.a_titles"), "{up}");
    assert!(!up.contains("app.b_names"), "{up}");
    assert!(
        up.find("DROP VIEW app.a_titles") < up.find("ALTER COLUMN title TYPE")
            && up.find("ALTER COLUMN title TYPE") < up.find("CREATE VIEW app.a_titles"),
        "{up}"
    );
    // A column of the same table that no view reads: no view is touched.
    let c = a.replace(
        "title varchar(50));",
        "title varchar(50), note varchar(10));",
    );
    let d = c.replace("note varchar(10)", "note text");
    let plan = both_ways(&c, &d).await;
    assert!(!plan.up_sql().contains("VIEW"), "{}", plan.up_sql());
}

const CHAIN: &str = "CREATE SCHEMA app;
CREATE TABLE app.tasks (id int PRIMARY KEY, title varchar(50), done boolean);
CREATE VIEW app.z_first AS SELECT id, title, done FROM app.tasks;
CREATE VIEW app.m_second AS SELECT id, title FROM app.z_first WHERE NOT done;
CREATE MATERIALIZED VIEW app.a_third AS SELECT title FROM app.m_second;";

#[tokio::test]
async fn a_chain_of_views_is_created_in_order_and_dropped_in_reverse() {
    let plan = both_ways("CREATE SCHEMA app;", CHAIN).await;
    let up = plan.up_sql();
    let at = |text: &str, what: &str| text.find(what).unwrap_or_else(|| panic!("{what}\n{text}"));
    assert!(
        at(&up, "CREATE VIEW app.z_first") < at(&up, "CREATE VIEW app.m_second")
            && at(&up, "CREATE VIEW app.m_second")
                < at(&up, "CREATE MATERIALIZED VIEW app.a_third"),
        "{up}"
    );
    let down = plan.down_sql();
    assert!(
        at(&down, "DROP MATERIALIZED VIEW app.a_third") < at(&down, "DROP VIEW app.m_second")
            && at(&down, "DROP VIEW app.m_second") < at(&down, "DROP VIEW app.z_first"),
        "{down}"
    );
    // The base column retyped: the whole chain goes and comes back, in order.
    let retyped = CHAIN.replace("title varchar(50)", "title text");
    let plan = both_ways(CHAIN, &retyped).await;
    let up = plan.up_sql();
    assert!(
        at(&up, "DROP MATERIALIZED VIEW app.a_third") < at(&up, "DROP VIEW app.m_second")
            && at(&up, "DROP VIEW app.m_second") < at(&up, "DROP VIEW app.z_first")
            && at(&up, "CREATE VIEW app.z_first") < at(&up, "CREATE VIEW app.m_second")
            && at(&up, "CREATE VIEW app.m_second")
                < at(&up, "CREATE MATERIALIZED VIEW app.a_third"),
        "{up}"
    );
    // Dropping a table none of them reads touches none of them.
    let more = format!("{CHAIN}\nCREATE TABLE app.other (x int);");
    let plan = both_ways(&more, CHAIN).await;
    assert!(!plan.up_sql().contains("VIEW"), "{}", plan.up_sql());
}

const USED: &str = "CREATE SCHEMA app;
CREATE FUNCTION app.z_limit() RETURNS int LANGUAGE sql IMMUTABLE RETURN 10;
CREATE FUNCTION app.a_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.score := app.z_limit(); RETURN NEW; END $$;
CREATE TABLE app.tasks (
    id int PRIMARY KEY,
    score int DEFAULT app.z_limit() CONSTRAINT score_max CHECK (score <= app.z_limit())
);
CREATE TRIGGER b_touch BEFORE INSERT ON app.tasks FOR EACH ROW EXECUTE FUNCTION app.a_touch();
CREATE VIEW app.limits AS SELECT app.z_limit() AS l;";

#[tokio::test]
async fn a_routine_used_by_a_default_a_check_and_a_trigger_is_rebuilt_around_them() {
    // The return type changes: the routine is dropped and created again.
    let b = USED.replace("app.z_limit() RETURNS int", "app.z_limit() RETURNS bigint");
    let plan = both_ways(USED, &b).await;
    let up = plan.up_sql();
    let at = |what: &str| up.find(what).unwrap_or_else(|| panic!("{what}\n{up}"));
    let drop = at("DROP FUNCTION app.z_limit()");
    assert!(at("DROP DEFAULT") < drop, "{up}");
    assert!(at("DROP CONSTRAINT score_max") < drop, "{up}");
    assert!(at("DROP VIEW app.limits") < drop, "{up}");
    let create = at("CREATE OR REPLACE FUNCTION app.z_limit()");
    assert!(create < at("SET DEFAULT app.z_limit()"), "{up}");
    assert!(create < at("ADD CONSTRAINT score_max"), "{up}");
    assert!(create < at("CREATE VIEW app.limits"), "{up}");
    // The trigger's function only calls it at run time: it stays.
    assert!(!up.contains("TRIGGER"), "{up}");
}

#[tokio::test]
async fn routines_are_created_in_the_order_they_call_one_another() {
    let b = "CREATE SCHEMA app;
CREATE FUNCTION app.z_base() RETURNS int LANGUAGE sql IMMUTABLE RETURN 1;
CREATE FUNCTION app.m_mid() RETURNS int LANGUAGE sql IMMUTABLE RETURN app.z_base() + 1;
CREATE FUNCTION app.a_top() RETURNS int LANGUAGE sql IMMUTABLE RETURN app.m_mid() + 1;
CREATE TABLE app.t (n int DEFAULT app.a_top());";
    let plan = both_ways("CREATE SCHEMA app;", b).await;
    let up = plan.up_sql();
    let at = |what: &str| up.find(what).unwrap_or_else(|| panic!("{what}\n{up}"));
    assert!(
        at("FUNCTION app.z_base") < at("FUNCTION app.m_mid")
            && at("FUNCTION app.m_mid") < at("FUNCTION app.a_top")
            && at("FUNCTION app.a_top") < at("CREATE TABLE app.t"),
        "{up}"
    );
    let down = plan.down_sql();
    let at = |what: &str| down.find(what).unwrap_or_else(|| panic!("{what}\n{down}"));
    assert!(
        at("DROP TABLE app.t") < at("FUNCTION app.a_top")
            && at("FUNCTION app.a_top") < at("FUNCTION app.m_mid")
            && at("FUNCTION app.m_mid") < at("FUNCTION app.z_base"),
        "{down}"
    );
    // The one at the bottom changes its return type: those that call it are rebuilt too.
    let rebuilt = b.replace("z_base() RETURNS int", "z_base() RETURNS bigint");
    let plan = both_ways(b, &rebuilt).await;
    let up = plan.up_sql();
    let at = |what: &str| up.find(what).unwrap_or_else(|| panic!("{what}\n{up}"));
    assert!(
        at("DROP DEFAULT") < at("DROP FUNCTION app.a_top")
            && at("DROP FUNCTION app.a_top") < at("DROP FUNCTION app.m_mid")
            && at("DROP FUNCTION app.m_mid") < at("DROP FUNCTION app.z_base"),
        "{up}"
    );
}

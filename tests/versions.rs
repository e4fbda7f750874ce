//! What differs between PostgreSQL 14 and 18, on whichever server the harness runs
//! (`PELICAN_PG_BINDIR`; scripts/compat.sh runs this on each version): catalog columns a
//! snapshot reads (18's NOT NULL constraints and virtual generated columns), the
//! `client_connection_check_interval` a run sets (14+), `NULLS NOT DISTINCT` (15+), `MERGE`
//! (15+), and SQL-standard function bodies (`BEGIN ATOMIC`, 14+) in a `transaction: false`
//! file. Each test asserts by the server's version: a feature the server lacks is refused by
//! PostgreSQL itself, with the message a user sees.

#[path = "support/db.rs"]
mod db;
#[path = "support/autogen.rs"]
mod plans;

use pelican::lint::{LintOptions, Severity};
use pelican::migration::SetEntry;
use pelican::source::parse_migration;
use pelican::Migrator;

const EMPTY: &str = "CREATE SCHEMA app;";

/// The server's major version, from a connection of its own.
async fn major() -> u32 {
    let (_database, client) = db::fresh_db().await;
    db::server_major(&client).await
}

/// What PostgreSQL says to a statement it can't parse, without its position.
async fn syntax_error(sql: &str) -> String {
    let (_database, client) = db::fresh_db().await;
    let error = client.batch_execute(sql).await.unwrap_err();
    error
        .as_db_error()
        .expect("a server error")
        .message()
        .to_owned()
}

#[tokio::test]
async fn not_null_identity_and_generated_columns_round_trip() {
    let virtual_column = if major().await >= 18 {
        ",\n    half int GENERATED ALWAYS AS (n / 2) VIRTUAL"
    } else {
        ""
    };
    let table = format!(
        "CREATE SCHEMA app;
CREATE TABLE app.items (
    id bigint GENERATED ALWAYS AS IDENTITY (START WITH 10) PRIMARY KEY,
    n int NOT NULL,
    label text NOT NULL DEFAULT 'x',
    twice int GENERATED ALWAYS AS (n * 2) STORED{virtual_column}
);
CREATE TABLE app.base (n int NOT NULL);
CREATE TABLE app.derived (extra int NOT NULL) INHERITS (app.base);"
    );
    let plan = plans::both_ways(EMPTY, &table).await;
    let up = plan.up_sql();
    assert!(
        up.contains("twice integer GENERATED ALWAYS AS (n * 2) STORED"),
        "{up}"
    );

    let (_database, client) = plans::built(&table).await;
    let snapshot = plans::app(&client).await;
    let items = &snapshot.tables[&pelican::schema::QualifiedName::new("app", "items")];
    let not_null: Vec<_> = items
        .columns
        .iter()
        .filter(|c| c.not_null)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(not_null, ["id", "label", "n"]);
    // PostgreSQL 18 records each NOT NULL in pg_constraint too (`items_n_not_null`): a
    // snapshot holds it as the column's flag only, on every version alike.
    let constraints: Vec<_> = items.constraints.keys().map(String::as_str).collect();
    assert_eq!(constraints, ["items_pkey"]);
    let dependencies = format!("{:?}", snapshot.dependencies);
    assert!(!dependencies.contains("not_null"), "{dependencies}");
    if !virtual_column.is_empty() {
        let half = items.column("half").unwrap();
        assert_eq!(half.generated_kind, pelican::schema::GeneratedKind::Virtual);
        assert!(
            up.contains("half integer GENERATED ALWAYS AS (n / 2) VIRTUAL"),
            "{up}"
        );
    }
}

#[tokio::test]
async fn a_stored_generated_column_that_becomes_virtual_is_added_again() {
    if major().await < 18 {
        assert_eq!(
            syntax_error("CREATE TABLE t (n int, h int GENERATED ALWAYS AS (n / 2) VIRTUAL)").await,
            "syntax error at or near \"VIRTUAL\""
        );
        return;
    }
    let stored = "CREATE SCHEMA app;
CREATE TABLE app.t (n int, half int GENERATED ALWAYS AS (n / 2) STORED);";
    let virtual_ = "CREATE SCHEMA app;
CREATE TABLE app.t (n int, half int GENERATED ALWAYS AS (n / 2));";
    let plan = plans::both_ways(stored, virtual_).await;
    assert_eq!(
        plan.up_sql().trim_end(),
        "-- hazard: takes ACCESS EXCLUSIVE on an existing table\n\
         -- hazard: rewrites the table\n\
         ALTER TABLE app.t DROP COLUMN half;\n\n\
         -- hazard: takes ACCESS EXCLUSIVE on an existing table\n\
         ALTER TABLE app.t ADD COLUMN half integer GENERATED ALWAYS AS (n / 2) VIRTUAL;"
    );
}

#[tokio::test]
async fn a_run_checks_its_client_connection_every_second() {
    let (_database, client) = db::fresh_db().await;
    let up = "CREATE TABLE seen AS \
              SELECT current_setting('client_connection_check_interval') AS interval;";
    let files = [db::sql("r1", "", up, "DROP TABLE seen;")];
    Migrator::new(db::set(&files))
        .migrate_to_head(&client)
        .await
        .unwrap();
    let seen: String = client
        .query_one("SELECT interval FROM seen", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(seen, "1s");
    // Put back after the run.
    let after: String = client
        .query_one("SHOW client_connection_check_interval", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(after, "0");
}

#[tokio::test]
async fn a_nulls_not_distinct_unique_index_round_trips() {
    let index = "CREATE UNIQUE INDEX tags_name ON app.tags (name) NULLS NOT DISTINCT";
    if major().await < 15 {
        assert_eq!(
            syntax_error(&format!(
                "CREATE SCHEMA app; CREATE TABLE app.tags (name text); {index}"
            ))
            .await,
            "syntax error at or near \"NULLS\""
        );
        return;
    }
    let a = "CREATE SCHEMA app;
CREATE TABLE app.tags (name text);
CREATE UNIQUE INDEX tags_name ON app.tags (name);
CREATE TABLE app.pairs (a int, b int, CONSTRAINT pairs_a_b UNIQUE (a, b));";
    let b = format!(
        "CREATE SCHEMA app;
CREATE TABLE app.tags (name text);
{index};
CREATE TABLE app.pairs (a int, b int, CONSTRAINT pairs_a_b UNIQUE NULLS NOT DISTINCT (a, b));"
    );
    let plan = plans::both_ways(a, &b).await;
    let up = plan.up_sql();
    assert!(
        up.contains(
            "CREATE UNIQUE INDEX tags_name ON app.tags USING btree (name) NULLS NOT DISTINCT;"
        ),
        "{up}"
    );
    assert!(
        up.contains("ADD CONSTRAINT pairs_a_b UNIQUE NULLS NOT DISTINCT (a, b)"),
        "{up}"
    );
    // And it does what it says: a second NULL is a duplicate.
    let (_database, client) = plans::built(&b).await;
    client
        .batch_execute("INSERT INTO app.tags VALUES (NULL)")
        .await
        .unwrap();
    let error = client
        .batch_execute("INSERT INTO app.tags VALUES (NULL)")
        .await
        .unwrap_err();
    assert_eq!(
        error.as_db_error().unwrap().message(),
        "duplicate key value violates unique constraint \"tags_name\""
    );
}

const MERGE: &str = "MERGE INTO stock s USING (VALUES ('apple', 3), ('pear', 5)) AS d(item, n)
    ON s.item = d.item
    WHEN MATCHED THEN UPDATE SET n = s.n + d.n
    WHEN NOT MATCHED THEN INSERT (item, n) VALUES (d.item, d.n);";

#[tokio::test]
async fn a_migration_can_merge() {
    let (_database, client) = db::fresh_db().await;
    let files = [
        db::sql(
            "r1",
            "",
            "CREATE TABLE stock (item text PRIMARY KEY, n int NOT NULL);\n\
             INSERT INTO stock VALUES ('apple', 1);",
            "DROP TABLE stock;",
        ),
        db::sql("r2", "r1", MERGE, "DELETE FROM stock WHERE item = 'pear';"),
    ];
    let result = Migrator::new(db::set(&files))
        .migrate_to_head(&client)
        .await;
    if db::server_major(&client).await < 15 {
        let message = result.unwrap_err().to_string();
        assert!(
            message.starts_with(
                "revision r2 (migrations/r2_test.sql, line 6) failed to upgrade: ERROR: syntax error at or near \"MERGE\""
            ),
            "{message}"
        );
        return;
    }
    result.unwrap();
    let rows: Vec<(String, i32)> = client
        .query("SELECT item, n FROM stock ORDER BY item", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    assert_eq!(rows, [("apple".to_owned(), 4), ("pear".to_owned(), 5)]);
}

/// A `transaction: false` revision: an index built concurrently (which can't run in a
/// transaction block) beside a function with an SQL-standard body, whose inner semicolons
/// must not end the statement.
const ATOMIC: &str = "-- revision: r2
-- revises: r1
-- message: standard body
-- transaction: false

-- up
CREATE INDEX CONCURRENTLY stock_n ON stock (n);
CREATE FUNCTION restock(what text, more int) RETURNS int
LANGUAGE sql
BEGIN ATOMIC
    UPDATE stock SET n = n + more WHERE item = what;
    SELECT CASE WHEN n > 10 THEN 10 ELSE n END FROM stock WHERE item = what;
END;
SELECT restock('apple', 2);

-- down
DROP FUNCTION restock(text, int);
DROP INDEX CONCURRENTLY stock_n;
";

#[tokio::test]
async fn a_standard_function_body_in_a_transaction_false_file_runs_whole() {
    let (_database, client) = db::fresh_db().await;
    let files = [
        db::sql(
            "r1",
            "",
            "CREATE TABLE stock (item text PRIMARY KEY, n int NOT NULL);\n\
             INSERT INTO stock VALUES ('apple', 1);",
            "DROP TABLE stock;",
        ),
        (
            "migrations/r2_standard_body.sql".to_owned(),
            ATOMIC.to_owned(),
        ),
    ];
    let migrator = Migrator::new(db::set(&files));
    migrator.migrate_to_head(&client).await.unwrap();
    let restocked: i32 = client
        .query_one("SELECT restock('apple', 10)", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(restocked, 10);
    let n: i32 = client
        .query_one("SELECT n FROM stock", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 13);
    // pg_get_functiondef prints the body as PostgreSQL parsed it: both statements are in it.
    let body: String = client
        .query_one("SELECT pg_get_functiondef('restock'::regproc)", &[])
        .await
        .unwrap()
        .get(0);
    assert!(body.contains("BEGIN ATOMIC\n UPDATE stock"), "{body}");
    assert!(db::table_exists(&client, "stock_n").await);
    migrator.downgrade(&client, "r1").await.unwrap();
    assert!(!db::table_exists(&client, "stock_n").await);
}

#[tokio::test]
async fn the_linter_reads_a_standard_function_body_as_one_statement() {
    let entry = SetEntry::from_file(
        parse_migration("migrations/r2_standard_body.sql", ATOMIC.as_bytes()).unwrap(),
    );
    // Linted for this server, as `pelican lint --database-url` does.
    let (_database, client) = db::fresh_db().await;
    let num: i32 = client
        .query_one("SELECT current_setting('server_version_num')::int", &[])
        .await
        .unwrap()
        .get(0);
    let (major, minor) = (num / 10_000, num % 100);
    let findings = LintOptions::default()
        .postgres_version(major.try_into().unwrap(), minor.try_into().unwrap())
        .lint_entry(&entry);
    let errors: Vec<_> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| format!("{}:{} {}: {}", f.line, f.column, f.rule, f.message))
        .collect();
    assert_eq!(errors, Vec::<String>::new());
}

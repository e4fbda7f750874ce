//! Text from users (a schema name, a revision's message) can't end a comment or a line of an
//! offline script and put SQL of its own there.

use pelican::migration::statements::split_statements;
use pelican::migration::{Body, SetEntry, SqlBody};
use pelican::offline::{render, OfflineOptions};
use pelican::{MigrationSet, Migrator, Revision};

use super::{fresh_db, run_psql, snapshot, upgrade_plan};

/// A schema name that, pasted into a `--` comment, ends it and drops a table.
const HOSTILE_SCHEMA: &str = "tenant\nDROP TABLE users; --";
/// A message that tries the same from a string literal, and with other line breaks.
const HOSTILE_MESSAGE: &str = "add tasks\nDROP TABLE users; --\r\n\\. \u{2028}'";

/// h1 (transactional) then h2 (`transaction: false`), both with `message`.
fn set_with_message(message: &str) -> MigrationSet {
    let entry = |id: &str, parents: &[&str], transactional: bool, up: &'static str| {
        let revision = Revision::new(id.parse().unwrap())
            .with_parents(parents.iter().map(|p| p.parse().unwrap()).collect())
            .with_message(message)
            .with_transactional(transactional);
        let body = Body::Sql {
            up: SqlBody::new(up, 5),
            down: Some(SqlBody::new("SELECT 1;", 8)),
        };
        SetEntry::new(revision, format!("migrations/{id}_test.sql"), body)
    };
    MigrationSet::new(vec![
        entry(
            "h1",
            &[],
            true,
            "CREATE TABLE tasks (id int); INSERT INTO tasks VALUES (1);",
        ),
        entry(
            "h2",
            &["h1"],
            false,
            "CREATE INDEX CONCURRENTLY tasks_id ON tasks (id);",
        ),
    ])
    .unwrap()
}

/// The first word of each statement of a script, as PostgreSQL (and psql) would cut it.
fn statement_keywords(script: &str) -> Vec<String> {
    split_statements(script)
        .unwrap()
        .iter()
        .map(|s| s.sql().split_whitespace().next().unwrap().to_uppercase())
        .collect()
}

fn hostile_script() -> String {
    let set = set_with_message(HOSTILE_MESSAGE);
    let plan = upgrade_plan(&set, &[], "head");
    render(&set, &plan, &OfflineOptions::new().schema(HOSTILE_SCHEMA)).unwrap()
}

#[test]
fn schema_names_and_messages_stay_inside_their_comments_and_quotes() {
    let script = hostile_script();
    let set = set_with_message("add tasks");
    let plan = upgrade_plan(&set, &[], "head");
    let plain = render(&set, &plan, &OfflineOptions::new().schema("tenant")).unwrap();

    // The comment naming the tables shows the schema's line break, on one line.
    let tables = r#""tenant\nDROP TABLE users; --"."pelican_revisions""#;
    assert!(
        script
            .lines()
            .any(|line| line.starts_with("-- History tables: ") && line.contains(tables)),
        "{script}"
    );
    // The message is a literal on one line.
    assert!(
        script.contains("E'add tasks\\nDROP TABLE users; --\\r\\n\\\\. \u{2028}''"),
        "{script}"
    );
    // Cut into statements as psql would, the script is the plain one's, statement for
    // statement: nothing became a statement of its own.
    assert_eq!(statement_keywords(&script), statement_keywords(&plain));
    assert!(!statement_keywords(&script).contains(&"DROP".to_owned()));
    // The only lines that start with the DROP are inside the schema's quoted identifier
    // (a newline is allowed there), whose closing quote follows.
    for line in script.lines() {
        if line.trim_start().starts_with("DROP TABLE users") {
            assert!(line.starts_with("DROP TABLE users; --\""), "{line:?}");
        }
    }
}

#[tokio::test]
async fn a_hostile_schema_and_message_are_only_names_and_text_when_the_script_runs() {
    let script = hostile_script();
    let (offline_db, offline) = fresh_db().await;
    offline
        .batch_execute("CREATE TABLE users ()")
        .await
        .unwrap();
    run_psql(&offline_db, &script).await;

    let (_online_db, online) = fresh_db().await;
    online.batch_execute("CREATE TABLE users ()").await.unwrap();
    Migrator::new(set_with_message(HOSTILE_MESSAGE))
        .schema(HOSTILE_SCHEMA)
        .migrate_to_head(&online)
        .await
        .unwrap();

    for client in [&offline, &online] {
        let users: bool = client
            .query_one("SELECT to_regclass('public.users') IS NOT NULL", &[])
            .await
            .unwrap()
            .get(0);
        assert!(users, "the users table was dropped");
        let messages: Vec<String> = client
            .query(
                &format!(
                    "SELECT message FROM \"{}\".pelican_revisions ORDER BY revision",
                    HOSTILE_SCHEMA.replace('"', "\"\"")
                ),
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect();
        assert_eq!(messages, [HOSTILE_MESSAGE, HOSTILE_MESSAGE]);
    }
    assert_eq!(
        snapshot(&offline, HOSTILE_SCHEMA).await,
        snapshot(&online, HOSTILE_SCHEMA).await
    );
}

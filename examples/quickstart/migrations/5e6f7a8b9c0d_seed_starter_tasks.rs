//! revision: 5e6f7a8b9c0d
//! revises: 4d5e6f7a8b9c
//! message: seed starter tasks
//! created: 2026-11-21T11:30:00Z

//! A Rust migration: code instead of SQL, for changes that need logic (here, a loop with
//! parameters). `embed_migrations!` compiles this file as a module of the program that
//! embeds the directory, and the migrator runs it like the SQL ones, in the same
//! transaction as its history row.

use pelican::migration::{BoxError, Migration};

/// Starter tasks: a title, a priority and a tag each.
const STARTER_TASKS: [(&str, i32, &str); 3] = [
    ("read the pelican README", 2, "docs"),
    ("write a first migration", 1, "code"),
    ("deploy with migrate_to_head", 0, "ops"),
];

/// Inserts the starter tasks, and deletes them again on downgrade.
pub struct SeedStarterTasks;

#[pelican::async_trait]
impl Migration for SeedStarterTasks {
    async fn up(&self, db: &tokio_postgres::Client) -> Result<(), BoxError> {
        for (title, priority, tag) in STARTER_TASKS {
            db.execute(
                "WITH task AS (
                     INSERT INTO tasks (title, priority) VALUES ($1, $2) RETURNING id
                 )
                 INSERT INTO tags (task_id, tag) SELECT id, $3 FROM task",
                &[&title, &priority, &tag],
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, db: &tokio_postgres::Client) -> Result<(), BoxError> {
        let titles: Vec<&str> = STARTER_TASKS.iter().map(|(title, _, _)| *title).collect();
        db.execute("DELETE FROM tasks WHERE title = ANY($1)", &[&titles])
            .await?;
        Ok(())
    }
}

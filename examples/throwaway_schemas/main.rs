//! Tests with throwaway schemas: each test gets a schema (or a database) of its own, migrated,
//! and dropped when the test ends, pass or panic.
//!
//! `cargo test --example throwaway_schemas` runs the tests at the bottom; `cargo run --example
//! throwaway_schemas` makes a `TempSchema` and a `TempDatabase` and says what it got. Neither
//! needs a running server: the harness starts a throwaway PostgreSQL (or uses `DATABASE_URL`).

use pelican::testing::{TempDatabase, TempSchema};
use pelican::EmbeddedMigrations;
use tokio_postgres::Client;

/// The application's migrations, embedded at compile time.
static MIGRATIONS: EmbeddedMigrations =
    pelican::embed_migrations!("examples/throwaway_schemas/migrations");

/// Application code under test: adds a user and returns its id.
pub async fn add_user(client: &Client, email: &str) -> Result<i64, tokio_postgres::Error> {
    let row = client
        .query_one(
            "INSERT INTO users (email) VALUES ($1) RETURNING id",
            &[&email],
        )
        .await?;
    Ok(row.get(0))
}

/// Application code under test: the e-mail addresses of active users, sorted.
pub async fn active_users(client: &Client) -> Result<Vec<String>, tokio_postgres::Error> {
    let rows = client
        .query("SELECT email FROM users WHERE active ORDER BY email", &[])
        .await?;
    Ok(rows.iter().map(|row| row.get(0)).collect())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let schema = TempSchema::new(&MIGRATIONS).await?;
    let client = schema.connect().await?;
    add_user(&client, "ada@example.com").await?;
    println!(
        "schema {}: active users {:?}",
        schema.name(),
        active_users(&client).await?
    );

    let database = TempDatabase::new(&MIGRATIONS).await?;
    println!(
        "database {}, a copy of template {}: active users {:?}",
        database.name(),
        database.template(),
        active_users(&database.connect().await?).await?
    );
    Ok(()) // both are dropped here
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    // A schema of its own, migrated to the head: tests running at the same time each have
    // their own `users` table.
    #[pelican::test(migrations = MIGRATIONS)]
    async fn a_new_user_is_active(schema: TempSchema) -> TestResult {
        let client = schema.connect().await?;
        add_user(&client, "ada@example.com").await?;
        assert_eq!(active_users(&client).await?, ["ada@example.com"]);
        Ok(())
    }

    #[pelican::test(migrations = MIGRATIONS)]
    async fn emails_are_unique(schema: TempSchema) -> TestResult {
        let client = schema.connect().await?;
        add_user(&client, "ada@example.com").await?;
        let again = add_user(&client, "ada@example.com").await;
        assert!(again.is_err(), "a second ada@example.com was accepted");
        Ok(())
    }

    // A database of its own, a copy of a template migrated once, with rows from a fixture.
    #[pelican::test(
        migrations = MIGRATIONS,
        fixtures("examples/throwaway_schemas/fixtures/users.sql")
    )]
    async fn deactivated_users_are_not_listed(database: TempDatabase) -> TestResult {
        let client = database.connect().await?;
        assert_eq!(active_users(&client).await?, ["ada@example.com"]);
        Ok(())
    }

    // Migrated only to `u1`: the test checks what `u2` does to existing rows.
    #[pelican::test(migrations = MIGRATIONS, target = "u1")]
    async fn existing_users_stay_active_after_u2(schema: TempSchema) -> TestResult {
        let client = schema.connect().await?;
        client
            .execute("INSERT INTO users (email) VALUES ('old@example.com')", &[])
            .await?;
        schema.migrator().upgrade(&client, "u2").await?;
        assert_eq!(active_users(&client).await?, ["old@example.com"]);
        Ok(())
    }
}

//! Tenant schemas for fleet tests: N empty schemas in a test database, as fleet targets.

use super::{TestDatabase, TestingError};
// The type itself, not `fleet`: fleet drift uses the scratch servers, which use `testing`.
use crate::fleet::target::Target;
use crate::quote::ident;

/// Creates `count` empty schemas `{prefix}1` … `{prefix}{count}` in `database` (in one
/// statement) and returns them as fleet targets, in order.
///
/// ```no_run
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// use pelican::testing::{tenant_schemas, TestServer};
///
/// let database = TestServer::shared()?.create_database().await?;
/// let targets = tenant_schemas(&database, 50, "tenant_").await?;
/// assert_eq!(targets[0].schema.as_deref(), Some("tenant_1"));
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// The database refused the connection or the statement.
pub async fn tenant_schemas(
    database: &TestDatabase,
    count: usize,
    prefix: &str,
) -> Result<Vec<Target>, TestingError> {
    let names: Vec<String> = (1..=count).map(|n| format!("{prefix}{n}")).collect();
    let sql: String = names
        .iter()
        .map(|name| format!("CREATE SCHEMA {};\n", ident(name)))
        .collect();
    let client = database.connect().await?;
    client
        .batch_execute(&sql)
        .await
        .map_err(|error| TestingError::Statement {
            action: format!("create {count} tenant schemas"),
            target: database.name().to_owned(),
            reason: crate::error::describe_db_error(&error),
        })?;
    Ok(names
        .into_iter()
        .map(|name| Target::schema(database.connection_string(), name))
        .collect())
}

//! Targets found by a query: the schemas of one database, or the databases a catalog lists.

use tokio_postgres::Client;

use super::{FleetError, Target};

/// The schemas the query `sql` returns (its first column, text), as targets in the database
/// of `url`; for instance `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant\_%'
/// ORDER BY 1`. An empty answer is an error: a fleet of nothing is a mistake.
///
/// # Errors
///
/// The query fails, or returns no row.
pub async fn schemas_from_query(
    client: &Client,
    url: &str,
    sql: &str,
) -> Result<Vec<Target>, FleetError> {
    let names = first_column(client, sql).await?;
    Ok(names
        .into_iter()
        .map(|schema| Target::schema(url, schema))
        .collect())
}

/// The databases the query `sql` returns (connection strings in its first column), as
/// targets; for instance on a catalog database `SELECT url FROM tenants ORDER BY id`.
///
/// # Errors
///
/// The query fails, or returns no row.
pub async fn databases_from_query(client: &Client, sql: &str) -> Result<Vec<Target>, FleetError> {
    let urls = first_column(client, sql).await?;
    Ok(urls.into_iter().map(Target::database).collect())
}

async fn first_column(client: &Client, sql: &str) -> Result<Vec<String>, FleetError> {
    let rows = client.simple_query(sql).await.map_err(|error| {
        FleetError::Discovery(Box::new(crate::Error::database(
            "running the query listing the targets",
            error,
        )))
    })?;
    let values: Vec<String> = rows
        .iter()
        .filter_map(|message| match message {
            tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
            _ => None,
        })
        .collect();
    if values.is_empty() {
        return Err(FleetError::NoTargets(format!(
            "the query returned no row: {sql}"
        )));
    }
    Ok(values)
}

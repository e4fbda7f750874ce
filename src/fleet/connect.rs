//! How the fleet reaches a database: with the `tls` feature, through [`crate::tls`] (the
//! connection string's `sslmode` and `sslrootcert`); without it, unencrypted.

use deadpool_postgres::{Manager, ManagerConfig, RecyclingMethod};
use tokio_postgres::{Client, Config};

use super::FleetError;

/// How pooled connections are checked before reuse.
fn manager_config() -> ManagerConfig {
    ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    }
}

fn invalid(url: &str, reason: String) -> FleetError {
    FleetError::InvalidUrl {
        url: crate::conninfo::redact(url),
        reason,
    }
}

/// The driver's settings of `url` (no certificate loaded).
#[cfg(feature = "tls")]
pub(super) fn config(url: &str) -> Result<Config, FleetError> {
    crate::tls::parse_config(url).map_err(|error| invalid(url, error.to_string()))
}

/// The driver's settings of `url`.
#[cfg(not(feature = "tls"))]
pub(super) fn config(url: &str) -> Result<Config, FleetError> {
    url.parse()
        .map_err(|error: tokio_postgres::Error| invalid(url, error.to_string()))
}

/// A pool manager for the database `url` names.
#[cfg(feature = "tls")]
pub(super) fn manager(url: &str) -> Result<Manager, FleetError> {
    let connector =
        crate::tls::Connector::new(url).map_err(|error| invalid(url, error.to_string()))?;
    Ok(connector.pool_manager(manager_config()))
}

/// A pool manager for the database `url` names.
#[cfg(not(feature = "tls"))]
pub(super) fn manager(url: &str) -> Result<Manager, FleetError> {
    Ok(Manager::from_config(
        config(url)?,
        tokio_postgres::NoTls,
        manager_config(),
    ))
}

/// A connection to the database `url` names (its task spawned), `None` when it fails.
pub(super) async fn connect(url: &str) -> Option<Client> {
    connect_or_why(url).await.ok()
}

/// A connection to the database `url` names (its task spawned), or why not.
#[cfg(feature = "tls")]
pub(super) async fn connect_or_why(url: &str) -> Result<Client, String> {
    let connector = crate::tls::Connector::new(url).map_err(|error| error.to_string())?;
    connector.connect().await.map_err(|error| error.to_string())
}

/// A connection to the database `url` names (its task spawned), or why not.
#[cfg(not(feature = "tls"))]
pub(super) async fn connect_or_why(url: &str) -> Result<Client, String> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .map_err(|error| crate::error::describe_db_error(&error))?;
    tokio::spawn(connection);
    Ok(client)
}

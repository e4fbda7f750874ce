//! A fleet's target: one database, and optionally one schema in it.

use std::fmt;

use thiserror::Error;

/// One database (a connection string) and, for a schema-per-tenant fleet, the tenant's
/// schema there: its migrations run with that schema as their `search_path`, and its history
/// tables are in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    /// The database's connection string.
    pub url: String,
    /// The tenant's schema, for a schema-per-tenant fleet.
    pub schema: Option<String>,
}

impl Target {
    /// A tenant's schema in the database of `url`.
    pub fn schema(url: impl Into<String>, schema: impl Into<String>) -> Self {
        Target {
            url: url.into(),
            schema: Some(schema.into()),
        }
    }

    /// A tenant's database (its history in the migrator's schema).
    pub fn database(url: impl Into<String>) -> Self {
        Target {
            url: url.into(),
            schema: None,
        }
    }

    /// The server the target is on, `host:port` (several targets share its connections).
    pub(super) fn server(&self) -> Result<String, FleetError> {
        let config = super::connect::config(&self.url)?;
        let host = match config.get_hosts().first() {
            Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
            #[cfg(unix)]
            Some(tokio_postgres::config::Host::Unix(path)) => path.display().to_string(),
            None => "localhost".to_owned(),
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        Ok(format!("{host}:{port}"))
    }

    /// The database's connection string, its password hidden, for reports.
    pub fn shown_url(&self) -> String {
        crate::conninfo::redact(&self.url)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let database = database_name(&self.url);
        match (&self.schema, database) {
            (Some(schema), Some(database)) => write!(f, "{database}/{schema}"),
            (Some(schema), None) => write!(f, "{schema}"),
            (None, Some(database)) => write!(f, "{database}"),
            (None, None) => f.write_str(&self.shown_url()),
        }
    }
}

/// The name of the database a connection string names, when it parses.
fn database_name(url: &str) -> Option<String> {
    super::connect::config(url)
        .ok()
        .and_then(|config| config.get_dbname().map(str::to_owned))
}

/// What stops a fleet run as a whole (a target's own failure is in its report instead).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum FleetError {
    /// No target to run on.
    #[error("the fleet has no target: {0}")]
    NoTargets(String),
    /// A connection string that doesn't parse.
    #[error("the connection string {url} is not valid: {reason}")]
    InvalidUrl {
        /// The connection string, its password hidden.
        url: String,
        /// Why (from the driver).
        reason: String,
    },
    /// The query listing the targets failed.
    #[error("the query listing the targets failed: {0}")]
    Discovery(#[source] Box<crate::Error>),
}

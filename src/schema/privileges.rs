//! Privileges (`GRANT`), read only when a snapshot is asked for them
//! ([`SnapshotOptions::include_privileges`](super::SnapshotOptions::include_privileges)): roles
//! belong to the server, not to the schema, so most comparisons are better without them.

use std::collections::BTreeSet;

use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::Client;

use super::grant::Grant;
use super::model::{ident, FunctionName, QualifiedName};
use crate::error::Error;

const PRIVILEGES_QUERY: &str = include_str!("privileges.sql");

/// Reads the privileges on the objects of `schemas`, leaving out the objects named in
/// `ignored`.
pub(crate) async fn read(
    client: &Client,
    schemas: &[String],
    ignored: &[&str],
) -> Result<BTreeSet<Grant>, Error> {
    const CONTEXT: &str = "could not read the privileges from pg_catalog";
    let params: [(&(dyn ToSql + Sync), Type); 2] =
        [(&schemas, Type::TEXT_ARRAY), (&ignored, Type::TEXT_ARRAY)];
    let rows = client
        .query_typed(PRIVILEGES_QUERY, &params)
        .await
        .map_err(|error| Error::database(CONTEXT, error))?;
    let mut grants = BTreeSet::new();
    for row in rows {
        let text = |i: usize| -> Result<Option<String>, Error> {
            row.try_get(i)
                .map_err(|error| Error::database(CONTEXT, error))
        };
        let (kind, schema, name, arguments) = (
            text(0)?.unwrap_or_default(),
            text(1)?.unwrap_or_default(),
            text(2)?.unwrap_or_default(),
            text(3)?.unwrap_or_default(),
        );
        let object = match kind.as_str() {
            "schema" => format!("SCHEMA {}", ident(&schema)),
            "routine" => format!(
                "ROUTINE {}",
                FunctionName {
                    schema,
                    name,
                    arguments,
                }
            ),
            other => format!(
                "{} {}",
                other.to_ascii_uppercase(),
                QualifiedName::new(schema, name)
            ),
        };
        grants.insert(Grant {
            object,
            privilege: text(4)?.unwrap_or_default(),
            grantee: text(5)?.map_or_else(|| "PUBLIC".to_owned(), |r| ident(&r).into_owned()),
            grantable: row
                .try_get(6)
                .map_err(|error| Error::database(CONTEXT, error))?,
        });
    }
    Ok(grants)
}

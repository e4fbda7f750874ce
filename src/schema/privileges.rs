//! Privileges (`GRANT`), read only when a snapshot is asked for them
//! ([`SnapshotOptions::include_privileges`](super::SnapshotOptions::include_privileges)): roles
//! belong to the server, not to the schema, so most comparisons are better without them.

use std::collections::BTreeSet;
use std::fmt;

use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::Client;

use super::model::{ident, FunctionName, QualifiedName};
use crate::error::Error;

const PRIVILEGES_QUERY: &str = include_str!("privileges.sql");

/// One privilege granted on an object, as `GRANT` writes it. The owner's own privileges are
/// left out; an object's default privileges (`EXECUTE` to `PUBLIC` on a function, say) are
/// listed like granted ones, so revoking one shows.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Grant {
    /// The object as `GRANT ... ON` names it: `SCHEMA app`, `TABLE app.tasks` (views and
    /// materialized views too), `SEQUENCE app.tasks_id_seq`, `ROUTINE app.f(n integer)`,
    /// `TYPE app.state` (domains too).
    pub object: String,
    /// `SELECT`, `INSERT`, `USAGE`, `EXECUTE`...
    pub privilege: String,
    /// The role, as it must be typed, or `PUBLIC`.
    pub grantee: String,
    /// `WITH GRANT OPTION`.
    pub grantable: bool,
}

impl fmt::Display for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ON {} TO {}{}",
            self.privilege,
            self.object,
            self.grantee,
            if self.grantable {
                " WITH GRANT OPTION"
            } else {
                ""
            }
        )
    }
}

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

//! Removing what crashed runs left: throwaway schemas and databases older than an hour, and
//! templates unused for an hour.
//!
//! A test that panics drops its schema or database (`Drop` runs during unwinding); one killed
//! with `SIGKILL`, or a process that aborts, can't. On a throwaway server that doesn't matter
//! (the server goes with the process), but a `DATABASE_URL` server keeps them: so the first
//! throwaway schema or database a process makes on a server it did not start sweeps the
//! server first.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use tokio_postgres::Client;

use crate::quote::ident;
use crate::testing::error::describe_postgres_error;
use crate::testing::names::{
    created_at, spare_created_at, unix_now, SPARE_PREFIX, TEMPLATE_PREFIX, TEMP_PREFIX,
};
use crate::testing::server::database::connect;
use crate::testing::temp::setup::ServerRef;
use crate::testing::temp::template::{self, BUILD_LOCK_CLASS};
use crate::testing::TestServer;
use crate::testing::TestingError;

/// The age after which the first use of a process removes leftovers.
pub const LEFTOVER_AGE: Duration = Duration::from_secs(3600);

/// What [`sweep_leftovers`] removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Swept {
    /// Throwaway schemas (in the server's own database).
    pub schemas: Vec<String>,
    /// Throwaway databases, and the spare copies of templates made ahead of time
    /// (`pelican_spare_…`).
    pub databases: Vec<String>,
    /// Template databases nobody had used for that long.
    pub templates: Vec<String>,
}

/// Removes, from `server`, the throwaway schemas (of its own database), databases and spare
/// copies made more than `older_than` ago, and the templates unused for that long; returns
/// what it removed.
///
/// Every process runs it with [`LEFTOVER_AGE`] once per server it did not start, before its
/// first [`TempSchema`](super::TempSchema) or [`TempDatabase`](super::TempDatabase), so you
/// don't need to; it is public for a CI job that cleans a shared server. Objects it can't remove
/// (another role's, say) are left and logged. A template being built or copied is never
/// removed: the sweep takes the template's build lock, and dropping waits for copies to end.
///
/// ```no_run
/// # async fn example() -> Result<(), pelican::testing::TestingError> {
/// use pelican::testing::{sweep_leftovers, TestServer, LEFTOVER_AGE};
///
/// let swept = sweep_leftovers(TestServer::shared()?, LEFTOVER_AGE).await?;
/// println!("removed {} schemas", swept.schemas.len());
/// # Ok(())
/// # }
/// ```
pub async fn sweep_leftovers(
    server: &TestServer,
    older_than: Duration,
) -> Result<Swept, TestingError> {
    sweep(&ServerRef::of(server), older_than).await
}

/// Sweeps `server` unless this process already did, or started it.
pub(crate) async fn sweep_once(server: &ServerRef) {
    if server.throwaway {
        return; // started by this process: nothing on it is older than the process
    }
    static SWEPT: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    let first = {
        let mut swept = SWEPT
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        swept
            .get_or_insert_with(HashSet::new)
            .insert(server.connection_string.clone())
    };
    if first {
        if let Err(error) = sweep(server, LEFTOVER_AGE).await {
            tracing::warn!(server = %server.shown, "could not remove old test leftovers: {error}");
        }
    }
}

async fn sweep(server: &ServerRef, older_than: Duration) -> Result<Swept, TestingError> {
    let client = connect(&server.config, &server.shown).await?;
    let now = unix_now();
    let is_old = |time: u64| now.saturating_sub(time) > older_than.as_secs();
    let mut swept = Swept::default();

    let schemas = names(
        &client,
        server,
        "SELECT nspname::text FROM pg_namespace WHERE starts_with(nspname, $1)",
        TEMP_PREFIX,
    )
    .await?;
    for (name, _) in schemas {
        if created_at(&name).is_some_and(is_old) {
            match drop_schema(server, &name).await {
                Ok(()) => swept.schemas.push(name),
                Err(reason) => {
                    tracing::warn!(schema = %name, "could not drop old test schema: {reason}")
                }
            }
        }
    }

    let databases = names(
        &client,
        server,
        "SELECT datname::text FROM pg_database WHERE starts_with(datname, $1)",
        TEMP_PREFIX,
    )
    .await?;
    let spares = names(
        &client,
        server,
        "SELECT datname::text FROM pg_database WHERE starts_with(datname, $1)",
        SPARE_PREFIX,
    )
    .await?;
    let old_databases = databases
        .into_iter()
        .filter(|(name, _)| created_at(name).is_some_and(is_old))
        .chain(
            spares
                .into_iter()
                .filter(|(name, _)| spare_created_at(name).is_some_and(is_old)),
        );
    for (name, _) in old_databases {
        // A spare taken meanwhile has another name by now: IF EXISTS leaves it alone.
        let dropped = client
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                ident(&name)
            ))
            .await;
        match dropped {
            Ok(()) => swept.databases.push(name),
            Err(error) => {
                tracing::warn!(database = %name, "could not drop old test database: {}", describe_postgres_error(&error))
            }
        }
    }

    let templates = names(
        &client,
        server,
        "SELECT datname::text, shobj_description(oid, 'pg_database') FROM pg_database \
         WHERE starts_with(datname, $1)",
        TEMPLATE_PREFIX,
    )
    .await?;
    for (name, comment) in templates {
        // No comment: being built right now (or its build crashed; the next build replaces it).
        let unused = comment
            .as_deref()
            .and_then(template::last_used)
            .is_some_and(is_old);
        if unused && drop_unused_template(&client, &name).await {
            swept.templates.push(name);
        }
    }
    Ok(swept)
}

/// Drops template `name` unless someone holds its build lock.
async fn drop_unused_template(client: &Client, name: &str) -> bool {
    let locked = client
        .query_one(
            "SELECT pg_try_advisory_lock($1, hashtext($2))",
            &[&BUILD_LOCK_CLASS, &name],
        )
        .await
        .map(|row| row.get::<_, bool>(0));
    if !matches!(locked, Ok(true)) {
        return false;
    }
    let dropped = template::drop_template(client, name).await;
    let _ = client
        .execute(
            "SELECT pg_advisory_unlock($1, hashtext($2))",
            &[&BUILD_LOCK_CLASS, &name],
        )
        .await;
    match dropped {
        Ok(()) => true,
        Err(reason) => {
            tracing::warn!(template = %name, "could not drop unused test template: {reason}");
            false
        }
    }
}

/// The names (and for templates, the comments) a query finds.
async fn names(
    client: &Client,
    server: &ServerRef,
    query: &str,
    prefix: &str,
) -> Result<Vec<(String, Option<String>)>, TestingError> {
    let rows = client
        .query(query, &[&prefix])
        .await
        .map_err(|error| TestingError::Statement {
            action: format!("list the leftovers named {prefix}*"),
            target: server.shown.clone(),
            reason: describe_postgres_error(&error),
        })?;
    Ok(rows
        .iter()
        .map(|row| {
            let comment = if row.len() > 1 { row.get(1) } else { None };
            (row.get(0), comment)
        })
        .collect())
}

/// Ends the schema's sessions (one may hold locks in a transaction a panic left open), then
/// drops the schema with everything in it.
pub(crate) async fn drop_schema(server: &ServerRef, name: &str) -> Result<(), String> {
    let client = connect(&server.config, &server.shown)
        .await
        .map_err(|error| error.to_string())?;
    client
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = $1 AND datname = current_database() \
             AND pid <> pg_backend_pid()",
            &[&name],
        )
        .await
        .map_err(|error| describe_postgres_error(&error))?;
    client
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", ident(name)))
        .await
        .map_err(|error| describe_postgres_error(&error))
}

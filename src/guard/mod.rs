//! The DDL guard, opt-in: event triggers that record every DDL command run outside a pelican
//! migration (who, when, from where, the command, the object, the statement) in an
//! append-only log, `pelican_ddl_log` in the history schema, so that drift can say who
//! changed production by hand. See `docs/guard.md`.
//!
//! pelican's own runs are left out: while a migrator holds its lock, its session carries the
//! `pelican.migrating` setting, which the guard's function checks first (see
//! [`crate::lock`]). That is a convention between pelican and its guard, not a barrier: a
//! session that sets it by hand is not recorded either.
//!
//! Event triggers need a superuser on stock PostgreSQL: [`install`] and [`remove`] fail with
//! [`GuardError::NotPermitted`] otherwise, and nothing changes.
//!
//! ```no_run
//! # async fn f(client: pelican::tokio_postgres::Client) -> Result<(), pelican::guard::GuardError> {
//! use pelican::guard;
//! guard::install(&client, "public").await?;
//! for entry in guard::read_log(&client, "public", None).await? {
//!     println!("{entry}");
//! }
//! # Ok(()) }
//! ```

mod error;
mod log;
mod status;

pub use crate::sql::guard::DDL_LOG_TABLE;
pub use error::GuardError;
pub use log::{read_log, DdlEvent, DdlLogEntry};
pub use status::{status, EventTriggerState, GuardStatus};

use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, SimpleQueryMessage};

use crate::sql::guard::GuardSql;

/// What [`install`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InstallOutcome {
    /// Nothing of the guard was there; it is now.
    Installed,
    /// Some of it was there (an older version, a disabled or missing trigger, a missing
    /// log or append-only trigger): it is now complete and current. The log's rows are kept.
    Upgraded,
    /// It was installed, current and enabled: nothing was changed.
    AlreadyCurrent,
}

/// What [`remove`] does with the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoveLog {
    /// Keep the table and its rows, still append-only (its triggers and their function
    /// stay): the record of what was done by hand outlives the guard.
    Keep,
    /// Drop the table, its rows and everything else of the guard.
    Drop,
}

/// Installs the guard in `history_schema` (the migrator's
/// [`history_schema`](crate::Migrator::history_schema)): the log, its append-only triggers,
/// the recording function and the two event triggers (`ddl_command_end`, `sql_drop`), in one
/// transaction. Idempotent: a current guard is left alone, an older or incomplete one is
/// brought up to date in place, keeping its rows.
///
/// Fails with [`GuardError::NotPermitted`] when the role may not create event triggers, and
/// with [`GuardError::InstalledElsewhere`] when the database's guard belongs to another schema.
pub async fn install(client: &Client, history_schema: &str) -> Result<InstallOutcome, GuardError> {
    let before = status(client, history_schema).await?;
    if let Some(installed) = before.installed_elsewhere() {
        return Err(GuardError::InstalledElsewhere {
            installed: installed.to_owned(),
            requested: history_schema.to_owned(),
        });
    }
    if before.is_active() && before.function_current && before.log_append_only {
        return Ok(InstallOutcome::AlreadyCurrent);
    }
    let sql = GuardSql::new(history_schema);
    run_transaction(
        client,
        &sql.install(),
        "install",
        "installing the DDL guard",
    )
    .await?;
    tracing::info!(schema = history_schema, "DDL guard installed");
    Ok(if before.is_absent() {
        InstallOutcome::Installed
    } else {
        InstallOutcome::Upgraded
    })
}

/// Removes the guard of `history_schema`: its event triggers and recording function, and
/// the log as `log` says. Removing a guard that is not there is not an error.
///
/// Fails with [`GuardError::NotPermitted`] when the role may not drop the event triggers,
/// and with [`GuardError::InstalledElsewhere`] when the database's guard belongs to another
/// schema (its triggers are left alone).
pub async fn remove(
    client: &Client,
    history_schema: &str,
    log: RemoveLog,
) -> Result<(), GuardError> {
    let before = status(client, history_schema).await?;
    if let Some(installed) = before.installed_elsewhere() {
        return Err(GuardError::InstalledElsewhere {
            installed: installed.to_owned(),
            requested: history_schema.to_owned(),
        });
    }
    let sql = GuardSql::new(history_schema).remove(log == RemoveLog::Drop);
    run_transaction(client, &sql, "remove", "removing the DDL guard").await?;
    tracing::info!(schema = history_schema, ?log, "DDL guard removed");
    Ok(())
}

/// Runs a `BEGIN; ... COMMIT;` script; on failure rolls it back, and turns a refused
/// privilege into [`GuardError::NotPermitted`].
async fn run_transaction(
    client: &Client,
    sql: &str,
    operation: &'static str,
    context: &'static str,
) -> Result<(), GuardError> {
    let Err(err) = client.batch_execute(sql).await else {
        return Ok(());
    };
    // The script's explicit transaction stays open and failed until rolled back.
    let role = current_role_after_rollback(client).await;
    match err.as_db_error() {
        Some(db) if *db.code() == SqlState::INSUFFICIENT_PRIVILEGE => {
            Err(GuardError::NotPermitted {
                operation,
                role: role.unwrap_or_else(|| "(unknown)".to_owned()),
                message: db.message().to_owned(),
            })
        }
        _ => Err(GuardError::database(context)(err)),
    }
}

/// Rolls back a failed transaction and reads the current role, for messages.
async fn current_role_after_rollback(client: &Client) -> Option<String> {
    let messages = client
        .simple_query("ROLLBACK; SELECT current_user::text")
        .await
        .ok()?;
    messages.into_iter().find_map(|m| match m {
        SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
        _ => None,
    })
}

/// The examples of `docs/guard.md`, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/guard.md")]
pub struct GuardGuide;

//! The errors of a failed step: where the SQL failed, which revision, what to do.

use tokio_postgres::Client;

use crate::error::{describe_db_error, Error};
use crate::migration::SetEntry;
use crate::plan::Direction;

pub(super) fn error_position(err: &tokio_postgres::Error) -> Option<usize> {
    match err.as_db_error()?.position()? {
        tokio_postgres::error::ErrorPosition::Original(pos) => Some(*pos as usize),
        tokio_postgres::error::ErrorPosition::Internal { .. } => None,
    }
}

pub(super) fn sql_failure(
    entry: &SetEntry,
    direction: Direction,
    line: Option<usize>,
    err: tokio_postgres::Error,
) -> Error {
    Error::MigrationFailed {
        revision: entry.revision().id().clone(),
        file: entry.file_name().to_owned(),
        direction,
        line,
        message: describe_db_error(&err),
        source: Some(Box::new(err)),
    }
}

pub(super) async fn run_rust(
    migration: &dyn crate::migration::Migration,
    client: &Client,
    direction: Direction,
) -> Result<(), crate::migration::BoxError> {
    match direction {
        Direction::Up => migration.up(client).await,
        Direction::Down => migration.down(client).await,
    }
}

/// The history row of a migration that ran could not be written (its transaction is
/// rolled back): typically because the migration's code swallowed an error of its own.
pub(super) fn recording_failure(
    entry: &SetEntry,
    direction: Direction,
    err: tokio_postgres::Error,
) -> Error {
    let mut message = describe_db_error(&err);
    if err.code() == Some(&tokio_postgres::error::SqlState::IN_FAILED_SQL_TRANSACTION) {
        message.push_str(
            "; a statement of the migration failed and its error was ignored (e.g. `let _ = \
             client.batch_execute(..)`), which aborted the transaction: return the error \
             instead. The migration's transaction was rolled back",
        );
    }
    Error::MigrationFailed {
        revision: entry.revision().id().clone(),
        file: entry.file_name().to_owned(),
        direction,
        line: None,
        message: format!("recording the migration: {message}"),
        source: Some(Box::new(err)),
    }
}

pub(super) fn not_compiled(entry: &SetEntry) -> Error {
    Error::NotCompiled {
        revision: entry.revision().id().clone(),
        file: entry.file_name().to_owned(),
    }
}

pub(super) fn rust_failure(
    entry: &SetEntry,
    direction: Direction,
    err: crate::migration::BoxError,
) -> Error {
    let message = match err.downcast_ref::<tokio_postgres::Error>() {
        Some(db) => describe_db_error(db),
        None => err.to_string(),
    };
    Error::MigrationFailed {
        revision: entry.revision().id().clone(),
        file: entry.file_name().to_owned(),
        direction,
        line: None,
        message,
        source: Some(err),
    }
}

/// Seconds since the Unix epoch, for the "interrupted" marker (no clock crate needed).
pub(super) fn now_utc_hint() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!("unix time {secs}")
}

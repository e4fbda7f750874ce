//! What can go wrong installing, inspecting or removing the DDL guard, or reading its log.

use thiserror::Error;

use crate::error::describe_db_error;

/// What `pelican drift` does without the guard, for messages that explain why it's not there.
const WITHOUT_GUARD: &str = "`pelican drift` works without the guard: it compares snapshots \
     and reports what changed, but can't say who changed it, when, or with which statement";

/// A failure of the DDL guard ([`crate::guard`]). Each names what to do.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum GuardError {
    /// The role may not create (or drop) event triggers: on stock PostgreSQL only a superuser
    /// may (SQLSTATE 42501). Nothing was changed.
    #[error(
        "role {role} may not {operation} the DDL guard: {message}. Event triggers need a \
         superuser on stock PostgreSQL (on a managed service, its administrator role); ask \
         one to run `pelican guard {operation}`. {WITHOUT_GUARD}."
    )]
    NotPermitted {
        /// `install` or `remove`.
        operation: &'static str,
        /// The role pelican ran as.
        role: String,
        /// The server's message.
        message: String,
    },
    /// The role may not read the log (SQLSTATE 42501): it is readable by its owner only
    /// until someone grants more.
    #[error(
        "role {role} may not read the DDL guard's log {table}: grant it with \
         `GRANT SELECT ON {table} TO {role}` (the log holds statement texts, so it is not \
         readable by everyone)"
    )]
    LogNotReadable {
        /// The role pelican ran as.
        role: String,
        /// The log table, schema-qualified.
        table: String,
    },
    /// The guard's event triggers belong to another schema's guard: a database has one guard,
    /// because its event triggers are the database's.
    #[error(
        "the DDL guard of this database is installed in schema {installed}, not {requested} \
         (a database has one guard: its event triggers see every schema); use --schema \
         {installed}, or remove it there first"
    )]
    InstalledElsewhere {
        /// The schema the guard's function lives in.
        installed: String,
        /// The schema asked for.
        requested: String,
    },
    /// There is no log in this schema.
    #[error(
        "the DDL guard is not installed in schema {schema} (no table {schema}.pelican_ddl_log); \
         install it with `pelican guard install`. {WITHOUT_GUARD}."
    )]
    NotInstalled {
        /// The history schema.
        schema: String,
    },
    /// Talking to PostgreSQL failed.
    #[error("{context}: {}", describe_db_error(.source))]
    Database {
        /// What pelican was doing.
        context: &'static str,
        /// The driver's error.
        #[source]
        source: tokio_postgres::Error,
    },
}

impl GuardError {
    /// A server error while doing `context`.
    pub(crate) fn database(context: &'static str) -> impl FnOnce(tokio_postgres::Error) -> Self {
        move |source| GuardError::Database { context, source }
    }
}

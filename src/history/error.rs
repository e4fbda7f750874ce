//! What can go wrong reading the history tables: the server's error, or an object of the
//! history schema that pelican refuses to trust. [`crate::Error`] turns each into its own
//! variant, so this module needs nothing above it.

/// A failure of the history module.
#[derive(Debug)]
pub(crate) enum HistoryError {
    /// Talking to PostgreSQL failed.
    Database {
        /// What pelican was doing.
        context: &'static str,
        /// The driver's error.
        source: tokio_postgres::Error,
    },
    /// An object of the history schema is not what pelican created (see
    /// [`crate::Error::UntrustedHistory`]).
    Untrusted {
        /// The object, schema-qualified.
        object: String,
        /// What it is: `table`, `view`, `function`...
        kind: String,
        /// The role that owns it.
        owner: String,
        /// The role pelican runs as.
        user: String,
        /// Whether that owner is one pelican trusts (then the object's kind is the problem).
        owner_trusted: bool,
    },
    /// The role lacks a privilege on the history schema (see
    /// [`crate::Error::HistoryPrivilege`]).
    Privilege {
        /// The role pelican runs as.
        role: String,
        /// The history schema.
        schema: String,
        /// What it lacks.
        missing: MissingPrivilege,
    },
}

/// What a role lacks on the history schema, in [`crate::Error::HistoryPrivilege`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MissingPrivilege {
    /// USAGE on the history schema: pelican can't even look for its tables.
    Usage,
    /// CREATE on the history schema: the tables can't be created (or brought to the current
    /// layout).
    Create,
    /// CREATE on the database: the history schema does not exist and can't be created.
    CreateSchema {
        /// The database.
        database: String,
    },
    /// Writing a history table as a run does: INSERT, UPDATE and DELETE on
    /// `pelican_revisions`, INSERT on `pelican_log` and USAGE on its id sequence (the tables
    /// belong to another role pelican trusts, such as a superuser).
    Write {
        /// The table, schema-qualified.
        table: String,
    },
}

impl HistoryError {
    /// A server error while doing `context`.
    pub(crate) fn database(context: &'static str) -> impl FnOnce(tokio_postgres::Error) -> Self {
        move |source| HistoryError::Database { context, source }
    }
}

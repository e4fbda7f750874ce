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
}

impl HistoryError {
    /// A server error while doing `context`.
    pub(crate) fn database(context: &'static str) -> impl FnOnce(tokio_postgres::Error) -> Self {
        move |source| HistoryError::Database { context, source }
    }
}

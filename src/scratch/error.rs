//! What can go wrong while building a scratch database: the server, the desired schema's
//! files, the migrations replayed, the SQL of a plan.

use std::path::PathBuf;

use crate::testing::TestingError;

/// An error of the [`scratch`](super) module.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScratchError {
    /// The database records revisions the migrations don't have: they can't be replayed.
    #[error(
        "the database records revisions these migrations don't have ({}): drift needs the \
         migrations that ran there (check out the matching version)",
        .revisions.join(", ")
    )]
    UnknownApplied {
        /// The revisions.
        revisions: Vec<String>,
    },

    /// No server to create scratch databases on.
    #[error("could not get a server for scratch databases: {0}")]
    Server(#[source] TestingError),

    /// No dev server was given, and no throwaway one could be started.
    #[error(
        "no server for scratch databases: give one with --dev-url URL (or dev_url in \
         pelican.toml; the role needs CREATEDB), or install the PostgreSQL server programs \
         so that pelican can start a throwaway one. Starting one failed: {0}"
    )]
    NoServer(#[source] TestingError),

    /// A file or directory of the desired schema could not be read.
    #[error("could not read {}: {error}", path.display())]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        #[source]
        error: std::io::Error,
    },

    /// The desired schema names a directory with no `.sql` file in it.
    #[error("{} holds no .sql file: the desired schema is a .sql file or a directory of them", path.display())]
    NoSqlFiles {
        /// The directory.
        path: PathBuf,
    },

    /// A line of the desired schema that only psql can run.
    #[error(
        "{}:{line}: `{command}` is a psql meta-command, which pelican can't run; remove the line \
         (pelican skips only \\restrict, \\unrestrict, \\set, \\unset, \\encoding, \\echo and \
         \\pset, which change nothing in the schema)",
        path.display()
    )]
    MetaCommand {
        /// The file.
        path: PathBuf,
        /// Its 1-based line.
        line: usize,
        /// The meta-command (`\i`, `\copy`...).
        command: String,
    },

    /// A file of the desired schema is not valid SQL text (a quote never closed).
    #[error("{}: {reason}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What is wrong, with its line.
        reason: String,
    },

    /// PostgreSQL refused a statement of the desired schema.
    #[error("{}:{line}: PostgreSQL refused the statement: {reason}\n    {excerpt}", path.display())]
    Load {
        /// The file.
        path: PathBuf,
        /// The 1-based line of the error (the statement's first line, or where PostgreSQL
        /// points).
        line: usize,
        /// The statement's first line.
        excerpt: String,
        /// PostgreSQL's error.
        reason: String,
    },

    /// A statement pelican itself sent failed (creating, reading or dropping a scratch
    /// database, or running a generated statement).
    #[error("{action}: {reason}")]
    Database {
        /// What pelican was doing.
        action: String,
        /// PostgreSQL's error.
        reason: String,
    },

    /// Replaying the migrations into a scratch database failed.
    #[error("could not replay the migrations into a scratch database: {0}")]
    Replay(#[source] Box<crate::Error>),
}

impl ScratchError {
    pub(crate) fn database(action: impl Into<String>, error: &tokio_postgres::Error) -> Self {
        ScratchError::Database {
            action: action.into(),
            reason: crate::error::describe_db_error(error),
        }
    }
}

//! Migration files: parsing one file ([`parse_migration`]) and loading a directory of them
//! ([`load_dir`]).
//!
//! A migration file is `<revision>_<slug>.sql` or `<revision>_<slug>.rs`. Its header, the run
//! of comment lines at the top, declares the [`Revision`](crate::Revision); a SQL file then
//! has a `-- up` and a `-- down` section. The format is documented in `docs/file-format.md`.
//!
//! ```
//! use pelican::source::{parse_migration, MigrationKind};
//!
//! let text = "\
//! -- revision: 3f2a9c1d7b4e
//! -- revises: 1a2b3c4d5e6f
//! -- message: add priority column to tasks
//!
//! -- up
//! ALTER TABLE tasks ADD COLUMN priority integer NOT NULL DEFAULT 0;
//!
//! -- down
//! ALTER TABLE tasks DROP COLUMN priority;
//! ";
//! let file = parse_migration("migrations/3f2a9c1d7b4e_add_priority.sql", text.as_bytes())?;
//! assert_eq!(file.kind(), MigrationKind::Sql);
//! assert_eq!(file.revision().id(), "3f2a9c1d7b4e");
//! assert_eq!(file.revision().parents()[0], "1a2b3c4d5e6f");
//! let up = file.up().unwrap();
//! assert_eq!(up.first_line(), 6);
//! assert!(up.sql().starts_with("ALTER TABLE tasks ADD COLUMN"));
//!
//! let bad = text.replace("-- revises", "-- revizes");
//! let err = parse_migration("migrations/3f2a9c1d7b4e_add_priority.sql", bad.as_bytes())
//!     .unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "migrations/3f2a9c1d7b4e_add_priority.sql:2: unknown header key 'revizes' \
//!      (did you mean 'revises'?)"
//! );
//! # Ok::<(), pelican::source::ParseError>(())
//! ```

mod client_side;
mod dir;
mod header;
mod parse;
mod parse_error;
mod syntax;

#[cfg(test)]
mod client_side_tests;
#[cfg(test)]
mod parse_tests;

pub use dir::load_dir;
pub use parse::{parse_migration, MigrationFile, SqlSection};
pub use parse_error::{ParseError, ParseErrorKind};
pub use syntax::{MigrationKind, Section};

use std::io;
use std::path::PathBuf;

use crate::RevisionId;

/// Why migration files could not be loaded. Each variant names the file or directory.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// A migration file could not be parsed.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The migrations directory does not exist.
    #[error("migrations directory '{}' does not exist", .path.display())]
    MissingDir {
        /// The directory as given.
        path: PathBuf,
    },
    /// The migrations path exists but is not a directory.
    #[error(
        "migrations directory '{}' is not a directory; give the folder that holds the \
         migration files",
        .path.display()
    )]
    NotADirectory {
        /// The path as given.
        path: PathBuf,
    },
    /// Reading the directory or a file in it failed.
    #[error("can't read '{}': {error}", .path.display())]
    Io {
        /// The directory or file.
        path: PathBuf,
        /// The operating system's error (part of the message, so not also a `source`).
        error: io::Error,
    },
    /// A `.sql` or `.rs` file whose name is not valid UTF-8, so it can't start with a
    /// revision id.
    #[error(
        "migration file name '{}' is not valid UTF-8; rename it to '<revision>_<slug>.sql'",
        .path.display()
    )]
    NonUtf8FileName {
        /// The file (its name shown with replacement characters).
        path: PathBuf,
    },
    /// Two files declare the same revision id.
    #[error(
        "revision '{id}' is declared by two files: '{}' and '{}'; give one of them a new \
         revision id",
        .first.display(),
        .second.display()
    )]
    DuplicateRevision {
        /// The id both files declare.
        id: RevisionId,
        /// The first file, in file name order.
        first: PathBuf,
        /// The second file.
        second: PathBuf,
    },
}

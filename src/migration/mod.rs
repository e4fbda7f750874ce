//! Migrations as they run: the [`Migration`] trait for Rust migrations, the bodies of SQL
//! migrations, and [`MigrationSet`], the validated set a [`Migrator`](crate::Migrator) runs.

mod set;
pub mod statements;

use std::borrow::Cow;

pub(crate) use set::{AtHead, EntrySource};
pub use set::{Body, MigrationSet, SetEntry};

/// The error a Rust migration returns: anything that is an error (a `tokio_postgres::Error`,
/// your own error type, a message via `.into()`).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A migration written in Rust, for changes SQL can't express well: data transformations,
/// calls into your application's code, conditional logic.
///
/// `up` and `down` receive the connection the migrator runs on. For a transactional revision
/// (the default) a transaction is already open on it: run your queries and return; pelican
/// records the revision and commits, or rolls everything back if you return an error. Don't
/// `COMMIT` or `ROLLBACK` yourself. For a revision declared `transaction: false` the
/// connection is in autocommit mode.
///
/// ```
/// use pelican::migration::{BoxError, Migration};
///
/// /// Splits `users.name` into first and last names.
/// pub struct SplitNames;
///
/// #[pelican::async_trait]
/// impl Migration for SplitNames {
///     async fn up(&self, db: &tokio_postgres::Client) -> Result<(), BoxError> {
///         db.batch_execute("ALTER TABLE users ADD COLUMN first text, ADD COLUMN last text").await?;
///         for row in db.query("SELECT id, name FROM users", &[]).await? {
///             let (id, name): (i64, String) = (row.get(0), row.get(1));
///             let (first, last) = name.split_once(' ').unwrap_or((&name, ""));
///             db.execute("UPDATE users SET first = $1, last = $2 WHERE id = $3", &[&first, &last, &id]).await?;
///         }
///         Ok(())
///     }
///
///     async fn down(&self, db: &tokio_postgres::Client) -> Result<(), BoxError> {
///         db.batch_execute("ALTER TABLE users DROP COLUMN first, DROP COLUMN last").await?;
///         Ok(())
///     }
/// }
/// ```
#[async_trait::async_trait]
pub trait Migration: Send + Sync {
    /// Applies the revision.
    async fn up(&self, db: &tokio_postgres::Client) -> Result<(), BoxError>;

    /// Reverts it.
    async fn down(&self, db: &tokio_postgres::Client) -> Result<(), BoxError>;
}

/// One section of a SQL migration: its text and the line of the file where it starts, so
/// that a PostgreSQL error can be shown at its line in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlBody {
    sql: Cow<'static, str>,
    first_line: usize,
}

impl SqlBody {
    /// A section whose text starts at line `first_line` (1-based) of its file.
    pub fn new(sql: impl Into<Cow<'static, str>>, first_line: usize) -> Self {
        SqlBody {
            sql: sql.into(),
            first_line,
        }
    }

    /// The SQL text, as written.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// The line of the file where the text starts.
    pub fn first_line(&self) -> usize {
        self.first_line
    }

    /// The line of the file holding a 1-based character `position` of the text (as in a
    /// PostgreSQL error's position).
    pub fn file_line_of(&self, position: usize) -> usize {
        self.first_line + statements::line_of_position(&self.sql, position) - 1
    }
}

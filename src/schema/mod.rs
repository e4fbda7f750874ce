//! Schema snapshots: what a database's schemas define, read from `pg_catalog` as a plain
//! value that can be compared and diffed.
//!
//! A [`Snapshot`] holds the schemas, extensions, tables (columns with type, nullability,
//! default, identity and generation; primary key, unique, check, foreign key and exclusion
//! constraints), indexes (partial and expression indexes included), sequences, views,
//! materialized views, functions, procedures and aggregates, triggers, enum, composite and
//! range types, domains, row-level security and its policies, every object's comment, and
//! who uses what among them (`pg_depend`). Objects are keyed by name, never by OID, so two databases built
//! by the same DDL give equal snapshots; [`Snapshot::diff`] lists what differs, one line per
//! difference.
//!
//! ```no_run
//! # async fn example(
//! #     staging: &tokio_postgres::Client,
//! #     production: &tokio_postgres::Client,
//! # ) -> Result<(), pelican::Error> {
//! use pelican::schema;
//!
//! let expected = schema::snapshot(staging, &["app"]).await?;
//! let actual = schema::snapshot(production, &["app"]).await?;
//! let diff = expected.diff(&actual);
//! if !diff.is_empty() {
//!     println!("production differs from staging:\n{diff}");
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Definitions are PostgreSQL's own renderings (`pg_get_indexdef`, `pg_get_constraintdef`,
//! `pg_get_viewdef`, `pg_get_functiondef`, `pg_get_triggerdef`, `format_type`,
//! `pg_get_expr`). PostgreSQL qualifies a name in them only when the name is not visible on
//! the session's `search_path`, so compare snapshots taken with the same `search_path` (the
//! default one is fine). Privileges only when asked for
//! ([`SnapshotOptions::include_privileges`]). Not included: ownership, operators, foreign tables,
//! publications and other objects outside the list above. PostgreSQL 12 or newer.
//!
//! See `docs/schema.md` for the diff format.

mod depend;
mod diff;
mod grant;
mod introspect;
mod model;
mod names;
mod privileges;
mod types;

use tokio_postgres::Client;

use crate::error::Error;
use crate::history::HISTORY_OBJECTS;

pub use depend::{Dependencies, ObjectRef};
pub use diff::{Change, Difference, Object, ObjectKind, SchemaDiff};
pub use grant::Grant;
pub(crate) use model::ident;
pub use model::{
    Column, ColumnName, Constraint, ConstraintKind, Domain, EnumType, Extension, Function,
    FunctionKind, FunctionName, GeneratedKind, Identity, IdentityGeneration, Index, Policy,
    PolicyCommand, QualifiedName, Schema, Sequence, SequenceOptions, Snapshot, Table, Trigger,
    TriggerFiring, TriggerName, View,
};
pub use types::{Attribute, CompositeType, RangeType};

/// Takes a snapshot of `schemas` (every schema but PostgreSQL's own when the list is empty),
/// leaving out pelican's history tables.
///
/// It is one query, so it sees one consistent state of the catalog, whether or not `client`
/// is inside a transaction (and it works on a read-only transaction or a standby). A schema
/// that does not exist is simply absent from the snapshot. For other options see
/// [`SnapshotOptions`].
///
/// ```no_run
/// # async fn example(client: &tokio_postgres::Client) -> Result<(), pelican::Error> {
/// let snapshot = pelican::schema::snapshot(client, &["public"]).await?;
/// for (name, table) in &snapshot.tables {
///     println!("{name}: {} columns", table.columns.len());
/// }
/// # Ok(())
/// # }
/// ```
pub async fn snapshot(client: &Client, schemas: &[&str]) -> Result<Snapshot, Error> {
    SnapshotOptions::new()
        .schemas(schemas.iter().copied())
        .snapshot(client)
        .await
}

/// What a snapshot covers: which schemas, and whether pelican's history tables are in it.
///
/// ```no_run
/// # async fn example(client: &tokio_postgres::Client) -> Result<(), pelican::Error> {
/// use pelican::schema::SnapshotOptions;
///
/// let everything = SnapshotOptions::new()
///     .include_history_tables(true)
///     .snapshot(client)
///     .await?;
/// assert!(everything.tables.keys().any(|name| name.name == "pelican_revisions"));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SnapshotOptions {
    schemas: Vec<String>,
    include_history_tables: bool,
    include_privileges: bool,
}

impl SnapshotOptions {
    /// Every schema but PostgreSQL's own (`pg_catalog`, `information_schema`, `pg_toast`...),
    /// without pelican's history tables.
    pub fn new() -> Self {
        SnapshotOptions::default()
    }

    /// Only these schemas (every one but PostgreSQL's own, when the list is empty). Names
    /// are as PostgreSQL stores them, unquoted: `app`, `Odd Name`.
    pub fn schemas<S: Into<String>>(mut self, schemas: impl IntoIterator<Item = S>) -> Self {
        self.schemas = schemas.into_iter().map(Into::into).collect();
        self
    }

    /// Whether pelican's history tables (`pelican_revisions`, `pelican_log`,
    /// `pelican_state`, in any schema), their sequences, triggers and functions
    /// (`pelican_revision_digest`, `pelican_track_state`), and the DDL guard's log and
    /// functions (`pelican_ddl_log`, `pelican_ddl_record`, `pelican_ddl_log_refuse`, see
    /// [`crate::guard`]) are part of the snapshot; they are not by default, since they record
    /// the migrations rather than the application's schema.
    pub fn include_history_tables(mut self, include: bool) -> Self {
        self.include_history_tables = include;
        self
    }

    /// Whether [`Snapshot::privileges`] is read (a second query); it is not by default.
    /// Roles belong to the server: compare privileges between databases whose servers have
    /// the same roles.
    pub fn include_privileges(mut self, include: bool) -> Self {
        self.include_privileges = include;
        self
    }

    /// Reads the snapshot through `client` (see [`snapshot`]).
    pub async fn snapshot(&self, client: &Client) -> Result<Snapshot, Error> {
        let ignored: &[&str] = if self.include_history_tables {
            &[]
        } else {
            &HISTORY_OBJECTS
        };
        let mut snapshot = introspect::read(client, &self.schemas, ignored).await?;
        if self.include_privileges {
            snapshot.privileges = privileges::read(client, &self.schemas, ignored).await?;
        }
        Ok(snapshot)
    }
}

/// The examples of `docs/schema.md`, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/schema.md")]
pub struct SchemaGuide;

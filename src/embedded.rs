//! Migrations compiled into the binary by [`embed_migrations!`](crate::embed_migrations).
//!
//! The macro reads the migrations directory when the crate compiles, validates it (headers,
//! file names, the revision DAG) with the very code [`source`](crate::source) and
//! [`graph`](crate::graph) use at run time, and expands to an [`EmbeddedMigrations`] constant:
//! parsed headers, checksums, SQL sections, and references to the Rust migrations, which
//! compile as modules of your crate. Starting the application reads no file and parses
//! nothing. The macro also computes what the history table's digest is when every revision
//! is applied, so that a start at head compares one row with a constant: the set's entries
//! and graph are built only when there is something to do.
//!
//! ```
//! use pelican::{embed_migrations, EmbeddedMigrations, MigrationSet};
//!
//! // In an application, `embed_migrations!("migrations")` or just `embed_migrations!()`:
//! // the path is relative to the directory of the crate's Cargo.toml.
//! static MIGRATIONS: EmbeddedMigrations = embed_migrations!("tests/fixtures/embed/billing");
//!
//! let first = &MIGRATIONS.migrations()[0];
//! assert_eq!(first.id(), "b1");
//! assert_eq!(first.file_name(), "b1_invoices.sql");
//!
//! // What `Migrator::new(&MIGRATIONS)` runs:
//! let set = MigrationSet::from(&MIGRATIONS);
//! assert_eq!(set.graph().heads(), ["b2"]);
//! assert_eq!(set.entries()[0].file_name(), "tests/fixtures/embed/billing/b1_invoices.sql");
//!
//! // In a test: fails, listing the files, when the directory changed since the build.
//! MIGRATIONS.assert_matches_dir();
//! ```
//!
//! The types here are what the macro's expansion is made of. They are public and stable so
//! that the expansion can build them in a `static`; building them by hand is possible but
//! skips the checks the macro makes (see [`EmbeddedMigrations::to_migration_set`]).

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::migration::{Body, BoxError, EntrySource, Migration, MigrationSet, SetEntry, SqlBody};
use crate::revision::{Checksum, Revision};
use crate::source::load_dir;

/// Every migration of a directory, embedded at compile time by
/// [`embed_migrations!`](crate::embed_migrations).
///
/// Give it to a [`Migrator`](crate::Migrator) (`Migrator::new(&MIGRATIONS)`), or turn it into
/// a [`MigrationSet`] with `MigrationSet::from(&MIGRATIONS)`. Several sets may live in one
/// binary, for instance two independent DAGs migrating two schemas.
#[derive(Debug, Clone, Copy)]
pub struct EmbeddedMigrations {
    dir: &'static str,
    source_dir: &'static str,
    migrations: &'static [EmbeddedMigration],
    /// The history's digest at head and the number of heads, as the macro computed them.
    at_head: Option<([u8; 32], usize)>,
}

impl EmbeddedMigrations {
    /// A set from its parts: `dir` as written in the macro call (file names in messages
    /// start with it), `source_dir` the absolute path it had at compile time (where
    /// [`assert_matches_dir`](Self::assert_matches_dir) looks), and the migrations in file
    /// name order.
    pub const fn new(
        dir: &'static str,
        source_dir: &'static str,
        migrations: &'static [EmbeddedMigration],
    ) -> Self {
        EmbeddedMigrations {
            dir,
            source_dir,
            migrations,
            at_head: None,
        }
    }

    /// Records what the macro computed from the migrations: the digest of the history table
    /// when every one of them is applied with its checksum (see `pelican_state` in
    /// `docs/operations.md`) and the number of heads of their graph. With it, a start at head
    /// compares one row with these values and builds nothing; without it, they are computed
    /// from the migrations on first use.
    ///
    /// Values that don't belong to the migrations make
    /// [`Migrator::migrate_to_head`](crate::Migrator::migrate_to_head) wrong: leave this call
    /// to the macro.
    #[doc(hidden)]
    pub const fn with_at_head(mut self, digest: [u8; 32], heads: usize) -> Self {
        self.at_head = Some((digest, heads));
        self
    }

    /// What [`with_at_head`](Self::with_at_head) recorded.
    pub(crate) fn at_head(&self) -> Option<([u8; 32], usize)> {
        self.at_head
    }

    /// The entries of a [`MigrationSet`], unvalidated.
    pub(crate) fn entries(&self) -> Vec<SetEntry> {
        self.migrations
            .iter()
            .map(|migration| migration.to_entry(self.dir))
            .collect()
    }

    /// The directory as written in the macro call, relative to the crate's manifest
    /// directory (`"migrations"`).
    pub fn dir(&self) -> &'static str {
        self.dir
    }

    /// The absolute path of the directory when the crate was compiled.
    pub fn source_dir(&self) -> &'static Path {
        Path::new(self.source_dir)
    }

    /// Every migration, in file name order.
    pub fn migrations(&self) -> &'static [EmbeddedMigration] {
        self.migrations
    }

    /// The migration of a revision.
    pub fn get(&self, id: &str) -> Option<&'static EmbeddedMigration> {
        self.migrations.iter().find(|m| m.id == id)
    }

    /// The number of migrations.
    pub fn len(&self) -> usize {
        self.migrations.len()
    }

    /// Whether the directory held no migration.
    pub fn is_empty(&self) -> bool {
        self.migrations.is_empty()
    }

    /// The set a [`Migrator`](crate::Migrator) runs: every revision with its body, validated
    /// as a DAG. Nothing is read or parsed; the SQL text is borrowed, not copied.
    ///
    /// A set made by [`embed_migrations!`](crate::embed_migrations) was validated when it was
    /// compiled, by the same code, so this can only fail for a set built by hand: with a
    /// [`GraphError`](crate::GraphError) naming the revisions.
    pub fn to_migration_set(&self) -> Result<MigrationSet, crate::Error> {
        let set = MigrationSet::lazy(Arc::new(*self), self.at_head());
        set.try_built()?;
        Ok(set)
    }

    /// Compares the set with its directory as it is now on disk (the directory it was
    /// compiled from, [`source_dir`](Self::source_dir)): see
    /// [`assert_matches_dir`](Self::assert_matches_dir).
    pub fn check_matches_dir(&self) -> Result<(), DirMismatch> {
        self.check_against_dir(self.source_dir)
    }

    /// Compares the set with the migrations in `dir`, file by file: files there that the set
    /// lacks, files of the set that are gone, and files whose checksum differs.
    pub fn check_against_dir(&self, dir: impl AsRef<Path>) -> Result<(), DirMismatch> {
        let dir = dir.as_ref();
        let files = load_dir(dir).map_err(|error| DirMismatch::Unreadable {
            embedded_from: self.dir,
            error: Box::new(error),
        })?;
        let on_disk: BTreeMap<String, Checksum> = files
            .iter()
            .map(|file| {
                let name = Path::new(file.file_name())
                    .file_name()
                    .map_or_else(String::new, |name| name.to_string_lossy().into_owned());
                (name, *file.revision().checksum())
            })
            .collect();
        let embedded: BTreeMap<&str, &Checksum> = self
            .migrations
            .iter()
            .map(|m| (m.file_name, &m.checksum))
            .collect();

        let added: Vec<String> = on_disk
            .keys()
            .filter(|name| !embedded.contains_key(name.as_str()))
            .cloned()
            .collect();
        let removed: Vec<String> = embedded
            .keys()
            .filter(|name| !on_disk.contains_key(**name))
            .map(|name| (*name).to_owned())
            .collect();
        let changed: Vec<String> = embedded
            .iter()
            .filter(|(name, checksum)| on_disk.get(**name).is_some_and(|now| now != **checksum))
            .map(|(name, _)| (*name).to_owned())
            .collect();
        if added.is_empty() && removed.is_empty() && changed.is_empty() {
            return Ok(());
        }
        Err(DirMismatch::OutOfDate {
            embedded_from: self.dir,
            dir: dir.to_owned(),
            added,
            removed,
            changed,
        })
    }

    /// Panics, listing the files, if the migrations directory differs from what was
    /// embedded: a file added since the build (not embedded), removed (still embedded) or
    /// changed. Call it in a test:
    ///
    /// ```no_run
    /// # static MIGRATIONS: pelican::EmbeddedMigrations = pelican::embed_migrations!("tests/fixtures/embed/billing");
    /// #[test]
    /// fn every_migration_is_embedded() {
    ///     MIGRATIONS.assert_matches_dir();
    /// }
    /// ```
    ///
    /// Editing a migration rebuilds the crate by itself, but a macro can't notice a file
    /// *added* to a directory: without a build script calling
    /// [`pelican::build::watch`](crate::build::watch), `cargo test` would run with the old
    /// set, and this test is what tells you. It reads the directory the crate was compiled
    /// from, so it belongs in tests, not in a deployed binary.
    #[track_caller]
    pub fn assert_matches_dir(&self) {
        if let Err(mismatch) = self.check_matches_dir() {
            panic!("{mismatch}");
        }
    }
}

// No `From<EmbeddedMigrations>` by value: with it, clippy would ask everyone who writes
// `Migrator::new(&MIGRATIONS)` to drop the `&`.
impl EntrySource for EmbeddedMigrations {
    fn dir(&self) -> &str {
        EmbeddedMigrations::dir(self)
    }

    fn len(&self) -> usize {
        EmbeddedMigrations::len(self)
    }

    fn entries(&self) -> Vec<SetEntry> {
        EmbeddedMigrations::entries(self)
    }
}

impl From<&EmbeddedMigrations> for MigrationSet {
    /// The set, built on first use: a set made by
    /// [`embed_migrations!`](crate::embed_migrations) was validated when it was compiled.
    ///
    /// # Panics
    ///
    /// Only for a set built by hand whose revisions don't form a valid DAG, and then not
    /// here: the [`Migrator`](crate::Migrator)'s operations return the error, and
    /// [`MigrationSet::graph`], [`entries`](MigrationSet::entries) and
    /// [`get`](MigrationSet::get) panic with it. Use
    /// [`EmbeddedMigrations::to_migration_set`] to validate at once.
    fn from(embedded: &EmbeddedMigrations) -> Self {
        MigrationSet::lazy(Arc::new(*embedded), embedded.at_head())
    }
}

/// One embedded migration file: its header, checksum and body.
///
/// Built by the macro's expansion with [`new`](Self::new) and a `with_*` call for each header
/// key that has a value; the defaults are those of a header that leaves the key out.
#[derive(Debug, Clone)]
pub struct EmbeddedMigration {
    id: &'static str,
    file_name: &'static str,
    checksum: Checksum,
    body: EmbeddedBody,
    parents: &'static [&'static str],
    depends_on: &'static [&'static str],
    branch_labels: &'static [&'static str],
    message: &'static str,
    created: Option<&'static str>,
    transactional: bool,
    irreversible: Option<&'static str>,
    lock_timeout: Option<Duration>,
    statement_timeout: Option<Duration>,
}

impl EmbeddedMigration {
    /// A base revision (no parents), transactional, with an empty message.
    ///
    /// `file_name` is the name inside the migrations directory (`3f2a9c1d7b4e_add_tasks.sql`).
    ///
    /// # Panics
    ///
    /// If `id` is not a valid revision id (ASCII letters, digits and `_`, not `head`, `heads`
    /// or `base`). In a `static` that is a compile error.
    pub const fn new(
        id: &'static str,
        file_name: &'static str,
        checksum: Checksum,
        body: EmbeddedBody,
    ) -> Self {
        if !is_valid_name(id) {
            panic!(
                "EmbeddedMigration::new: a revision id is one or more ASCII letters, digits \
                 and '_', and not head, heads or base"
            );
        }
        EmbeddedMigration {
            id,
            file_name,
            checksum,
            body,
            parents: &[],
            depends_on: &[],
            branch_labels: &[],
            message: "",
            created: None,
            transactional: true,
            irreversible: None,
            lock_timeout: None,
            statement_timeout: None,
        }
    }

    /// Sets the parents (`revises`).
    ///
    /// # Panics
    ///
    /// If one is not a valid revision id (a compile error in a `static`).
    pub const fn with_parents(mut self, parents: &'static [&'static str]) -> Self {
        if !all_valid_names(parents) {
            panic!("EmbeddedMigration::with_parents: each parent must be a valid revision id");
        }
        self.parents = parents;
        self
    }

    /// Sets `depends-on`: revision ids or branch labels.
    ///
    /// # Panics
    ///
    /// If an entry breaks the naming rules (a compile error in a `static`).
    pub const fn with_depends_on(mut self, depends_on: &'static [&'static str]) -> Self {
        if !all_valid_names(depends_on) {
            panic!(
                "EmbeddedMigration::with_depends_on: each entry must be a valid revision id \
                 or branch label"
            );
        }
        self.depends_on = depends_on;
        self
    }

    /// Sets the branch labels.
    ///
    /// # Panics
    ///
    /// If a label breaks the naming rules (a compile error in a `static`).
    pub const fn with_branch_labels(mut self, labels: &'static [&'static str]) -> Self {
        if !all_valid_names(labels) {
            panic!(
                "EmbeddedMigration::with_branch_labels: a branch label is one or more ASCII \
                 letters, digits and '_', and not head, heads or base"
            );
        }
        self.branch_labels = labels;
        self
    }

    /// Sets the message.
    pub const fn with_message(mut self, message: &'static str) -> Self {
        self.message = message;
        self
    }

    /// Sets the creation timestamp, as written in the header.
    pub const fn with_created(mut self, created: &'static str) -> Self {
        self.created = Some(created);
        self
    }

    /// Sets whether the revision runs in a transaction (`transaction` header; default
    /// `true`).
    pub const fn with_transactional(mut self, transactional: bool) -> Self {
        self.transactional = transactional;
        self
    }

    /// Declares the revision irreversible, with the reason.
    pub const fn with_irreversible(mut self, reason: &'static str) -> Self {
        self.irreversible = Some(reason);
        self
    }

    /// Sets the revision's `lock_timeout`.
    pub const fn with_lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = Some(timeout);
        self
    }

    /// Sets the revision's `statement_timeout`.
    pub const fn with_statement_timeout(mut self, timeout: Duration) -> Self {
        self.statement_timeout = Some(timeout);
        self
    }

    /// The revision id.
    pub fn id(&self) -> &'static str {
        self.id
    }

    /// The file name inside the migrations directory.
    pub fn file_name(&self) -> &'static str {
        self.file_name
    }

    /// The checksum of the file, computed at compile time.
    pub fn checksum(&self) -> &Checksum {
        &self.checksum
    }

    /// What running the revision executes.
    pub fn body(&self) -> &EmbeddedBody {
        &self.body
    }

    /// The parents (`revises`), in header order.
    pub fn parents(&self) -> &'static [&'static str] {
        self.parents
    }

    /// The `depends-on` entries.
    pub fn depends_on(&self) -> &'static [&'static str] {
        self.depends_on
    }

    /// The branch labels.
    pub fn branch_labels(&self) -> &'static [&'static str] {
        self.branch_labels
    }

    /// The message.
    pub fn message(&self) -> &'static str {
        self.message
    }

    /// The header as a [`Revision`], with the checksum.
    pub fn revision(&self) -> Revision {
        let mut revision = Revision::new(valid_id(self.id))
            .with_parents(self.parents.iter().map(|id| valid_id(id)).collect())
            .with_depends_on(self.depends_on.iter().map(|&d| d.to_owned()).collect())
            .with_branch_labels(self.branch_labels.iter().map(|&l| l.to_owned()).collect())
            .with_message(self.message)
            .with_transactional(self.transactional)
            .with_checksum(self.checksum);
        if let Some(created) = self.created {
            revision = revision.with_created(created);
        }
        if let Some(reason) = self.irreversible {
            revision = revision.with_irreversible(reason);
        }
        if let Some(timeout) = self.lock_timeout {
            revision = revision.with_lock_timeout(timeout);
        }
        if let Some(timeout) = self.statement_timeout {
            revision = revision.with_statement_timeout(timeout);
        }
        revision
    }

    /// The entry of a [`MigrationSet`]; the file is shown as `dir/file_name`.
    fn to_entry(&self, dir: &str) -> SetEntry {
        let body = match self.body {
            EmbeddedBody::Sql { up, down } => Body::Sql {
                up: up.to_sql_body(),
                down: down.map(EmbeddedSql::to_sql_body),
            },
            EmbeddedBody::Rust(migration) => Body::Rust(Arc::new(StaticMigration(migration))),
        };
        let dir = dir.trim_end_matches(['/', '\\']);
        let file_name = if dir.is_empty() || dir == "." {
            self.file_name.to_owned()
        } else {
            format!("{dir}/{}", self.file_name)
        };
        SetEntry::new(self.revision(), file_name, body)
    }
}

/// What running an embedded revision executes.
#[derive(Clone, Copy)]
pub enum EmbeddedBody {
    /// A SQL migration's sections.
    Sql {
        /// The `-- up` section.
        up: EmbeddedSql,
        /// The `-- down` section; absent for an irreversible revision that leaves it out.
        down: Option<EmbeddedSql>,
    },
    /// A Rust migration: the value implementing [`Migration`] in its module.
    Rust(&'static dyn Migration),
}

impl fmt::Debug for EmbeddedBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmbeddedBody::Sql { up, down } => f
                .debug_struct("Sql")
                .field("up", up)
                .field("down", down)
                .finish(),
            EmbeddedBody::Rust(_) => f.write_str("Rust(..)"),
        }
    }
}

/// One section of an embedded SQL migration: its text and the line of the file it starts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmbeddedSql {
    sql: &'static str,
    first_line: usize,
}

impl EmbeddedSql {
    /// A section whose text starts at line `first_line` (1-based) of its file.
    pub const fn new(sql: &'static str, first_line: usize) -> Self {
        EmbeddedSql { sql, first_line }
    }

    /// The SQL text, as written.
    pub fn sql(&self) -> &'static str {
        self.sql
    }

    /// The line of the file where the text starts.
    pub fn first_line(&self) -> usize {
        self.first_line
    }

    fn to_sql_body(self) -> SqlBody {
        SqlBody::new(self.sql, self.first_line)
    }
}

/// A `&'static dyn Migration` as the `Arc<dyn Migration>` a [`Body`] holds.
struct StaticMigration(&'static dyn Migration);

#[async_trait::async_trait]
impl Migration for StaticMigration {
    async fn up(&self, db: &tokio_postgres::Client) -> Result<(), BoxError> {
        self.0.up(db).await
    }

    async fn down(&self, db: &tokio_postgres::Client) -> Result<(), BoxError> {
        self.0.down(db).await
    }
}

mod dir_mismatch;
mod names;
#[cfg(test)]
mod tests;

pub use dir_mismatch::DirMismatch;
use names::{all_valid_names, is_valid_name, valid_id};

//! The set of migrations a migrator runs: every revision with its body, validated as a DAG.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use super::{Migration, SqlBody};
use crate::graph::{GraphError, RevisionGraph};
use crate::history::HistoryDigest;
use crate::revision::Revision;
use crate::source::{load_dir, MigrationFile, MigrationKind};

/// What running a revision executes.
#[derive(Clone)]
pub enum Body {
    /// A SQL migration's sections. `down` is absent for irreversible revisions.
    Sql {
        /// The `-- up` section.
        up: SqlBody,
        /// The `-- down` section.
        down: Option<SqlBody>,
    },
    /// A Rust migration.
    Rust(Arc<dyn Migration>),
    /// A Rust migration known from its file only (a directory read at run time): it can be
    /// listed and planned, but running it needs the application binary that compiled it.
    RustNotCompiled,
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Body::Sql { up, down } => f
                .debug_struct("Sql")
                .field("up", up)
                .field("down", down)
                .finish(),
            Body::Rust(_) => f.write_str("Rust(..)"),
            Body::RustNotCompiled => f.write_str("RustNotCompiled"),
        }
    }
}

/// One revision of a [`MigrationSet`]: its metadata, the file it came from, and its body.
#[derive(Debug, Clone)]
pub struct SetEntry {
    revision: Revision,
    file_name: String,
    body: Body,
}

impl SetEntry {
    /// An entry from its parts.
    pub fn new(revision: Revision, file_name: impl Into<String>, body: Body) -> Self {
        SetEntry {
            revision,
            file_name: file_name.into(),
            body,
        }
    }

    /// An entry from a parsed file: SQL files carry their sections; Rust files carry no code
    /// (attach it with [`MigrationSet::with_rust`]).
    pub fn from_file(file: MigrationFile) -> Self {
        let body = match file.kind() {
            MigrationKind::Sql => Body::Sql {
                up: file
                    .up()
                    .map(|s| SqlBody::new(s.sql().to_owned(), s.first_line()))
                    .unwrap_or_else(|| SqlBody::new("", 1)),
                down: file
                    .down()
                    .map(|s| SqlBody::new(s.sql().to_owned(), s.first_line())),
            },
            MigrationKind::Rust => Body::RustNotCompiled,
        };
        let file_name = file.file_name().to_owned();
        SetEntry::new(file.into_revision(), file_name, body)
    }

    /// The revision.
    pub fn revision(&self) -> &Revision {
        &self.revision
    }

    /// The file the revision came from, as named in messages.
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    /// What running the revision executes.
    pub fn body(&self) -> &Body {
        &self.body
    }

    /// `sql` or `rust`, as recorded in the history table.
    pub fn kind(&self) -> MigrationKind {
        match self.body {
            Body::Sql { .. } => MigrationKind::Sql,
            Body::Rust(_) | Body::RustNotCompiled => MigrationKind::Rust,
        }
    }
}

/// Every migration of an application, validated as a revision DAG.
///
/// Built from the embedded set (`pelican::embed_migrations!`), from a directory read at run
/// time ([`MigrationSet::from_dir`]), or from entries made by hand ([`MigrationSet::new`]).
///
/// A set made from an [`EmbeddedMigrations`](crate::EmbeddedMigrations) is lazy: it was validated when it was compiled,
/// so its entries and graph are built on first use, and a start at head that finds the
/// database up to date never builds them.
#[derive(Debug, Clone)]
pub struct MigrationSet {
    /// Where the entries come from when they are first needed.
    embedded: Option<Arc<dyn EntrySource>>,
    /// The entries and their graph, or why they don't form a valid DAG (only for an embedded
    /// set built by hand).
    built: OnceLock<Result<Built, GraphError>>,
    /// What the history holds when every revision is applied.
    at_head: OnceLock<AtHead>,
}

/// What a lazy set's entries are built from when first needed: the embedded set (see
/// `embedded.rs`, which implements it), seen through this trait so that this module, which
/// `embedded` builds sets with, needs nothing of it.
pub(crate) trait EntrySource: std::fmt::Debug + Send + Sync {
    /// The directory the migrations were embedded from, for messages.
    fn dir(&self) -> &str;
    /// How many migrations there are.
    fn len(&self) -> usize;
    /// The entries, unvalidated.
    fn entries(&self) -> Vec<SetEntry>;
}

/// The entries of a set and their graph.
#[derive(Debug, Clone)]
struct Built {
    /// In the order given, which is the graph's node order: entry `i` is node `i`, so the
    /// graph's id index serves the set too (one map of every id instead of two, at every
    /// application start).
    entries: Vec<SetEntry>,
    graph: RevisionGraph,
}

/// A set at head, summed up: what `pelican_state` holds when every revision is applied, and
/// how many heads the set has (`head` is an error with several).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AtHead {
    pub(crate) digest: HistoryDigest,
    pub(crate) heads: usize,
}

impl MigrationSet {
    /// Validates the entries as a DAG.
    pub fn new(entries: Vec<SetEntry>) -> Result<Self, crate::Error> {
        let built = Built::new(entries)?;
        Ok(MigrationSet {
            embedded: None,
            built: OnceLock::from(Ok(built)),
            at_head: OnceLock::new(),
        })
    }

    /// An embedded set, built on first use, with the digest at head and the head count its
    /// macro computed; see [`EmbeddedMigrations::to_migration_set`](crate::EmbeddedMigrations::to_migration_set)
    /// for one validated at once.
    pub(crate) fn lazy(
        embedded: Arc<dyn EntrySource>,
        computed_at_head: Option<([u8; 32], usize)>,
    ) -> Self {
        let at_head = OnceLock::new();
        if let Some((bits, heads)) = computed_at_head {
            let rows = embedded.len() as u64;
            let digest = HistoryDigest::from_parts(bits, rows);
            let _ = at_head.set(AtHead { digest, heads });
        }
        MigrationSet {
            embedded: Some(embedded),
            built: OnceLock::new(),
            at_head,
        }
    }

    /// The entries and graph, built now if they weren't; the error of an embedded set built
    /// by hand whose revisions don't form a DAG.
    pub(crate) fn try_built(&self) -> Result<(), crate::Error> {
        match self.build() {
            Ok(_) => Ok(()),
            Err(error) => Err(error.clone().into()),
        }
    }

    fn build(&self) -> &Result<Built, GraphError> {
        self.built.get_or_init(|| {
            let embedded = self
                .embedded
                .as_ref()
                .expect("a set without entries is embedded");
            Built::new(embedded.entries())
        })
    }

    /// # Panics
    ///
    /// For an embedded set built by hand whose revisions don't form a valid DAG, as
    /// `MigrationSet::from(&EmbeddedMigrations)` documents.
    fn built(&self) -> &Built {
        match self.build() {
            Ok(built) => built,
            Err(error) => panic!(
                "the embedded migrations of '{}' are not a valid set: {error}",
                self.embedded.as_ref().map_or("", |e| e.dir())
            ),
        }
    }

    /// What the history holds when every revision is applied, and the number of heads:
    /// computed once (at compile time for an embedded set).
    pub(crate) fn at_head(&self) -> Result<AtHead, crate::Error> {
        if let Some(at_head) = self.at_head.get() {
            return Ok(*at_head);
        }
        self.try_built()?;
        let built = self.built();
        let digest = HistoryDigest::of_applied(
            built
                .entries
                .iter()
                .map(|e| (e.revision.id().as_str(), e.revision.checksum())),
        );
        let at_head = AtHead {
            digest,
            heads: built.graph.head_nodes().len(),
        };
        Ok(*self.at_head.get_or_init(|| at_head))
    }

    /// The position of a revision's entry in [`entries`](Self::entries).
    pub(crate) fn position(&self, id: &str) -> Option<usize> {
        // The graph numbers its nodes in the order it was given the revisions.
        self.built().graph.node(id).map(|node| node as usize)
    }

    /// Reads every migration file of `dir` (see [`load_dir`]). Rust migrations found there
    /// can be listed and planned but not run: attach their code with
    /// [`MigrationSet::with_rust`], or run them from the application that embeds them.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self, crate::Error> {
        let files = load_dir(dir)?;
        MigrationSet::new(files.into_iter().map(SetEntry::from_file).collect())
    }

    /// Attaches the code of a Rust migration to its revision.
    pub fn with_rust(
        mut self,
        id: &str,
        migration: impl Migration + 'static,
    ) -> Result<Self, crate::Error> {
        self.try_built()?;
        let Some(i) = self.position(id) else {
            return Err(crate::Error::UnknownRevision { id: id.to_owned() });
        };
        if let Some(Ok(built)) = self.built.get_mut() {
            built.entries[i].body = Body::Rust(Arc::new(migration));
        }
        Ok(self)
    }

    /// The validated graph of the set's revisions.
    pub fn graph(&self) -> &RevisionGraph {
        &self.built().graph
    }

    /// The entry of a revision.
    pub fn get(&self, id: &str) -> Option<&SetEntry> {
        self.position(id).map(|i| &self.built().entries[i])
    }

    /// Every entry, in the order given.
    pub fn entries(&self) -> &[SetEntry] {
        &self.built().entries
    }

    /// The number of revisions.
    pub fn len(&self) -> usize {
        match (&self.embedded, self.built.get()) {
            (_, Some(Ok(built))) => built.entries.len(),
            (Some(embedded), _) => embedded.len(),
            (None, _) => 0,
        }
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Built {
    fn new(entries: Vec<SetEntry>) -> Result<Self, GraphError> {
        let graph = RevisionGraph::new(entries.iter().map(|e| e.revision.clone()))?;
        Ok(Built { entries, graph })
    }
}

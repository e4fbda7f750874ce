//! The set of migrations a migrator runs: every revision with its body, validated as a DAG.

use std::path::Path;
use std::sync::Arc;

use super::{Migration, SqlBody};
use crate::graph::RevisionGraph;
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
#[derive(Debug, Clone)]
pub struct MigrationSet {
    /// In the order given, which is the graph's node order: entry `i` is node `i`, so the
    /// graph's id index serves the set too (one map of every id instead of two, at every
    /// application start).
    entries: Vec<SetEntry>,
    graph: RevisionGraph,
}

impl MigrationSet {
    /// Validates the entries as a DAG.
    pub fn new(entries: Vec<SetEntry>) -> Result<Self, crate::Error> {
        let graph = RevisionGraph::new(entries.iter().map(|e| e.revision.clone()))?;
        Ok(MigrationSet { entries, graph })
    }

    /// The position of a revision's entry in [`entries`](Self::entries).
    pub(crate) fn position(&self, id: &str) -> Option<usize> {
        // The graph numbers its nodes in the order it was given the revisions.
        self.graph.node(id).map(|node| node as usize)
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
        let Some(i) = self.position(id) else {
            return Err(crate::Error::UnknownRevision { id: id.to_owned() });
        };
        self.entries[i].body = Body::Rust(Arc::new(migration));
        Ok(self)
    }

    /// The validated graph of the set's revisions.
    pub fn graph(&self) -> &RevisionGraph {
        &self.graph
    }

    /// The entry of a revision.
    pub fn get(&self, id: &str) -> Option<&SetEntry> {
        self.position(id).map(|i| &self.entries[i])
    }

    /// Every entry, in the order given.
    pub fn entries(&self) -> &[SetEntry] {
        &self.entries
    }

    /// The number of revisions.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

//! The crate's error type: one enum whose variants wrap the typed errors of each layer.

use thiserror::Error;

/// Every way a pelican operation can fail. Each variant names what to look at.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// A migration file could not be read or parsed.
    #[error(transparent)]
    Source(#[from] crate::source::SourceError),
    /// The set of revisions does not form a valid DAG.
    #[error(transparent)]
    Graph(#[from] crate::graph::GraphError),
    /// A target could not be parsed or resolved.
    #[error(transparent)]
    Target(#[from] crate::target::TargetError),
    /// No plan leads from the current state to the target.
    #[error(transparent)]
    Plan(#[from] crate::plan::PlanError),
    /// A revision id that is not in the migration set.
    #[error("no revision {id} among the known migrations")]
    UnknownRevision {
        /// The id as given.
        id: String,
    },
}

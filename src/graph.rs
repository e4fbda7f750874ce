//! The revision DAG. (placeholder: being written)

/// Placeholder.
#[derive(Debug, thiserror::Error)]
#[error("graph error")]
pub struct GraphError;
/// Placeholder.
pub struct RevisionGraph;

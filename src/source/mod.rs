//! Reading migration files. (placeholder: being written)

/// Placeholder error.
#[derive(Debug, thiserror::Error)]
#[error("source error")]
pub struct SourceError;

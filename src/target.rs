//! Targets. (placeholder: being written)

/// Placeholder.
#[derive(Debug, thiserror::Error)]
#[error("target error")]
pub struct TargetError;
/// Placeholder.
pub struct Target;

//! Plans. (placeholder: being written)

/// Placeholder.
#[derive(Debug, thiserror::Error)]
#[error("plan error")]
pub struct PlanError;
/// Placeholder.
pub struct Plan;
/// Placeholder.
pub struct Step;
/// Placeholder.
pub enum Direction {}

//! The small constructors every kind's planner shares: a statement with its hazards, and
//! `COMMENT ON`.

use super::hazard::Hazard;
use super::PlannedStatement;
use crate::quote::literal;

/// A statement with its hazards.
pub(super) fn statement(sql: String, hazards: Vec<Hazard>) -> PlannedStatement {
    PlannedStatement { sql, hazards }
}

/// `COMMENT ON {what} {name} IS ...`, `NULL` when there is none.
pub(super) fn comment_sql(what: &str, name: &str, comment: &Option<String>) -> String {
    format!(
        "COMMENT ON {what} {name} IS {}",
        comment.as_deref().map_or("NULL".to_owned(), literal)
    )
}

//! The small constructors every kind's planner shares: a statement with its hazards, and
//! `COMMENT ON`.

use super::hazard::Hazard;
use super::PlannedStatement;
use crate::quote::literal;
use crate::schema::SequenceOptions;

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

/// `START WITH ... [NO] CYCLE`: every option of a sequence (or an identity column's), so the
/// result never depends on the defaults of its type.
pub(super) fn sequence_options(o: &SequenceOptions) -> String {
    format!(
        "START WITH {} INCREMENT BY {} MINVALUE {} MAXVALUE {} CACHE {}{}",
        o.start,
        o.increment,
        o.min,
        o.max,
        o.cache,
        if o.cycle { " CYCLE" } else { " NO CYCLE" }
    )
}

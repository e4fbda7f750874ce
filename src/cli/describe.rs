//! How revisions are shown: one-line forms, `-v` blocks and JSON objects.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::output::{Paint, Style};
use super::progress::format_duration;
use crate::history::HistoryRow;
use crate::migration::{MigrationSet, SetEntry};
use crate::migrator::Status;
use crate::revision::RevisionId;
use crate::source::MigrationKind;

/// What the database says about the revisions, when a database was asked.
#[derive(Debug, Default)]
pub(crate) struct DbState {
    /// The comparison of the database with the migrations.
    pub(crate) status: Status,
    /// Every history row, by revision.
    pub(crate) rows: HashMap<String, HistoryRow>,
}

impl DbState {
    /// Whether `id` is one of the database's current heads.
    pub(crate) fn is_current(&self, id: &str) -> bool {
        self.status.current_heads.iter().any(|h| h == id)
    }

    /// `applied`, `stamped`, `failed` or `pending`.
    pub(crate) fn state_of(&self, id: &str) -> &'static str {
        match self.rows.get(id) {
            Some(row) => row.state.as_str(),
            None => "pending",
        }
    }
}

/// The tags Alembic prints after an id: branch labels, `(head)`, `(branchpoint)`,
/// `(mergepoint)`.
pub(crate) fn tags(set: &MigrationSet, id: &str) -> Vec<String> {
    let graph = set.graph();
    let mut tags = Vec::new();
    let labels = graph.branch_labels_of(id);
    if !labels.is_empty() {
        tags.push(format!("({})", labels.join(", ")));
    }
    if graph.heads().iter().any(|h| *h == id) {
        tags.push("(head)".to_owned());
    }
    if graph.is_branch_point(id) {
        tags.push("(branchpoint)".to_owned());
    }
    if graph.is_merge_point(id) {
        tags.push("(mergepoint)".to_owned());
    }
    tags
}

/// `<id> (labels) (head)`: the id first, as scripts expect.
pub(crate) fn short_line(set: &MigrationSet, id: &str, style: &Style) -> String {
    let mut line = style.paint(Paint::Id, id);
    for tag in tags(set, id) {
        line.push(' ');
        line.push_str(&tag);
    }
    line
}

/// Alembic's history line: `<parents> -> <id> (tags), <message>`.
pub(crate) fn history_line(
    set: &MigrationSet,
    entry: &SetEntry,
    db: Option<&DbState>,
    style: &Style,
) -> String {
    let revision = entry.revision();
    let id = revision.id().as_str();
    let parents = match revision.parents() {
        [] => "<base>".to_owned(),
        [one] => one.to_string(),
        several => format!("({})", join(several)),
    };
    let mut line = format!("{parents} -> {}", short_line(set, id, style));
    if db.is_some_and(|db| db.is_current(id)) {
        line.push(' ');
        line.push_str(&style.paint(Paint::Good, "(current)"));
    }
    if !revision.message().is_empty() {
        line.push_str(", ");
        line.push_str(revision.message());
    }
    line
}

/// The `-v` block of a revision, one line per field.
pub(crate) fn block(
    set: &MigrationSet,
    entry: &SetEntry,
    db: Option<&DbState>,
    style: &Style,
) -> Vec<String> {
    let graph = set.graph();
    let revision = entry.revision();
    let id = revision.id().as_str();
    let mut lines = vec![format!("Rev: {}", short_line(set, id, style))];
    lines.push(match revision.parents() {
        [] => "Parent: <base>".to_owned(),
        [one] => format!("Parent: {one}"),
        several => format!("Parents: {}", join(several)),
    });
    if !revision.depends_on().is_empty() {
        lines.push(format!("Depends on: {}", revision.depends_on().join(", ")));
    }
    if !revision.branch_labels().is_empty() {
        lines.push(format!(
            "Branch labels: {}",
            revision.branch_labels().join(", ")
        ));
    }
    let children = graph.children(id);
    if !children.is_empty() {
        let children: Vec<&str> = children.iter().map(|c| c.as_str()).collect();
        lines.push(format!("Children: {}", children.join(", ")));
    }
    lines.push(format!("Path: {}", entry.file_name()));
    let mut kind = match entry.kind() {
        MigrationKind::Sql => "sql".to_owned(),
        MigrationKind::Rust => "rust".to_owned(),
    };
    if !revision.is_transactional() {
        kind.push_str(", runs outside a transaction");
    }
    lines.push(format!("Kind: {kind}"));
    if let Some(created) = revision.created() {
        lines.push(format!("Created: {created}"));
    }
    if let Some(reason) = revision.irreversible() {
        lines.push(format!("Irreversible: {reason}"));
    }
    lines.push(format!(
        "Checksum: {}:{}",
        revision.checksum().algorithm().name(),
        revision.checksum()
    ));
    if let Some(db) = db {
        lines.push(format!("State: {}", state_text(db, id, style)));
    }
    lines.push(format!("Message: {}", revision.message()));
    lines
}

fn state_text(db: &DbState, id: &str, style: &Style) -> String {
    let Some(row) = db.rows.get(id) else {
        return style.paint(Paint::Warn, "pending");
    };
    let mut text = match row.state.as_str() {
        "failed" => style.paint(Paint::Bad, "failed"),
        state => style.paint(Paint::Good, state),
    };
    text.push_str(&format!(" {} by {}", row.applied_at, row.applied_by));
    if let Some(ms) = row.duration_ms {
        let duration = std::time::Duration::from_millis(u64::try_from(ms).unwrap_or(0));
        text.push_str(&format!(" in {}", format_duration(duration)));
    }
    if db.is_current(id) {
        text.push_str(" (current)");
    }
    if let Some(error) = &row.error {
        text.push_str(&format!(": {error}"));
    }
    text
}

/// A revision as JSON.
pub(crate) fn to_json(set: &MigrationSet, entry: &SetEntry, db: Option<&DbState>) -> Value {
    let graph = set.graph();
    let revision = entry.revision();
    let id = revision.id().as_str();
    fn ids(ids: Vec<&RevisionId>) -> Vec<&str> {
        ids.into_iter().map(RevisionId::as_str).collect()
    }
    let mut value = json!({
        "revision": id,
        "parents": revision.parents().iter().map(RevisionId::as_str).collect::<Vec<_>>(),
        "depends_on": revision.depends_on(),
        "branch_labels": revision.branch_labels(),
        "labels": graph.branch_labels_of(id),
        "children": ids(graph.children(id)),
        "message": revision.message(),
        "created": revision.created(),
        "file": entry.file_name(),
        "kind": match entry.kind() {
            MigrationKind::Sql => "sql",
            MigrationKind::Rust => "rust",
        },
        "transactional": revision.is_transactional(),
        "irreversible": revision.irreversible(),
        "checksum": revision.checksum().to_string(),
        "checksum_algorithm": revision.checksum().algorithm().name(),
        "is_head": graph.heads().iter().any(|h| *h == id),
        "is_branch_point": graph.is_branch_point(id),
        "is_merge_point": graph.is_merge_point(id),
    });
    if let (Some(db), Value::Object(map)) = (db, &mut value) {
        map.insert("state".into(), json!(db.state_of(id)));
        map.insert("is_current".into(), json!(db.is_current(id)));
        if let Some(row) = db.rows.get(id) {
            map.insert("applied_at".into(), json!(row.applied_at));
            map.insert("applied_by".into(), json!(row.applied_by));
            map.insert("duration_ms".into(), json!(row.duration_ms));
            map.insert("error".into(), json!(row.error));
        }
    }
    value
}

/// Ids joined with `, `.
pub(crate) fn join(ids: &[RevisionId]) -> String {
    ids.iter()
        .map(RevisionId::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// "1 revision", "3 revisions".
pub(crate) fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

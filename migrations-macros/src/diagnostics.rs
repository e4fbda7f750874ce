//! Compile errors for a broken migrations directory: the shared loader's and graph's errors,
//! with each file shown as the user knows it (`migrations/a1_first.sql`, not an absolute
//! path) and the line of the header key at fault.

use std::fs;
use std::path::Path;

use crate::graph::GraphError;
use crate::migrations_dir::{Dir, Embedded};
use crate::source::{MigrationKind, SourceError};

pub(crate) fn describe_source_error(dir: &Dir, error: SourceError) -> String {
    match error {
        SourceError::Parse(error) => {
            let shown = dir.show_path(Path::new(error.file()));
            match error.line() {
                Some(line) => format!("{shown}:{line}: {}", error.kind()),
                None => format!("{shown}: {}", error.kind()),
            }
        }
        SourceError::DuplicateRevision { id, first, second } => {
            let at = |path: &Path| with_line(dir.show_path(path), path, "revision");
            format!(
                "{}: revision '{id}' is already declared by {}; give one of them a new \
                 revision id",
                at(&second),
                at(&first)
            )
        }
        SourceError::MissingDir { .. } => format!(
            "migrations directory '{}' does not exist; embed_migrations! paths are relative \
             to the directory of the crate's Cargo.toml",
            dir.written
        ),
        SourceError::NotADirectory { .. } => format!(
            "'{}' is not a directory; give embed_migrations! the folder that holds the \
             migration files, relative to the directory of the crate's Cargo.toml",
            dir.written
        ),
        other => other.to_string(),
    }
}

pub(crate) fn describe_graph_error(
    dir: &Dir,
    migrations: &[Embedded],
    error: GraphError,
) -> String {
    // `file:line` of the header key of revision `id`.
    let at = |id: &str, key: &str| match migrations
        .iter()
        .find(|m| m.file.revision().id().as_str() == id)
    {
        Some(migration) => with_line(dir.show(&migration.name), &migration.path, key),
        None => format!("revision {id}"),
    };
    match &error {
        GraphError::UnknownParent { revision, .. } => {
            format!("{}: {error}", at(revision.as_str(), "revises"))
        }
        GraphError::UnknownDependency { revision, .. } => {
            format!("{}: {error}", at(revision.as_str(), "depends-on"))
        }
        GraphError::LabelIsRevisionId { revision, .. } => {
            format!("{}: {error}", at(revision.as_str(), "branch-labels"))
        }
        GraphError::DuplicateBranchLabel { first, second, .. } => format!(
            "{}: {error} (see {})",
            at(second.as_str(), "branch-labels"),
            at(first.as_str(), "branch-labels")
        ),
        GraphError::Cycle { revisions, .. } => {
            // Each step of the cycle, at the header line that makes it.
            let mut message = error.to_string();
            for pair in revisions.windows(2) {
                let (before, after) = (&pair[0], &pair[1]);
                let revises = migrations.iter().any(|m| {
                    m.file.revision().id() == after && m.file.revision().parents().contains(before)
                });
                let key = if revises { "revises" } else { "depends-on" };
                message.push_str(&format!(
                    "\n  {after} comes after {before}: {}",
                    at(after.as_str(), key)
                ));
            }
            message
        }
        _ => error.to_string(),
    }
}

/// `shown:line` when the file's header gives `key` on a line, `shown` otherwise.
fn with_line(shown: String, path: &Path, key: &str) -> String {
    match header_line(path, key) {
        Some(line) => format!("{shown}:{line}"),
        None => shown,
    }
}

/// The line on which the header of a (valid) migration file gives `key`.
///
/// The parser has already accepted the file, so this only needs to find the line: it walks the
/// header (the comment lines at the top) comparing keys, and reports nothing if reading fails.
fn header_line(path: &Path, key: &str) -> Option<usize> {
    let text = fs::read_to_string(path).ok()?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let kind = if path.extension()? == "rs" {
        MigrationKind::Rust
    } else {
        MigrationKind::Sql
    };
    for (index, line) in text.lines().enumerate() {
        let comment = line.trim().strip_prefix(kind.header_prefix())?;
        let (found, _) = comment.split_once(':')?;
        if found.trim() == key {
            return Some(index + 1);
        }
    }
    None
}

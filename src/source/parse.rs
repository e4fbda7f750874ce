//! The migration file parser: file text → [`Revision`] + the `-- up` / `-- down` bodies.
//!
//! The format is described for users in `docs/file-format.md`.

// Why this file stands alone: the `pelican-macros` proc-macro crate parses migration files at
// compile time with this very code (and its siblings `syntax.rs`, `header.rs`,
// `parse_error.rs` and `client_side.rs`), through
// `#[path = "../shared/source/mod.rs"] mod source;`, because a proc-macro crate can't
// depend on `pelican` (which re-exports it). So these files may use only `std`, `thiserror`,
// `crate::revision` and `crate::migration::statements` (which the macro crate includes the
// same way), do no I/O, and hold no doctests or tests: they live in
// `parse_tests.rs` and `client_side_tests.rs`, compiled only as part of `pelican`.

use super::client_side::check_section;
use super::header::{check_after_header, parse_header};
use super::parse_error::{Located, ParseError, ParseErrorKind};
use super::syntax::{
    misspelled_marker, section_marker, split_lines, Key, Line, MigrationKind, Section,
};
use crate::revision::{Checksum, Revision, RevisionId};

/// The body of a `-- up` or `-- down` section, exactly as written in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlSection {
    sql: String,
    first_line: usize,
}

impl SqlSection {
    /// The SQL between the section marker and the next marker (or the end of the file),
    /// byte for byte, line endings included. May be empty.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// The 1-based line of the file on which [`sql`](Self::sql) starts (the line after the
    /// marker), so a position inside the SQL can be reported as a line of the file.
    pub fn first_line(&self) -> usize {
        self.first_line
    }
}

/// A parsed migration file: its revision (header and checksum) and, for SQL, its sections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationFile {
    revision: Revision,
    kind: MigrationKind,
    file_name: String,
    up: Option<SqlSection>,
    down: Option<SqlSection>,
}

impl MigrationFile {
    /// What the header declares, with the checksum of the whole file.
    pub fn revision(&self) -> &Revision {
        &self.revision
    }

    /// SQL or Rust.
    pub fn kind(&self) -> MigrationKind {
        self.kind
    }

    /// The file name as given to [`parse_migration`] (a path as the user knows it).
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    /// The `-- up` section. Always present for SQL files, absent for Rust files.
    pub fn up(&self) -> Option<&SqlSection> {
        self.up.as_ref()
    }

    /// The `-- down` section. Absent for Rust files and for irreversible SQL files that
    /// leave it out.
    pub fn down(&self) -> Option<&SqlSection> {
        self.down.as_ref()
    }

    /// Drops the sections and keeps the revision.
    pub fn into_revision(self) -> Revision {
        self.revision
    }
}

/// Parses one migration file.
///
/// `file_name` is used in error messages as given (pass the path the user knows, such as
/// `migrations/3f2a9c1d7b4e_add_priority.sql`); its extension decides the kind (`.sql` or
/// `.rs`) and its last component must start with the revision id. `text_bytes` is the whole
/// file: its checksum becomes the revision's checksum.
pub fn parse_migration(file_name: &str, text_bytes: &[u8]) -> Result<MigrationFile, ParseError> {
    let fail = |line: Option<usize>, kind| ParseError::new(file_name, line, kind);

    let base_name = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let Some((kind, stem)) = MigrationKind::split_file_name(base_name) else {
        return Err(fail(None, ParseErrorKind::UnsupportedExtension));
    };

    let text = match std::str::from_utf8(text_bytes) {
        Ok(text) => text,
        Err(error) => {
            let valid = &text_bytes[..error.valid_up_to()];
            let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
            let byte = text_bytes.get(error.valid_up_to()).copied().unwrap_or(0);
            return Err(fail(Some(line), ParseErrorKind::NotUtf8 { byte }));
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines = split_lines(text);

    let (header, header_end) = parse_header(&lines, kind).map_err(|(line, e)| fail(line, e))?;
    check_after_header(&lines, header_end, kind).map_err(|(line, e)| fail(line, e))?;

    let Some((id, id_line)) = header.revision.clone() else {
        return Err(fail(Some(1), ParseErrorKind::MissingRevision { kind }));
    };
    let lists_itself = |key: Key, line: usize| {
        let kind = ParseErrorKind::SelfReference {
            key: key.name(),
            id: id.clone(),
        };
        Err(fail(Some(line), kind))
    };
    if let Some((parents, line)) = &header.revises {
        if parents.contains(&id) {
            return lists_itself(Key::Revises, *line);
        }
    }
    if let Some((dependencies, line)) = &header.depends_on {
        if dependencies.iter().any(|entry| entry == id.as_str()) {
            return lists_itself(Key::DependsOn, *line);
        }
    }
    if !file_stem_matches(stem, &id) {
        return Err(fail(
            Some(id_line),
            file_name_mismatch(&id, base_name, stem),
        ));
    }

    let (up, down) = match kind {
        MigrationKind::Rust => (None, None),
        MigrationKind::Sql => {
            let sections = parse_sections(text, &lines, header_end, header.irreversible.as_ref())
                .map_err(|(line, e)| fail(line, e))?;
            check_client_side(&sections.0, sections.1.as_ref())
                .map_err(|(line, e)| fail(line, e))?;
            (Some(sections.0), sections.1)
        }
    };

    let mut revision = Revision::new(id)
        .with_parents(header.revises.map(|(v, _)| v).unwrap_or_default())
        .with_depends_on(header.depends_on.map(|(v, _)| v).unwrap_or_default())
        .with_branch_labels(header.branch_labels.map(|(v, _)| v).unwrap_or_default())
        .with_message(header.message.unwrap_or_default())
        .with_transactional(header.transaction.unwrap_or(true))
        .with_checksum(Checksum::of(text_bytes));
    if let Some(created) = header.created {
        revision = revision.with_created(created);
    }
    if let Some((reason, _)) = header.irreversible {
        revision = revision.with_irreversible(reason);
    }
    if let Some(timeout) = header.lock_timeout {
        revision = revision.with_lock_timeout(timeout);
    }
    if let Some(timeout) = header.statement_timeout {
        revision = revision.with_statement_timeout(timeout);
    }
    if let Some((rules, line)) = header.lint_ignore {
        revision = revision.with_lint_ignore(rules, line);
    }

    Ok(MigrationFile {
        revision,
        kind,
        file_name: file_name.to_owned(),
        up,
        down,
    })
}

/// Splits the rest of a SQL file into its sections. Returns `up` and, when present, `down`.
fn parse_sections(
    text: &str,
    lines: &[Line<'_>],
    header_end: usize,
    irreversible: Option<&(String, usize)>,
) -> Result<(SqlSection, Option<SqlSection>), Located> {
    // First the marker lines, in file order; each body then runs to the next marker.
    let mut markers: Vec<(Section, &Line<'_>)> = Vec::new();
    for line in &lines[header_end..] {
        let trimmed = line.text.trim_end();
        let at = |e| (Some(line.number), e);
        if let Some(section) = section_marker(trimmed, MigrationKind::Sql) {
            if let Some((_, first)) = markers.iter().find(|(seen, _)| *seen == section) {
                return Err(at(ParseErrorKind::DuplicateSection {
                    section,
                    first_line: first.number,
                }));
            }
            markers.push((section, line));
        } else if let Some(section) = misspelled_marker(trimmed, MigrationKind::Sql) {
            return Err(at(ParseErrorKind::MisspelledSectionMarker {
                text: trimmed.trim().to_owned(),
                section,
            }));
        } else if markers.is_empty() && !is_blank_or_comment(trimmed) {
            return Err(at(ParseErrorKind::SqlBeforeSection));
        }
    }

    let body = |wanted: Section| {
        let index = markers.iter().position(|(section, _)| *section == wanted)?;
        let marker = markers[index].1;
        let end = markers
            .get(index + 1)
            .map_or(text.len(), |(_, next)| next.start);
        let section = SqlSection {
            sql: text.get(marker.end..end).unwrap_or_default().to_owned(),
            first_line: marker.number + 1,
        };
        Some((marker.number, section))
    };
    let Some((_, up)) = body(Section::Up) else {
        return Err((None, ParseErrorKind::MissingUp));
    };
    match (body(Section::Down), irreversible) {
        (None, None) => Err((None, ParseErrorKind::MissingDown)),
        (Some((down_line, down)), Some((_, irreversible_line)))
            if !down.sql.lines().all(is_blank_or_comment) =>
        {
            Err((
                Some(down_line),
                ParseErrorKind::DownInIrreversible {
                    irreversible_line: *irreversible_line,
                },
            ))
        }
        (down, _) => Ok((up, down.map(|(_, section)| section))),
    }
}

/// Refuses what only a client such as psql can run (`COPY ... FROM STDIN`, `\copy`...), in
/// either section; the first in the file is reported.
fn check_client_side(up: &SqlSection, down: Option<&SqlSection>) -> Result<(), Located> {
    let first = [Some(up), down]
        .into_iter()
        .flatten()
        .filter_map(|section| {
            let (line, error) = check_section(&section.sql).err()?;
            Some((section.first_line + line - 1, error))
        })
        .min_by_key(|(line, _)| *line);
    match first {
        Some((line, error)) => Err((Some(line), error)),
        None => Ok(()),
    }
}

fn is_blank_or_comment(line: &str) -> bool {
    let line = line.trim();
    line.is_empty() || line.starts_with("--")
}

/// Whether a file stem names revision `id`: it is the id, or starts with `<id>_`.
fn file_stem_matches(stem: &str, id: &RevisionId) -> bool {
    match stem.strip_prefix(id.as_str()) {
        Some(rest) => rest.is_empty() || rest.starts_with('_'),
        None => false,
    }
}

/// The mismatch error. Since ids may contain `_`, the id a name implies is taken to have as
/// many `_`-separated parts as the header's id (`django_0002_x` → `django_0002` when the
/// header says `django_0001`).
fn file_name_mismatch(id: &RevisionId, base_name: &str, stem: &str) -> ParseErrorKind {
    let parts = id.as_str().split('_').count();
    let split_at = stem
        .match_indices('_')
        .nth(parts - 1)
        .map_or(stem.len(), |(index, _)| index);
    let (name_id, slug) = stem.split_at(split_at);
    let extension = &base_name[stem.len()..];
    ParseErrorKind::FileNameMismatch {
        id: id.clone(),
        name_id: name_id.to_owned(),
        suggested_name: format!("{id}{slug}{extension}"),
    }
}

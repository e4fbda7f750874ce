//! The words of a migration file: its kind (SQL or Rust), its sections and their marker
//! lines, its header keys, and its lines. What the parser, the header reader and the error
//! messages all speak of, with no dependency on any of them.

// Shared with the `pelican-macros` proc-macro crate, like every file of `source/` (see
// `parse.rs`): `std` only, no I/O, no tests here.

use std::fmt;

/// Whether a migration is written in SQL or in Rust, as told by its file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MigrationKind {
    /// A `.sql` file with `-- up` and `-- down` sections.
    Sql,
    /// A `.rs` module whose up/down code is a type implementing the `Migration` trait.
    Rust,
}

impl MigrationKind {
    /// The name recorded in the history table: `sql` or `rust`.
    pub fn as_str(self) -> &'static str {
        match self {
            MigrationKind::Sql => "sql",
            MigrationKind::Rust => "rust",
        }
    }

    /// The comment marker that starts a header line: `--` for SQL, `//!` for Rust.
    pub fn header_prefix(self) -> &'static str {
        match self {
            MigrationKind::Sql => "--",
            MigrationKind::Rust => "//!",
        }
    }

    /// The kind and the file stem of a migration file name (`3f2a_x.sql` → `Sql`, `3f2a_x`).
    pub(super) fn split_file_name(base_name: &str) -> Option<(Self, &str)> {
        if let Some(stem) = base_name.strip_suffix(".sql") {
            Some((MigrationKind::Sql, stem))
        } else {
            base_name
                .strip_suffix(".rs")
                .map(|stem| (MigrationKind::Rust, stem))
        }
    }
}

impl fmt::Display for MigrationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One of the two sections of a SQL migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Section {
    /// `-- up`: the upgrade SQL.
    Up,
    /// `-- down`: the downgrade SQL.
    Down,
}

impl Section {
    /// The line that starts the section: `-- up` or `-- down`.
    pub fn marker(self) -> &'static str {
        match self {
            Section::Up => "-- up",
            Section::Down => "-- down",
        }
    }
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.marker())
    }
}

/// The header keys, in the order the documentation lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Key {
    Revision,
    Revises,
    DependsOn,
    BranchLabels,
    Message,
    Created,
    Transaction,
    Irreversible,
    LockTimeout,
    StatementTimeout,
    LintIgnore,
}

pub(super) const KEYS: [Key; 11] = [
    Key::Revision,
    Key::Revises,
    Key::DependsOn,
    Key::BranchLabels,
    Key::Message,
    Key::Created,
    Key::Transaction,
    Key::Irreversible,
    Key::LockTimeout,
    Key::StatementTimeout,
    Key::LintIgnore,
];

impl Key {
    pub(super) fn name(self) -> &'static str {
        match self {
            Key::Revision => "revision",
            Key::Revises => "revises",
            Key::DependsOn => "depends-on",
            Key::BranchLabels => "branch-labels",
            Key::Message => "message",
            Key::Created => "created",
            Key::Transaction => "transaction",
            Key::Irreversible => "irreversible",
            Key::LockTimeout => "lock-timeout",
            Key::StatementTimeout => "statement-timeout",
            Key::LintIgnore => "lint-ignore",
        }
    }

    pub(super) fn from_name(name: &str) -> Option<Key> {
        KEYS.into_iter().find(|key| key.name() == name)
    }
}

pub(super) fn unknown_key_hint(suggestion: Option<&'static str>) -> String {
    match suggestion {
        Some(key) => format!(" (did you mean '{key}'?)"),
        None => {
            let known: Vec<&str> = KEYS.iter().map(|key| key.name()).collect();
            format!("; the known keys are {}", known.join(", "))
        }
    }
}

/// One line of the file.
pub(super) struct Line<'a> {
    /// 1-based.
    pub(super) number: usize,
    /// The content without the `\n` (a `\r` before it is kept; callers trim).
    pub(super) text: &'a str,
    /// Byte offset of the line's first character.
    pub(super) start: usize,
    /// Byte offset just after the line's `\n` (or the end of the text).
    pub(super) end: usize,
}

pub(super) fn split_lines(text: &str) -> Vec<Line<'_>> {
    let mut lines = Vec::new();
    let mut start = 0;
    for (index, chunk) in text.split_inclusive('\n').enumerate() {
        let end = start + chunk.len();
        lines.push(Line {
            number: index + 1,
            text: chunk.strip_suffix('\n').unwrap_or(chunk),
            start,
            end,
        });
        start = end;
    }
    lines
}

/// The section a line starts: exactly `-- up` or `-- down`, trailing whitespace allowed.
pub(super) fn section_marker(trimmed_end: &str, kind: MigrationKind) -> Option<Section> {
    if kind != MigrationKind::Sql {
        return None;
    }
    [Section::Up, Section::Down]
        .into_iter()
        .find(|section| trimmed_end == section.marker())
}

/// A line meant as a section marker but not written exactly (`--up`, `-- UP`, ` -- down`).
/// Accepting it as a comment would silently merge two sections.
pub(super) fn misspelled_marker(trimmed_end: &str, kind: MigrationKind) -> Option<Section> {
    if kind != MigrationKind::Sql || section_marker(trimmed_end, kind).is_some() {
        return None;
    }
    let word = trimmed_end.trim_start().strip_prefix("--")?.trim();
    [Section::Up, Section::Down]
        .into_iter()
        .find(|section| word.eq_ignore_ascii_case(&section.marker()[3..]))
}

//! The migration file parser: file text → [`Revision`] + the `-- up` / `-- down` bodies.
//!
//! The format is described for users in `docs/file-format.md`.

// Why this file stands alone: the `pelican-macros` proc-macro crate parses migration files at
// compile time with this very code, through `#[path = "../../src/source/parse.rs"] mod ...;`,
// because a proc-macro crate can't depend on `pelican` (which re-exports it). So this file may
// use only `std`, `thiserror` and `crate::revision` (which the macro crate includes the same
// way), does no I/O, and holds no doctests or tests: they live in `parse_tests.rs`, compiled
// only as part of `pelican`.

use std::fmt;

use crate::revision::{
    check_name, parse_duration, Checksum, DurationTextError, InvalidName, NameKind, Revision,
    RevisionId, MAX_TIMEOUT_TEXT,
};

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
    fn split_file_name(base_name: &str) -> Option<(Self, &str)> {
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

/// The header keys, in the order the documentation lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
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
}

const KEYS: [Key; 10] = [
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
];

impl Key {
    fn name(self) -> &'static str {
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
        }
    }

    fn from_name(name: &str) -> Option<Key> {
        KEYS.into_iter().find(|key| key.name() == name)
    }
}

/// What went wrong in a migration file; [`ParseError`] adds the file and line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The file name ends in neither `.sql` nor `.rs`.
    #[error("not a migration file: the name must end in '.sql' or '.rs'")]
    UnsupportedExtension,
    /// The file is not valid UTF-8.
    #[error("invalid UTF-8 (byte 0x{byte:02x}); migration files must be saved as UTF-8")]
    NotUtf8 {
        /// The first byte that is not part of a valid UTF-8 sequence.
        byte: u8,
    },
    /// A comment line in the header that is not `key: value`.
    #[error(
        "header line '{text}' is not 'key: value'; \
         put free comments after a blank line that ends the header"
    )]
    MalformedHeaderLine {
        /// The offending line, without surrounding whitespace.
        text: String,
    },
    /// A header key pelican doesn't know.
    #[error("unknown header key '{key}'{}", unknown_key_hint(*.suggestion))]
    UnknownKey {
        /// The key as written.
        key: String,
        /// The known key it most likely meant, if any.
        suggestion: Option<&'static str>,
    },
    /// A header key given twice.
    #[error("duplicate header key '{key}' (first given on line {first_line})")]
    DuplicateKey {
        /// The key.
        key: &'static str,
        /// Where it was given first.
        first_line: usize,
    },
    /// A known header key in a comment after the end of the header, where it would be ignored.
    #[error(
        "header key '{key}' after the end of the header (line {header_end} ended it); \
         move it up into the header, which is the unbroken run of comment lines at the top"
    )]
    KeyAfterHeader {
        /// The key.
        key: &'static str,
        /// The line (blank or not a comment) that ended the header.
        header_end: usize,
    },
    /// The header has no `revision` key.
    #[error(
        "no 'revision' in the header; the file must begin with a line such as \
         '{} revision: 3f2a9c1d7b4e'",
        .kind.header_prefix()
    )]
    MissingRevision {
        /// The kind of file, which decides the comment marker of the header.
        kind: MigrationKind,
    },
    /// A revision id, branch label or `depends-on` entry breaks the naming rules.
    #[error("in '{key}': {error}")]
    InvalidName {
        /// The header key holding the name.
        key: &'static str,
        /// What is wrong with the name.
        error: InvalidName,
    },
    /// The same entry listed twice in one comma-separated key.
    #[error("'{entry}' is listed twice in '{key}'")]
    DuplicateEntry {
        /// The header key.
        key: &'static str,
        /// The repeated entry.
        entry: String,
    },
    /// A revision listed in its own `revises` or `depends-on`.
    #[error("revision '{id}' lists itself in '{key}'; a revision can't come after itself")]
    SelfReference {
        /// The header key.
        key: &'static str,
        /// The revision's own id.
        id: RevisionId,
    },
    /// A `transaction` value other than `true` or `false`.
    #[error("invalid 'transaction' value '{value}': expected 'true' or 'false'")]
    InvalidTransaction {
        /// The value as written.
        value: String,
    },
    /// A `lock-timeout` or `statement-timeout` value that is not a duration.
    #[error(
        "invalid '{key}' value '{value}': expected a whole number with a unit, \
         such as '500ms', '5s', '2min' or '1h'"
    )]
    InvalidTimeout {
        /// The header key.
        key: &'static str,
        /// The value as written.
        value: String,
    },
    /// A `lock-timeout` or `statement-timeout` longer than PostgreSQL takes
    /// ([`crate::revision::MAX_TIMEOUT`]), which would fail only when the revision runs.
    #[error(
        "'{key}' value '{value}' is too long: PostgreSQL's maximum is {MAX_TIMEOUT_TEXT}; \
         write a shorter duration, or '0ms' for no timeout"
    )]
    TimeoutTooLong {
        /// The header key.
        key: &'static str,
        /// The value as written.
        value: String,
    },
    /// A `created` value that is not an RFC 3339 timestamp.
    #[error(
        "invalid 'created' value '{value}': {reason}; \
         expected an RFC 3339 timestamp such as '2026-11-21T10:00:00Z'"
    )]
    InvalidCreated {
        /// The value as written.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `irreversible` given without a reason.
    #[error(
        "'irreversible' needs a reason, shown when a downgrade reaches this revision \
         (for example 'irreversible: drops the archived rows')"
    )]
    EmptyIrreversible,
    /// The file name does not start with the revision id the header declares.
    #[error(
        "the header declares revision '{id}' but the file name says '{name_id}'; \
         rename the file to '{suggested_name}', or fix the header"
    )]
    FileNameMismatch {
        /// The id from the header.
        id: RevisionId,
        /// The id the file name implies.
        name_id: String,
        /// The file name that would match the header.
        suggested_name: String,
    },
    /// A SQL file without a `-- up` line.
    #[error("no '-- up' section; add a line that is exactly '-- up' above the upgrade SQL")]
    MissingUp,
    /// A SQL file without a `-- down` line and without `irreversible`.
    #[error(
        "no '-- down' section; add an empty '-- down' section if there is nothing to undo, \
         or declare '-- irreversible: <reason>' in the header"
    )]
    MissingDown,
    /// A second `-- up` or `-- down` line.
    #[error("second '{section}' section (the first is on line {first_line})")]
    DuplicateSection {
        /// Which section.
        section: Section,
        /// The line of the first marker.
        first_line: usize,
    },
    /// A line that looks like a section marker but is not exactly `-- up` / `-- down`.
    #[error("'{text}' is not a section marker; write the line as exactly '{section}'")]
    MisspelledSectionMarker {
        /// The line, without surrounding whitespace.
        text: String,
        /// The section it seems to mean.
        section: Section,
    },
    /// SQL between the header and the first section marker.
    #[error(
        "SQL before the '-- up' section; only blank lines and '--' comments may come \
         between the header and the first section marker"
    )]
    SqlBeforeSection,
    /// An irreversible revision whose `-- down` section holds SQL that could never run.
    #[error(
        "the '-- down' section has SQL, but the header declares the revision irreversible \
         (line {irreversible_line}), so it would never run; remove the SQL or the \
         'irreversible' key"
    )]
    DownInIrreversible {
        /// The line of the `irreversible` key.
        irreversible_line: usize,
    },
}

fn unknown_key_hint(suggestion: Option<&'static str>) -> String {
    match suggestion {
        Some(key) => format!(" (did you mean '{key}'?)"),
        None => {
            let known: Vec<&str> = KEYS.iter().map(|key| key.name()).collect();
            format!("; the known keys are {}", known.join(", "))
        }
    }
}

/// A migration file that could not be parsed: the file, the line when there is one, and what
/// is wrong. Displays as `file:line: message`, like a compiler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    file: String,
    line: Option<usize>,
    kind: ParseErrorKind,
}

impl ParseError {
    fn new(file: &str, line: Option<usize>, kind: ParseErrorKind) -> Self {
        ParseError {
            file: file.to_owned(),
            line,
            kind,
        }
    }

    /// The file name as given to [`parse_migration`].
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The 1-based line the error is about, when it is about one line.
    pub fn line(&self) -> Option<usize> {
        self.line
    }

    /// What went wrong.
    pub fn kind(&self) -> &ParseErrorKind {
        &self.kind
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file, line, self.kind),
            None => write!(f, "{}: {}", self.file, self.kind),
        }
    }
}

// The kind is part of the message, so it is not also reported as a `source`.
impl std::error::Error for ParseError {}

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

    Ok(MigrationFile {
        revision,
        kind,
        file_name: file_name.to_owned(),
        up,
        down,
    })
}

/// An error found while parsing, with its line if it has one; `parse_migration` adds the file.
type Located = (Option<usize>, ParseErrorKind);

/// One line of the file.
struct Line<'a> {
    /// 1-based.
    number: usize,
    /// The content without the `\n` (a `\r` before it is kept; callers trim).
    text: &'a str,
    /// Byte offset of the line's first character.
    start: usize,
    /// Byte offset just after the line's `\n` (or the end of the text).
    end: usize,
}

fn split_lines(text: &str) -> Vec<Line<'_>> {
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

/// What the header declares; each key keeps the line it was given on.
#[derive(Default)]
struct Header {
    revision: Option<(RevisionId, usize)>,
    revises: Option<(Vec<RevisionId>, usize)>,
    depends_on: Option<(Vec<String>, usize)>,
    branch_labels: Option<(Vec<String>, usize)>,
    message: Option<String>,
    created: Option<String>,
    transaction: Option<bool>,
    irreversible: Option<(String, usize)>,
    lock_timeout: Option<std::time::Duration>,
    statement_timeout: Option<std::time::Duration>,
    /// Each key given so far and its line, to report duplicates.
    seen: Vec<(Key, usize)>,
}

/// Reads the header; returns it with the index of the first line after it.
fn parse_header(lines: &[Line<'_>], kind: MigrationKind) -> Result<(Header, usize), Located> {
    let mut header = Header::default();
    for (index, line) in lines.iter().enumerate() {
        let trimmed = line.text.trim_end();
        let at = |e| (Some(line.number), e);
        if trimmed.trim_start().is_empty() || section_marker(trimmed, kind).is_some() {
            return Ok((header, index));
        }
        let Some(comment) = comment_text(trimmed, kind) else {
            return Ok((header, index));
        };
        if let Some(section) = misspelled_marker(trimmed, kind) {
            return Err(at(ParseErrorKind::MisspelledSectionMarker {
                text: trimmed.trim().to_owned(),
                section,
            }));
        }
        let Some((key_text, value)) = split_key_value(comment) else {
            return Err(at(ParseErrorKind::MalformedHeaderLine {
                text: trimmed.trim().to_owned(),
            }));
        };
        let Some(key) = Key::from_name(key_text) else {
            return Err(at(ParseErrorKind::UnknownKey {
                key: key_text.to_owned(),
                suggestion: suggest_key(key_text),
            }));
        };
        if let Some(&(_, first_line)) = header.seen.iter().find(|(seen, _)| *seen == key) {
            return Err(at(ParseErrorKind::DuplicateKey {
                key: key.name(),
                first_line,
            }));
        }
        header.seen.push((key, line.number));
        set_key(&mut header, key, value, line.number).map_err(at)?;
    }
    Ok((header, lines.len()))
}

fn set_key(header: &mut Header, key: Key, value: &str, line: usize) -> Result<(), ParseErrorKind> {
    let invalid = |error| ParseErrorKind::InvalidName {
        key: key.name(),
        error,
    };
    match key {
        Key::Revision => {
            let id = RevisionId::new(value).map_err(invalid)?;
            header.revision = Some((id, line));
        }
        Key::Revises => {
            let entries = parse_list(key, value, NameKind::Revision)?;
            let ids = entries
                .into_iter()
                .map(RevisionId::new)
                .collect::<Result<_, _>>()
                .map_err(invalid)?;
            header.revises = Some((ids, line));
        }
        Key::DependsOn => {
            // Entries may be revision ids or branch labels; both follow the same rules.
            header.depends_on = Some((parse_list(key, value, NameKind::Revision)?, line));
        }
        Key::BranchLabels => {
            header.branch_labels = Some((parse_list(key, value, NameKind::BranchLabel)?, line));
        }
        Key::Message => header.message = Some(value.to_owned()),
        Key::Created => {
            check_rfc3339(value).map_err(|reason| ParseErrorKind::InvalidCreated {
                value: value.to_owned(),
                reason,
            })?;
            header.created = Some(value.to_owned());
        }
        Key::Transaction => {
            header.transaction = Some(match value {
                "true" => true,
                "false" => false,
                _ => {
                    return Err(ParseErrorKind::InvalidTransaction {
                        value: value.to_owned(),
                    })
                }
            });
        }
        Key::Irreversible => {
            if value.is_empty() {
                return Err(ParseErrorKind::EmptyIrreversible);
            }
            header.irreversible = Some((value.to_owned(), line));
        }
        Key::LockTimeout => header.lock_timeout = Some(parse_timeout(key, value)?),
        Key::StatementTimeout => header.statement_timeout = Some(parse_timeout(key, value)?),
    }
    Ok(())
}

/// Parses `<whole number><unit>` with unit `ms`, `s`, `min` or `h` (PostgreSQL's own units),
/// at most what PostgreSQL takes ([`crate::revision::MAX_TIMEOUT`]).
fn parse_timeout(key: Key, value: &str) -> Result<std::time::Duration, ParseErrorKind> {
    parse_duration(value).map_err(|error| {
        let (key, value) = (key.name(), value.to_owned());
        match error {
            DurationTextError::Invalid => ParseErrorKind::InvalidTimeout { key, value },
            DurationTextError::TooLong => ParseErrorKind::TimeoutTooLong { key, value },
        }
    })
}

/// Splits a comma-separated value; an empty value is an empty list. Checks every entry
/// against the naming rules and refuses repeats.
fn parse_list(key: Key, value: &str, kind: NameKind) -> Result<Vec<String>, ParseErrorKind> {
    if value.is_empty() {
        return Ok(Vec::new());
    }
    let mut entries: Vec<String> = Vec::new();
    for entry in value.split(',').map(str::trim) {
        check_name(entry, kind).map_err(|error| ParseErrorKind::InvalidName {
            key: key.name(),
            error,
        })?;
        if entries.iter().any(|seen| seen == entry) {
            return Err(ParseErrorKind::DuplicateEntry {
                key: key.name(),
                entry: entry.to_owned(),
            });
        }
        entries.push(entry.to_owned());
    }
    Ok(entries)
}

/// The text after the comment marker of a header-style comment line, if it is one.
fn comment_text(line: &str, kind: MigrationKind) -> Option<&str> {
    line.trim_start().strip_prefix(kind.header_prefix())
}

/// `key: value` with a key made of letters, digits, `-` and `_`; both sides trimmed.
fn split_key_value(comment: &str) -> Option<(&str, &str)> {
    let (key, value) = comment.split_once(':')?;
    let key = key.trim();
    let is_key = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    is_key.then(|| (key, value.trim()))
}

/// The section a line starts: exactly `-- up` or `-- down`, trailing whitespace allowed.
fn section_marker(trimmed_end: &str, kind: MigrationKind) -> Option<Section> {
    if kind != MigrationKind::Sql {
        return None;
    }
    [Section::Up, Section::Down]
        .into_iter()
        .find(|section| trimmed_end == section.marker())
}

/// A line meant as a section marker but not written exactly (`--up`, `-- UP`, ` -- down`).
/// Accepting it as a comment would silently merge two sections.
fn misspelled_marker(trimmed_end: &str, kind: MigrationKind) -> Option<Section> {
    if kind != MigrationKind::Sql || section_marker(trimmed_end, kind).is_some() {
        return None;
    }
    let word = trimmed_end.trim_start().strip_prefix("--")?.trim();
    [Section::Up, Section::Down]
        .into_iter()
        .find(|section| word.eq_ignore_ascii_case(&section.marker()[3..]))
}

/// Between the header and the first section (SQL), or in the doc comment that follows the
/// header (Rust): a known `key:` there would be ignored, which is never what the author meant.
fn check_after_header(
    lines: &[Line<'_>],
    header_end: usize,
    kind: MigrationKind,
) -> Result<(), Located> {
    let Some(end_line) = lines.get(header_end) else {
        return Ok(());
    };
    for line in &lines[header_end..] {
        let trimmed = line.text.trim_end();
        if trimmed.trim_start().is_empty() {
            continue;
        }
        if section_marker(trimmed, kind).is_some() || misspelled_marker(trimmed, kind).is_some() {
            return Ok(());
        }
        let Some(comment) = comment_text(trimmed, kind) else {
            return Ok(());
        };
        if let Some(key) = split_key_value(comment).and_then(|(key, _)| Key::from_name(key)) {
            return Err((
                Some(line.number),
                ParseErrorKind::KeyAfterHeader {
                    key: key.name(),
                    header_end: end_line.number,
                },
            ));
        }
    }
    Ok(())
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

/// Suggests the known key an unknown one most likely meant: same key in another spelling,
/// a common synonym (Alembic's names among them), or a small typo.
fn suggest_key(key: &str) -> Option<&'static str> {
    let normalized = key.to_ascii_lowercase().replace('_', "-");
    let synonym = match normalized.as_str() {
        "down-revision" | "parent" | "parents" => Some(Key::Revises),
        "depends" | "dependencies" => Some(Key::DependsOn),
        "branch-label" | "labels" | "branches" => Some(Key::BranchLabels),
        "create-date" | "date" => Some(Key::Created),
        "transactional" => Some(Key::Transaction),
        _ => None,
    };
    if let Some(key) = synonym {
        return Some(key.name());
    }
    let limit = (normalized.chars().count() / 3).max(1);
    KEYS.iter()
        .map(|key| (edit_distance(&normalized, key.name()), key.name()))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, name)| name)
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// Checks the shape of an RFC 3339 timestamp: `YYYY-MM-DDTHH:MM:SS`, optional fractional
/// seconds, then `Z` or an offset `+HH:MM` / `-HH:MM`. Returns what is wrong.
fn check_rfc3339(value: &str) -> Result<(), String> {
    const SHAPE: &str = "expected YYYY-MM-DDTHH:MM:SS followed by 'Z' or an offset like '+02:00'";
    let bytes = value.as_bytes();
    if value.is_empty() {
        return Err("the value is empty".to_owned());
    }
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = bytes.get(range)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(part.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
    };
    let punctuation_ok = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')]
        .iter()
        .all(|&(at, expected)| bytes.get(at) == Some(&expected))
        && matches!(bytes.get(10), Some(b'T' | b't'));
    let fields = (
        digits(0..4),
        digits(5..7),
        digits(8..10),
        digits(11..13),
        digits(14..16),
        digits(17..19),
    );
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = fields
    else {
        return Err(SHAPE.to_owned());
    };
    if !punctuation_ok {
        return Err(SHAPE.to_owned());
    }
    if !(1..=12).contains(&month) {
        return Err(format!("month {month:02} does not exist"));
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if !(1..=days_in_month).contains(&day) {
        return Err(format!(
            "day {day:02} does not exist in {year:04}-{month:02}"
        ));
    }
    if hour > 23 || minute > 59 || second > 60 {
        return Err(format!(
            "time {hour:02}:{minute:02}:{second:02} does not exist"
        ));
    }
    let mut rest = &value[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let count = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if count == 0 {
            return Err("fractional seconds need at least one digit after '.'".to_owned());
        }
        rest = &fraction[count..];
    }
    match rest.as_bytes() {
        [b'Z' | b'z'] => Ok(()),
        [] => Err("the time zone is missing; end with 'Z' or an offset like '+02:00'".to_owned()),
        [b'+' | b'-', ..] => {
            let offset = &rest.as_bytes()[1..];
            let valid = offset.len() == 5
                && offset[2] == b':'
                && [0, 1, 3, 4].iter().all(|&i| offset[i].is_ascii_digit());
            let in_range = valid
                && (offset[0] - b'0') * 10 + (offset[1] - b'0') <= 23
                && (offset[3] - b'0') * 10 + (offset[4] - b'0') <= 59;
            if in_range {
                Ok(())
            } else {
                Err(format!("invalid time zone offset '{rest}'"))
            }
        }
        _ => Err(SHAPE.to_owned()),
    }
}

//! What can be wrong in a migration file: [`ParseErrorKind`], and [`ParseError`], which adds
//! the file and line.

// Shared with the `pelican-macros` proc-macro crate, like every file of `source/` (see
// `parse.rs`): `std`, `thiserror` and `crate::revision` only, no I/O, and no tests here
// (they live in `parse_tests.rs`).

use std::fmt;

use super::syntax::{unknown_key_hint, MigrationKind, Section};
use crate::revision::{InvalidName, RevisionId, MAX_TIMEOUT_TEXT};

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
    /// `COPY ... FROM STDIN` in a SQL section: its rows would come from the client, and a
    /// simple query has none to send (the server would end the session).
    #[error(
        "'COPY ... {clause}' reads its rows from the client, but pelican sends a migration to \
         the server as SQL, with no rows to follow (in psql, the lines after it would be the \
         rows); load them with INSERT ... VALUES, or COPY ... FROM '/path/on/the/server', or \
         write a Rust migration that uses tokio-postgres' copy_in"
    )]
    CopyFromClient {
        /// The clause as it reads, in capitals: `FROM STDIN` (or `FROM STDOUT`).
        clause: String,
    },
    /// `COPY ... TO STDOUT` in a SQL section: its rows would go to the client, which reads
    /// none (the server would end the session).
    #[error(
        "'COPY ... {clause}' sends its rows to the client, but pelican sends a migration to the \
         server as SQL and reads no rows back; write them to a file on the server with \
         COPY ... TO '/path/on/the/server', or write a Rust migration that uses tokio-postgres' \
         copy_out"
    )]
    CopyToClient {
        /// The clause as it reads, in capitals: `TO STDOUT` (or `TO STDIN`).
        clause: String,
    },
    /// A line of a SQL section that starts with a backslash outside any string, quoted
    /// identifier or comment: a psql meta-command, which the server does not understand.
    #[error(
        "'{command}' is a psql meta-command, but pelican sends a migration to the server as \
         SQL, where a backslash command is a syntax error; write the SQL it stands for \
         instead{}",
        meta_command_hint(.command)
    )]
    PsqlMetaCommand {
        /// The command as written, from the backslash to the first blank (`\copy`).
        command: String,
    },
}

/// What to write instead of a meta-command, for the common ones.
fn meta_command_hint(command: &str) -> &'static str {
    let name = command.trim_start_matches('\\');
    if name.eq_ignore_ascii_case("copy") {
        "; to load rows, use INSERT ... VALUES, or COPY ... FROM '/path/on/the/server', or \
         write a Rust migration that uses tokio-postgres' copy_in"
    } else if matches!(name, "i" | "ir" | "include" | "include_relative") {
        "; put the SQL of the included file in the migration itself"
    } else {
        ""
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
    pub(super) fn new(file: &str, line: Option<usize>, kind: ParseErrorKind) -> Self {
        ParseError {
            file: file.to_owned(),
            line,
            kind,
        }
    }

    /// The file name as given to [`parse_migration`](super::parse_migration).
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

/// An error found while parsing, with its line if it has one; `parse_migration` adds the file.
pub(super) type Located = (Option<usize>, ParseErrorKind);

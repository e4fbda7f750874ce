//! The header of a migration file: the unbroken run of `key: value` comment lines at its top
//! (`--` in SQL, `//!` in Rust), read into what the revision declares.

// Shared with the `pelican-macros` proc-macro crate, like every file of `source/` (see
// `parse.rs`): `std`, `thiserror` and `crate::revision` only, no I/O, and no tests here
// (they live in `parse_tests.rs`).

use super::parse_error::{Located, ParseErrorKind};
use super::syntax::{misspelled_marker, section_marker, Key, Line, MigrationKind, KEYS};
use crate::revision::{check_name, parse_duration, DurationTextError, NameKind, RevisionId};

/// What the header declares; each key keeps the line it was given on.
#[derive(Default)]
pub(super) struct Header {
    pub(super) revision: Option<(RevisionId, usize)>,
    pub(super) revises: Option<(Vec<RevisionId>, usize)>,
    pub(super) depends_on: Option<(Vec<String>, usize)>,
    pub(super) branch_labels: Option<(Vec<String>, usize)>,
    pub(super) message: Option<String>,
    pub(super) created: Option<String>,
    pub(super) transaction: Option<bool>,
    pub(super) irreversible: Option<(String, usize)>,
    pub(super) lock_timeout: Option<std::time::Duration>,
    pub(super) statement_timeout: Option<std::time::Duration>,
    /// `lint-ignore: <rule>[, <rule>...] -- <reason>`, as written (the linter reads it).
    pub(super) lint_ignore: Option<(String, usize)>,
    /// Each key given so far and its line, to report duplicates.
    seen: Vec<(Key, usize)>,
}

/// Reads the header; returns it with the index of the first line after it.
pub(super) fn parse_header(
    lines: &[Line<'_>],
    kind: MigrationKind,
) -> Result<(Header, usize), Located> {
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
        Key::LintIgnore => header.lint_ignore = Some((value.to_owned(), line)),
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

/// Between the header and the first section (SQL), or in the doc comment that follows the
/// header (Rust): a known `key:` there would be ignored, which is never what the author meant.
pub(super) fn check_after_header(
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

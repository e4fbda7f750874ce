//! `-- pelican-lint: ignore <rule>[, <rule>...] -- <reason>`: a comment that silences rules
//! for the statement after it. The reason is required, and an ignore that silences nothing is
//! reported: both would otherwise hide mistakes.

use std::ops::Range;

/// The comment's prefix.
const PREFIX: &str = "-- pelican-lint:";

/// One ignore comment.
#[derive(Debug)]
pub(super) struct Ignore {
    /// Where the comment is (byte offset in the text).
    pub(super) at: usize,
    /// The rules it names.
    pub(super) rules: Vec<String>,
    /// Why, when given.
    pub(super) reason: Option<String>,
    /// The statement it applies to (byte range in the text), if one follows.
    pub(super) statement: Option<Range<usize>>,
    /// Whether it silenced something.
    pub(super) used: bool,
}

/// A comment that could not be read as an ignore.
#[derive(Debug)]
pub(super) struct Malformed {
    pub(super) at: usize,
    pub(super) text: String,
}

/// The ignore comments of `sql`, each with the first of `statements` (byte ranges, in order)
/// that starts after it.
pub(super) fn read(sql: &str, statements: &[Range<usize>]) -> (Vec<Ignore>, Vec<Malformed>) {
    let mut ignores = Vec::new();
    let mut malformed = Vec::new();
    let mut offset = 0;
    for line in sql.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let at = offset + (line.len() - trimmed.len());
        offset += line.len();
        let Some(rest) = trimmed.strip_prefix(PREFIX) else {
            continue;
        };
        let rest = rest.trim();
        let Some(names) = rest.strip_prefix("ignore ") else {
            malformed.push(Malformed {
                at,
                text: trimmed.trim_end().to_owned(),
            });
            continue;
        };
        let (rules, reason) = rules_and_reason(names);
        let statement = statements.iter().find(|s| s.start >= at).cloned();
        ignores.push(Ignore {
            at,
            rules,
            reason,
            statement,
            used: false,
        });
    }
    (ignores, malformed)
}

/// Whether a finding of `rule` at byte `offset` is silenced; marks the ignore used.
pub(super) fn silenced(ignores: &mut [Ignore], rule: &str, offset: usize) -> bool {
    for ignore in ignores.iter_mut() {
        let covers = ignore
            .statement
            .as_ref()
            .is_some_and(|s| s.contains(&offset) || s.end == offset);
        if covers && ignore.rules.iter().any(|r| r == rule) {
            ignore.used = true;
            return true;
        }
    }
    false
}

/// `<rule>[, <rule>...] -- <reason>` read into the rules and the reason, when given: the
/// shape of both an ignore comment and the header's `lint-ignore:`.
pub(super) fn rules_and_reason(text: &str) -> (Vec<String>, Option<String>) {
    let (names, reason) = match text.split_once(" -- ") {
        Some((names, reason)) => (names, Some(reason.trim()).filter(|r| !r.is_empty())),
        None => (text.trim_end_matches(" --"), None),
    };
    let rules = names
        .split(',')
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .collect();
    (rules, reason.map(str::to_owned))
}

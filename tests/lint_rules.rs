//! docs/lint-rules.md, checked: its examples are the linter's per-rule tests.
//!
//! Every section of the reference (`### `rule``) gives the rule's severity, a bad example, the
//! message pelican prints for it, a safe example and how to ignore the rule. The conventions
//! (what a block's leading lines mean, how a block becomes a revision) are stated at the top of
//! the reference; this test implements them. Each section's bad and safe examples are linted
//! as a one-revision migration set, through pelican's own file parser, so the header lines of
//! an example give its revision context exactly as they would in `migrations/`.
//!
//! Checked, for every rule: the bad example reports the rule, with the documented message
//! (exact) and severity; the safe example reports neither the rule nor any error; the ignore
//! comment, put before the statement the finding points at, silences the rule (or, where the
//! reference says a comment can't, doesn't); every rule of `pelican::lint::rules()` has
//! exactly one section, and every section names a rule. All mismatches are printed at once.

#![cfg(feature = "lint")]

use std::collections::BTreeMap;
use std::path::Path;

use pelican::lint::{rules, Finding, LintOptions, Severity};
use pelican::migration::statements::split_statements;
use pelican::migration::SetEntry;
use pelican::source::parse_migration;
use pelican::MigrationSet;

/// The reference, relative to the repository.
const REFERENCE: &str = "docs/lint-rules.md";

/// The header keys a SQL example may start with (its revision context); `revision` is given
/// by this test, and `revises` or `depends-on` would need revisions the example doesn't have.
const HEADER_KEYS: [&str; 6] = [
    "message",
    "transaction",
    "irreversible",
    "lock-timeout",
    "statement-timeout",
    // Not a file header key: the server version the example is linted for (`[lint] postgres`).
    "postgres",
];

/// The ignore comment's prefix, as a section's `Ignore:` line gives it.
const IGNORE_PREFIX: &str = "-- pelican-lint: ignore ";

/// Rules that `pelican::lint::rules()` lists but pelican can't report today, each with the
/// reason. Their sections say `Message: not reported ...`, and their bad example is checked to
/// stay unreported: once pelican reports one, this test fails until the section gets the
/// message and the rule leaves this list.
const NOT_REPORTED: [(&str, &str); 1] = [(
    "prefer-repack",
    "squawk reports it only when told the server is PostgreSQL 19 or newer, and pelican lints \
     with squawk's default settings (PostgreSQL 15)",
)];

/// The revision id every example is given.
const REVISION: &str = "example";

/// The language of an example, from its fence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Language {
    Sql,
    Rust,
}

/// One example block: its language, the line it starts on in the reference (for messages) and
/// its text without the `-- bad` / `-- safe` line.
#[derive(Debug, Clone)]
struct Example {
    language: Language,
    line: usize,
    text: String,
}

/// What a section's `Message:` line says.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Message {
    /// The exact message, from the code span.
    Text(String),
    /// `Message: not reported ...`: the rule is one of [`NOT_REPORTED`].
    NotReported,
}

/// How the rule is ignored, as the section's `Ignore:` line says.
#[derive(Debug, Clone)]
enum Ignore {
    /// By this comment before the statement.
    Comment(String),
    /// Not by a comment (`Ignore: not by a comment ...`).
    NotByComment,
}

/// One `### `rule`` section of the reference.
#[derive(Debug, Default)]
struct Section {
    rule: String,
    line: usize,
    severity: Option<String>,
    message: Option<Message>,
    ignore: Option<Ignore>,
    bad: Vec<Example>,
    safe: Vec<Example>,
    /// What the section gets wrong in its shape (a line this test can't read).
    problems: Vec<String>,
}

/// The contents of the first code span of `text` (CommonMark: a run of backticks, closed by a
/// run of the same length; one space is stripped from each end when both ends have one).
fn code_span(text: &str) -> Option<String> {
    let start = text.find('`')?;
    let rest = &text[start..];
    let ticks = rest.len() - rest.trim_start_matches('`').len();
    let fence = &rest[..ticks];
    let body = &rest[ticks..];
    let mut search = 0;
    loop {
        let at = search + body[search..].find(fence)?;
        let after = &body[at + ticks..];
        if after.starts_with('`') {
            // A longer run: not the closing one.
            search = at + ticks + (after.len() - after.trim_start_matches('`').len());
            continue;
        }
        let inner = &body[..at];
        let inner = match inner.strip_prefix(' ').and_then(|i| i.strip_suffix(' ')) {
            Some(stripped) if !inner.trim().is_empty() => stripped,
            _ => inner,
        };
        return Some(inner.to_owned());
    }
}

/// The sections of the reference, in order; the text before the first `### ` heading is the
/// introduction and not read. A `### ` heading that is not `### `rule`` is a section whose
/// rule is the heading's text (so that the test reports it as naming no rule).
fn sections(reference: &str) -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    let mut lines = reference.lines().enumerate().map(|(i, line)| (i + 1, line));
    while let Some((number, line)) = lines.next() {
        if let Some(heading) = line.strip_prefix("### ") {
            let rule = code_span(heading).unwrap_or_else(|| heading.trim().to_owned());
            sections.push(Section {
                rule,
                line: number,
                ..Section::default()
            });
            continue;
        }
        if line.starts_with("## ") || line.starts_with("# ") {
            // A heading above the sections' level ends the current section.
            if let Some(section) = sections.last_mut() {
                if section.line != 0 {
                    sections.push(Section::default());
                }
            }
            continue;
        }
        let Some(section) = sections.last_mut().filter(|s| s.line != 0) else {
            continue;
        };
        if let Some(fence) = line.strip_prefix("```") {
            let language = match fence.trim() {
                "sql" => Some(Language::Sql),
                "rust" => Some(Language::Rust),
                _ => None,
            };
            let mut body = Vec::new();
            for (_, line) in lines.by_ref() {
                if line.starts_with("```") {
                    break;
                }
                body.push(line);
            }
            let Some(language) = language else { continue };
            let comment = match language {
                Language::Sql => "--",
                Language::Rust => "//",
            };
            let Some((first, rest)) = body.split_first() else {
                continue;
            };
            let example = Example {
                language,
                line: number,
                text: rest.iter().map(|l| format!("{l}\n")).collect(),
            };
            match first.trim() {
                t if t == format!("{comment} bad") => section.bad.push(example),
                t if t == format!("{comment} safe") => section.safe.push(example),
                // Any other block is an illustration (a recipe's other revisions, say).
                _ => {}
            }
        } else if let Some(rest) = line.strip_prefix("Severity:") {
            let word = rest.trim().split(['.', ' ']).next().unwrap_or("");
            section.severity = Some(word.to_owned());
        } else if let Some(rest) = line.strip_prefix("Message:") {
            if rest.trim().starts_with("not reported") {
                section.message = Some(Message::NotReported);
                continue;
            }
            match code_span(rest) {
                Some(message) => section.message = Some(Message::Text(message)),
                None => section.problems.push(format!(
                    "line {number}: `Message:` without a code span holding the message"
                )),
            }
        } else if let Some(rest) = line.strip_prefix("Ignore:") {
            let rest = rest.trim();
            if rest.starts_with("not by a comment") {
                section.ignore = Some(Ignore::NotByComment);
            } else if let Some(comment) = code_span(rest).filter(|c| c.starts_with(IGNORE_PREFIX)) {
                section.ignore = Some(Ignore::Comment(comment));
            } else {
                section.problems.push(format!(
                    "line {number}: `Ignore:` is neither `{IGNORE_PREFIX}...` in a code span nor \
                     `not by a comment`"
                ));
            }
        }
    }
    sections.retain(|s| s.line != 0);
    sections
}

/// The migration file an example stands for: its name and text. A SQL example's leading
/// `-- key: value` lines (keys of [`HEADER_KEYS`]) are the revision's header; `-- revision:`
/// is put before them, `-- up` after them unless the example has its own `-- up`, and an
/// empty `-- down` at the end unless it has its own `-- down`. A Rust
/// example gets `//! revision:` before it.
fn migration_file(example: &Example) -> (String, String) {
    match example.language {
        Language::Rust => (
            format!("{REVISION}_rule.rs"),
            format!("//! revision: {REVISION}\n{}", example.text),
        ),
        Language::Sql => {
            let is_header = |line: &str| {
                line.strip_prefix("-- ")
                    .and_then(|l| l.split_once(": "))
                    .is_some_and(|(key, _)| HEADER_KEYS.contains(&key))
            };
            let lines: Vec<&str> = example.text.lines().collect();
            let header = lines.iter().take_while(|l| is_header(l)).count();
            let has_up = lines.iter().any(|l| l.trim_end() == "-- up");
            let mut text = format!("-- revision: {REVISION}\n");
            for line in &lines[..header] {
                text.push_str(line);
                text.push('\n');
            }
            if !has_up {
                text.push_str("-- up\n");
            }
            for line in &lines[header..] {
                text.push_str(line);
                text.push('\n');
            }
            if !lines.iter().any(|l| l.trim_end() == "-- down") {
                text.push_str("\n-- down\n");
            }
            (format!("{REVISION}_rule.sql"), text)
        }
    }
}

/// The findings of a migration file, linted as a one-revision set; a `-- postgres: 14.2`
/// line is taken out of the header and gives the server's version, as `[lint] postgres` does.
fn lint_file(name: &str, text: &str) -> Result<Vec<Finding>, String> {
    let mut options = LintOptions::default();
    let mut kept = String::new();
    for line in text.lines() {
        match line.strip_prefix("-- postgres: ") {
            Some(version) => {
                let (major, minor) = version.split_once('.').expect("-- postgres: MAJOR.MINOR");
                options = options.postgres_version(major.parse().unwrap(), minor.parse().unwrap());
                // Same line count, so that findings keep the example's line numbers.
                kept.push_str(&format!("-- message: for PostgreSQL {version}\n"));
            }
            None => {
                kept.push_str(line);
                kept.push('\n');
            }
        }
    }
    let file = parse_migration(name, kept.as_bytes()).map_err(|e| e.to_string())?;
    let set = MigrationSet::new(vec![SetEntry::from_file(file)]).map_err(|e| e.to_string())?;
    Ok(options.lint(&set, None))
}

/// The findings, one a line, for a mismatch's message.
fn listed(findings: &[Finding]) -> String {
    if findings.is_empty() {
        return "no finding".to_owned();
    }
    findings
        .iter()
        .map(|f| {
            format!(
                "\n        {}[{}] line {}: {}",
                f.severity, f.rule, f.line, f.message
            )
        })
        .collect()
}

/// `text` with `comment` put on a line of its own before the statement that holds line
/// `line` (1-based), or before that line when no statement holds it.
fn with_comment_before(text: &str, line: usize, comment: &str) -> String {
    let last_line = |sql: &str, first: usize| first + sql.matches('\n').count();
    let target = split_statements(text)
        .ok()
        .and_then(|statements| {
            statements
                .iter()
                .find(|s| s.first_line() <= line && line <= last_line(s.sql(), s.first_line()))
                .map(|s| s.first_line())
        })
        .unwrap_or(line);
    let mut out = String::new();
    for (i, l) in text.lines().enumerate() {
        if i + 1 == target {
            out.push_str(comment);
            out.push('\n');
        }
        out.push_str(l);
        out.push('\n');
    }
    out
}

/// The mismatches of one section.
fn check_section(section: &Section, severity: Option<Severity>, mismatches: &mut Vec<String>) {
    let rule = section.rule.as_str();
    let mut mismatch =
        |what: String| mismatches.push(format!("`{rule}` ({REFERENCE}:{}): {what}", section.line));
    for problem in &section.problems {
        mismatch(problem.clone());
    }
    let Some(severity) = severity else {
        mismatch("names no rule of pelican::lint::rules()".to_owned());
        return;
    };
    match &section.severity {
        Some(documented) if *documented == severity.to_string() => {}
        Some(documented) => mismatch(format!(
            "severity: expected (documented) `{documented}`, got `{severity}` from rules()"
        )),
        None => mismatch("no `Severity:` line".to_owned()),
    }
    if section.bad.len() != 1 || section.safe.len() != 1 {
        mismatch(format!(
            "expected one `bad` and one `safe` example, got {} and {}",
            section.bad.len(),
            section.safe.len()
        ));
    }
    let not_reported = NOT_REPORTED
        .iter()
        .find(|(name, _)| *name == rule)
        .map(|(_, reason)| *reason);
    match (&section.message, not_reported) {
        (None, _) => mismatch("no `Message:` line".to_owned()),
        (Some(Message::NotReported), None) => mismatch(
            "`Message: not reported`, but the rule is not in the test's NOT_REPORTED list"
                .to_owned(),
        ),
        (Some(Message::Text(_)), Some(reason)) => mismatch(format!(
            "expected `Message: not reported` (NOT_REPORTED: {reason}), got a message"
        )),
        _ => {}
    }
    if section.ignore.is_none() {
        mismatch("no `Ignore:` line".to_owned());
    }

    if let Some(bad) = section.bad.first() {
        let (name, text) = migration_file(bad);
        match lint_file(&name, &text) {
            Err(error) => mismatch(format!(
                "bad example (line {}) is not a migration file: {error}",
                bad.line
            )),
            Ok(findings) if not_reported.is_some() => {
                if findings.iter().any(|f| f.rule == rule) {
                    mismatch(format!(
                        "bad example (line {}): expected `{rule}` unreported ({}), got {}: \
                         document its message and take it off NOT_REPORTED",
                        bad.line,
                        not_reported.unwrap_or_default(),
                        listed(&findings)
                    ));
                }
            }
            Ok(findings) => {
                let own: Vec<&Finding> = findings.iter().filter(|f| f.rule == rule).collect();
                if own.is_empty() {
                    mismatch(format!(
                        "bad example (line {}): expected `{rule}`, got {}",
                        bad.line,
                        listed(&findings)
                    ));
                }
                for finding in &own {
                    if let Some(Message::Text(message)) = section.message.as_ref() {
                        if finding.message != *message {
                            mismatch(format!(
                                "bad example (line {}): expected message\n        {message}\n    got\n        {}",
                                bad.line, finding.message
                            ));
                        }
                    }
                    if finding.severity != severity {
                        mismatch(format!(
                            "bad example (line {}): expected severity `{severity}`, got `{}`",
                            bad.line, finding.severity
                        ));
                    }
                }
                if let (Some(first), Some(ignore)) = (own.first(), &section.ignore) {
                    check_ignore(rule, bad, &text, first.line, ignore, &mut mismatch);
                }
            }
        }
    }

    if let Some(safe) = section.safe.first() {
        let (name, text) = migration_file(safe);
        match lint_file(&name, &text) {
            Err(error) => mismatch(format!(
                "safe example (line {}) is not a migration file: {error}",
                safe.line
            )),
            Ok(findings) => {
                let wrong: Vec<Finding> = findings
                    .into_iter()
                    .filter(|f| f.rule == rule || f.severity == Severity::Error)
                    .collect();
                if !wrong.is_empty() {
                    mismatch(format!(
                        "safe example (line {}): expected neither `{rule}` nor any error, got {}",
                        safe.line,
                        listed(&wrong)
                    ));
                }
            }
        }
    }
}

/// Checks the section's `Ignore:` line against the bad example: its comment, put before the
/// statement of the finding on file line `line`, silences the rule and is itself reported
/// for nothing; or, where the reference says a comment can't ignore the rule, a comment
/// doesn't.
fn check_ignore(
    rule: &str,
    bad: &Example,
    text: &str,
    line: usize,
    ignore: &Ignore,
    mismatch: &mut impl FnMut(String),
) {
    if bad.language == Language::Rust {
        // A Rust migration has no SQL comment to carry an ignore; its section says so, and
        // there is nothing to put a comment before.
        return;
    }
    let name = format!("{REVISION}_rule.sql");
    match ignore {
        Ignore::Comment(comment) => {
            let expected = format!("{IGNORE_PREFIX}{rule} -- ");
            if !comment.starts_with(&expected) || comment.len() == expected.len() {
                mismatch(format!(
                    "ignore: expected `{expected}<reason>`, got `{comment}`"
                ));
                return;
            }
            let ignored = with_comment_before(text, line, comment);
            match lint_file(&name, &ignored) {
                Err(error) => mismatch(format!("ignore: the bad example with it: {error}")),
                Ok(findings) => {
                    let wrong: Vec<Finding> = findings
                        .into_iter()
                        .filter(|f| {
                            f.rule == rule
                                || f.rule == "unused-lint-ignore"
                                || f.rule == "lint-ignore-without-reason"
                        })
                        .collect();
                    if !wrong.is_empty() {
                        mismatch(format!(
                            "ignore: the bad example with `{comment}` before its statement: \
                             expected `{rule}` silenced, got {}",
                            listed(&wrong)
                        ));
                    }
                }
            }
        }
        Ignore::NotByComment => {
            let comment = format!("{IGNORE_PREFIX}{rule} -- checked by tests/lint_rules.rs");
            let ignored = with_comment_before(text, line, &comment);
            match lint_file(&name, &ignored) {
                Err(error) => mismatch(format!("ignore: the bad example with it: {error}")),
                Ok(findings) => {
                    if !findings.iter().any(|f| f.rule == rule) {
                        mismatch(format!(
                            "ignore: documented as `not by a comment`, but `{comment}` silences it"
                        ));
                    }
                }
            }
        }
    }
}

#[test]
fn every_rule_has_a_checked_section_in_the_reference() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(REFERENCE);
    let reference = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let known: BTreeMap<String, Severity> = rules()
        .into_iter()
        .map(|rule| (rule.name, rule.severity))
        .collect();
    let sections = sections(&reference);
    let mut mismatches = Vec::new();

    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for section in &sections {
        *count.entry(section.rule.as_str()).or_default() += 1;
    }
    for rule in known.keys() {
        match count.get(rule.as_str()) {
            None => mismatches.push(format!(
                "`{rule}`: expected a section `### `{rule}`` in {REFERENCE}, got none"
            )),
            Some(1) => {}
            Some(n) => mismatches.push(format!(
                "`{rule}`: expected one section in {REFERENCE}, got {n}"
            )),
        }
    }
    for section in &sections {
        check_section(section, known.get(&section.rule).copied(), &mut mismatches);
    }

    assert!(
        mismatches.is_empty(),
        "{} mismatch(es) between {REFERENCE} and the linter:\n\n{}\n",
        mismatches.len(),
        mismatches.join("\n\n")
    );
    // A sanity check on the parser itself, so that a reference it can't read fails loudly
    // rather than passing with nothing checked.
    assert_eq!(sections.len(), known.len());
}

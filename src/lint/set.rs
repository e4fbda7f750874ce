//! A migration set linted: each revision in its own context, shared among the cores.

use super::ignore::rules_and_reason;
use super::sql::lint_section;
use super::{Finding, RevisionContext, Severity};
use crate::migration::Body;
use crate::migration::{MigrationSet, SetEntry};

/// Lints every revision of `set`, both sections of SQL ones, each in its revision's context;
/// a Rust migration is a note (it can't be read). Findings come in the set's order. The
/// revisions are shared among the machine's cores.
pub fn lint_migrations(set: &MigrationSet) -> Vec<Finding> {
    lint_entries(&set.entries().iter().collect::<Vec<_>>(), None)
}

/// Like [`lint_migrations`], for the revisions of `set` named in `revisions` only (those
/// about to run, say): the others are not read.
pub fn lint_revisions(set: &MigrationSet, revisions: &[String]) -> Vec<Finding> {
    let entries: Vec<&SetEntry> = set
        .entries()
        .iter()
        .filter(|entry| {
            revisions
                .iter()
                .any(|r| r == entry.revision().id().as_str())
        })
        .collect();
    lint_entries(&entries, None)
}

/// The findings of `entries`, in their order, shared among the machine's cores, for a server
/// of `postgres_version` when known.
pub(super) fn lint_entries(
    entries: &[&SetEntry],
    postgres_version: Option<(u32, u32)>,
) -> Vec<Finding> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(entries.len().div_ceil(64).max(1));
    let chunk = entries.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = entries
            .chunks(chunk)
            .map(|entries| {
                scope.spawn(move || {
                    entries
                        .iter()
                        .flat_map(|e| lint_entry(e, postgres_version))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().expect("a lint worker panicked"))
            .collect()
    })
}

/// The findings of one revision.
fn lint_entry(entry: &SetEntry, postgres_version: Option<(u32, u32)>) -> Vec<Finding> {
    let mut findings = Vec::new();
    let revision = entry.revision();
    let context = RevisionContext {
        downgrade: false,
        revision: Some(revision.id().to_string()),
        transactional: revision.is_transactional(),
        lock_timeout: revision.lock_timeout().is_some(),
        statement_timeout: revision.statement_timeout().is_some(),
        postgres_version,
        ..RevisionContext::default()
    };
    match entry.body() {
        Body::Sql { up, down } => {
            let (up_findings, created) =
                lint_section(entry.file_name(), up.sql(), up.first_line(), &context, None);
            findings.extend(up_findings);
            if let Some(down) = down {
                let context = RevisionContext {
                    downgrade: true,
                    ..context.clone()
                };
                let (down_findings, _) = lint_section(
                    entry.file_name(),
                    down.sql(),
                    down.first_line(),
                    &context,
                    Some(&created),
                );
                findings.extend(down_findings);
            }
        }
        Body::Rust(_) | Body::RustNotCompiled => findings.push(Finding {
            revision: context.revision.clone(),
            file: entry.file_name().to_owned(),
            line: 1,
            column: 1,
            rule: "rust-migration".to_owned(),
            severity: Severity::Note,
            message: "a Rust migration: not inspected".to_owned(),
            help: Some("review what its up and down send by hand".to_owned()),
            excerpt: String::new(),
            table: None,
        }),
    }
    match revision.lint_ignore() {
        Some((text, line)) => header_ignore(entry, text, line, findings),
        None => findings,
    }
}

/// `findings` less the rules the header's `lint-ignore:` names, plus what is wrong with that
/// ignore (no reason, or nothing silenced).
fn header_ignore(
    entry: &SetEntry,
    text: &str,
    line: usize,
    findings: Vec<Finding>,
) -> Vec<Finding> {
    let (rules, reason) = rules_and_reason(text);
    let before = findings.len();
    let mut findings: Vec<Finding> = findings
        .into_iter()
        .filter(|f| !rules.contains(&f.rule))
        .collect();
    let silenced = before - findings.len();
    let report = |rule: &str, severity, message: String, help: &str| Finding {
        revision: Some(entry.revision().id().to_string()),
        file: entry.file_name().to_owned(),
        line,
        column: 1,
        rule: rule.to_owned(),
        severity,
        message,
        help: Some(help.to_owned()),
        excerpt: format!("-- lint-ignore: {text}"),
        table: None,
    };
    if reason.is_none() {
        findings.push(report(
            "lint-ignore-without-reason",
            Severity::Error,
            "an ignore without a reason".to_owned(),
            "say why after ` -- `: `-- lint-ignore: <rule> -- the table holds 20 rows`",
        ));
    }
    if silenced == 0 {
        findings.push(report(
            "unused-lint-ignore",
            Severity::Warning,
            format!(
                "this ignore silences nothing in the file ({})",
                rules.join(", ")
            ),
            "remove it, or check the rule's name",
        ));
    }
    findings.sort_by_key(|f| f.line);
    findings
}

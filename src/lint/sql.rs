//! One SQL text linted: squawk's rules in the revision's context, then pelican's ignores.

use squawk_linter::{Linter, Rule};
use squawk_syntax::ast::AstNode;
use squawk_syntax::SourceFile;

use super::objects::{acted_on, concurrently, created, Object};
use super::own::{self, Raw};
use super::rules::{rule_set, severity};
use super::{ignore, Finding, RevisionContext, Severity};

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Lints one SQL text (a section of a migration file, or a whole `.sql` file) whose first
/// line is line `first_line` of `file`.
pub fn lint_sql(
    file: &str,
    sql: &str,
    first_line: usize,
    context: &RevisionContext,
) -> Vec<Finding> {
    let upgrade_created = match (context.downgrade, &context.upgrade_sql) {
        (true, Some(upgrade)) => Some(
            SourceFile::parse(upgrade)
                .tree()
                .stmts()
                .flat_map(|s| created(&s))
                .collect::<Vec<_>>(),
        ),
        _ => None,
    };
    lint_section(file, sql, first_line, context, upgrade_created.as_deref()).0
}

/// [`lint_sql`] with what the upgrade created already known (for a downgrade); also returns
/// what `sql` creates, for its downgrade.
pub(super) fn lint_section(
    file: &str,
    sql: &str,
    first_line: usize,
    context: &RevisionContext,
    upgrade_created: Option<&[Object]>,
) -> (Vec<Finding>, Vec<Object>) {
    let parse = SourceFile::parse(sql);
    let at = |offset: usize| {
        let offset = offset.min(sql.len());
        let (line, column) = line_column(sql, offset);
        let line_start = sql[..offset].rfind('\n').map_or(0, |i| i + 1);
        let excerpt = sql[line_start..]
            .lines()
            .next()
            .unwrap_or("")
            .trim()
            .to_owned();
        (line + first_line - 1, column, excerpt)
    };
    let tree = parse.tree();
    let mut raws: Vec<Raw> = parse
        .errors()
        .into_iter()
        .take(1)
        .map(|error| Raw {
            offset: usize::from(error.range().start()),
            rule: "syntax-error".to_owned(),
            severity: Severity::Error,
            message: error.message().to_owned(),
            help: Some("PostgreSQL will refuse this statement; fix the SQL".to_owned()),
        })
        .collect();
    let mut linter = Linter::from(rule_set(context.downgrade).iter().copied());
    linter.settings.assume_in_transaction = context.transactional;
    if let Some((major, minor)) = context.postgres_version {
        if let Ok(version) = format!("{major}.{minor}").parse() {
            linter.settings.pg_version = version;
        }
    }
    for violation in linter.lint(&parse, sql) {
        let satisfied_by_header = (violation.code == Rule::RequireLockTimeout
            && context.lock_timeout)
            || (violation.code == Rule::RequireStatementTimeout && context.statement_timeout);
        if satisfied_by_header {
            continue;
        }
        raws.push(Raw {
            offset: usize::from(violation.text_range.start()),
            rule: violation.code.to_string(),
            severity: severity(violation.code),
            message: violation.message,
            help: violation.help,
        });
    }
    // pelican runs a transactional revision's section in one transaction, even a single
    // statement (squawk assumes a lone statement runs alone).
    if context.transactional {
        for statement in tree.stmts() {
            let range = statement.syntax().text_range();
            let reported = raws.iter().any(|r| {
                r.rule == "ban-concurrent-index-creation-in-transaction"
                    && range.contains_inclusive((r.offset as u32).into())
            });
            if reported {
                continue;
            }
            if let Some(token) = concurrently(&statement) {
                raws.push(Raw {
                    offset: usize::from(token.text_range().start()),
                    rule: "ban-concurrent-index-creation-in-transaction".to_owned(),
                    severity: Severity::Error,
                    message: "`CONCURRENTLY` can't run inside a transaction, and this revision \
                              runs in one"
                        .to_owned(),
                    help: Some(
                        "put the statement in a revision of its own with `transaction: false` \
                         in its header (see docs/operations.md)"
                            .to_owned(),
                    ),
                });
            }
        }
    }
    let (own_findings, created_here) = own::check(&tree, context, upgrade_created);
    raws.extend(own_findings);
    let statements: Vec<(std::ops::Range<usize>, Option<String>)> = tree
        .stmts()
        .map(|statement| {
            let range = statement.syntax().text_range();
            (
                usize::from(range.start())..usize::from(range.end()),
                acted_on(&statement),
            )
        })
        .collect();
    let ranges: Vec<_> = statements.iter().map(|(range, _)| range.clone()).collect();
    // An exclusion constraint can't be added `NOT VALID`: squawk's advice doesn't apply.
    let in_statement = |offset: usize| ranges.iter().find(|range| range.contains(&offset));
    let exclusions: Vec<_> = raws
        .iter()
        .filter(|raw| raw.rule == "adding-exclusion-constraint")
        .filter_map(|raw| in_statement(raw.offset).cloned())
        .collect();
    raws.retain(|raw| {
        raw.rule != "constraint-missing-not-valid"
            || !in_statement(raw.offset).is_some_and(|range| exclusions.contains(range))
    });
    let (mut ignores, malformed) = ignore::read(sql, &ranges);
    raws.retain(|raw| !ignore::silenced(&mut ignores, &raw.rule, raw.offset));
    let help = |text: &str| Some(text.to_owned());
    for bad in malformed {
        raws.push(Raw {
            offset: bad.at,
            rule: "malformed-lint-ignore".to_owned(),
            severity: Severity::Error,
            message: format!("`{}` is not an ignore pelican can read", bad.text),
            help: help("write `-- pelican-lint: ignore <rule> -- <reason>`"),
        });
    }
    for ignore in &ignores {
        if ignore.reason.is_none() {
            raws.push(Raw {
                offset: ignore.at,
                rule: "lint-ignore-without-reason".to_owned(),
                severity: Severity::Error,
                message: "an ignore without a reason".to_owned(),
                help: help(
                    "say why after ` -- `: `-- pelican-lint: ignore <rule> -- the table holds 20 rows`",
                ),
            });
        }
        if !ignore.used {
            raws.push(Raw {
                offset: ignore.at,
                rule: "unused-lint-ignore".to_owned(),
                severity: Severity::Warning,
                message: format!("this ignore silences nothing ({})", ignore.rules.join(", ")),
                help: help("remove it, or check the rule's name and that the statement follows it"),
            });
        }
    }
    let mut findings: Vec<Finding> = raws
        .into_iter()
        .map(|raw| {
            let (line, column, excerpt) = at(raw.offset);
            let table = statements
                .iter()
                .find(|(range, _)| range.contains(&raw.offset))
                .and_then(|(_, table)| table.clone());
            Finding {
                revision: context.revision.clone(),
                file: file.to_owned(),
                line,
                column,
                rule: raw.rule,
                severity: raw.severity,
                message: raw.message,
                help: raw.help,
                excerpt,
                table,
            }
        })
        .collect();
    findings.sort_by(|a, b| (a.line, a.column, &a.rule).cmp(&(b.line, b.column, &b.rule)));
    (findings, created_here)
}

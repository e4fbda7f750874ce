//! One SQL text linted: squawk's rules in the revision's context, then pelican's ignores.

use squawk_linter::{Linter, Rule};
use squawk_syntax::{ast, SourceFile};

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
    let mut findings: Vec<(usize, Finding)> = parse
        .errors()
        .into_iter()
        .take(1)
        .map(|error| {
            let offset = usize::from(error.range().start());
            let (line, column, excerpt) = at(offset);
            (
                offset,
                Finding {
                    revision: context.revision.clone(),
                    file: file.to_owned(),
                    line,
                    column,
                    rule: "syntax-error".to_owned(),
                    severity: Severity::Error,
                    message: error.message().to_owned(),
                    help: Some("PostgreSQL will refuse this statement; fix the SQL".to_owned()),
                    excerpt,
                },
            )
        })
        .collect();
    let mut linter = Linter::from(rule_set(context.downgrade).iter().copied());
    linter.settings.assume_in_transaction = context.transactional;
    for violation in linter.lint(&parse, sql) {
        let satisfied_by_header = (violation.code == Rule::RequireLockTimeout
            && context.lock_timeout)
            || (violation.code == Rule::RequireStatementTimeout && context.statement_timeout);
        if satisfied_by_header {
            continue;
        }
        let offset = usize::from(violation.text_range.start());
        let (line, column, excerpt) = at(offset);
        findings.push((
            offset,
            Finding {
                revision: context.revision.clone(),
                file: file.to_owned(),
                line,
                column,
                rule: violation.code.to_string(),
                severity: severity(violation.code),
                message: violation.message,
                help: violation.help,
                excerpt,
            },
        ));
    }
    // pelican runs a transactional revision's section in one transaction, even a single
    // statement (squawk assumes a lone statement runs alone).
    let reported = findings
        .iter()
        .any(|(_, f)| f.rule == "ban-concurrent-index-creation-in-transaction");
    if context.transactional && !reported {
        for statement in parse.tree().stmts() {
            let concurrently = match &statement {
                ast::Stmt::CreateIndex(index) => index.concurrently_token(),
                ast::Stmt::DropIndex(index) => index.concurrently_token(),
                _ => None,
            };
            if let Some(token) = concurrently {
                let offset = usize::from(token.text_range().start());
                let (line, column, excerpt) = at(offset);
                findings.push((
                    offset,
                    Finding {
                        revision: context.revision.clone(),
                        file: file.to_owned(),
                        line,
                        column,
                        rule: "ban-concurrent-index-creation-in-transaction".to_owned(),
                        severity: Severity::Error,
                        message:
                            "`CONCURRENTLY` can't run inside a transaction, and this revision \
                              runs in one"
                                .to_owned(),
                        help: Some(
                            "put the statement in a revision of its own with `transaction: false` \
                         in its header (see docs/operations.md)"
                                .to_owned(),
                        ),
                        excerpt,
                    },
                ));
            }
        }
    }
    let statements: Vec<std::ops::Range<usize>> = parse
        .tree()
        .stmts()
        .map(|statement| {
            let range = squawk_syntax::ast::AstNode::syntax(&statement).text_range();
            usize::from(range.start())..usize::from(range.end())
        })
        .collect();
    let (mut ignores, malformed) = ignore::read(sql, &statements);
    let mut findings: Vec<Finding> = findings
        .into_iter()
        .filter(|(offset, finding)| !ignore::silenced(&mut ignores, &finding.rule, *offset))
        .map(|(_, finding)| finding)
        .collect();
    let finding = |offset: usize, rule: &str, severity, message: String, help: &str| {
        let (line, column, excerpt) = at(offset);
        Finding {
            revision: context.revision.clone(),
            file: file.to_owned(),
            line,
            column,
            rule: rule.to_owned(),
            severity,
            message,
            help: Some(help.to_owned()),
            excerpt,
        }
    };
    for bad in malformed {
        findings.push(finding(
            bad.at,
            "malformed-lint-ignore",
            Severity::Error,
            format!("`{}` is not an ignore pelican can read", bad.text),
            "write `-- pelican-lint: ignore <rule> -- <reason>`",
        ));
    }
    for ignore in &ignores {
        if ignore.reason.is_none() {
            findings.push(finding(
                ignore.at,
                "lint-ignore-without-reason",
                Severity::Error,
                "an ignore without a reason".to_owned(),
                "say why after ` -- `: `-- pelican-lint: ignore <rule> -- the table holds 20 rows`",
            ));
        }
        if !ignore.used {
            findings.push(finding(
                ignore.at,
                "unused-lint-ignore",
                Severity::Warning,
                format!("this ignore silences nothing ({})", ignore.rules.join(", ")),
                "remove it, or check the rule's name and that the statement follows it",
            ));
        }
    }
    findings.sort_by(|a, b| (a.line, a.column, &a.rule).cmp(&(b.line, b.column, &b.rule)));
    findings
}

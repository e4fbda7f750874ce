//! The linter (feature `lint`): dangerous DDL found before it runs, in the context of each
//! revision. squawk's parser and rules do the reading (`squawk-linter`, squawk's rule names);
//! pelican adds what only it knows of a revision:
//!
//! * whether it runs in a transaction (`transaction: false` in its header): `CONCURRENTLY`
//!   inside a transactional revision is an error, outside one it is what is asked for;
//! * its header's `lock-timeout` and `statement-timeout`, which satisfy
//!   `require-timeout-settings` as a `SET` would;
//! * that a Rust migration can't be read (reported as a note, never skipped silently).
//!
//! ```
//! use pelican::lint::{lint_sql, RevisionContext, Severity};
//!
//! let findings = lint_sql(
//!     "migrations/a1_index.sql",
//!     "CREATE INDEX tasks_owner ON tasks (owner);",
//!     1,
//!     &RevisionContext::default(),
//! );
//! let rule: Vec<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
//! assert!(rule.contains(&"require-concurrent-index-creation"));
//! assert_eq!(findings[0].line, 1);
//! assert_eq!(findings[0].severity, Severity::Error);
//! ```

mod ignore;

use std::fmt;

use squawk_linter::{Linter, Rule};
use squawk_syntax::{ast, SourceFile};

use crate::migration::Body;
use crate::migration::{MigrationSet, SetEntry};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Locks, rewrites or loses data on a live database, or can't run: fix it, or ignore it
    /// with a reason.
    Error,
    /// A choice that tends to hurt later (types, robustness).
    Warning,
    /// Worth knowing; nothing to fix.
    Note,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        })
    }
}

/// One finding: where, which rule, why, and what to do instead.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Finding {
    /// The revision, when the file is one.
    pub revision: Option<String>,
    /// The file.
    pub file: String,
    /// 1-based line in the file.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// The rule's name (squawk's, where squawk has the rule): `require-concurrent-index-creation`.
    pub rule: String,
    /// How serious.
    pub severity: Severity,
    /// Why it is dangerous.
    pub message: String,
    /// What to do instead, when there is a recipe.
    pub help: Option<String>,
    /// The first line of the statement, as written.
    pub excerpt: String,
}

impl fmt::Display for Finding {
    /// rustc's shape: `error[rule]: message`, then where, the excerpt and the recipe.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}[{}]: {}", self.severity, self.rule, self.message)?;
        write!(f, "  --> {}:{}:{}", self.file, self.line, self.column)?;
        if let Some(revision) = &self.revision {
            write!(f, " (revision {revision})")?;
        }
        writeln!(f)?;
        if !self.excerpt.is_empty() {
            writeln!(f, "   |  {}", self.excerpt)?;
        }
        if let Some(help) = &self.help {
            writeln!(f, "   = help: {help}")?;
        }
        Ok(())
    }
}

/// The rules pelican itself reports, beside squawk's.
const OWN_RULES: [&str; 5] = [
    "syntax-error",
    "rust-migration",
    "malformed-lint-ignore",
    "lint-ignore-without-reason",
    "unused-lint-ignore",
];

/// Whether `name` is a rule this linter can report.
pub fn is_rule(name: &str) -> bool {
    OWN_RULES.contains(&name) || Rule::try_from(name).is_ok()
}

/// Project-wide choices (`[lint]` in `pelican.toml`): rules turned off, severities changed.
///
/// ```
/// use pelican::lint::{lint_sql, LintOptions, RevisionContext, Severity};
///
/// let options = LintOptions::default()
///     .disable("prefer-bigint-over-int")
///     .severity("ban-drop-column", Severity::Warning);
/// let findings = options.apply(lint_sql(
///     "m.sql",
///     "ALTER TABLE t DROP COLUMN c; CREATE TABLE u (id int);",
///     1,
///     &RevisionContext::default(),
/// ));
/// assert!(findings.iter().all(|f| f.rule != "prefer-bigint-over-int"));
/// let drop = findings.iter().find(|f| f.rule == "ban-drop-column").unwrap();
/// assert_eq!(drop.severity, Severity::Warning);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LintOptions {
    /// Rules not reported.
    pub disabled: std::collections::BTreeSet<String>,
    /// Rules reported at another severity than their own.
    pub severities: std::collections::BTreeMap<String, Severity>,
}

impl LintOptions {
    /// Turns a rule off.
    pub fn disable(mut self, rule: impl Into<String>) -> Self {
        self.disabled.insert(rule.into());
        self
    }

    /// Reports a rule at `severity`.
    pub fn severity(mut self, rule: impl Into<String>, severity: Severity) -> Self {
        self.severities.insert(rule.into(), severity);
        self
    }

    /// `findings` with the disabled rules left out and the severities changed.
    pub fn apply(&self, findings: Vec<Finding>) -> Vec<Finding> {
        findings
            .into_iter()
            .filter(|f| !self.disabled.contains(&f.rule))
            .map(|mut f| {
                if let Some(severity) = self.severities.get(&f.rule) {
                    f.severity = *severity;
                }
                f
            })
            .collect()
    }
}

/// What pelican knows of the revision a text belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RevisionContext {
    /// Whether the text is a downgrade, which is expected to drop what its upgrade created
    /// (`ban-drop-table`, `ban-drop-column` and the like are not reported there).
    pub downgrade: bool,
    /// The revision, for the findings.
    pub revision: Option<String>,
    /// Whether it runs in one transaction (the default; `transaction: false` otherwise).
    pub transactional: bool,
    /// Whether its header sets `lock-timeout`.
    pub lock_timeout: bool,
    /// Whether its header sets `statement-timeout`.
    pub statement_timeout: bool,
}

impl Default for RevisionContext {
    fn default() -> Self {
        RevisionContext {
            downgrade: false,
            revision: None,
            transactional: true,
            lock_timeout: false,
            statement_timeout: false,
        }
    }
}

/// The severity of a rule: what locks, rewrites, loses data or can't run is an error; type
/// and style advice is a warning.
fn severity(rule: Rule) -> Severity {
    match rule {
        Rule::PreferBigintOverInt
        | Rule::PreferBigintOverSmallint
        | Rule::PreferIdentity
        | Rule::PreferTextField
        | Rule::PreferTimestampTz
        | Rule::PreferRobustStmts
        | Rule::BanCharField
        | Rule::IdentifierTooLong
        | Rule::RequireTableSchema
        // Satisfied by a `SET`, by the revision's header, or by the migrator's own timeouts,
        // which a file doesn't show.
        | Rule::RequireLockTimeout
        | Rule::RequireStatementTimeout => Severity::Warning,
        _ => Severity::Error,
    }
}

/// The rules a section is linted with, computed once per process: squawk's defaults, less the
/// drops for a downgrade (which is expected to drop what its upgrade created).
fn rule_set(downgrade: bool) -> &'static [Rule] {
    static UPGRADE: std::sync::OnceLock<Vec<Rule>> = std::sync::OnceLock::new();
    static DOWNGRADE: std::sync::OnceLock<Vec<Rule>> = std::sync::OnceLock::new();
    let defaults = || {
        let mut rules: Vec<Rule> = Linter::with_default_rules().rules.into_iter().collect();
        // Sorted, so that the order findings are made in never depends on a hash.
        rules.sort_by_key(|rule| rule.to_string());
        rules
    };
    if downgrade {
        DOWNGRADE.get_or_init(|| {
            let drops = [
                Rule::BanDropTable,
                Rule::BanDropColumn,
                Rule::BanDropNotNull,
                Rule::BanDropDatabase,
            ];
            defaults()
                .into_iter()
                .filter(|rule| !drops.contains(rule))
                .collect()
        })
    } else {
        UPGRADE.get_or_init(defaults)
    }
}

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

/// Lints every revision of `set`, both sections of SQL ones, each in its revision's context;
/// a Rust migration is a note (it can't be read). Findings come in the set's order. The
/// revisions are shared among the machine's cores.
pub fn lint_migrations(set: &MigrationSet) -> Vec<Finding> {
    lint_entries(&set.entries().iter().collect::<Vec<_>>())
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
    lint_entries(&entries)
}

/// The findings of `entries`, in their order, shared among the machine's cores.
fn lint_entries(entries: &[&SetEntry]) -> Vec<Finding> {
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
                        .flat_map(|e| lint_entry(e))
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
fn lint_entry(entry: &SetEntry) -> Vec<Finding> {
    let mut findings = Vec::new();
    let revision = entry.revision();
    let context = RevisionContext {
        downgrade: false,
        revision: Some(revision.id().to_string()),
        transactional: revision.is_transactional(),
        lock_timeout: revision.lock_timeout().is_some(),
        statement_timeout: revision.statement_timeout().is_some(),
    };
    match entry.body() {
        Body::Sql { up, down } => {
            let sections = [(Some(up), false), (down.as_ref(), true)];
            for (section, downgrade) in sections {
                let Some(section) = section else { continue };
                let context = RevisionContext {
                    downgrade,
                    ..context.clone()
                };
                findings.extend(lint_sql(
                    entry.file_name(),
                    section.sql(),
                    section.first_line(),
                    &context,
                ));
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
        }),
    }
    findings
}

#[cfg(test)]
mod tests;

/// The examples of `docs/lint.md`, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/lint.md")]
pub struct LintGuide;

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
mod objects;
mod own;
mod rules;
mod set;
mod sql;
mod tables;

pub use rules::{is_rule, rules, RuleInfo};
pub use set::{lint_migrations, lint_revisions};
pub use sql::lint_sql;
pub use tables::{human_bytes, parse_size, TableSize, Tables, SMALL_TABLE_BYTES};

use std::fmt;

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
    /// The table the statement acts on (an index's table, the table altered), when it acts
    /// on one: what a table's size in a database is looked up by.
    pub table: Option<String>,
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
    /// The production server's version (major, minor), for the rules that depend on it.
    pub postgres_version: Option<(u32, u32)>,
    /// Migration files not linted: patterns over the file name (or its path in the
    /// migrations directory), `*` any run of characters, `?` one (`0001_*.sql`: the history
    /// written before the linter).
    pub exclude: Vec<String>,
    /// Below this size a table's lock or rewrite is a note, when linting against a database
    /// ([`SMALL_TABLE_BYTES`] when not set).
    pub small_table_bytes: Option<u64>,
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

    /// Lints the server of `version` (major, minor).
    pub fn postgres_version(mut self, major: u32, minor: u32) -> Self {
        self.postgres_version = Some((major, minor));
        self
    }

    /// Leaves the files whose name matches `pattern` out.
    pub fn exclude(mut self, pattern: impl Into<String>) -> Self {
        self.exclude.push(pattern.into());
        self
    }

    /// Whether `file_name` is left out by an `exclude` pattern.
    pub fn excludes(&self, file_name: &str) -> bool {
        let base_name = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
        self.exclude.iter().any(|pattern| {
            wildcard_match(pattern.as_bytes(), file_name.as_bytes())
                || wildcard_match(pattern.as_bytes(), base_name.as_bytes())
        })
    }

    /// Lints the revisions of `set` (those named in `only`, when given) that no `exclude`
    /// pattern leaves out, for the configured server version, and [applies](Self::apply) the
    /// rule choices.
    ///
    /// ```
    /// use pelican::lint::LintOptions;
    /// use pelican::MigrationSet;
    ///
    /// let set = MigrationSet::new(Vec::new()).unwrap();
    /// let options = LintOptions::default().postgres_version(14, 2).exclude("0001_*.sql");
    /// assert!(options.lint(&set, None).is_empty());
    /// assert!(options.excludes("0001_init.sql"));
    /// ```
    pub fn lint(
        &self,
        set: &crate::migration::MigrationSet,
        only: Option<&[String]>,
    ) -> Vec<Finding> {
        let entries: Vec<_> = set
            .entries()
            .iter()
            .filter(|entry| !self.excludes(entry.file_name()))
            .filter(|entry| {
                only.is_none_or(|only| only.iter().any(|r| r == entry.revision().id().as_str()))
            })
            .collect();
        self.apply(set::lint_entries(&entries, self.postgres_version))
    }

    /// Lints one migration file read on its own (its parents need not be at hand); a file
    /// named explicitly is linted even when an `exclude` pattern matches it.
    pub fn lint_entry(&self, entry: &crate::migration::SetEntry) -> Vec<Finding> {
        self.apply(set::lint_entries(&[entry], self.postgres_version))
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

/// Whether `text` matches `pattern`, where `*` stands for any run of characters and `?` for
/// one.
fn wildcard_match(pattern: &[u8], text: &[u8]) -> bool {
    match (pattern.split_first(), text.split_first()) {
        (None, None) => true,
        (Some((b'*', rest)), _) => {
            wildcard_match(rest, text) || (!text.is_empty() && wildcard_match(pattern, &text[1..]))
        }
        (Some((b'?', rest)), Some((_, text_rest))) => wildcard_match(rest, text_rest),
        (Some((p, rest)), Some((t, text_rest))) => p == t && wildcard_match(rest, text_rest),
        _ => false,
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
    /// The server's version (major, minor) when known (`[lint] postgres` in `pelican.toml`,
    /// or the database linted against).
    pub postgres_version: Option<(u32, u32)>,
    /// For a downgrade, the SQL of its upgrade: drops of objects the upgrade didn't create
    /// are reported (`downgrade-drops-unrelated-object`).
    pub upgrade_sql: Option<std::sync::Arc<str>>,
}

impl Default for RevisionContext {
    fn default() -> Self {
        RevisionContext {
            downgrade: false,
            revision: None,
            transactional: true,
            lock_timeout: false,
            statement_timeout: false,
            postgres_version: None,
            upgrade_sql: None,
        }
    }
}

#[cfg(test)]
mod tests;

/// The examples of `docs/lint.md`, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/lint.md")]
pub struct LintGuide;

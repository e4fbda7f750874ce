//! The rules this linter can report: squawk's default set (with squawk's names) and
//! pelican's own, each with its severity.

use squawk_linter::{Linter, Rule};

use super::own;
use super::Severity;

/// The rules pelican itself reports, beside squawk's.
pub(super) const OWN_RULES: [&str; 5] = [
    "syntax-error",
    "rust-migration",
    "malformed-lint-ignore",
    "lint-ignore-without-reason",
    "unused-lint-ignore",
];

/// Whether `name` is a rule this linter can report.
pub fn is_rule(name: &str) -> bool {
    OWN_RULES.contains(&name)
        || own::RULES.iter().any(|(rule, _)| *rule == name)
        || Rule::try_from(name).is_ok()
}

/// The severity of a rule: what locks, rewrites, loses data or can't run is an error; type
/// and style advice is a warning.
pub(super) fn severity(rule: Rule) -> Severity {
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
pub(super) fn rule_set(downgrade: bool) -> &'static [Rule] {
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
            // A downgrade's drops are checked against what its upgrade created instead
            // (`downgrade-drops-unrelated-object`); a database is never a revision's own.
            defaults()
                .into_iter()
                .filter(|rule| {
                    *rule == Rule::BanDropDatabase || !rule.to_string().starts_with("ban-drop-")
                })
                .collect()
        })
    } else {
        UPGRADE.get_or_init(defaults)
    }
}

/// One rule: its name and the severity it is reported at unless `[lint.severity]` says
/// otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RuleInfo {
    /// The name, as findings, ignores and `[lint]` spell it.
    pub name: String,
    /// Its default severity.
    pub severity: Severity,
}

/// Every rule this linter can report, sorted by name.
///
/// ```
/// let rules = pelican::lint::rules();
/// assert!(rules.iter().any(|r| r.name == "require-concurrent-index-creation"));
/// assert!(rules.iter().any(|r| r.name == "rust-migration"));
/// ```
pub fn rules() -> Vec<RuleInfo> {
    let own = OWN_RULES.iter().map(|name| RuleInfo {
        name: (*name).to_owned(),
        severity: own_severity(name),
    });
    let squawk = rule_set(false).iter().map(|rule| RuleInfo {
        name: rule.to_string(),
        severity: severity(*rule),
    });
    let statement_rules = own::RULES.iter().map(|(name, severity)| RuleInfo {
        name: (*name).to_owned(),
        severity: *severity,
    });
    let mut all: Vec<RuleInfo> = own.chain(statement_rules).chain(squawk).collect();
    all.sort_by(|a, b| a.name.cmp(&b.name));
    all
}

/// The severity of one of pelican's own rules.
pub(super) fn own_severity(rule: &str) -> Severity {
    match rule {
        "rust-migration" => Severity::Note,
        "unused-lint-ignore" => Severity::Warning,
        _ => Severity::Error,
    }
}

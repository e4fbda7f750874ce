//! `lint [FILE...]`: the linter over the migrations directory (or the files given), in three
//! formats; exit 1 when an error is found.

use serde_json::json;

use super::args::{LintArgs, LintFormat, LintGate};
use super::error::CliError;
use super::Context;
use crate::lint::{lint_migrations, lint_revisions, lint_sql, Finding, RevisionContext, Severity};
use crate::migration::{MigrationSet, SetEntry};
use crate::source::parse_migration;

/// The findings of the files given: each read as a migration file (its header gives the
/// context), or else as plain SQL in a transaction.
fn lint_files(args: &LintArgs) -> Result<Vec<Finding>, CliError> {
    let mut findings = Vec::new();
    for path in &args.files {
        let bytes = std::fs::read(path).map_err(|error| CliError::Io {
            action: "read",
            path: path.clone(),
            error,
        })?;
        let name = path.display().to_string();
        match parse_migration(&name, &bytes) {
            Ok(file) => {
                let set = MigrationSet::new(vec![SetEntry::from_file(file)])?;
                findings.extend(lint_migrations(&set).into_iter().map(|mut finding| {
                    finding.file = name.clone();
                    finding
                }));
            }
            Err(_) => {
                let text = String::from_utf8_lossy(&bytes);
                findings.extend(lint_sql(&name, &text, 1, &RevisionContext::default()));
            }
        }
    }
    Ok(findings)
}

/// `lint`.
pub(super) fn lint(ctx: &mut Context, args: &LintArgs) -> Result<(), CliError> {
    let findings = if args.files.is_empty() {
        lint_migrations(&ctx.migrations()?)
    } else {
        lint_files(args)?
    };
    let findings = ctx.settings.lint.apply(findings);
    match args.format {
        LintFormat::Text => {
            for finding in &findings {
                ctx.out.print_raw(&format!("{finding}\n"));
            }
        }
        LintFormat::Json => {
            let list: Vec<_> = findings
                .iter()
                .map(|f| {
                    json!({
                        "revision": f.revision,
                        "file": f.file,
                        "line": f.line,
                        "column": f.column,
                        "rule": f.rule,
                        "severity": f.severity.to_string(),
                        "message": f.message,
                        "help": f.help,
                    })
                })
                .collect();
            ctx.out.print_json(&json!(list));
        }
        LintFormat::Github => {
            for f in &findings {
                let level = match f.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                    Severity::Note => "notice",
                };
                ctx.out.print(format!(
                    "::{level} file={},line={},col={},title={}::{}",
                    f.file,
                    f.line,
                    f.column,
                    f.rule,
                    f.message.replace('\n', " ")
                ));
            }
        }
    }
    let count = |severity| findings.iter().filter(|f| f.severity == severity).count();
    let errors = count(Severity::Error);
    ctx.out.say(format!(
        "{errors} error(s), {} warning(s), {} note(s)",
        count(Severity::Warning),
        count(Severity::Note)
    ));
    if errors > 0 {
        return Err(CliError::LintFailed { errors });
    }
    Ok(())
}

/// `upgrade --lint`: lints `revisions` (those about to run) and prints their findings on
/// stderr; with `deny`, an error refuses the run before anything runs.
pub(super) fn gate(
    ctx: &Context,
    set: &MigrationSet,
    revisions: &[String],
    gate: LintGate,
) -> Result<(), CliError> {
    let findings: Vec<Finding> = ctx
        .settings
        .lint
        .apply(lint_revisions(set, revisions))
        .into_iter()
        .filter(|f| f.severity != Severity::Note)
        .collect();
    for finding in &findings {
        ctx.out.warn(finding.to_string().trim_end());
    }
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    if gate == LintGate::Deny && errors > 0 {
        return Err(CliError::LintDenied { errors });
    }
    Ok(())
}

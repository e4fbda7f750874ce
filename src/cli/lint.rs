//! `lint [FILE...]`: the linter over the migrations directory (or the files given), in three
//! formats; exit 1 when an error is found.

use serde_json::json;

use super::args::{LintArgs, LintFormat, LintGate};
use super::error::CliError;
use super::Context;
use crate::lint::{lint_sql, Finding, LintOptions, RevisionContext, Severity};
use crate::migration::{MigrationSet, SetEntry};
use crate::source::parse_migration;

/// The findings of the files given: each read as a migration file (its header gives the
/// context), or else as plain SQL in a transaction.
fn lint_files(args: &LintArgs, options: &LintOptions) -> Result<Vec<Finding>, CliError> {
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
                let entry = SetEntry::from_file(file);
                findings.extend(options.lint_entry(&entry).into_iter().map(|mut finding| {
                    finding.file = name.clone();
                    finding
                }));
            }
            // A file that starts like a migration and doesn't parse is a mistake to show,
            // not plain SQL to lint without its header's context.
            Err(error) if looks_like_migration(&bytes) => {
                return Err(crate::Error::from(crate::source::SourceError::from(error)).into());
            }
            Err(_) => {
                let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes);
                let text = String::from_utf8_lossy(bytes);
                let context = RevisionContext {
                    postgres_version: options.postgres_version,
                    ..RevisionContext::default()
                };
                findings.extend(options.apply(lint_sql(&name, &text, 1, &context)));
            }
        }
    }
    Ok(findings)
}

/// Whether a file's first line is a `revision:` header line.
fn looks_like_migration(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    let first = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .lines()
        .next();
    first.is_some_and(|line| {
        let comment = line
            .trim_start_matches("//!")
            .trim_start_matches("--")
            .trim_start();
        comment.starts_with("revision:")
    })
}

/// The findings of the migrations directory: after `--since`, and with a database, only
/// the revisions still to run (unless `--all`), for its server version, weighed by its
/// table sizes.
async fn lint_directory(ctx: &Context, args: &LintArgs) -> Result<Vec<Finding>, CliError> {
    let set = ctx.migrations()?;
    let mut only: Option<Vec<String>> = None;
    if let Some(since) = &args.since {
        let graph = set.graph();
        let id = graph
            .lookup(since)
            .map_err(|error| crate::Error::from(crate::target::TargetError::from(error)))?;
        only = Some(
            graph
                .descendants(id.as_str())
                .iter()
                .map(|r| r.to_string())
                .collect(),
        );
    }
    if !ctx.has_database() {
        return Ok(ctx.settings.lint.lint(&set, only.as_deref()));
    }
    let client = ctx.connect().await?;
    if !args.all {
        let status = ctx.migrator(set.clone()).status(&client).await?;
        let pending: Vec<String> = status.pending.iter().map(|p| p.to_string()).collect();
        ctx.out.detail(format!(
            "linting the {} revision(s) still to run (--all lints every one)",
            pending.len()
        ));
        only = Some(match only {
            Some(since) => since.into_iter().filter(|r| pending.contains(r)).collect(),
            None => pending,
        });
    }
    let mut options = ctx.settings.lint.clone();
    options.postgres_version = Some(super::lint_database::server_version(&client).await?);
    let tables = super::lint_database::table_sizes(&client, &options).await?;
    Ok(tables.weigh(options.lint(&set, only.as_deref())))
}

/// `lint`.
pub(super) async fn lint(ctx: &mut Context, args: &LintArgs) -> Result<(), CliError> {
    let findings = if args.files.is_empty() {
        lint_directory(ctx, args).await?
    } else {
        lint_files(args, &ctx.settings.lint)?
    };
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
        .lint(set, Some(revisions))
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

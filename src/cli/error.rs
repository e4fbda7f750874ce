//! What can go wrong in a CLI command, and the exit status each failure gives.

use std::io;
use std::path::PathBuf;

use thiserror::Error;

use super::origin::{Origin, DATABASE_URL_VAR};
use crate::revision::RevisionId;

/// The exit status of a successful command.
pub const EXIT_OK: u8 = 0;
/// The exit status of a failed command.
pub const EXIT_ERROR: u8 = 1;
/// The exit status of a command line that could not be understood.
pub const EXIT_USAGE: u8 = 2;

/// A failed CLI command. Each message names what to look at.
#[derive(Debug, Error)]
pub(crate) enum CliError {
    /// An error of the library.
    #[error(transparent)]
    Pelican(#[from] crate::Error),
    /// The DDL guard could not be installed, removed or read.
    #[error(transparent)]
    Guard(#[from] crate::guard::GuardError),
    /// A plan that can't be written as a SQL script.
    #[error(transparent)]
    Offline(#[from] crate::offline::OfflineError),
    /// A command that needs a database, without one.
    #[error(
        "no database given: pass --database-url URL, or set {DATABASE_URL_VAR} \
         (for example postgresql://user@localhost/mydb)"
    )]
    NoDatabase,
    /// A connection string that does not parse.
    #[error("the database URL ({origin}) is not a valid connection string: {reason}")]
    InvalidDatabaseUrl {
        /// Where it came from.
        origin: Origin,
        /// Why (from the driver).
        reason: String,
    },
    /// The server could not be reached, refused the connection, or failed its TLS checks.
    #[error("could not connect to the database {shown}: {error}")]
    Connect {
        /// The connection string with its password hidden.
        shown: String,
        /// Why.
        #[source]
        error: crate::tls::ConnectError,
    },
    /// `--config FILE` names no file.
    #[error("settings file '{}' does not exist (given with --config)", .path.display())]
    MissingConfig {
        /// The path as given.
        path: PathBuf,
    },
    /// A settings file that can't be used.
    #[error("{}: {message}", .path.display())]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// An empty `--schema`.
    #[error("the history schema ({origin}) is empty; give a schema name such as 'public'")]
    EmptySchema {
        /// Where it came from.
        origin: Origin,
    },
    /// A schema name with a line break or another control character: surely a mistake (or
    /// an attempt to slip SQL into a script), and unreadable in any listing.
    #[error(
        "the history schema ({origin}) {schema:?} contains a control character (a line break, \
         a tab...); give a schema name without them, such as 'tenant_1'"
    )]
    ControlCharacterInSchema {
        /// The name as given.
        schema: String,
        /// Where it came from.
        origin: Origin,
    },
    /// A file operation failed.
    #[error("can't {action} '{}': {error}", .path.display())]
    Io {
        /// What pelican was doing (`read`, `create`, ...).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        error: io::Error,
    },
    /// A command line the parser accepts but that makes no sense (exit status 2).
    #[error("{0}")]
    Usage(String),
    /// `init` where a settings file already exists.
    #[error("'{}' already exists; edit it, or remove it and run init again", .path.display())]
    ConfigExists {
        /// The file.
        path: PathBuf,
    },
    /// A file-writing command inside an application's binary, without a directory.
    #[error(
        "this program runs the migrations compiled into it, so `{command}` has no directory \
         to write to; give the migrations directory with --dir (or a dir in {}), for example \
         --dir migrations",
        super::origin::CONFIG_FILE
    )]
    NeedsDirectory {
        /// The command.
        command: &'static str,
    },
    /// `revision` with several heads and nothing saying which to build on.
    #[error(
        "there are several heads ({}); pass --head REV to choose the revision the new one \
         revises, or merge them first with `{program} merge heads -m MESSAGE`",
        join(.heads)
    )]
    MultipleHeads {
        /// The heads.
        heads: Vec<RevisionId>,
        /// The program name, for the suggestion.
        program: String,
    },
    /// A target meant to name one revision that names several.
    #[error("'{target}' names several revisions ({}); name one of them", join(.revisions))]
    SeveralRevisions {
        /// The target as written.
        target: String,
        /// What it names.
        revisions: Vec<RevisionId>,
    },
    /// A target meant to name one revision that names none (`base`).
    #[error("'{target}' names no revision; name one revision")]
    NoRevision {
        /// The target as written.
        target: String,
    },
    /// `--head` or `merge` on a revision that has children.
    #[error(
        "revision {revision} is not a head (it is revised by {}); {hint}",
        join(.children)
    )]
    NotAHead {
        /// The revision.
        revision: RevisionId,
        /// Its children.
        children: Vec<RevisionId>,
        /// What to do instead.
        hint: &'static str,
    },
    /// `merge` given fewer than two revisions.
    #[error("{0}")]
    NothingToMerge(String),
    /// `--rev-id` naming an existing revision.
    #[error("revision {id} already exists ({file}); choose another id, or leave out --rev-id")]
    RevisionExists {
        /// The id.
        id: String,
        /// Its file.
        file: String,
    },
    /// A revision file that would be invalid (a bad label, say).
    #[error("the new revision would be invalid, so nothing was written: {0}")]
    InvalidNewRevision(String),
    /// `revision --autogenerate` without a desired schema.
    #[error(
        "no desired schema: pass --desired-schema PATH (a .sql file or a directory of them), \
         or set desired_schema in pelican.toml"
    )]
    NoDesiredSchema,
    /// `revision --autogenerate` on a database that is not at head.
    #[error(
        "Target database is not up to date ({state}): run `{program} upgrade heads` first, or \
         autogenerate from the migrations with --from-migrations, so that the new migration \
         starts where the others end"
    )]
    NotAtHead {
        /// What is pending or failed.
        state: String,
        /// The program's name.
        program: String,
    },
    /// Scratch databases, the desired schema's files, replaying migrations.
    #[error(transparent)]
    Scratch(#[from] crate::scratch::ScratchError),
    /// `--strict`, and the generated migration did not verify.
    #[error(
        "the generated migration did not verify ({problems} problem(s), listed above and in \
         the file); review it by hand"
    )]
    NotVerified {
        /// How many problems.
        problems: usize,
    },
    /// `lint` found errors.
    #[error("lint found {errors} error(s)")]
    LintFailed {
        /// How many.
        errors: usize,
    },
    /// A fleet run where a target failed or was not run.
    #[error(
        "the fleet run failed: {failed} target(s) failed, {not_run} not run (above); run it \
         again to retry them, the others are left as they are"
    )]
    FleetFailed {
        /// How many targets failed.
        failed: usize,
        /// How many were not run.
        not_run: usize,
    },
    /// A fleet that could not run at all.
    #[error(transparent)]
    Fleet(#[from] crate::fleet::FleetError),
    /// `drift` found the database different from its migrations.
    #[error(
        "drift: the database differs from its applied revisions in {count} place(s) (above); \
         adopt the change with `{program} drift --fix-revision -m MESSAGE`, or undo it with \
         the SQL of `{program} drift --revert-sql`"
    )]
    DriftFound {
        /// How many differences.
        count: usize,
        /// The program's name, for the commands suggested.
        program: String,
    },
    /// `upgrade --lint deny` and a revision about to run has a lint error.
    #[error(
        "nothing ran: {errors} lint error(s) in the revisions about to run (above); fix them, \
         ignore one with `-- pelican-lint: ignore <rule> -- <reason>`, or run without \
         `--lint deny`"
    )]
    LintDenied {
        /// How many.
        errors: usize,
    },
    /// `check` found problems (the exit status says which, see [`super::CheckStatus`]).
    #[error("{summary}")]
    CheckFailed {
        /// One line per failed check.
        summary: String,
        /// The exit status.
        status: u8,
    },
}

impl CliError {
    /// The process exit status for this error.
    pub(crate) fn exit_status(&self) -> u8 {
        match self {
            CliError::Usage(_) => EXIT_USAGE,
            CliError::CheckFailed { status, .. } => *status,
            _ => EXIT_ERROR,
        }
    }
}

fn join(ids: &[RevisionId]) -> String {
    ids.iter()
        .map(RevisionId::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_runs_say_how_to_write_files() {
        let err = CliError::NeedsDirectory {
            command: "revision",
        };
        assert_eq!(
            err.to_string(),
            "this program runs the migrations compiled into it, so `revision` has no directory \
             to write to; give the migrations directory with --dir (or a dir in pelican.toml), \
             for example --dir migrations"
        );
        assert_eq!(err.exit_status(), EXIT_ERROR);
        assert_eq!(CliError::Usage("x".into()).exit_status(), EXIT_USAGE);
        let failed = CliError::CheckFailed {
            summary: "1 check failed: pending".into(),
            status: 7,
        };
        assert_eq!(failed.exit_status(), 7);
    }
}

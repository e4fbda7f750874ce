//! The crate's error type: one enum whose variants wrap the typed errors of each layer and
//! name what the user must look at.

use std::fmt;
use std::time::Duration;

use thiserror::Error;

use crate::plan::Direction;
use crate::revision::RevisionId;

/// Every way a pelican operation can fail. Each variant names what to look at.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// A migration file could not be read or parsed.
    #[error(transparent)]
    Source(#[from] crate::source::SourceError),
    /// The set of revisions does not form a valid DAG.
    #[error(transparent)]
    Graph(#[from] crate::graph::GraphError),
    /// A target could not be parsed or resolved.
    #[error(transparent)]
    Target(#[from] crate::target::TargetError),
    /// No plan leads from the current state to the target.
    #[error(transparent)]
    Plan(#[from] crate::plan::PlanError),
    /// A plan can't be rendered as an offline SQL script.
    #[error(transparent)]
    Offline(#[from] crate::offline::OfflineError),
    /// A timeout or lock wait longer than PostgreSQL takes
    /// ([`MAX_TIMEOUT`](crate::revision::MAX_TIMEOUT)).
    #[error(transparent)]
    TimeoutTooLong(#[from] crate::revision::TimeoutTooLong),
    /// A revision id that is not in the migration set.
    #[error("no revision {id} among the known migrations")]
    UnknownRevision {
        /// The id as given.
        id: String,
    },
    /// Talking to PostgreSQL failed outside of a migration's own SQL.
    #[error("{context}: {}", describe_db_error(.source))]
    Database {
        /// What pelican was doing.
        context: &'static str,
        /// The driver's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// No connection could be taken from the pool.
    #[error("could not get a database connection from the pool: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    /// Another migrator held the lock for longer than the configured wait.
    #[error(
        "timed out after {:.1}s waiting for the migration lock on {lock}{}; another migrator is \
         still running (raise the wait with Migrator::lock_wait, or find the holder in \
         pg_stat_activity)",
        .waited.as_secs_f64(),
        .holder.as_ref().map(|h| format!(", held by {h}")).unwrap_or_default()
    )]
    LockTimeout {
        /// The history table the lock protects (`schema.table`).
        lock: String,
        /// How long pelican waited.
        waited: Duration,
        /// The session holding it, when visible.
        holder: Option<String>,
    },
    /// Another migrator held the lease (see [`LockStrategy::Lease`](crate::lock::LockStrategy))
    /// for longer than the configured wait.
    #[error(
        "timed out after {:.1}s waiting for the migration lease in {lock}, held by {holder}; \
         another migrator is still running (raise the wait with --lock-wait or \
         Migrator::lock_wait; a killed migrator's lease expires by itself after its TTL)",
        .waited.as_secs_f64()
    )]
    LeaseTimeout {
        /// The lease table (`schema.pelican_lease`).
        lock: String,
        /// How long pelican waited.
        waited: Duration,
        /// Its owner, how long it has held it and when it expires.
        holder: String,
    },
    /// The lease was not renewed within its TTL and another migrator took it over: the run
    /// stopped before its next revision.
    #[error(
        "the migration lease in {lock} was lost: it was not renewed within its TTL of {}s and \
         another migrator took it over; this run stopped before its next revision (lend the \
         migrator a pool or a heartbeat connection, or raise the TTL with --lease-ttl or \
         Migrator::lease_ttl)",
        .ttl.as_secs_f64()
    )]
    LeaseLost {
        /// The lease table (`schema.pelican_lease`).
        lock: String,
        /// The lease's time-to-live.
        ttl: Duration,
    },
    /// The advisory lock was asked for on a connection that goes through a pooler, where a
    /// session lock can't be trusted.
    #[error(
        "the advisory migration lock on {lock} can't be trusted on this connection: it goes \
         through a connection pooler (such as PgBouncer in transaction mode), which may run \
         each transaction on another server session, so the lock would not protect the run \
         and could stay behind on a session other clients get; use the lease lock \
         (--lock lease or --lock auto, LockStrategy::Lease or Auto), or connect to PostgreSQL \
         directly"
    )]
    AdvisoryLockBehindPooler {
        /// The history table the lock protects (`schema.table`).
        lock: String,
    },
    /// A `transaction: false` revision would run through a connection pooler, which can't
    /// run it, and no direct connection was given.
    #[error(
        "revision {revision} ({file}) is declared transaction: false and can't run through a \
         connection pooler: its statements run one by one outside a transaction, with session \
         settings, which a pooler in transaction mode does not keep; give a direct connection \
         to PostgreSQL for such revisions (--direct-url, Migrator::direct_url), or run the \
         upgrade against PostgreSQL directly. Nothing ran"
    )]
    NotTransactionalBehindPooler {
        /// The revision.
        revision: RevisionId,
        /// Its file.
        file: String,
    },
    /// The direct connection (`--direct-url`) could not be opened, or goes through a pooler
    /// too.
    #[error("the direct connection ({url}) for transaction: false revisions {reason}")]
    DirectConnection {
        /// The connection string, without its password.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// A migration's SQL or Rust code failed. Its transaction was rolled back (for
    /// `transaction: false` revisions, see [`Error::FailedRevision`]).
    #[error(
        "revision {revision} ({file}{}) failed to {direction}: {message}",
        .line.map(|l| format!(", line {l}")).unwrap_or_default()
    )]
    MigrationFailed {
        /// The revision.
        revision: RevisionId,
        /// Its file.
        file: String,
        /// Up or down.
        direction: Direction,
        /// The line of the file the error points at, when PostgreSQL gave a position.
        line: Option<usize>,
        /// What went wrong (for SQL errors: severity, message, SQLSTATE, detail, hint).
        message: String,
        /// The underlying error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// A `transaction: false` revision failed or was interrupted part-way; its effects may be
    /// partly applied, so every run stops until the row is resolved.
    #[error(
        "revision {revision} ({file}) is marked failed in the history table: {error}\n{}",
        failed_revision_advice(.revision, *.statement)
    )]
    FailedRevision {
        /// The revision.
        revision: String,
        /// Its file, or `unknown file` when it is not among the known migrations.
        file: String,
        /// The error recorded with it.
        error: String,
        /// The statement that failed (from 1), when the row records it.
        statement: Option<u32>,
    },
    /// `resolve --resume` can't finish this failed revision; nothing was run.
    #[error("can't resume revision {revision}: {reason}")]
    CannotResume {
        /// The revision.
        revision: String,
        /// Why, and what to do instead.
        reason: String,
    },
    /// Applied migration files were edited after they ran.
    #[error(
        "applied migrations were changed after they ran:\n{}\nRestore the files as they were \
         applied; or, if the edit is deliberate and the database already matches it, accept \
         the new checksums with Migrator::repair (at a terminal: `pelican repair`).",
        render_mismatches(.mismatches)
    )]
    ChecksumMismatch {
        /// Every changed revision.
        mismatches: Vec<ChecksumMismatch>,
    },
    /// The database records revisions that are not among the known migrations.
    #[error(
        "the database has applied revisions that this application does not know: {}\nThey \
         come from a newer version of the application, or from another project that shares \
         this history schema (give each project a schema of its own). Deploy the version that \
         has them, or allow them with Migrator::allow_unknown_applied(true) (at a terminal: \
         `--allow-unknown-applied`), for example while rolling back a deploy.",
        .revisions.join(", ")
    )]
    UnknownApplied {
        /// The unknown revision ids.
        revisions: Vec<String>,
    },
    /// A Rust migration read from a directory, without its compiled code.
    #[error(
        "revision {revision} ({file}) is a Rust migration, and this migrator has only its file, \
         not its compiled code; run it from the application that embeds it \
         (pelican::embed_migrations! with pelican::cli::run), or attach the code with \
         MigrationSet::with_rust"
    )]
    NotCompiled {
        /// The revision.
        revision: RevisionId,
        /// Its file.
        file: String,
    },
    /// `transaction: false` revisions can't run inside the whole-plan transaction.
    #[error(
        "revision {revision} ({file}) is declared 'transaction: false', so it can't run inside \
         the single transaction of TransactionMode::WholePlan; use TransactionMode::PerMigration \
         for this run"
    )]
    NotTransactional {
        /// The revision.
        revision: RevisionId,
        /// Its file.
        file: String,
    },
    /// An object of the history schema is not what pelican created: another role owns it,
    /// or it is not a table. Nothing was read from it or written to it.
    #[error("{}", untrusted_history(.object, .kind, .owner, .user, *.owner_trusted))]
    UntrustedHistory {
        /// The object, schema-qualified.
        object: String,
        /// What it is: `table`, `view`, `function`...
        kind: String,
        /// The role that owns it.
        owner: String,
        /// The role pelican runs as (`current_user`).
        user: String,
        /// Whether that owner is one pelican trusts (then the object's kind is the problem).
        owner_trusted: bool,
    },
    /// The role pelican runs as lacks a privilege it needs on the history schema (see
    /// docs/operations.md, "Least privilege"). Nothing was changed.
    #[error("{}", history_privilege(.role, .schema, .missing))]
    HistoryPrivilege {
        /// The role (`current_user`).
        role: String,
        /// The history schema.
        schema: String,
        /// What it lacks.
        missing: crate::history::MissingPrivilege,
    },
    /// A fleet's schema target reached through a connection pooler: the tenant's
    /// `search_path` is a session setting, which a pooler in transaction mode doesn't keep
    /// from one transaction to the next, so its migrations could land in another schema.
    /// Nothing was run.
    #[error(
        "cannot migrate schema \"{schema}\" through a connection pooler: the tenant's \
         search_path is a session setting, which a pooler in transaction mode does not keep \
         between transactions, so its migrations could land in another schema; give the \
         fleet the server's own connection string (not the pooler's) for schema targets"
    )]
    SchemaTargetBehindPooler {
        /// The tenant's schema.
        schema: String,
    },
    /// A write (upgrade, downgrade, stamp, repair, resolve) was asked of a hot standby, which
    /// is read-only. Nothing was changed.
    #[error(
        "cannot {operation} on database \"{database}\" at {server}: that server is a hot \
         standby (pg_is_in_recovery() is true), which is read-only; run it against the primary{}. \
         Read-only commands (current, status, history, check) work on a standby",
        .primary.as_ref().map(|p| format!(" (this standby streams from {p})")).unwrap_or_default()
    )]
    Standby {
        /// What was refused: `upgrade`, `downgrade`, `stamp`, ...
        operation: &'static str,
        /// The database.
        database: String,
        /// The server as it describes itself: `host:port`, or its socket's port.
        server: String,
        /// The primary it streams from, when the role may see it (`pg_stat_wal_receiver`).
        primary: Option<String>,
    },
    /// A failed row to resolve that is not failed.
    #[error("revision {revision} is not marked failed in the history table (it is {state})")]
    NotFailed {
        /// The revision.
        revision: String,
        /// Its current state, or `not recorded`.
        state: String,
    },
}

/// One applied revision whose file changed after it ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecksumMismatch {
    /// The revision.
    pub revision: RevisionId,
    /// Its file.
    pub file: String,
    /// The checksum recorded when it was applied.
    pub recorded: String,
    /// The checksum of the file now.
    pub current: String,
}

impl fmt::Display for ChecksumMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "  {} ({}): recorded {}, file now {}",
            self.revision, self.file, self.recorded, self.current
        )
    }
}

fn render_mismatches(mismatches: &[ChecksumMismatch]) -> String {
    mismatches
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

fn failed_revision_advice(revision: &str, statement: Option<u32>) -> String {
    match statement {
        Some(n) => format!(
            "It runs outside a transaction: the statements before statement {n} were applied, \
             statement {n} and the rest were not. Fix the cause, then run the rest with \
             Migrator::resume (at a terminal: `pelican resolve {revision} --resume`); or finish \
             or undo it by hand and record the outcome with Migrator::mark_applied or \
             Migrator::forget (`pelican resolve {revision} --applied` or `--forget`)."
        ),
        None => format!(
            "It runs outside a transaction, so part of it may have been applied. Check the \
             database, finish or undo its statements by hand, then record the outcome with \
             Migrator::mark_applied or Migrator::forget (at a terminal: \
             `pelican resolve {revision} --applied` or `pelican resolve {revision} --forget`)."
        ),
    }
}

fn untrusted_history(
    object: &str,
    kind: &str,
    owner: &str,
    user: &str,
    owner_trusted: bool,
) -> String {
    if owner_trusted {
        return format!(
            "refusing to use {object}: it is a {kind}, where pelican keeps a table of its own; \
             rename or drop it, or keep pelican's history in another schema"
        );
    }
    format!(
        "refusing to use the {kind} {object}: it is owned by role \"{owner}\", which is neither \
         the role pelican runs as (\"{user}\"), nor a role that one is a member of, nor a \
         superuser. An object of the history schema owned by another role can run that role's \
         code with pelican's privileges (a trigger, a rule, a view, a policy) and can claim \
         anything about what was applied. If \"{owner}\" is trusted, run pelican as that role \
         or a member of it, or give the object to the migrating role (ALTER ... OWNER TO); \
         otherwise drop it, and let no untrusted role create objects in the history schema \
         (docs/operations.md, \"Security model\")"
    )
}

fn history_privilege(
    role: &str,
    schema: &str,
    missing: &crate::history::MissingPrivilege,
) -> String {
    use crate::history::MissingPrivilege;
    use crate::quote::ident_for_humans as sql;
    let elsewhere = "or keep the history in a schema the role owns (Migrator::schema; at a \
                     terminal: --schema, or `schema` in pelican.toml)";
    match missing {
        MissingPrivilege::Usage => format!(
            "role {role} cannot use pelican's history schema \"{schema}\": it lacks USAGE on \
             that schema; GRANT USAGE, CREATE ON SCHEMA {} TO {}, {elsewhere}",
            sql(schema),
            sql(role)
        ),
        MissingPrivilege::Create => format!(
            "role {role} cannot create pelican's history table in schema \"{schema}\": it lacks \
             CREATE on that schema; GRANT CREATE ON SCHEMA {} TO {}, {elsewhere}",
            sql(schema),
            sql(role)
        ),
        MissingPrivilege::CreateSchema { database } => format!(
            "role {role} cannot create pelican's history schema \"{schema}\": it does not exist, \
             and the role lacks CREATE on database \"{database}\"; create it for the role \
             (CREATE SCHEMA {} AUTHORIZATION {}), or GRANT CREATE ON DATABASE {} TO {}, \
             {elsewhere}",
            sql(schema),
            sql(role),
            sql(database),
            sql(role)
        ),
        MissingPrivilege::Write { table } => format!(
            "role {role} cannot write pelican's history table {table}: it lacks INSERT, UPDATE or \
             DELETE on it (or INSERT on pelican_log and USAGE on its id sequence); run pelican \
             as the role that owns the history tables (or a member of it), or GRANT SELECT, \
             INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema_sql} TO {role_sql} and GRANT \
             USAGE ON ALL SEQUENCES IN SCHEMA {schema_sql} TO {role_sql}",
            schema_sql = sql(schema),
            role_sql = sql(role)
        ),
    }
}

impl From<crate::history::HistoryError> for Error {
    fn from(err: crate::history::HistoryError) -> Self {
        use crate::history::HistoryError;
        match err {
            HistoryError::Database { context, source } => Error::Database { context, source },
            HistoryError::Privilege {
                role,
                schema,
                missing,
            } => Error::HistoryPrivilege {
                role,
                schema,
                missing,
            },
            HistoryError::Untrusted {
                object,
                kind,
                owner,
                user,
                owner_trusted,
            } => Error::UntrustedHistory {
                object,
                kind,
                owner,
                user,
                owner_trusted,
            },
        }
    }
}

impl Error {
    pub(crate) fn database(context: &'static str, source: tokio_postgres::Error) -> Self {
        Error::Database { context, source }
    }
}

/// A driver error as a user wants to read it: for server errors, severity, message,
/// SQLSTATE, detail and hint; otherwise the error and its causes.
pub(crate) fn describe_db_error(err: &tokio_postgres::Error) -> String {
    if let Some(db) = err.as_db_error() {
        let mut text = format!(
            "{}: {} (SQLSTATE {})",
            db.severity(),
            db.message(),
            db.code().code()
        );
        if let Some(detail) = db.detail() {
            text.push_str(&format!("; DETAIL: {detail}"));
        }
        if let Some(hint) = db.hint() {
            text.push_str(&format!("; HINT: {hint}"));
        }
        if db.code().code() == crate::privilege::INSUFFICIENT_PRIVILEGE {
            if let Some(advice) = crate::privilege::advice(db.message(), db.detail()) {
                text.push_str(&format!("; pelican: {advice}"));
            }
        }
        return text;
    }
    let mut text = err.to_string();
    let mut cause = std::error::Error::source(err);
    while let Some(inner) = cause {
        let inner_text = inner.to_string();
        if !text.contains(&inner_text) {
            text.push_str(&format!(": {inner_text}"));
        }
        cause = inner.source();
    }
    text
}

//! The template databases [`TempDatabase`](super::TempDatabase)s are cloned from: one per
//! migration set and target, migrated once per server.
//!
//! The template of a set is `pelican_tpl_<key>`, the key a hash of the set and the target
//! ([`template_key`]): a changed set gets a new template, never a stale one. It is built
//! under an advisory lock on the server's database, so that test processes running at once
//! build it once; when migrated, it is marked `IS_TEMPLATE` and `ALLOW_CONNECTIONS false`,
//! which both says it is ready and keeps everyone out of it (`CREATE DATABASE ... TEMPLATE`
//! fails while anyone is connected to the template). Each process that uses a template
//! records when in the template's comment; the janitor drops templates unused for an hour.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tokio_postgres::error::SqlState;
use tokio_postgres::Client;

use crate::migration::Body;
use crate::quote::ident;
use crate::testing::error::describe_postgres_error;
use crate::testing::names::{unix_now, TEMPLATE_PREFIX};
use crate::testing::server::database::{connect, end_sessions};
use crate::testing::temp::setup::ServerRef;
use crate::testing::TempSetup;
use crate::testing::TestingError;
use crate::MigrationSet;

/// The first half of the advisory lock keys of template builds: "ptpl" in ASCII.
pub(crate) const BUILD_LOCK_CLASS: i32 = 0x7074_706c;

/// The comment of a template says when it was last used: `<this><unix seconds>`.
const LAST_USED: &str = "pelican test template, last used at unix time ";

/// Templates this process knows to be ready, by server and name: no need to look again.
static READY: Mutex<Option<HashSet<(String, String)>>> = Mutex::new(None);

/// A short hash of what a template's content depends on: each revision's id, parents,
/// dependencies, checksum and SQL, the target and the history schema. The revisions are taken
/// in id order, so that listing the same set in another order gives the same key.
pub(crate) fn template_key(set: &MigrationSet, target: &str, history_schema: &str) -> String {
    let mut entries: Vec<_> = set.entries().iter().collect();
    entries.sort_by(|a, b| a.revision().id().as_str().cmp(b.revision().id().as_str()));
    let mut hasher = Sha256::new();
    let mut field = |bytes: &[u8]| {
        // Length-prefixed, so that no two different sequences of fields hash alike.
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    field(b"pelican template 1");
    field(target.as_bytes());
    field(history_schema.as_bytes());
    for entry in entries {
        let revision = entry.revision();
        field(revision.id().as_str().as_bytes());
        for parent in revision.parents() {
            field(parent.as_str().as_bytes());
        }
        field(b"depends-on");
        for dependency in revision.depends_on() {
            field(dependency.as_bytes());
        }
        field(revision.checksum().digest());
        // Sets made by hand may carry the default checksum: their SQL speaks for them.
        match entry.body() {
            Body::Sql { up, .. } => field(up.sql().as_bytes()),
            Body::Rust(_) | Body::RustNotCompiled => field(b"rust"),
        }
    }
    let digest = hasher.finalize();
    digest[..8]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The template's name for this setup.
pub(crate) fn template_name(setup: &TempSetup) -> String {
    format!(
        "{TEMPLATE_PREFIX}{}",
        template_key(
            setup.migrations(),
            setup.migration_target(),
            setup.database_history_schema()
        )
    )
}

/// Makes sure the template for `setup` exists on `server`, migrated, and returns its name.
pub(crate) async fn ensure(server: &ServerRef, setup: &TempSetup) -> Result<String, TestingError> {
    let name = template_name(setup);
    let cache_key = (server.connection_string.clone(), name.clone());
    if ready_set(|ready| ready.contains(&cache_key)) {
        return Ok(name);
    }
    let client = connect(&server.config, &server.shown).await?;
    if !is_ready(&client, &name, server).await? {
        lock(&client, &name, server, true).await?;
        // Another process may have built it while this one waited for the lock.
        let built = match is_ready(&client, &name, server).await {
            Ok(true) => Ok(()),
            Ok(false) => build(&client, server, setup, &name).await,
            Err(error) => Err(error),
        };
        lock(&client, &name, server, false).await?;
        built?;
    }
    // Best effort: it only tells the janitors of other runs that the template is in use.
    let comment = format!(
        "COMMENT ON DATABASE {} IS '{LAST_USED}{}'",
        ident(&name),
        unix_now()
    );
    if let Err(error) = client.batch_execute(&comment).await {
        tracing::debug!(template = %name, "could not record the template's use: {}", describe_postgres_error(&error));
    }
    ready_set(|ready| ready.insert(cache_key));
    Ok(name)
}

/// Forgets that a template was ready (it vanished: a janitor of another run dropped it).
pub(crate) fn forget(server: &ServerRef, name: &str) {
    ready_set(|ready| ready.remove(&(server.connection_string.clone(), name.to_owned())));
}

/// When a template was last used, from its comment.
pub(crate) fn last_used(comment: &str) -> Option<u64> {
    comment.strip_prefix(LAST_USED)?.parse().ok()
}

fn ready_set<T>(f: impl FnOnce(&mut HashSet<(String, String)>) -> T) -> T {
    let mut guard = READY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    f(guard.get_or_insert_with(HashSet::new))
}

async fn is_ready(client: &Client, name: &str, server: &ServerRef) -> Result<bool, TestingError> {
    let row = client
        .query_opt(
            "SELECT datistemplate AND NOT datallowconn FROM pg_database WHERE datname = $1",
            &[&name],
        )
        .await
        .map_err(|error| {
            statement_error(format!("look for template database {name}"), server, &error)
        })?;
    Ok(row.is_some_and(|row| row.get::<_, bool>(0)))
}

/// Takes or releases the build lock of template `name` (a session lock: a build abandoned by a
/// crash or a panic releases it with its connection).
pub(crate) async fn lock(
    client: &Client,
    name: &str,
    server: &ServerRef,
    take: bool,
) -> Result<(), TestingError> {
    let function = if take {
        "pg_advisory_lock"
    } else {
        "pg_advisory_unlock"
    };
    client
        .execute(
            &format!("SELECT {function}($1, hashtext($2))"),
            &[&BUILD_LOCK_CLASS, &name],
        )
        .await
        .map(drop)
        .map_err(|error| {
            let verb = if take { "take" } else { "release" };
            statement_error(
                format!("{verb} the build lock of template {name}"),
                server,
                &error,
            )
        })
}

/// Builds the template: a new database (replacing what a crashed build left), migrated, then
/// closed to connections. Runs under the build lock.
async fn build(
    client: &Client,
    server: &ServerRef,
    setup: &TempSetup,
    name: &str,
) -> Result<(), TestingError> {
    let run = |sql: String, action: String| async move {
        client
            .batch_execute(&sql)
            .await
            .map_err(|error| statement_error(action, server, &error))
    };
    drop_template(client, name)
        .await
        .map_err(|reason| TestingError::Statement {
            action: format!("drop the unfinished template database {name}"),
            target: server.shown.clone(),
            reason,
        })?;
    run(
        format!("CREATE DATABASE {}{}", ident(name), server.create_options()),
        format!("create template database {name}"),
    )
    .await?;

    let mut config = server.config.clone();
    config.dbname(name);
    let place = format!("template database {name} on {}", server.shown);
    let migrated = async {
        let template = connect(&config, &server.shown).await?;
        setup
            .migrate(&template, setup.database_history_schema(), &place)
            .await
    }
    .await;
    if let Err(error) = migrated {
        let _ = drop_template(client, name).await;
        return Err(error);
    }
    run(
        format!(
            "ALTER DATABASE {} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false",
            ident(name)
        ),
        format!("mark {name} as a template"),
    )
    .await?;
    // The migrating session may still be on its way out; clones fail while it is there.
    end_sessions(client, name).await;
    Ok(())
}

/// Drops a template database, if it exists, whatever state it is in.
pub(crate) async fn drop_template(client: &Client, name: &str) -> Result<(), String> {
    let exists = client
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .await
        .map_err(|error| describe_postgres_error(&error))?
        .is_some();
    if !exists {
        return Ok(());
    }
    // Two queries: one query of several statements is a transaction, and DROP DATABASE
    // refuses to run in one.
    for statement in [
        format!("ALTER DATABASE {} WITH IS_TEMPLATE false", ident(name)),
        format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", ident(name)),
    ] {
        client
            .batch_execute(&statement)
            .await
            .map_err(|error| describe_postgres_error(&error))?;
    }
    Ok(())
}

fn statement_error(
    action: String,
    server: &ServerRef,
    error: &tokio_postgres::Error,
) -> TestingError {
    TestingError::Statement {
        action,
        target: server.shown.clone(),
        reason: describe_postgres_error(error),
    }
}

/// How long a clone waits for sessions to leave the template before giving up.
const CLONE_WAIT: Duration = Duration::from_secs(10);

/// Creates database `name` from the template: `(name, template)`. Waits for sessions still
/// leaving the template, and builds the template again if another run's janitor dropped it.
pub(crate) async fn clone_template(
    server: &ServerRef,
    setup: &TempSetup,
    mut template: String,
    name: String,
) -> Result<(String, String), TestingError> {
    let admin = connect(&server.config, &server.shown).await?;
    let started = Instant::now();
    let mut rebuilt = false;
    loop {
        let created = admin
            .batch_execute(&format!(
                "CREATE DATABASE {} TEMPLATE {}{}",
                ident(&name),
                ident(&template),
                server.create_options()
            ))
            .await;
        let Err(error) = created else {
            return Ok((name, template));
        };
        match error.code() {
            // Someone is still connected to the template (its builder, leaving).
            Some(&SqlState::OBJECT_IN_USE) if started.elapsed() < CLONE_WAIT => {
                end_sessions(&admin, &template).await;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            // The janitor of another run dropped the template: build it again, once.
            Some(&SqlState::UNDEFINED_DATABASE) if !rebuilt => {
                rebuilt = true;
                forget(server, &template);
                template = ensure(server, setup).await?;
            }
            _ => {
                let mut reason = describe_postgres_error(&error);
                if error.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE) {
                    reason.push_str(
                        "; a TempDatabase is a database of its own, so the role needs the \
                         CREATEDB privilege (ALTER ROLE <role> CREATEDB), or use a TempSchema",
                    );
                }
                return Err(TestingError::Statement {
                    action: format!("create database {name} from template {template}"),
                    target: server.shown.clone(),
                    reason,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migration::{SetEntry, SqlBody};
    use crate::Revision;

    fn set(revisions: &[(&str, &str, &str)]) -> MigrationSet {
        let entries = revisions
            .iter()
            .map(|(id, parent, up)| {
                let mut revision = Revision::new(id.parse().unwrap());
                if !parent.is_empty() {
                    revision = revision.with_parents(vec![parent.parse().unwrap()]);
                }
                let body = Body::Sql {
                    up: SqlBody::new(up.to_string(), 1),
                    down: None,
                };
                SetEntry::new(revision, format!("{id}.sql"), body)
            })
            .collect();
        MigrationSet::new(entries).unwrap()
    }

    #[test]
    fn the_key_follows_the_content_and_target_not_the_order() {
        let base = set(&[
            ("a1", "", "CREATE TABLE a ()"),
            ("b2", "a1", "CREATE TABLE b ()"),
        ]);
        let key = template_key(&base, "heads", "public");
        assert_eq!(key.len(), 16);
        assert_eq!(
            key,
            template_key(
                &set(&[
                    ("b2", "a1", "CREATE TABLE b ()"),
                    ("a1", "", "CREATE TABLE a ()")
                ]),
                "heads",
                "public"
            )
        );
        assert_ne!(key, template_key(&base, "a1", "public"));
        assert_ne!(key, template_key(&base, "heads", "app_meta"));
        let edited = set(&[
            ("a1", "", "CREATE TABLE a ()"),
            ("b2", "a1", "CREATE TABLE c ()"),
        ]);
        assert_ne!(key, template_key(&edited, "heads", "public"));
        let grown = set(&[
            ("a1", "", "CREATE TABLE a ()"),
            ("b2", "a1", "CREATE TABLE b ()"),
            ("c3", "b2", ""),
        ]);
        assert_ne!(key, template_key(&grown, "heads", "public"));
    }

    #[test]
    fn the_last_use_is_read_back_from_the_comment() {
        assert_eq!(
            last_used(&format!("{LAST_USED}1700000000")),
            Some(1_700_000_000)
        );
        assert_eq!(last_used("some other comment"), None);
    }
}

//! One [`TempDatabase`](super::TempDatabase) made ahead of time, per template: while a test
//! runs, the copy the next test will get is being made.
//!
//! Copying the template is most of what a `TempDatabase` costs (a `CREATE DATABASE`). Each
//! `TempDatabase` starts the copy for the next one on a thread of its own, so a test suite
//! waits for a copy only when its tests are quicker than copying. `PELICAN_TEST_SPARE=0`
//! turns it off.
//!
//! The last spare of a process is never used by it. On a throwaway server it goes with the
//! server. On a `DATABASE_URL` server it stays, under a name that says what it is
//! (`pelican_spare_<template key>_<created>_…`, see [`spare_name_at`]), and the next process
//! that needs a copy of the same template takes it: a spare is taken by renaming it to a
//! throwaway name, which only one session can do, so two processes never get the same
//! database; a spare someone else took is simply not there any more. So at most one spare per
//! template and test process running at once stays between runs, and the janitor drops those
//! older than an hour.

use std::collections::HashMap;
use std::sync::Mutex;
use std::thread::JoinHandle;

use tokio_postgres::Client;

use crate::quote::ident;
use crate::testing::error::describe_postgres_error;
use crate::testing::names::{
    spare_name_at, spare_prefix, unique_temp_name, unix_now, TEMPLATE_PREFIX,
};
use crate::testing::server::database::connect;
use crate::testing::temp::setup::ServerRef;
use crate::testing::temp::template::clone_template;
use crate::testing::TempSetup;
use crate::testing::TestingError;

/// The name of the database made, or why not.
type Made = Result<String, TestingError>;

/// Spare copies by server (connection string) and template.
type Spares = HashMap<(String, String), JoinHandle<Made>>;

/// Set to `0` to make every copy when it is asked for.
pub(crate) const SPARE_VAR: &str = "PELICAN_TEST_SPARE";

/// How many spares left by others one take looks at before copying the template itself.
const CANDIDATES: i64 = 4;

/// The copy being made for each server and template.
static SPARES: Mutex<Option<Spares>> = Mutex::new(None);

fn enabled() -> bool {
    std::env::var_os(SPARE_VAR).is_none_or(|value| value != "0")
}

/// A spare copy of `template` for the caller alone, under a throwaway name: the one this
/// process started (once it is made), else, on a `DATABASE_URL` server, one that another
/// process or an earlier run left. `None`: there is none, copy the template.
pub(crate) async fn take(server: &ServerRef, template: &str) -> Option<String> {
    if !enabled() {
        return None;
    }
    let own = join(server, template);
    if server.throwaway {
        // Made under a throwaway name, and no other process uses this server.
        return own;
    }
    let admin = match connect(&server.config, &server.shown).await {
        Ok(admin) => admin,
        Err(error) => {
            tracing::debug!(
                template,
                "could not look for a spare test database: {error}"
            );
            return None;
        }
    };
    if let Some(spare) = own {
        if let Some(name) = claim(&admin, &spare).await {
            return Some(name);
        }
    }
    let key = template.strip_prefix(TEMPLATE_PREFIX)?;
    let left = admin
        .query(
            "SELECT datname::text FROM pg_database WHERE starts_with(datname, $1) \
             ORDER BY datname LIMIT $2",
            &[&spare_prefix(key), &CANDIDATES],
        )
        .await
        .map_err(|error| {
            tracing::debug!(
                template,
                "could not list the spare test databases: {}",
                describe_postgres_error(&error)
            );
        })
        .ok()?;
    for row in left {
        if let Some(name) = claim(&admin, row.get(0)).await {
            return Some(name);
        }
    }
    None
}

/// Renames `spare` to a fresh throwaway name, which is then the caller's. Fails when another
/// session renamed (or dropped) it first: renaming locks the database and looks it up again.
async fn claim(admin: &Client, spare: &str) -> Option<String> {
    let name = unique_temp_name();
    let renamed = admin
        .batch_execute(&format!(
            "ALTER DATABASE {} RENAME TO {}",
            ident(spare),
            ident(&name)
        ))
        .await;
    match renamed {
        Ok(()) => Some(name),
        Err(error) => {
            tracing::debug!(
                spare,
                "could not take the spare test database: {}",
                describe_postgres_error(&error)
            );
            None
        }
    }
}

/// Waits for the copy this process started for `template`, if any.
fn join(server: &ServerRef, template: &str) -> Option<String> {
    let handle =
        spares(|spares| spares.remove(&(server.connection_string.clone(), template.to_owned())))?;
    match handle.join() {
        Ok(Ok(made)) => Some(made),
        // The caller makes its copy itself, and meets the error again if it is real.
        Ok(Err(error)) => {
            tracing::debug!(template, "the spare test database failed: {error}");
            None
        }
        Err(_) => None,
    }
}

/// Starts making a spare copy of `template`, unless one is on its way.
pub(crate) fn prepare(server: &ServerRef, setup: &TempSetup, template: &str) {
    if !enabled() {
        return;
    }
    let name = if server.throwaway {
        unique_temp_name()
    } else {
        match template.strip_prefix(TEMPLATE_PREFIX) {
            Some(key) => spare_name_at(key, unix_now()),
            None => return,
        }
    };
    let key = (server.connection_string.clone(), template.to_owned());
    spares(|spares| {
        if spares.contains_key(&key) {
            return;
        }
        let (server, setup, template) = (server.clone(), setup.clone(), template.to_owned());
        let maker = std::thread::Builder::new()
            .name("pelican-spare-database".into())
            .spawn(move || -> Made {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|error| TestingError::Statement {
                        action: "start a runtime for the spare test database".into(),
                        target: server.shown.clone(),
                        reason: error.to_string(),
                    })?;
                runtime
                    .block_on(clone_template(&server, &setup, template, name))
                    .map(|(made, _template)| made)
            });
        if let Ok(handle) = maker {
            spares.insert(key, handle);
        }
    });
}

fn spares<T>(f: impl FnOnce(&mut Spares) -> T) -> T {
    let mut guard = SPARES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    f(guard.get_or_insert_with(HashMap::new))
}

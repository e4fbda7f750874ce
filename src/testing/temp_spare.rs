//! One [`TempDatabase`](super::TempDatabase) made ahead of time, per template, on throwaway
//! servers: while a test runs, the copy the next test will get is being made.
//!
//! Copying the template is most of what a `TempDatabase` costs (a `CREATE DATABASE`, with its
//! checkpoints). Each `TempDatabase` made on a throwaway server starts the copy for the next one
//! on a thread of its own, so a test suite waits for a copy only when its tests are quicker than
//! copying. Only on throwaway servers: the last spare of a process is never used, and a
//! throwaway server is deleted with the process, spare included; on a `DATABASE_URL` server it
//! would be left behind on every run. `PELICAN_TEST_SPARE=0` turns it off.

use std::collections::HashMap;
use std::sync::Mutex;
use std::thread::JoinHandle;

use super::temp_database::clone_template;
use super::temp_setup::ServerRef;
use super::{TempSetup, TestingError};

type Made = Result<(String, String), TestingError>;

/// Spare copies by server (connection string) and template.
type Spares = HashMap<(String, String), JoinHandle<Made>>;

/// Set to `0` to make every copy when it is asked for.
pub(crate) const SPARE_VAR: &str = "PELICAN_TEST_SPARE";

/// The copy being made for each server and template.
static SPARES: Mutex<Option<Spares>> = Mutex::new(None);

/// The spare copy of `template`, if one was started: `(database, template)`, once it is made.
pub(crate) fn take(server: &ServerRef, template: &str) -> Option<(String, String)> {
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

/// Starts making a spare copy of `template` on a throwaway server, unless one is on its way.
pub(crate) fn prepare(server: &ServerRef, setup: &TempSetup, template: &str) {
    if !server.throwaway || std::env::var_os(SPARE_VAR).is_some_and(|value| value == "0") {
        return;
    }
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
                runtime.block_on(clone_template(&server, &setup, template))
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

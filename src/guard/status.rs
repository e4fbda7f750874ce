//! The state of a database's DDL guard, as `pelican guard status` shows it.

use std::time::SystemTime;

use tokio_postgres::Client;

use super::GuardError;
use crate::sql::guard::GuardSql;

/// One of the guard's event triggers, as the database has it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EventTriggerState {
    /// The schema of the function it runs: the schema of the guard it belongs to.
    pub function_schema: String,
    /// Whether it fires (not `ALTER EVENT TRIGGER ... DISABLE`d).
    pub enabled: bool,
}

/// The guard of one history schema, as [`status`] found it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GuardStatus {
    /// The history schema asked about.
    pub schema: String,
    /// Whether the log table exists there.
    pub log_exists: bool,
    /// Whether this role may read it (then [`rows`](Self::rows) is known).
    pub log_readable: bool,
    /// Whether the triggers that refuse `UPDATE`, `DELETE` and `TRUNCATE` on it are there
    /// and enabled.
    pub log_append_only: bool,
    /// Whether the recording function exists there.
    pub function_exists: bool,
    /// Whether its body is the one this version of pelican installs (when not, `install`
    /// brings it up to date).
    pub function_current: bool,
    /// The `ddl_command_end` trigger, when the database has it (it may run another schema's
    /// function: see [`installed_elsewhere`](Self::installed_elsewhere)).
    pub command_trigger: Option<EventTriggerState>,
    /// The `sql_drop` trigger, when the database has it.
    pub drop_trigger: Option<EventTriggerState>,
    /// How many rows the log holds, when it exists and is readable.
    pub rows: Option<i64>,
    /// When the last row was written, when there is one.
    pub last_entry_at: Option<SystemTime>,
}

impl GuardStatus {
    /// Whether the guard records: the log and function are here, and both event triggers
    /// run this schema's function and are enabled.
    pub fn is_active(&self) -> bool {
        let ours = |t: &Option<EventTriggerState>| {
            t.as_ref()
                .is_some_and(|t| t.enabled && t.function_schema == self.schema)
        };
        self.log_exists
            && self.function_exists
            && ours(&self.command_trigger)
            && ours(&self.drop_trigger)
    }

    /// The schema of another guard whose event triggers this database has, if any.
    pub fn installed_elsewhere(&self) -> Option<&str> {
        [&self.command_trigger, &self.drop_trigger]
            .into_iter()
            .flatten()
            .map(|t| t.function_schema.as_str())
            .find(|schema| *schema != self.schema)
    }

    /// Whether nothing of the guard is here (no log, function or trigger).
    pub fn is_absent(&self) -> bool {
        !self.log_exists
            && !self.function_exists
            && self.command_trigger.is_none()
            && self.drop_trigger.is_none()
    }
}

/// The guard of `history_schema`: what is installed, whether it records, how many rows its
/// log holds. Needs no privilege beyond reading the catalogs (the row count needs `SELECT`
/// on the log).
pub async fn status(client: &Client, history_schema: &str) -> Result<GuardStatus, GuardError> {
    let sql = GuardSql::new(history_schema);
    let row = client
        .query_one(&sql.status_query(), &[])
        .await
        .map_err(GuardError::database("reading the DDL guard's state"))?;
    let trigger = |schema: usize, enabled: usize| {
        row.get::<_, Option<String>>(schema)
            .map(|function_schema| EventTriggerState {
                function_schema,
                enabled: row.get::<_, Option<bool>>(enabled).unwrap_or(false),
            })
    };
    let body: Option<String> = row.get(6);
    let mut status = GuardStatus {
        schema: history_schema.to_owned(),
        log_exists: row.get(4),
        log_readable: row.get(5),
        log_append_only: row.get::<_, Option<bool>>(7).unwrap_or(false),
        function_exists: body.is_some(),
        function_current: body.is_some_and(|body| body == sql.record_body()),
        command_trigger: trigger(0, 1),
        drop_trigger: trigger(2, 3),
        rows: None,
        last_entry_at: None,
    };
    if status.log_readable {
        let summary = client
            .query_one(&sql.log_summary_query(), &[])
            .await
            .map_err(GuardError::database("counting the DDL log's rows"))?;
        status.rows = Some(summary.get(0));
        status.last_entry_at = summary.get(1);
    }
    Ok(status)
}

//! The SQL text of the DDL guard (see `crate::guard`): its log table, the function its event
//! triggers run, the triggers that keep the log append-only, and the setting that marks
//! pelican's own runs so that the guard leaves them out. No I/O here.

use crate::quote::{ident, literal};

/// The custom setting that marks a session running pelican's own migrations: while it is
/// `on`, the guard records nothing. The migration lock sets it when it is taken and resets it
/// when it is released (`crate::lock`), so every DDL command run under the lock (migrations,
/// the history tables' layout) is pelican's.
pub(crate) const MARK_SETTING: &str = "pelican.migrating";

/// The value of [`MARK_SETTING`] while pelican runs.
pub(crate) const MARK_VALUE: &str = "on";

/// Marks an explicit transaction as pelican's, until it ends: how each transaction of a run
/// marks itself, so that nothing relies on the session (which a connection pooler does not
/// keep).
pub(crate) const MARK_LOCAL: &str = "SET LOCAL pelican.migrating = 'on';\n";

/// Marks the implicit transaction of a multi-statement query as pelican's (where `SET LOCAL`
/// would only warn).
pub(crate) const MARK_IMPLICIT: &str =
    "SELECT pg_catalog.set_config('pelican.migrating', 'on', true);\n";

/// Marks a session as pelican's, for `transaction: false` revisions run without the advisory
/// lock (which marks its session); [`UNMARK_SESSION`] undoes it.
pub(crate) const MARK_SESSION: &str = "SET pelican.migrating = 'on'";

/// Undoes [`MARK_SESSION`].
pub(crate) const UNMARK_SESSION: &str = "RESET pelican.migrating";

/// The append-only log the guard writes, in the history schema.
pub const DDL_LOG_TABLE: &str = "pelican_ddl_log";

/// The function both event triggers run.
pub(crate) const RECORD_FUNCTION: &str = "pelican_ddl_record";

/// The function the log's own triggers run: it refuses every UPDATE, DELETE and TRUNCATE.
pub(crate) const REFUSE_FUNCTION: &str = "pelican_ddl_log_refuse";

/// The event triggers. Their names are the database's (event triggers belong to no schema),
/// so a database has one guard.
pub(crate) const COMMAND_TRIGGER: &str = "pelican_ddl_guard_end";
/// See [`COMMAND_TRIGGER`].
pub(crate) const DROP_TRIGGER: &str = "pelican_ddl_guard_drop";

/// The log's own triggers.
const ROW_TRIGGER: &str = "pelican_ddl_log_append_only";
const TRUNCATE_TRIGGER: &str = "pelican_ddl_log_no_truncate";

/// How much of a statement's text a row keeps: a script sent as one query is stored once per
/// command it runs, so a long one is cut.
pub(crate) const STATEMENT_LIMIT: usize = 65_536;

/// The guard's objects in one schema, as SQL text.
#[derive(Debug, Clone)]
pub(crate) struct GuardSql {
    schema: String,
    log: String,
    record: String,
    refuse: String,
}

impl GuardSql {
    /// The guard of the history schema `schema`.
    pub(crate) fn new(schema: &str) -> Self {
        let qualified = |name: &str| format!("{}.{}", ident(schema), ident(name));
        GuardSql {
            schema: schema.to_owned(),
            log: qualified(DDL_LOG_TABLE),
            record: qualified(RECORD_FUNCTION),
            refuse: qualified(REFUSE_FUNCTION),
        }
    }

    /// The log table, schema-qualified and quoted.
    pub(crate) fn log_table(&self) -> &str {
        &self.log
    }

    /// The body of the recording function, exactly as `pg_proc.prosrc` keeps it: what
    /// `status` compares to tell a current guard from an older (or edited) one.
    pub(crate) fn record_body(&self) -> String {
        let columns = "event, session_role, acting_role, application_name, client_addr, \
                       backend_pid, transaction_id, command_tag, object_type, object_identity, \
                       schema_name, statement";
        let common = format!(
            "tg_event, session_user, acting, pg_catalog.current_setting('application_name'), \
             pg_catalog.inet_client_addr(), pg_catalog.pg_backend_pid(), \
             pg_catalog.txid_current(), {{tag}}, o.object_type, o.object_identity, \
             o.schema_name, pg_catalog.left(pg_catalog.current_query(), {STATEMENT_LIMIT})"
        );
        let warning = literal(&format!(
            "pelican guard: % was not recorded in {}: %",
            self.log
        ));
        format!(
            "
DECLARE
    acting text;
BEGIN
    IF pg_catalog.current_setting({mark}, true) = {value} THEN
        RETURN; -- pelican's own migrations
    END IF;
    BEGIN
        -- In this SECURITY DEFINER function current_user is the owner; the `role` setting
        -- is still the session's SET ROLE.
        acting := coalesce(nullif(pg_catalog.current_setting('role'), 'none'), session_user::text);
        IF tg_event = 'sql_drop' THEN
            INSERT INTO {log} ({columns})
            SELECT {drop_values}
            FROM pg_catalog.pg_event_trigger_dropped_objects() AS o
            WHERE (o.original OR o.normal) AND NOT o.is_temporary;
        ELSE
            INSERT INTO {log} ({columns})
            SELECT {command_values}
            FROM pg_catalog.pg_event_trigger_ddl_commands() AS o
            WHERE o.schema_name IS NULL
               OR (o.schema_name <> 'pg_temp' AND o.schema_name NOT LIKE 'pg\\_temp\\_%');
        END IF;
    EXCEPTION WHEN OTHERS THEN
        -- The guard never makes a DDL command fail: a log it can't write is a warning.
        RAISE WARNING {warning}, tg_tag, SQLERRM;
    END;
END
",
            mark = literal(MARK_SETTING),
            value = literal(MARK_VALUE),
            log = self.log,
            drop_values = common.replace("{tag}", "tg_tag"),
            command_values = common.replace("{tag}", "o.command_tag"),
        )
    }

    /// Installs (or brings up to date) the guard, in one transaction marked as pelican's
    /// (so that replacing an older guard is not recorded by it). Every statement is
    /// idempotent; the event triggers come last, as the only ones that need a superuser on
    /// stock PostgreSQL.
    pub(crate) fn install(&self) -> String {
        let log = &self.log;
        let record = &self.record;
        let refuse = &self.refuse;
        format!(
            "BEGIN;
SELECT pg_catalog.set_config({mark}, {value}, true);
CREATE SCHEMA IF NOT EXISTS {schema};
-- A later layout of the log adds its columns here, with ALTER TABLE ... ADD COLUMN IF NOT
-- EXISTS, so that an older log is brought up to date in place.
CREATE TABLE IF NOT EXISTS {log} (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    event text NOT NULL,
    session_role text NOT NULL,
    acting_role text NOT NULL,
    application_name text,
    client_addr inet,
    backend_pid integer NOT NULL,
    transaction_id bigint,
    command_tag text NOT NULL,
    object_type text,
    object_identity text,
    schema_name text,
    statement text
);
CREATE OR REPLACE FUNCTION {record}() RETURNS event_trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS {body};
CREATE OR REPLACE FUNCTION {refuse}() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $pelican$
BEGIN
    RAISE EXCEPTION '%.% is append-only: % is refused', tg_table_schema, tg_table_name, tg_op
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'pelican guard remove --drop-log removes the guard and its log';
END
$pelican$;
DROP TRIGGER IF EXISTS {row_trigger} ON {log};
CREATE TRIGGER {row_trigger} BEFORE UPDATE OR DELETE ON {log}
    FOR EACH ROW EXECUTE FUNCTION {refuse}();
DROP TRIGGER IF EXISTS {truncate_trigger} ON {log};
CREATE TRIGGER {truncate_trigger} BEFORE TRUNCATE ON {log}
    FOR EACH STATEMENT EXECUTE FUNCTION {refuse}();
REVOKE ALL ON {log} FROM PUBLIC;
REVOKE ALL ON FUNCTION {record}() FROM PUBLIC;
REVOKE ALL ON FUNCTION {refuse}() FROM PUBLIC;
DROP EVENT TRIGGER IF EXISTS {command_trigger};
CREATE EVENT TRIGGER {command_trigger} ON ddl_command_end EXECUTE FUNCTION {record}();
DROP EVENT TRIGGER IF EXISTS {drop_trigger};
CREATE EVENT TRIGGER {drop_trigger} ON sql_drop EXECUTE FUNCTION {record}();
COMMIT;",
            mark = literal(MARK_SETTING),
            value = literal(MARK_VALUE),
            schema = ident(&self.schema),
            body = dollar_quoted(&self.record_body()),
            row_trigger = ident(ROW_TRIGGER),
            truncate_trigger = ident(TRUNCATE_TRIGGER),
            command_trigger = ident(COMMAND_TRIGGER),
            drop_trigger = ident(DROP_TRIGGER),
        )
    }

    /// Removes the event triggers and the recording function; with `drop_log`, the log and
    /// its triggers too. Without it, the log keeps its append-only triggers (and their
    /// function): it stays what it was, a record nobody edited.
    pub(crate) fn remove(&self, drop_log: bool) -> String {
        let mut sql = format!(
            "BEGIN;
SELECT pg_catalog.set_config({mark}, {value}, true);
DROP EVENT TRIGGER IF EXISTS {command_trigger};
DROP EVENT TRIGGER IF EXISTS {drop_trigger};
DROP FUNCTION IF EXISTS {record}();
",
            mark = literal(MARK_SETTING),
            value = literal(MARK_VALUE),
            command_trigger = ident(COMMAND_TRIGGER),
            drop_trigger = ident(DROP_TRIGGER),
            record = self.record,
        );
        if drop_log {
            sql.push_str(&format!(
                "DROP TABLE IF EXISTS {};\nDROP FUNCTION IF EXISTS {}();\n",
                self.log, self.refuse
            ));
        }
        sql.push_str("COMMIT;");
        sql
    }

    /// One row: the schema of each event trigger's function (NULL when the trigger is
    /// missing) and whether it is enabled, whether the log exists and whether this role may
    /// read it, the recording function's body in this schema (NULL when missing), and
    /// whether both of the log's append-only triggers are there and enabled.
    pub(crate) fn status_query(&self) -> String {
        let trigger = |name: &str| {
            format!(
                "(SELECT n.nspname::text FROM pg_catalog.pg_event_trigger e \
                 JOIN pg_catalog.pg_proc p ON p.oid = e.evtfoid \
                 JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace \
                 WHERE e.evtname = {name}), \
                 (SELECT e.evtenabled <> 'D' FROM pg_catalog.pg_event_trigger e WHERE e.evtname = {name})",
                name = literal(name)
            )
        };
        let log = literal(&self.log);
        format!(
            "SELECT {command}, {drop}, pg_catalog.to_regclass({log}) IS NOT NULL, \
             pg_catalog.to_regclass({log}) IS NOT NULL \
             AND pg_catalog.has_table_privilege(pg_catalog.to_regclass({log}), 'SELECT'), \
             (SELECT p.prosrc FROM pg_catalog.pg_proc p \
              JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace \
              WHERE n.nspname = {schema} AND p.proname = {record}), \
             (SELECT count(*) = 2 FROM pg_catalog.pg_trigger t \
              WHERE t.tgrelid = pg_catalog.to_regclass({log}) AND t.tgenabled <> 'D' \
              AND t.tgname IN ({row_trigger}, {truncate_trigger}))",
            row_trigger = literal(ROW_TRIGGER),
            truncate_trigger = literal(TRUNCATE_TRIGGER),
            command = trigger(COMMAND_TRIGGER),
            drop = trigger(DROP_TRIGGER),
            schema = literal(&self.schema),
            record = literal(RECORD_FUNCTION),
        )
    }

    /// How many rows the log has and when the last was written (as a `timestamptz`).
    pub(crate) fn log_summary_query(&self) -> String {
        format!("SELECT count(*), max(at) FROM {}", self.log)
    }

    /// The log's rows in order, those at or after `$1` when it is not NULL.
    pub(crate) fn read_log_query(&self) -> String {
        format!(
            "SELECT id, at, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), \
             event, session_role, acting_role, application_name, host(client_addr), \
             backend_pid, transaction_id, command_tag, object_type, object_identity, \
             schema_name, statement FROM {} \
             WHERE $1::timestamptz IS NULL OR at >= $1::timestamptz ORDER BY id",
            self.log
        )
    }
}

/// `text` between dollar quotes that it can't contain.
fn dollar_quoted(text: &str) -> String {
    let mut tag = String::from("pelican");
    while text.contains(&format!("${tag}$")) {
        tag.push('_');
    }
    format!("${tag}${text}${tag}$")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted_and_qualified() {
        let sql = GuardSql::new("odd\"schema");
        assert_eq!(sql.log_table(), "\"odd\"\"schema\".\"pelican_ddl_log\"");
        assert!(sql
            .install()
            .contains("CREATE SCHEMA IF NOT EXISTS \"odd\"\"schema\";"));
        assert!(sql
            .record_body()
            .contains("INSERT INTO \"odd\"\"schema\".\"pelican_ddl_log\""));
    }

    #[test]
    fn the_body_is_dollar_quoted_with_a_tag_it_does_not_contain() {
        assert_eq!(dollar_quoted("x"), "$pelican$x$pelican$");
        assert_eq!(
            dollar_quoted("a $pelican$ b"),
            "$pelican_$a $pelican$ b$pelican_$"
        );
    }

    #[test]
    fn remove_keeps_the_log_unless_asked() {
        let sql = GuardSql::new("public");
        assert!(!sql.remove(false).contains("DROP TABLE"));
        assert!(sql
            .remove(true)
            .contains("DROP TABLE IF EXISTS \"public\".\"pelican_ddl_log\""));
    }
}

//! The queries that look at the history schema before anything in it is trusted: which
//! tables exist, who owns them, the digest; and the functions and triggers of the layout.
//! Running them, and what their rows mean, is `crate::history`'s.

use super::history::{
    History, DIGEST_FUNCTION, LOG_TABLE, REVISIONS_TABLE, ROW_TRIGGER, STATE_TABLE, TRACK_FUNCTION,
    TRUNCATE_TRIGGER,
};
use crate::quote::literal;

/// Whether the role owning an object is one pelican may trust, as SQL over `owner` (the
/// owner's oid): the current role itself, a superuser (who could do anything anyway), or a
/// role the current one is a member of. `pg_has_role` says yes to a superuser for every role,
/// so it counts only for others. The common case, the current role, is decided first, without
/// reading `pg_roles`.
fn trusted_owner_sql(owner: &str) -> String {
    format!(
        "({owner} = pg_catalog.to_regrole(pg_catalog.quote_ident(current_user))::oid \
         OR (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.oid = {owner}) \
         OR (SELECT NOT u.rolsuper AND pg_catalog.pg_has_role(u.oid, {owner}, 'MEMBER') \
         FROM pg_catalog.pg_roles u WHERE u.rolname = current_user))"
    )
}

/// The columns of a probe's row, over `c` (the relation's `pg_class` row) and `name`.
fn probe_columns(name: &str) -> String {
    let trusted = trusted_owner_sql("c.relowner");
    format!(
        "{name}, c.relkind::text, pg_catalog.pg_get_userbyid(c.relowner)::text, \
         current_user::text, {trusted}, \
         CASE WHEN {name} = {state} AND c.relkind = 'r' AND {trusted} \
         AND pg_catalog.has_table_privilege(c.oid, 'SELECT') \
         THEN pg_catalog.table_to_xml(c.oid, true, true, '')::text END, \
         pg_catalog.has_table_privilege(c.oid, 'SELECT')",
        state = literal(STATE_TABLE),
    )
}

impl History {
    /// The probe's SQL: one row per history table, its columns null when it does not exist;
    /// then whether the server is a standby (`pg_is_in_recovery()`), so that a write is
    /// refused there without a query of its own, and whether the role may write the table as
    /// a run does (each privilege on its own: `has_table_privilege` with a list says whether
    /// any one is held).
    pub(crate) fn build_probe_sql(&self) -> String {
        let object = |name: &str, qualified: &str| {
            format!(
                "({}, pg_catalog.to_regclass({}))",
                literal(name),
                literal(qualified)
            )
        };
        format!(
            "SELECT {}, pg_catalog.pg_is_in_recovery(), CASE o.name \
             WHEN {revisions} THEN pg_catalog.has_table_privilege(c.oid, 'INSERT') \
             AND pg_catalog.has_table_privilege(c.oid, 'UPDATE') \
             AND pg_catalog.has_table_privilege(c.oid, 'DELETE') \
             WHEN {log} THEN pg_catalog.has_table_privilege(c.oid, 'INSERT') \
             AND pg_catalog.has_sequence_privilege(pg_catalog.to_regclass({sequence}), 'USAGE') \
             ELSE true END \
             FROM (VALUES {}, {}, {}) AS o(name, oid) \
             LEFT JOIN pg_catalog.pg_class c ON c.oid = o.oid",
            probe_columns("o.name"),
            object(REVISIONS_TABLE, &self.revisions),
            object(LOG_TABLE, &self.log),
            object(STATE_TABLE, &self.state),
            revisions = literal(REVISIONS_TABLE),
            log = literal(LOG_TABLE),
            sequence = literal(&format!(
                "{}.{}",
                crate::quote::ident(&self.schema),
                crate::quote::ident(&format!("{LOG_TABLE}_id_seq"))
            )),
        )
    }

    /// The start at head's probe: `pelican_state` alone, and only the common case decided:
    /// a table owned by the current role. It names as few catalogs and functions as it can,
    /// because a new server process pays for each one it looks up for the first time. One
    /// row: whether the server is a standby, whether the table exists, and its XML.
    pub(crate) fn build_digest_probe_sql(&self) -> String {
        format!(
            "SELECT pg_catalog.pg_is_in_recovery(), c.oid IS NOT NULL, CASE WHEN c.relkind = 'r' \
             AND pg_catalog.pg_get_userbyid(c.relowner) = current_user \
             THEN pg_catalog.table_to_xml(c.oid, true, true, '')::text END \
             FROM (SELECT pg_catalog.to_regclass({})) AS o(oid) \
             LEFT JOIN pg_catalog.pg_class c ON c.oid = o.oid",
            literal(&self.state),
        )
    }

    /// The query of `check_layout`: the digest's functions with their owners, and whether
    /// its triggers fire always.
    pub(crate) fn check_layout_sql(&self) -> String {
        format!(
            "SELECT 'function', p.proname::text, pg_catalog.pg_get_userbyid(p.proowner)::text, \
             current_user::text, {trusted} \
             FROM pg_catalog.pg_proc p \
             WHERE p.pronamespace = (SELECT n.oid FROM pg_catalog.pg_namespace n WHERE n.nspname = {schema}) \
             AND p.proname IN ({digest}, {track}) \
             UNION ALL \
             SELECT 'trigger', tgname::text, NULL, NULL, tgenabled = 'A' FROM pg_catalog.pg_trigger \
             WHERE tgrelid = pg_catalog.to_regclass({revisions}) AND tgname IN ({row}, {truncate})",
            trusted = trusted_owner_sql("p.proowner"),
            schema = literal(&self.schema),
            digest = literal(DIGEST_FUNCTION),
            track = literal(TRACK_FUNCTION),
            revisions = literal(&self.revisions),
            row = literal(ROW_TRIGGER),
            truncate = literal(TRUNCATE_TRIGGER),
        )
    }
}

/// The digests of the history tables of many schemas in one query, one row per schema in
/// the order given: the schema and, when its `pelican_state` is a table the current role
/// owns, the table as XML (what [`History::build_digest_probe_sql`] reads for one schema).
/// A fleet's status at head, in one round trip.
#[cfg(feature = "fleet")]
pub(crate) fn digests_probe_sql(schemas: &[String]) -> String {
    let names: Vec<String> = schemas.iter().map(|s| literal(s)).collect();
    format!(
        "SELECT s.name, CASE WHEN c.relkind = 'r' \
         AND pg_catalog.pg_get_userbyid(c.relowner) = current_user \
         THEN pg_catalog.table_to_xml(c.oid, true, true, '')::text END \
         FROM pg_catalog.unnest(ARRAY[{}]::text[]) WITH ORDINALITY AS s(name, n) \
         LEFT JOIN pg_catalog.pg_class c ON c.oid = pg_catalog.to_regclass(\
         pg_catalog.quote_ident(s.name) || '.' || {state}) ORDER BY s.n",
        names.join(", "),
        state = literal(STATE_TABLE),
    )
}

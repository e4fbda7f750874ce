//! What a role lacks, read from PostgreSQL's `insufficient_privilege` errors (SQLSTATE
//! 42501): the privilege, the object, and the `GRANT` (or the owner) that gives it. Pure text:
//! every message pelican prints for a server error goes through [`advice`].

/// The SQLSTATE of `insufficient_privilege`.
pub(crate) const INSUFFICIENT_PRIVILEGE: &str = "42501";

/// Advice for a 42501 error whose message is `message` (and detail `detail`): which privilege
/// the role lacks on which object, and how to get it; `None` for a message of another form.
///
/// ```text
/// permission denied for database "app"  + User does not have CONNECT privilege.
/// permission denied for database app    (CREATE SCHEMA)
/// permission denied for schema app
/// permission denied for table items     (and sequence, view, function, type...)
/// must be owner of table items
/// must be superuser to ..., permission denied to create ...
/// ```
pub(crate) fn advice(message: &str, detail: Option<&str>) -> Option<String> {
    if let Some(database) = message.strip_prefix("permission denied for database ") {
        let database = database.trim_matches('"');
        let quoted = crate::quote::ident_for_humans(database);
        return Some(if detail.is_some_and(|d| d.contains("CONNECT")) {
            format!(
                "the role lacks CONNECT on database {quoted}; its owner or a superuser can \
                 GRANT CONNECT ON DATABASE {quoted} TO it"
            )
        } else {
            format!(
                "the role lacks CREATE on database {quoted} (it creates schemas); its owner or \
                 a superuser can GRANT CREATE ON DATABASE {quoted} TO it, or create the schema \
                 for it (CREATE SCHEMA ... AUTHORIZATION role)"
            )
        });
    }
    if let Some(schema) = message.strip_prefix("permission denied for schema ") {
        return Some(format!(
            "the role lacks a privilege on schema {schema}: USAGE to use what is in it, CREATE to \
             create objects in it; its owner or a superuser can GRANT USAGE (or CREATE) ON \
             SCHEMA {schema} TO it, or create the object in a schema the role owns"
        ));
    }
    if let Some(object) = message.strip_prefix("permission denied for ") {
        return Some(format!(
            "the role lacks the privilege the statement needs on {object} (SELECT, INSERT, \
             UPDATE, DELETE, REFERENCES, TRIGGER, USAGE or EXECUTE); its owner can GRANT it, or \
             run the migration as the owner"
        ));
    }
    if let Some(object) = message.strip_prefix("must be owner of ") {
        let kind = object.split(' ').next().unwrap_or("table").to_uppercase();
        return Some(format!(
            "only the owner of {object} (or a member of the role that owns it) may alter or \
             drop it; run the migration as that role, or have it transferred (ALTER {kind} ... \
             OWNER TO role)"
        ));
    }
    if message.starts_with("must be superuser") || message.starts_with("permission denied to ") {
        return Some(
            "the statement needs a superuser (or the role attribute the message names, such as \
             CREATEDB or CREATEROLE): have a superuser run it, or leave it out of the \
             application's migrations (docs/operations.md, \"Least privilege\")"
                .to_owned(),
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_message_names_the_privilege_and_the_grant() {
        assert_eq!(
            advice(
                "permission denied for database \"app db\"",
                Some("User does not have CONNECT privilege.")
            )
            .unwrap(),
            "the role lacks CONNECT on database \"app db\"; its owner or a superuser can GRANT \
             CONNECT ON DATABASE \"app db\" TO it"
        );
        assert!(advice("permission denied for database shop", None)
            .unwrap()
            .starts_with("the role lacks CREATE on database shop (it creates schemas)"));
        assert!(advice("permission denied for schema public", None)
            .unwrap()
            .contains("GRANT USAGE (or CREATE) ON SCHEMA public TO it"));
        assert!(advice("permission denied for table items", None)
            .unwrap()
            .starts_with("the role lacks the privilege the statement needs on table items"));
        assert!(advice("must be owner of table items", None)
            .unwrap()
            .contains("(ALTER TABLE ... OWNER TO role)"));
        assert!(
            advice("permission denied to create extension \"pgcrypto\"", None)
                .unwrap()
                .starts_with("the statement needs a superuser")
        );
        assert_eq!(advice("relation \"x\" does not exist", None), None);
    }
}

//! `GRANT` and `REVOKE` (with [`AutogenOptions::privileges`](super::AutogenOptions)): revokes
//! first, on objects that stay; grants last, once every object exists. An object the plan
//! creates, or drops and creates again, starts with PostgreSQL's defaults (`EXECUTE` for
//! `PUBLIC` on a routine, `USAGE` on a type), so its grants are written from those.

use std::collections::BTreeSet;

use super::statement::statement;
use super::PlannedStatement;
use crate::schema::{FunctionName, Grant, QualifiedName, Snapshot};

/// Every object of `snapshot` named as [`Grant::object`] names it.
fn objects(snapshot: &Snapshot) -> BTreeSet<String> {
    let named = |kind: &str, name: &QualifiedName| format!("{kind} {name}");
    let mut out: BTreeSet<String> = snapshot
        .schemas
        .keys()
        .map(|s| format!("SCHEMA {}", crate::schema::ident(s)))
        .collect();
    for name in snapshot
        .tables
        .keys()
        .chain(snapshot.views.keys())
        .chain(snapshot.materialized_views.keys())
    {
        out.insert(named("TABLE", name));
    }
    out.extend(snapshot.sequences.keys().map(|n| named("SEQUENCE", n)));
    out.extend(snapshot.functions.keys().map(routine));
    for name in snapshot
        .enums
        .keys()
        .chain(snapshot.domains.keys())
        .chain(snapshot.composite_types.keys())
        .chain(snapshot.range_types.keys())
    {
        out.insert(named("TYPE", name));
    }
    out
}

fn routine(name: &FunctionName) -> String {
    format!("ROUTINE {name}")
}

/// The object a plan's statement drops (or renames away), as a grant names it.
fn dropped_object(sql: &str) -> Option<String> {
    let kinds = [
        ("DROP MATERIALIZED VIEW ", "TABLE"),
        ("DROP VIEW ", "TABLE"),
        ("DROP TABLE ", "TABLE"),
        ("DROP SEQUENCE ", "SEQUENCE"),
        ("DROP TYPE ", "TYPE"),
        ("DROP DOMAIN ", "TYPE"),
        ("DROP FUNCTION ", "ROUTINE"),
        ("DROP PROCEDURE ", "ROUTINE"),
        ("DROP AGGREGATE ", "ROUTINE"),
        ("DROP SCHEMA ", "SCHEMA"),
        ("ALTER TYPE ", "TYPE"),
    ];
    let (prefix, kind) = kinds.iter().find(|(prefix, _)| sql.starts_with(prefix))?;
    let rest = &sql[prefix.len()..];
    let rest = rest.strip_prefix("IF EXISTS ").unwrap_or(rest);
    let name = if *prefix == "ALTER TYPE " {
        rest.split_once(" RENAME TO ")?.0
    } else {
        rest.strip_suffix(" CASCADE").unwrap_or(rest)
    };
    Some(format!("{kind} {name}"))
}

/// What an object has when it is created: PostgreSQL's default privileges for its kind,
/// besides its owner's.
fn defaults(object: &str) -> Vec<Grant> {
    let public = |privilege: &str| Grant {
        object: object.to_owned(),
        privilege: privilege.to_owned(),
        grantee: "PUBLIC".to_owned(),
        grantable: false,
    };
    if object.starts_with("ROUTINE ") {
        vec![public("EXECUTE")]
    } else if object.starts_with("TYPE ") {
        vec![public("USAGE")]
    } else {
        Vec::new()
    }
}

fn grant(g: &Grant) -> PlannedStatement {
    let option = if g.grantable {
        " WITH GRANT OPTION"
    } else {
        ""
    };
    statement(
        format!(
            "GRANT {} ON {} TO {}{option}",
            g.privilege, g.object, g.grantee
        ),
        vec![],
    )
}

fn revoke(g: &Grant) -> PlannedStatement {
    statement(
        format!("REVOKE {} ON {} FROM {}", g.privilege, g.object, g.grantee),
        vec![],
    )
}

/// The revokes that go first and the grants that go last around `planned`, the plan's other
/// statements from `from` to `to`.
pub(super) fn around(
    from: &Snapshot,
    to: &Snapshot,
    planned: &[PlannedStatement],
) -> (Vec<PlannedStatement>, Vec<PlannedStatement>) {
    let (before, after) = (objects(from), objects(to));
    let mut fresh: BTreeSet<String> = after.difference(&before).cloned().collect();
    fresh.extend(
        planned
            .iter()
            .filter_map(|s| dropped_object(&s.sql))
            .filter(|object| after.contains(object)),
    );
    let first = from
        .privileges
        .difference(&to.privileges)
        .filter(|g| after.contains(&g.object) && !fresh.contains(&g.object))
        .map(revoke)
        .collect();
    let mut last: Vec<PlannedStatement> = to
        .privileges
        .difference(&from.privileges)
        .filter(|g| !fresh.contains(&g.object))
        .map(grant)
        .collect();
    for object in &fresh {
        let wanted: BTreeSet<&Grant> = to
            .privileges
            .iter()
            .filter(|g| &g.object == object)
            .collect();
        let given = defaults(object);
        last.extend(given.iter().filter(|g| !wanted.contains(g)).map(revoke));
        last.extend(wanted.into_iter().filter(|g| !given.contains(g)).map(grant));
    }
    (first, last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(object: &str, privilege: &str, grantee: &str) -> Grant {
        Grant {
            object: object.into(),
            privilege: privilege.into(),
            grantee: grantee.into(),
            grantable: false,
        }
    }

    #[test]
    fn dropped_objects_are_named_as_grants_name_them() {
        assert_eq!(
            dropped_object("DROP VIEW app.v").as_deref(),
            Some("TABLE app.v")
        );
        assert_eq!(
            dropped_object("DROP FUNCTION app.f(n integer)").as_deref(),
            Some("ROUTINE app.f(n integer)")
        );
        assert_eq!(
            dropped_object("ALTER TYPE app.s RENAME TO s_old").as_deref(),
            Some("TYPE app.s")
        );
        assert_eq!(
            dropped_object("DROP SEQUENCE IF EXISTS app.s").as_deref(),
            Some("SEQUENCE app.s")
        );
        assert_eq!(dropped_object("ALTER TABLE app.t ADD COLUMN x int"), None);
    }

    #[test]
    fn revokes_go_first_grants_last_and_new_routines_start_from_the_defaults() {
        let mut from = Snapshot::default();
        from.schemas.insert("app".into(), Default::default());
        from.tables
            .insert(QualifiedName::new("app", "t"), Default::default());
        let mut to = from.clone();
        from.privileges.insert(g("TABLE app.t", "SELECT", "reader"));
        to.privileges.insert(g("TABLE app.t", "INSERT", "writer"));
        let name = FunctionName {
            schema: "app".into(),
            name: "f".into(),
            arguments: String::new(),
        };
        let function = crate::schema::Function {
            kind: crate::schema::FunctionKind::Function,
            definition: "CREATE FUNCTION app.f() ...".into(),
            comment: None,
        };
        to.functions.insert(name, function);
        to.privileges
            .insert(g("ROUTINE app.f()", "EXECUTE", "writer"));
        let (first, last) = around(&from, &to, &[]);
        let sqls =
            |list: &[PlannedStatement]| list.iter().map(|s| s.sql.clone()).collect::<Vec<_>>();
        assert_eq!(sqls(&first), ["REVOKE SELECT ON TABLE app.t FROM reader"]);
        assert_eq!(
            sqls(&last),
            [
                "GRANT INSERT ON TABLE app.t TO writer",
                "REVOKE EXECUTE ON ROUTINE app.f() FROM PUBLIC",
                "GRANT EXECUTE ON ROUTINE app.f() TO writer",
            ]
        );
    }
}

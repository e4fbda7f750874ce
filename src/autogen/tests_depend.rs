//! Unit tests of the ordering by the snapshot's dependencies, with hand-built ones: names are
//! chosen so that alphabetical order (what a snapshot without dependencies falls back to) is
//! the wrong order.

use super::*;
use crate::schema::{
    Column, ColumnName, Constraint, ConstraintKind, Function, FunctionKind, FunctionName,
    ObjectRef, QualifiedName, Table, View,
};

fn name(object: &str) -> QualifiedName {
    QualifiedName::new("app", object)
}

fn relation(object: &str) -> ObjectRef {
    ObjectRef::Relation(name(object))
}

fn column(table: &str, column: &str) -> ObjectRef {
    ObjectRef::Column(ColumnName {
        table: name(table),
        name: column.into(),
    })
}

fn uses(snapshot: &mut Snapshot, user: ObjectRef, used: ObjectRef) {
    snapshot.dependencies.entry(user).or_default().insert(used);
}

fn view(definition: &str) -> View {
    View {
        definition: definition.into(),
        options: None,
        comment: None,
    }
}

fn sqls(statements: &[PlannedStatement]) -> Vec<&str> {
    statements.iter().map(|s| s.sql.as_str()).collect()
}

fn position(statements: &[&str], prefix: &str) -> usize {
    statements
        .iter()
        .position(|s| s.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} in {statements:#?}"))
}

/// Tables `tasks (title varchar(50))` and `users (name text)`, a view over each; the
/// views' text names nothing (as if written through a function), only the dependencies tell.
fn two_views(title_type: &str, known: bool) -> Snapshot {
    let mut snapshot = Snapshot::default();
    snapshot.schemas.insert("app".into(), Default::default());
    for (table, col, data_type) in [("tasks", "title", title_type), ("users", "name", "text")] {
        let mut t = Table::default();
        t.columns.push(Column::new(col, data_type));
        snapshot.tables.insert(name(table), t);
    }
    snapshot.views.insert(name("a_titles"), view(" SELECT 1"));
    snapshot.views.insert(name("b_names"), view(" SELECT 2"));
    if known {
        uses(
            &mut snapshot,
            relation("a_titles"),
            column("tasks", "title"),
        );
        uses(&mut snapshot, relation("b_names"), column("users", "name"));
    }
    snapshot
}

#[test]
fn only_a_view_over_a_retyped_column_is_created_again() {
    let (from, to) = (two_views("varchar(50)", true), two_views("text", true));
    let plan = plan_changes(&from, &to, &AutogenOptions::default());
    let up = sqls(&plan.up);
    assert!(up.contains(&"DROP VIEW app.a_titles"), "{up:#?}");
    assert!(!up.iter().any(|s| s.contains("b_names")), "{up:#?}");
    assert!(position(&up, "DROP VIEW app.a_titles") < position(&up, "ALTER TABLE app.tasks"));
    assert!(position(&up, "ALTER TABLE app.tasks") < position(&up, "CREATE VIEW app.a_titles"));
    // Without dependencies, every view goes and comes back.
    let (from, to) = (two_views("varchar(50)", false), two_views("text", false));
    let plan = plan_changes(&from, &to, &AutogenOptions::default());
    assert!(sqls(&plan.up).contains(&"DROP VIEW app.b_names"));
}

/// Views `z_first` ← `m_second` ← `a_third` (each reads the one before), by dependencies
/// alone.
fn chain(with_views: bool) -> Snapshot {
    let mut snapshot = Snapshot::default();
    snapshot.schemas.insert("app".into(), Default::default());
    if with_views {
        for object in ["a_third", "m_second", "z_first"] {
            snapshot.views.insert(name(object), view(" SELECT 1"));
        }
        uses(&mut snapshot, relation("a_third"), relation("m_second"));
        uses(&mut snapshot, relation("m_second"), relation("z_first"));
    }
    snapshot
}

#[test]
fn a_chain_of_views_is_created_in_order_and_dropped_in_reverse() {
    let plan = plan_changes(&chain(false), &chain(true), &AutogenOptions::default());
    let up = sqls(&plan.up);
    assert_eq!(
        up,
        [
            "CREATE VIEW app.z_first AS\nSELECT 1",
            "CREATE VIEW app.m_second AS\nSELECT 1",
            "CREATE VIEW app.a_third AS\nSELECT 1",
        ]
    );
    assert_eq!(
        sqls(&plan.down),
        [
            "DROP VIEW app.a_third",
            "DROP VIEW app.m_second",
            "DROP VIEW app.z_first",
        ]
    );
    // The same twice, byte for byte.
    assert_eq!(
        plan,
        plan_changes(&chain(false), &chain(true), &Default::default())
    );
}

fn routine(object: &str) -> FunctionName {
    FunctionName {
        schema: "app".into(),
        name: object.into(),
        arguments: String::new(),
    }
}

/// A routine `z_limit()` returning `returns`, and a table whose default and check call it
/// (their text spells it without its schema: only the dependencies tell).
fn limited(returns: &str) -> Snapshot {
    let mut snapshot = Snapshot::default();
    snapshot.schemas.insert("app".into(), Default::default());
    let definition = format!(
        "CREATE OR REPLACE FUNCTION app.z_limit()\n RETURNS {returns}\n LANGUAGE sql\nRETURN 10\n"
    );
    snapshot.functions.insert(
        routine("z_limit"),
        Function {
            kind: FunctionKind::Function,
            definition,
            comment: None,
        },
    );
    let mut table = Table::default();
    let mut score = Column::new("score", "integer");
    score.default = Some("z_limit()".into());
    table.columns.push(score);
    table.constraints.insert(
        "score_max".into(),
        Constraint::new(ConstraintKind::Check, "CHECK (score <= z_limit())"),
    );
    snapshot.tables.insert(name("tasks"), table);
    let function = ObjectRef::Function(routine("z_limit"));
    let default = ObjectRef::Default(ColumnName {
        table: name("tasks"),
        name: "score".into(),
    });
    uses(&mut snapshot, default, function.clone());
    let check = ObjectRef::Constraint(name("tasks"), "score_max".into());
    uses(&mut snapshot, check, function);
    snapshot
}

#[test]
fn a_default_and_a_check_that_call_a_rebuilt_routine_are_set_aside_around_it() {
    let plan = plan_changes(&limited("integer"), &limited("bigint"), &Default::default());
    let up = sqls(&plan.up);
    let drop = position(&up, "DROP FUNCTION app.z_limit()");
    let create = position(&up, "CREATE OR REPLACE FUNCTION app.z_limit()");
    assert!(position(&up, "ALTER TABLE app.tasks ALTER COLUMN score DROP DEFAULT") < drop);
    assert!(position(&up, "ALTER TABLE app.tasks DROP CONSTRAINT score_max") < drop);
    assert!(drop < create);
    assert!(
        create
            < position(
                &up,
                "ALTER TABLE app.tasks ALTER COLUMN score SET DEFAULT z_limit()"
            )
    );
    assert!(create < position(&up, "ALTER TABLE app.tasks ADD CONSTRAINT score_max CHECK"));
    assert_eq!(
        up.iter().filter(|s| s.contains("DROP CONSTRAINT")).count(),
        1
    );
    // Replaced in place (same return type, new body): nothing is set aside.
    let mut other = limited("integer");
    let f = other.functions.get_mut(&routine("z_limit")).unwrap();
    f.definition = f.definition.replace("RETURN 10", "RETURN 11");
    let plan = plan_changes(&limited("integer"), &other, &Default::default());
    assert_eq!(
        sqls(&plan.up),
        [other.functions[&routine("z_limit")].definition.trim_end()]
    );
}

//! Unit tests of the plan: statements, order, hazards, renames, what is reported unsupported,
//! and properties over random table sets.

use proptest::prelude::*;

use super::*;
use crate::schema::{Column, Constraint, ConstraintKind, QualifiedName, Table};

fn name(table: &str) -> QualifiedName {
    QualifiedName::new("app", table)
}

fn column(name: &str, data_type: &str) -> Column {
    Column::new(name, data_type)
}

fn snapshot(tables: Vec<(&str, Table)>) -> Snapshot {
    let mut snapshot = Snapshot::default();
    snapshot.schemas.insert("app".into(), Default::default());
    for (table_name, table) in tables {
        snapshot.tables.insert(name(table_name), table);
    }
    snapshot
}

fn table(columns: Vec<Column>) -> Table {
    Table {
        columns,
        ..Table::default()
    }
}

fn sqls(statements: &[PlannedStatement]) -> Vec<&str> {
    statements.iter().map(|s| s.sql.as_str()).collect()
}

#[test]
fn equal_snapshots_plan_nothing() {
    let a = snapshot(vec![("tasks", table(vec![column("id", "bigint")]))]);
    let plan = plan_changes(&a, &a, &AutogenOptions::default());
    assert!(plan.is_empty(), "{plan:?}");
    assert!(plan.down.is_empty());
}

#[test]
fn a_column_change_alters_in_place_with_its_hazards() {
    let a = snapshot(vec![("tasks", table(vec![column("id", "integer")]))]);
    let mut id = column("id", "bigint");
    id.not_null = true;
    id.default = Some("0".into());
    let b = snapshot(vec![("tasks", table(vec![id, column("title", "text")]))]);
    let plan = plan_changes(&a, &b, &AutogenOptions::default());
    assert_eq!(
        sqls(&plan.up),
        [
            "ALTER TABLE app.tasks ALTER COLUMN id TYPE bigint USING id::bigint",
            "ALTER TABLE app.tasks ALTER COLUMN id SET DEFAULT 0",
            "ALTER TABLE app.tasks ALTER COLUMN id SET NOT NULL",
            "ALTER TABLE app.tasks ADD COLUMN title text",
        ]
    );
    assert!(plan.up[0].hazards.contains(&Hazard::RewritesTable));
    assert!(plan.up[2].hazards.contains(&Hazard::ScansUnderLock));
    assert_eq!(
        sqls(&plan.down),
        [
            // The default of the old type goes before the type changes.
            "ALTER TABLE app.tasks ALTER COLUMN id DROP DEFAULT",
            "ALTER TABLE app.tasks ALTER COLUMN id TYPE integer USING id::integer",
            "ALTER TABLE app.tasks ALTER COLUMN id DROP NOT NULL",
            "ALTER TABLE app.tasks DROP COLUMN title",
        ]
    );
    assert!(plan.down[3].hazards.contains(&Hazard::DeletesData));
    assert!(plan.up_sql().starts_with(
        "-- hazard: takes ACCESS EXCLUSIVE on an existing table\n\
         -- hazard: rewrites the table\n\
         -- hazard: not reversible: the down can't restore what this loses\n\
         ALTER TABLE app.tasks ALTER COLUMN id TYPE bigint USING id::bigint;\n\n"
    ));
}

#[test]
fn foreign_keys_come_after_every_table_and_go_before_any() {
    let mut users = table(vec![column("id", "bigint")]);
    users.constraints.insert(
        "users_pkey".into(),
        Constraint::new(ConstraintKind::PrimaryKey, "PRIMARY KEY (id)"),
    );
    let mut tasks = table(vec![column("id", "bigint"), column("owner", "bigint")]);
    tasks.constraints.insert(
        "tasks_owner_fkey".into(),
        Constraint::new(
            ConstraintKind::ForeignKey,
            "FOREIGN KEY (owner) REFERENCES app.users(id)",
        ),
    );
    let empty = Snapshot::default();
    let full = snapshot(vec![("tasks", tasks), ("users", users)]);
    let plan = plan_changes(&empty, &full, &AutogenOptions::default());
    let up = sqls(&plan.up);
    let fk = up
        .iter()
        .position(|s| s.contains("tasks_owner_fkey"))
        .unwrap();
    let last_table = up
        .iter()
        .rposition(|s| s.starts_with("CREATE TABLE"))
        .unwrap();
    let pk = up.iter().position(|s| s.contains("users_pkey")).unwrap();
    assert!(fk > last_table && fk > pk, "{up:#?}");
    // No hazard on tables created by the plan itself.
    assert!(
        plan.up.iter().all(|s| s.hazards.is_empty()),
        "{:?}",
        plan.up
    );
    let down = sqls(&plan.down);
    let drop_fk = down
        .iter()
        .position(|s| s.contains("DROP CONSTRAINT tasks_owner_fkey"))
        .unwrap();
    let first_drop = down
        .iter()
        .position(|s| s.starts_with("DROP TABLE"))
        .unwrap();
    assert!(drop_fk < first_drop, "{down:#?}");
    assert_eq!(down.last(), Some(&"DROP SCHEMA app"));
}

#[test]
fn renames_are_candidates_until_confirmed() {
    let a = snapshot(vec![(
        "tasks",
        table(vec![column("id", "bigint"), column("title", "text")]),
    )]);
    let b = snapshot(vec![(
        "todos",
        table(vec![column("id", "bigint"), column("title", "text")]),
    )]);
    let plan = plan_changes(&a, &b, &AutogenOptions::default());
    assert_eq!(plan.rename_candidates.len(), 1);
    assert_eq!(
        plan.rename_candidates[0].to_string(),
        "table app.tasks may have been renamed to app.todos (confirm with --rename app.tasks=app.todos)"
    );
    assert!(sqls(&plan.up).contains(&"DROP TABLE app.tasks"));
    let confirmed = plan_changes(
        &a,
        &b,
        &AutogenOptions::default().rename("app.tasks", "app.todos"),
    );
    assert!(confirmed.rename_candidates.is_empty());
    assert_eq!(
        sqls(&confirmed.up),
        ["ALTER TABLE app.tasks RENAME TO todos"]
    );
    assert_eq!(
        sqls(&confirmed.down),
        ["ALTER TABLE app.todos RENAME TO tasks"]
    );

    let c = snapshot(vec![(
        "tasks",
        table(vec![column("id", "bigint"), column("name", "text")]),
    )]);
    let plan = plan_changes(
        &a,
        &c,
        &AutogenOptions::default().rename("app.tasks.title", "app.tasks.name"),
    );
    assert_eq!(
        sqls(&plan.up),
        ["ALTER TABLE app.tasks RENAME COLUMN title TO name"]
    );
    assert_eq!(
        sqls(&plan.down),
        ["ALTER TABLE app.tasks RENAME COLUMN name TO title"]
    );
    assert!(plan.notes.is_empty(), "{:?}", plan.notes);
}

#[test]
fn what_is_not_written_yet_is_named_and_column_order_is_a_note() {
    let a = snapshot(vec![(
        "tasks",
        table(vec![column("a", "int"), column("b", "int")]),
    )]);
    let mut b = snapshot(vec![(
        "tasks",
        table(vec![column("b", "int"), column("a", "int")]),
    )]);
    b.tables.get_mut(&name("tasks")).unwrap().partition_key = Some("RANGE (a)".into());
    let plan = plan_changes(&a, &b, &AutogenOptions::default());
    assert!(plan.up.is_empty());
    assert_eq!(
        plan.unsupported,
        ["table app.tasks: partition key (changed)"]
    );
    assert_eq!(plan.notes.len(), 1);
    assert!(!plan.is_empty());
}

fn arb_type() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "integer",
        "bigint",
        "text",
        "boolean",
        "numeric(10,2)",
    ])
}

prop_compose! {
    fn arb_table()(columns in prop::collection::btree_map("[a-d]", (arb_type(), any::<bool>(), prop::option::of(Just("0"))), 1..4)) -> Table {
        table(columns.into_iter().map(|(n, (t, not_null, default))| {
            let mut c = column(&n, t);
            c.not_null = not_null;
            c.default = default.map(str::to_owned);
            c
        }).collect())
    }
}

/// The other kinds, a few of each, from small sets of variants.
fn arb_kinds() -> impl Strategy<Value = Snapshot> {
    use crate::schema::{Domain, Extension, Function, FunctionKind, FunctionName, Sequence};
    let comment = || prop::option::of(Just("note".to_owned()));
    let extension = prop::option::of((prop::sample::select(vec!["1.5", "1.6"]), comment()));
    let sequences =
        prop::collection::btree_map("s[1-2]", (any::<bool>(), 1..3i64, comment()), 0..3);
    let domains = prop::collection::btree_map(
        "d[1-2]",
        (
            any::<bool>(),
            any::<bool>(),
            prop::option::of(Just("1")),
            any::<bool>(),
        ),
        0..3,
    );
    let functions = prop::collection::btree_map("f[1-2]", (0..3usize, any::<bool>()), 0..3);
    (extension, sequences, domains, functions, comment()).prop_map(
        |(extension, sequences, domains, functions, schema_comment)| {
            let mut s = Snapshot::default();
            s.schemas.insert("app".into(), crate::schema::Schema { comment: schema_comment });
            if let Some((version, comment)) = extension {
                let extension = Extension { schema: "app".into(), version: version.into(), comment };
                s.extensions.insert("citext".into(), extension);
            }
            for (n, (big, increment, comment)) in sequences {
                let mut options = crate::schema::SequenceOptions {
                    start: 1, increment, min: 1, max: 2147483647, cache: 1, cycle: false,
                };
                options.cycle = big;
                let data_type = if big { "bigint" } else { "integer" }.to_owned();
                s.sequences.insert(name(&n), Sequence { data_type, options, owned_by: None, comment });
            }
            for (n, (text, not_null, default, check)) in domains {
                let mut constraints = std::collections::BTreeMap::new();
                if check {
                    constraints.insert("c".to_owned(), "CHECK (VALUE IS NOT NULL)".to_owned());
                }
                let base_type = if text { "text" } else { "integer" }.to_owned();
                let default = default.map(str::to_owned);
                let domain = Domain { base_type, not_null, default, collation: None, constraints, comment: None };
                s.domains.insert(name(&n), domain);
            }
            for (n, (variant, procedure)) in functions {
                let (kind, word) = if procedure {
                    (FunctionKind::Procedure, "PROCEDURE")
                } else {
                    (FunctionKind::Function, "FUNCTION")
                };
                let returns = ["", " RETURNS integer\n", " RETURNS text\n"][variant];
                let definition = format!(
                    "CREATE OR REPLACE {word} app.{n}()\n{returns} LANGUAGE sql\nAS $f$SELECT {variant}$f$\n"
                );
                let key = FunctionName { schema: "app".into(), name: n, arguments: String::new() };
                s.functions.insert(key, Function { kind, definition, comment: None });
            }
            s
        },
    )
}

fn arb_snapshot() -> impl Strategy<Value = Snapshot> {
    (
        prop::collection::btree_map("t[1-4]", arb_table(), 0..4),
        arb_kinds(),
    )
        .prop_map(|(tables, mut s)| {
            for (n, t) in tables {
                s.tables.insert(name(&n), t);
            }
            s
        })
}

proptest! {
    /// A plan from a snapshot to itself is empty; the same inputs give the same plan; the
    /// down of A → B is the up of B → A; a plan is empty only when the snapshots are equal.
    #[test]
    fn plans_are_deterministic_and_symmetric(a in arb_snapshot(), b in arb_snapshot()) {
        prop_assert!(plan_changes(&a, &a, &AutogenOptions::default()).up.is_empty());
        let plan = plan_changes(&a, &b, &AutogenOptions::default());
        prop_assert_eq!(&plan, &plan_changes(&a, &b, &AutogenOptions::default()));
        let back = plan_changes(&b, &a, &AutogenOptions::default());
        prop_assert_eq!(&plan.down, &back.up);
        prop_assert_eq!(plan.is_empty(), a == b);
    }
}

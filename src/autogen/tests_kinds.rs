//! Unit tests of the kinds beyond tables: extensions, sequences, routines, triggers, domains,
//! materialized views and the comments of schemas, constraints and indexes.

use std::collections::BTreeMap;

use super::*;
use crate::schema::{
    Column, ColumnName, Constraint, ConstraintKind, Domain, Extension, Function, FunctionKind,
    FunctionName, Index, QualifiedName, Sequence, SequenceOptions, Table, Trigger, TriggerFiring,
    TriggerName, View,
};

fn name(object: &str) -> QualifiedName {
    QualifiedName::new("app", object)
}

fn app() -> Snapshot {
    let mut snapshot = Snapshot::default();
    snapshot.schemas.insert("app".into(), Default::default());
    snapshot
}

fn sqls(statements: &[PlannedStatement]) -> Vec<&str> {
    statements.iter().map(|s| s.sql.as_str()).collect()
}

fn checked(from: &Snapshot, to: &Snapshot) -> ChangePlan {
    let plan = plan_changes(from, to, &AutogenOptions::default());
    assert!(plan.unsupported.is_empty(), "{:?}", plan.unsupported);
    // Byte for byte the same on a second run, and the down is the up of the other way.
    assert_eq!(plan, plan_changes(from, to, &AutogenOptions::default()));
    assert_eq!(
        plan.down,
        plan_changes(to, from, &AutogenOptions::default()).up
    );
    plan
}

fn position(statements: &[&str], prefix: &str) -> usize {
    statements
        .iter()
        .position(|s| s.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} in {statements:#?}"))
}

fn table(columns: &[(&str, &str, Option<&str>)]) -> Table {
    Table {
        columns: columns
            .iter()
            .map(|(n, t, default)| {
                let mut column = Column::new(*n, *t);
                column.default = default.map(str::to_owned);
                column
            })
            .collect(),
        ..Table::default()
    }
}

fn citext(version: &str) -> Extension {
    Extension {
        schema: "app".into(),
        version: version.into(),
        comment: Some("case-insensitive text".into()),
    }
}

#[test]
fn extensions_come_after_their_schema_and_go_before_it() {
    let mut to = app();
    to.extensions.insert("uuid-ossp".into(), citext("1.1"));
    let plan = checked(&Snapshot::default(), &to);
    assert_eq!(
        sqls(&plan.up),
        [
            "CREATE SCHEMA app",
            "CREATE EXTENSION IF NOT EXISTS \"uuid-ossp\" WITH SCHEMA app VERSION '1.1'",
            "COMMENT ON EXTENSION \"uuid-ossp\" IS 'case-insensitive text'",
        ]
    );
    assert_eq!(
        sqls(&plan.down),
        ["DROP EXTENSION \"uuid-ossp\"", "DROP SCHEMA app"]
    );

    let mut from = app();
    from.extensions.insert("citext".into(), citext("1.5"));
    let mut to = app();
    let mut moved = citext("1.6");
    moved.schema = "public".into();
    moved.comment = None;
    to.extensions.insert("citext".into(), moved);
    let plan = checked(&from, &to);
    assert_eq!(
        sqls(&plan.up),
        [
            "ALTER EXTENSION citext UPDATE TO '1.6'",
            "ALTER EXTENSION citext SET SCHEMA public",
            "COMMENT ON EXTENSION citext IS NULL",
        ]
    );
    assert_eq!(plan.down[0].sql, "ALTER EXTENSION citext UPDATE TO '1.5'");
    assert_eq!(plan.down[0].hazards, [Hazard::NotReversible]);
}

fn sequence(owner: Option<(&str, &str)>) -> Sequence {
    Sequence {
        data_type: "integer".into(),
        options: SequenceOptions {
            start: 1,
            increment: 1,
            min: 1,
            max: 2147483647,
            cache: 1,
            cycle: false,
        },
        owned_by: owner.map(|(table, column)| ColumnName {
            table: name(table),
            name: column.into(),
        }),
        comment: None,
    }
}

#[test]
fn a_serial_column_has_its_sequence_before_and_its_owner_after_and_goes_with_its_table() {
    let mut to = app();
    let default = "nextval('app.t_id_seq'::regclass)";
    to.tables
        .insert(name("t"), table(&[("id", "integer", Some(default))]));
    to.sequences
        .insert(name("t_id_seq"), sequence(Some(("t", "id"))));
    let plan = checked(&app(), &to);
    assert_eq!(
        sqls(&plan.up),
        [
            "CREATE SEQUENCE app.t_id_seq AS integer START WITH 1 INCREMENT BY 1 MINVALUE 1 \
             MAXVALUE 2147483647 CACHE 1 NO CYCLE",
            "CREATE TABLE app.t (\n    id integer DEFAULT nextval('app.t_id_seq'::regclass)\n)",
            "ALTER SEQUENCE app.t_id_seq OWNED BY app.t.id",
        ]
    );
    // Dropped with its table: a DROP SEQUENCE after would fail.
    assert_eq!(sqls(&plan.down), ["DROP TABLE app.t"]);

    // Not owned, or owned by a column that stays: dropped after the tables.
    let mut kept = to.clone();
    kept.sequences.clear();
    kept.tables
        .insert(name("t"), table(&[("id", "integer", None)]));
    let plan = checked(&to, &kept);
    assert_eq!(
        sqls(&plan.up),
        [
            "ALTER TABLE app.t ALTER COLUMN id DROP DEFAULT",
            "DROP SEQUENCE app.t_id_seq",
        ]
    );
}

#[test]
fn sequence_options_and_owners_change_in_place() {
    let mut from = app();
    from.tables.insert(
        name("t"),
        table(&[("a", "integer", None), ("b", "integer", None)]),
    );
    from.sequences.insert(name("s"), sequence(Some(("t", "a"))));
    let mut to = app();
    to.tables
        .insert(name("t"), table(&[("b", "integer", None)]));
    let mut changed = sequence(Some(("t", "b")));
    changed.data_type = "bigint".into();
    changed.options.cycle = true;
    changed.comment = Some("numbers".into());
    to.sequences.insert(name("s"), changed);
    let plan = checked(&from, &to);
    let up = sqls(&plan.up);
    assert_eq!(
        up[0],
        "ALTER SEQUENCE app.s AS bigint START WITH 1 INCREMENT BY 1 MINVALUE 1 \
         MAXVALUE 2147483647 CACHE 1 CYCLE"
    );
    assert!(
        position(&up, "ALTER SEQUENCE app.s OWNED BY NONE")
            < position(&up, "ALTER TABLE app.t DROP COLUMN a"),
        "{up:#?}"
    );
    assert!(up.contains(&"ALTER SEQUENCE app.s OWNED BY app.t.b"));
    assert!(up.contains(&"COMMENT ON SEQUENCE app.s IS 'numbers'"));
}

fn function(kind: FunctionKind, definition: &str) -> Function {
    Function {
        kind,
        definition: definition.into(),
        comment: None,
    }
}

fn routine(object: &str, arguments: &str) -> FunctionName {
    FunctionName {
        schema: "app".into(),
        name: object.into(),
        arguments: arguments.into(),
    }
}

const HALF: &str = "CREATE OR REPLACE FUNCTION app.half(n integer)\n RETURNS integer\n \
                    LANGUAGE sql\nAS $function$SELECT n / 2$function$\n";

#[test]
fn functions_are_replaced_unless_their_return_type_or_kind_changes() {
    let mut from = app();
    from.functions.insert(
        routine("half", "n integer"),
        function(FunctionKind::Function, HALF),
    );
    let mut to = app();
    let body = HALF.replace("n / 2", "n / 3");
    to.functions.insert(
        routine("half", "n integer"),
        function(FunctionKind::Function, &body),
    );
    let plan = checked(&from, &to);
    assert_eq!(sqls(&plan.up), [body.trim()]);

    let numeric = HALF.replace("RETURNS integer", "RETURNS numeric");
    let mut commented = function(FunctionKind::Function, &numeric);
    commented.comment = Some("half".into());
    to.functions.insert(routine("half", "n integer"), commented);
    let plan = checked(&from, &to);
    assert_eq!(
        sqls(&plan.up),
        [
            "DROP FUNCTION app.half(n integer)",
            numeric.trim(),
            "COMMENT ON FUNCTION app.half(n integer) IS 'half'",
        ]
    );

    let procedure = "CREATE OR REPLACE PROCEDURE app.half(n integer)\n LANGUAGE sql\nAS $procedure$SELECT$procedure$\n";
    let mut to = app();
    to.functions.insert(
        routine("half", "IN n integer"),
        function(FunctionKind::Procedure, procedure),
    );
    let plan = checked(&from, &to);
    // Same name, other identity: the old one goes first, or the new one would clash.
    assert_eq!(
        sqls(&plan.up),
        ["DROP FUNCTION app.half(n integer)", procedure.trim()]
    );
    assert_eq!(sqls(&plan.down)[0], "DROP PROCEDURE app.half(IN n integer)");
}

#[test]
fn a_sql_function_naming_a_new_table_comes_after_it_and_others_before_the_tables() {
    let mut to = app();
    to.tables
        .insert(name("t"), table(&[("id", "integer", None)]));
    let count = "CREATE OR REPLACE FUNCTION app.count_t()\n RETURNS bigint\n LANGUAGE sql\n\
                 AS $function$SELECT count(*) FROM app.t$function$\n";
    let code = "CREATE OR REPLACE FUNCTION app.code()\n RETURNS text\n LANGUAGE plpgsql\n\
                AS $function$BEGIN RETURN (SELECT count(*) FROM app.t); END$function$\n";
    to.functions.insert(
        routine("count_t", ""),
        function(FunctionKind::Function, count),
    );
    to.functions
        .insert(routine("code", ""), function(FunctionKind::Function, code));
    to.functions.insert(
        routine("total", "integer"),
        function(
            FunctionKind::Aggregate,
            "AGGREGATE app.total(integer) (SFUNC = int4pl, STYPE = integer, INITCOND = '0')",
        ),
    );
    let plan = checked(&app(), &to);
    let up = sqls(&plan.up);
    let table = position(&up, "CREATE TABLE app.t");
    assert!(position(&up, "CREATE OR REPLACE FUNCTION app.code()") < table);
    assert!(position(&up, "CREATE AGGREGATE app.total(integer) (SFUNC = int4pl") < table);
    assert!(position(&up, "CREATE OR REPLACE FUNCTION app.count_t()") > table);
    let down = sqls(&plan.down);
    assert_eq!(
        &down[1..],
        [
            "DROP AGGREGATE app.total(integer)",
            "DROP FUNCTION app.count_t()",
            "DROP FUNCTION app.code()",
        ]
    );
    assert_eq!(down[0], "DROP TABLE app.t");
}

fn trigger(definition: &str, firing: TriggerFiring) -> Trigger {
    Trigger {
        definition: definition.into(),
        firing,
        comment: None,
    }
}

#[test]
fn triggers_come_after_their_table_and_function_and_go_before_them() {
    let touch = "CREATE OR REPLACE FUNCTION app.touch()\n RETURNS trigger\n LANGUAGE plpgsql\n\
                 AS $function$BEGIN RETURN NEW; END$function$\n";
    let definition =
        "CREATE TRIGGER t_touch BEFORE UPDATE ON app.t FOR EACH ROW EXECUTE FUNCTION app.touch()";
    let key = TriggerName {
        table: name("t"),
        name: "t_touch".into(),
    };
    let mut to = app();
    to.tables
        .insert(name("t"), table(&[("id", "integer", None)]));
    to.functions.insert(
        routine("touch", ""),
        function(FunctionKind::Function, touch),
    );
    to.triggers
        .insert(key.clone(), trigger(definition, TriggerFiring::Replica));
    let plan = checked(&app(), &to);
    let up = sqls(&plan.up);
    assert_eq!(up[2], definition);
    assert_eq!(up[3], "ALTER TABLE app.t ENABLE REPLICA TRIGGER t_touch");
    let down = sqls(&plan.down);
    assert_eq!(
        down,
        [
            "DROP TRIGGER t_touch ON app.t",
            "DROP TABLE app.t",
            "DROP FUNCTION app.touch()"
        ]
    );

    let mut changed = to.clone();
    let mut new = trigger(
        &definition.replace("UPDATE", "INSERT OR UPDATE"),
        TriggerFiring::Disabled,
    );
    new.comment = Some("keeps it fresh".into());
    changed.triggers.insert(key.clone(), new);
    let plan = checked(&to, &changed);
    assert_eq!(
        sqls(&plan.up),
        [
            "DROP TRIGGER t_touch ON app.t",
            &definition.replace("UPDATE", "INSERT OR UPDATE"),
            "ALTER TABLE app.t DISABLE TRIGGER t_touch",
            "COMMENT ON TRIGGER t_touch ON app.t IS 'keeps it fresh'",
        ]
    );
    let mut always = to.clone();
    always.triggers.get_mut(&key).unwrap().firing = TriggerFiring::Always;
    assert_eq!(
        sqls(&plan_changes(&to, &always, &AutogenOptions::default()).up),
        ["ALTER TABLE app.t ENABLE ALWAYS TRIGGER t_touch"]
    );
}

fn domain(default: Option<&str>, not_null: bool, checks: &[(&str, &str)]) -> Domain {
    Domain {
        base_type: "integer".into(),
        not_null,
        default: default.map(str::to_owned),
        collation: None,
        constraints: checks
            .iter()
            .map(|(n, d)| (n.to_string(), d.to_string()))
            .collect::<BTreeMap<_, _>>(),
        comment: None,
    }
}

#[test]
fn domains_are_created_before_the_tables_and_altered_in_place() {
    let mut from = app();
    let mut amount = domain(Some("1"), true, &[("positive", "CHECK (VALUE > 0)")]);
    amount.collation = None;
    from.domains.insert(name("amount"), amount);
    from.tables
        .insert(name("t"), table(&[("n", "app.amount", None)]));
    let plan = checked(&app(), &from);
    assert_eq!(
        sqls(&plan.up)[0],
        "CREATE DOMAIN app.amount AS integer DEFAULT 1 NOT NULL CONSTRAINT positive CHECK (VALUE > 0)"
    );
    assert_eq!(
        sqls(&plan.down),
        ["DROP TABLE app.t", "DROP DOMAIN app.amount"]
    );

    let mut to = from.clone();
    let mut changed = domain(
        None,
        false,
        &[
            ("positive", "CHECK (VALUE >= 0)"),
            ("small", "CHECK (VALUE < 100)"),
        ],
    );
    changed.comment = Some("money".into());
    to.domains.insert(name("amount"), changed);
    let plan = checked(&from, &to);
    assert_eq!(
        sqls(&plan.up),
        [
            "ALTER DOMAIN app.amount DROP DEFAULT",
            "ALTER DOMAIN app.amount DROP NOT NULL",
            "ALTER DOMAIN app.amount DROP CONSTRAINT positive",
            "ALTER DOMAIN app.amount ADD CONSTRAINT positive CHECK (VALUE >= 0)",
            "ALTER DOMAIN app.amount ADD CONSTRAINT small CHECK (VALUE < 100)",
            "COMMENT ON DOMAIN app.amount IS 'money'",
        ]
    );
    assert!(plan.up[3].hazards.contains(&Hazard::FailsOnExistingRows));

    let mut retyped = from.clone();
    retyped.domains.get_mut(&name("amount")).unwrap().base_type = "bigint".into();
    let plan = plan_changes(&from, &retyped, &AutogenOptions::default());
    assert_eq!(
        plan.unsupported,
        ["domain app.amount: base type or collation (changed)"]
    );
    assert!(plan.up.is_empty());
}

fn view(definition: &str) -> View {
    View {
        definition: definition.into(),
        options: None,
        comment: None,
    }
}

#[test]
fn a_materialized_view_comes_after_the_views_it_reads_with_its_indexes_after_it() {
    let mut to = app();
    to.tables
        .insert(name("t"), table(&[("id", "integer", None)]));
    to.views.insert(name("v"), view(" SELECT t.id FROM app.t;"));
    to.materialized_views
        .insert(name("m"), view(" SELECT v.id FROM app.v;"));
    to.views.insert(name("a"), view(" SELECT m.id FROM app.m;"));
    let index = "CREATE INDEX m_id ON app.m USING btree (id)";
    to.indexes.insert(
        name("m_id"),
        Index {
            table: name("m"),
            definition: index.into(),
            comment: Some("by id".into()),
        },
    );
    let plan = checked(&app(), &to);
    assert_eq!(
        &sqls(&plan.up)[1..],
        [
            "CREATE VIEW app.v AS\nSELECT t.id FROM app.t",
            "CREATE MATERIALIZED VIEW app.m AS\nSELECT v.id FROM app.v",
            index,
            "CREATE VIEW app.a AS\nSELECT m.id FROM app.m",
            "COMMENT ON INDEX app.m_id IS 'by id'",
        ]
    );
    assert_eq!(
        sqls(&plan.down),
        [
            "DROP VIEW app.a",
            "DROP MATERIALIZED VIEW app.m",
            "DROP VIEW app.v",
            "DROP TABLE app.t",
        ]
    );

    // A new definition: what reads it goes and comes back with it; its index too.
    let mut changed = to.clone();
    changed
        .materialized_views
        .insert(name("m"), view(" SELECT v.id, 1 AS one FROM app.v;"));
    let plan = checked(&to, &changed);
    let up = sqls(&plan.up);
    assert_eq!(up[0], "DROP VIEW app.a");
    assert_eq!(up[1], "DROP MATERIALIZED VIEW app.m");
    assert!(plan.up[1].hazards.contains(&Hazard::BreaksClients));
    assert_eq!(up[3], index);
    assert_eq!(up[5], "COMMENT ON INDEX app.m_id IS 'by id'");
}

#[test]
fn comments_of_schemas_constraints_and_indexes_are_written() {
    let mut from = app();
    let mut t = table(&[("id", "integer", None)]);
    t.constraints.insert(
        "t_pkey".into(),
        Constraint::new(ConstraintKind::PrimaryKey, "PRIMARY KEY (id)"),
    );
    from.tables.insert(name("t"), t);
    from.indexes.insert(
        name("t_id"),
        Index {
            table: name("t"),
            definition: "CREATE INDEX t_id ON app.t USING btree (id)".into(),
            comment: None,
        },
    );
    let mut to = from.clone();
    to.schemas.get_mut("app").unwrap().comment = Some("the app".into());
    to.tables
        .get_mut(&name("t"))
        .unwrap()
        .constraints
        .get_mut("t_pkey")
        .unwrap()
        .comment = Some("the key".into());
    to.indexes.get_mut(&name("t_id")).unwrap().comment = Some("by id".into());
    let plan = checked(&from, &to);
    assert_eq!(
        sqls(&plan.up),
        [
            "COMMENT ON SCHEMA app IS 'the app'",
            "COMMENT ON CONSTRAINT t_pkey ON app.t IS 'the key'",
            "COMMENT ON INDEX app.t_id IS 'by id'",
        ]
    );
    assert_eq!(
        sqls(&plan.down),
        [
            "COMMENT ON SCHEMA app IS NULL",
            "COMMENT ON CONSTRAINT t_pkey ON app.t IS NULL",
            "COMMENT ON INDEX app.t_id IS NULL",
        ]
    );
}

#[test]
fn the_copies_of_a_partitioned_tables_trigger_on_its_partitions_are_not_written() {
    let mut to = app();
    let mut parent = table(&[("at", "date", None)]);
    parent.partition_key = Some("RANGE (at)".into());
    let mut partition = table(&[("at", "date", None)]);
    partition.partition_bound = Some("FOR VALUES FROM ('2020-01-01') TO ('2021-01-01')".into());
    partition.parents = vec![name("m")];
    to.tables.insert(name("m"), parent);
    to.tables.insert(name("m1"), partition);
    for table in ["m", "m1"] {
        let definition = format!(
            "CREATE TRIGGER t BEFORE UPDATE ON app.{table} FOR EACH ROW EXECUTE FUNCTION app.touch()"
        );
        let key = TriggerName {
            table: name(table),
            name: "t".into(),
        };
        to.triggers
            .insert(key, trigger(&definition, TriggerFiring::Enabled));
    }
    let plan = plan_changes(&app(), &to, &AutogenOptions::default());
    let triggers: Vec<&str> = sqls(&plan.up)
        .into_iter()
        .filter(|s| s.contains("TRIGGER"))
        .collect();
    assert_eq!(
        triggers,
        ["CREATE TRIGGER t BEFORE UPDATE ON app.m FOR EACH ROW EXECUTE FUNCTION app.touch()"]
    );
    assert_eq!(sqls(&plan.down).first(), Some(&"DROP TRIGGER t ON app.m"));
}

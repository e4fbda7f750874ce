//! Unit tests of table-level features: persistence and storage options, partitions and
//! inheritance, identity and generated columns.

use super::*;
use crate::schema::{
    Column, Constraint, ConstraintKind, GeneratedKind, Identity, IdentityGeneration, Index,
    QualifiedName, SequenceOptions, Table,
};

fn name(table: &str) -> QualifiedName {
    QualifiedName::new("app", table)
}

fn snapshot(tables: Vec<(&str, Table)>) -> Snapshot {
    let mut snapshot = Snapshot::default();
    snapshot.schemas.insert("app".into(), Default::default());
    for (table_name, table) in tables {
        snapshot.tables.insert(name(table_name), table);
    }
    snapshot
}

fn table(columns: &[(&str, &str)]) -> Table {
    Table {
        columns: columns.iter().map(|(n, t)| Column::new(*n, *t)).collect(),
        ..Table::default()
    }
}

fn sqls(statements: &[PlannedStatement]) -> Vec<&str> {
    statements.iter().map(|s| s.sql.as_str()).collect()
}

fn planned(a: &Snapshot, b: &Snapshot) -> ChangePlan {
    let plan = plan_changes(a, b, &AutogenOptions::default());
    assert!(plan.unsupported.is_empty(), "{:?}", plan.unsupported);
    plan
}

#[test]
fn persistence_and_storage_options_are_created_set_and_reset() {
    let mut scratch = table(&[("v", "text")]);
    scratch.unlogged = true;
    scratch.options = Some("fillfactor=70, autovacuum_enabled=false".into());
    let created = planned(
        &Snapshot::default(),
        &snapshot(vec![("scratch", scratch.clone())]),
    );
    assert_eq!(
        created.up[1].sql,
        "CREATE UNLOGGED TABLE app.scratch (\n    v text\n) WITH (fillfactor=70, autovacuum_enabled=false)"
    );

    let mut logged = scratch.clone();
    logged.unlogged = false;
    logged.options = Some("fillfactor=50, toast_tuple_target=256".into());
    let changed = planned(
        &snapshot(vec![("scratch", scratch)]),
        &snapshot(vec![("scratch", logged)]),
    );
    assert_eq!(
        sqls(&changed.up),
        [
            "ALTER TABLE app.scratch SET LOGGED",
            "ALTER TABLE app.scratch RESET (autovacuum_enabled)",
            "ALTER TABLE app.scratch SET (fillfactor=50, toast_tuple_target=256)",
        ]
    );
    assert!(changed.up[0].hazards.contains(&Hazard::RewritesTable));
    assert_eq!(
        sqls(&changed.down),
        [
            "ALTER TABLE app.scratch SET UNLOGGED",
            "ALTER TABLE app.scratch RESET (toast_tuple_target)",
            "ALTER TABLE app.scratch SET (fillfactor=70, autovacuum_enabled=false)",
        ]
    );
}

/// `events` partitioned by range with a primary key and an index, and one partition that has
/// the copies PostgreSQL makes (columns, key, index).
fn partitioned(partitions: &[&str]) -> Snapshot {
    let columns = [("id", "integer"), ("at", "date")];
    let key = Constraint::new(ConstraintKind::PrimaryKey, "PRIMARY KEY (id, at)");
    let mut events = table(&columns);
    events.partition_key = Some("RANGE (at)".into());
    events.constraints.insert("events_pkey".into(), key.clone());
    let mut tables = vec![("events", events)];
    let mut s = Snapshot::default();
    for partition in partitions {
        let mut p = table(&columns);
        p.parents = vec![name("events")];
        p.partition_bound = Some(format!("FOR VALUES IN ({})", &partition[1..]));
        p.constraints
            .insert(format!("{partition}_pkey"), key.clone());
        tables.push((partition, p));
        s.indexes.insert(
            name(&format!("{partition}_id_idx")),
            Index {
                table: name(partition),
                definition: format!(
                    "CREATE INDEX {partition}_id_idx ON app.{partition} USING btree (id)"
                ),
                comment: None,
            },
        );
    }
    let mut snap = snapshot(tables);
    snap.indexes = s.indexes;
    snap.indexes.insert(
        name("events_id_idx"),
        Index {
            table: name("events"),
            definition: "CREATE INDEX events_id_idx ON ONLY app.events USING btree (id)".into(),
            comment: None,
        },
    );
    snap
}

#[test]
fn a_new_partition_is_created_of_its_parent_without_what_it_inherits() {
    let plan = planned(&partitioned(&["p1"]), &partitioned(&["p1", "p2"]));
    assert_eq!(
        sqls(&plan.up),
        ["CREATE TABLE app.p2 PARTITION OF app.events FOR VALUES IN (2)"]
    );
    assert_eq!(sqls(&plan.down), ["DROP TABLE app.p2"]);
    assert!(plan.down[0].hazards.contains(&Hazard::DeletesData));

    let everything = plan_changes(
        &Snapshot::default(),
        &partitioned(&["p1"]),
        &AutogenOptions::default(),
    );
    assert_eq!(
        sqls(&everything.up),
        [
            "CREATE SCHEMA app",
            "CREATE TABLE app.events (\n    id integer,\n    at date\n) PARTITION BY RANGE (at)",
            "CREATE TABLE app.p1 PARTITION OF app.events FOR VALUES IN (1)",
            "ALTER TABLE app.events ADD CONSTRAINT events_pkey PRIMARY KEY (id, at)",
            // ON ONLY would leave the partitions without it.
            "CREATE INDEX events_id_idx ON app.events USING btree (id)",
        ]
    );
    assert_eq!(
        sqls(&everything.down),
        [
            "ALTER TABLE app.events DROP CONSTRAINT events_pkey",
            "DROP INDEX app.events_id_idx",
            "DROP TABLE app.p1",
            "DROP TABLE app.events",
            "DROP SCHEMA app",
        ]
    );
}

#[test]
fn partitions_are_attached_after_their_constraints_and_detached_first() {
    let before = partitioned(&["p1"]);
    let mut after = before.clone();
    let p1 = after.tables.get_mut(&name("p1")).unwrap();
    p1.parents.clear();
    p1.partition_bound = None;
    let plan = planned(&before, &after);
    assert_eq!(
        sqls(&plan.up),
        ["ALTER TABLE app.events DETACH PARTITION app.p1"]
    );
    assert_eq!(
        sqls(&plan.down),
        ["ALTER TABLE app.events ATTACH PARTITION app.p1 FOR VALUES IN (1)"]
    );
    assert!(plan.down[0].hazards.contains(&Hazard::ScansUnderLock));
}

#[test]
fn inheritance_children_list_only_their_own_columns() {
    let mut base = table(&[("id", "integer")]);
    base.columns[0].default = Some("0".into());
    base.constraints.insert(
        "base_id_check".into(),
        Constraint::new(ConstraintKind::Check, "CHECK (id >= 0)"),
    );
    let mut child = base.clone();
    child.columns.push(Column::new("extra", "text"));
    child.columns[0].default = Some("1".into());
    child.parents = vec![name("base")];
    let plan = planned(
        &Snapshot::default(),
        &snapshot(vec![("child", child.clone()), ("base", base)]),
    );
    assert_eq!(
        &sqls(&plan.up)[1..],
        [
            "CREATE TABLE app.base (\n    id integer DEFAULT 0\n)",
            "CREATE TABLE app.child (\n    extra text\n) INHERITS (app.base)",
            "ALTER TABLE app.child ALTER COLUMN id SET DEFAULT 1",
            "ALTER TABLE app.base ADD CONSTRAINT base_id_check CHECK (id >= 0)",
        ]
    );
    assert!(plan.up.iter().all(|s| s.hazards.is_empty()));
    assert_eq!(
        sqls(&plan.down)[1..3],
        ["DROP TABLE app.child", "DROP TABLE app.base"]
    );
}

fn identity(generation: IdentityGeneration, increment: i64) -> Identity {
    Identity {
        generation,
        sequence: SequenceOptions {
            start: 1,
            increment,
            min: 1,
            max: 2147483647,
            cache: 1,
            cycle: false,
        },
    }
}

#[test]
fn identity_is_added_dropped_and_changed_in_place() {
    let plain = table(&[("id", "integer")]);
    let mut with = plain.clone();
    with.columns[0].not_null = true;
    with.columns[0].identity = Some(identity(IdentityGeneration::Always, 1));
    let plan = planned(
        &snapshot(vec![("t", plain)]),
        &snapshot(vec![("t", with.clone())]),
    );
    assert_eq!(
        sqls(&plan.up),
        [
            "ALTER TABLE app.t ALTER COLUMN id SET NOT NULL",
            "ALTER TABLE app.t ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (START WITH 1 \
             INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 CACHE 1 NO CYCLE)",
        ]
    );
    assert_eq!(
        sqls(&plan.down),
        [
            "ALTER TABLE app.t ALTER COLUMN id DROP IDENTITY",
            "ALTER TABLE app.t ALTER COLUMN id DROP NOT NULL",
        ]
    );
    let mut changed = with.clone();
    changed.columns[0].identity = Some(identity(IdentityGeneration::ByDefault, 5));
    let plan = planned(
        &snapshot(vec![("t", with)]),
        &snapshot(vec![("t", changed)]),
    );
    assert_eq!(
        sqls(&plan.up),
        ["ALTER TABLE app.t ALTER COLUMN id SET GENERATED BY DEFAULT SET INCREMENT BY 5"]
    );
}

#[test]
fn a_generated_expression_that_changes_drops_the_column_and_adds_it_again() {
    let mut a = table(&[("n", "integer"), ("twice", "integer")]);
    a.columns[1].generated = Some("n * 2".into());
    let mut b = a.clone();
    b.columns[1].generated = Some("n * 3".into());
    let mut plain = a.clone();
    plain.columns[1].generated = None;
    let plan = planned(&snapshot(vec![("t", a.clone())]), &snapshot(vec![("t", b)]));
    assert_eq!(
        sqls(&plan.up),
        [
            "ALTER TABLE app.t DROP COLUMN twice",
            "ALTER TABLE app.t ADD COLUMN twice integer GENERATED ALWAYS AS (n * 3) STORED",
        ]
    );
    // The values are computed again, not lost.
    assert!(!plan.up[0].hazards.contains(&Hazard::DeletesData));
    assert!(plan.up[1].hazards.contains(&Hazard::RewritesTable));
    let plan = planned(&snapshot(vec![("t", a)]), &snapshot(vec![("t", plain)]));
    assert_eq!(
        sqls(&plan.up),
        ["ALTER TABLE app.t ALTER COLUMN twice DROP EXPRESSION"]
    );
    assert!(plan.down[0].hazards.contains(&Hazard::DeletesData));
}

#[test]
fn a_generated_column_that_turns_virtual_or_plain_is_added_again() {
    let mut stored = table(&[("n", "integer"), ("twice", "integer")]);
    stored.columns[1].generated = Some("n * 2".into());
    let mut virtual_ = stored.clone();
    virtual_.columns[1].generated_kind = GeneratedKind::Virtual;
    let mut plain = stored.clone();
    plain.columns[1].generated = None;
    let t = |table: &Table| snapshot(vec![("t", table.clone())]);
    let plan = planned(&t(&stored), &t(&virtual_));
    assert_eq!(
        sqls(&plan.up),
        [
            "ALTER TABLE app.t DROP COLUMN twice",
            "ALTER TABLE app.t ADD COLUMN twice integer GENERATED ALWAYS AS (n * 2) VIRTUAL",
        ]
    );
    assert!(!plan.up[0].hazards.contains(&Hazard::DeletesData));
    // A virtual column is computed when read: adding one rewrites nothing.
    assert!(!plan.up[1].hazards.contains(&Hazard::RewritesTable));
    assert_eq!(
        sqls(&plan.down)[1],
        "ALTER TABLE app.t ADD COLUMN twice integer GENERATED ALWAYS AS (n * 2) STORED"
    );
    // DROP EXPRESSION keeps stored values only: a virtual column's are gone.
    let plan = planned(&t(&virtual_), &t(&plain));
    assert_eq!(
        sqls(&plan.up),
        [
            "ALTER TABLE app.t DROP COLUMN twice",
            "ALTER TABLE app.t ADD COLUMN twice integer",
        ]
    );
    assert!(plan.up[0].hazards.contains(&Hazard::DeletesData));
}

#[test]
fn enum_labels_reordered_replace_the_type_with_defaults_around_the_cast() {
    let mut a = snapshot(vec![]);
    let state = |labels: &[&str]| crate::schema::EnumType {
        labels: labels.iter().map(|l| l.to_string()).collect(),
        comment: None,
    };
    a.enums.insert(name("state"), state(&["open", "done"]));
    let mut tasks = table(&[("state", "app.state")]);
    tasks.columns[0].default = Some("'open'::app.state".into());
    a.tables.insert(name("tasks"), tasks);
    let mut b = a.clone();
    b.enums.insert(name("state"), state(&["done", "open"]));
    let plan = planned(&a, &b);
    assert_eq!(
        sqls(&plan.up),
        [
            "ALTER TYPE app.state RENAME TO state_old",
            "CREATE TYPE app.state AS ENUM ('done', 'open')",
            "ALTER TABLE app.tasks ALTER COLUMN state DROP DEFAULT",
            "ALTER TABLE app.tasks ALTER COLUMN state TYPE app.state USING state::text::app.state",
            "DROP TYPE app.state_old",
            "ALTER TABLE app.tasks ALTER COLUMN state SET DEFAULT 'open'::app.state",
        ]
    );
    assert!(plan.up[3].hazards.contains(&Hazard::FailsOnExistingRows));
    assert!(plan.up[3].hazards.contains(&Hazard::RewritesTable));
    // A label only added one way is a replacement the other way.
    b.enums
        .insert(name("state"), state(&["open", "blocked", "done"]));
    let plan = planned(&a, &b);
    assert_eq!(
        sqls(&plan.up),
        ["ALTER TYPE app.state ADD VALUE 'blocked' AFTER 'open'"]
    );
    assert_eq!(plan.down[0].sql, "ALTER TYPE app.state RENAME TO state_old");
}

#[test]
fn row_security_and_policies_are_written_and_changed_by_drop_and_create() {
    use crate::schema::{Policy, PolicyCommand};
    let a = snapshot(vec![("t", table(&[("owner", "text")]))]);
    let mut b = a.clone();
    let t = b.tables.get_mut(&name("t")).unwrap();
    t.row_security = true;
    let mut mine = Policy::new(PolicyCommand::Select);
    mine.using = Some("owner = CURRENT_USER".into());
    t.policies.insert("mine".into(), mine.clone());
    let plan = planned(&a, &b);
    assert_eq!(
        sqls(&plan.up),
        [
            "ALTER TABLE app.t ENABLE ROW LEVEL SECURITY",
            "CREATE POLICY mine ON app.t AS PERMISSIVE FOR SELECT TO public USING (owner = CURRENT_USER)",
        ]
    );
    assert_eq!(
        sqls(&plan.down),
        [
            "DROP POLICY mine ON app.t",
            "ALTER TABLE app.t DISABLE ROW LEVEL SECURITY"
        ]
    );
    let mut c = b.clone();
    let policy = c
        .tables
        .get_mut(&name("t"))
        .unwrap()
        .policies
        .get_mut("mine")
        .unwrap();
    policy.permissive = false;
    policy.with_check = Some("true".into());
    let plan = planned(&b, &c);
    assert_eq!(
        sqls(&plan.up),
        [
            "DROP POLICY mine ON app.t",
            "CREATE POLICY mine ON app.t AS RESTRICTIVE FOR SELECT TO public USING (owner = CURRENT_USER) WITH CHECK (true)",
        ]
    );
}

#[test]
fn composite_and_range_types_are_created_in_dependency_order_and_altered_in_place() {
    use crate::schema::{Attribute, CompositeType, RangeType};
    let composite = |attributes: &[(&str, &str)]| CompositeType {
        attributes: attributes
            .iter()
            .map(|(n, t)| Attribute::new(*n, *t))
            .collect(),
        comment: None,
    };
    let mut a = snapshot(vec![]);
    a.composite_types
        .insert(name("pair"), composite(&[("x", "integer"), ("y", "text")]));
    let mut b = a.clone();
    b.composite_types
        .insert(name("pair"), composite(&[("x", "bigint"), ("z", "date")]));
    // Sorts before what it contains.
    b.composite_types.insert(
        name("box"),
        composite(&[("p", "app.pair"), ("s", "app.span")]),
    );
    b.range_types
        .insert(name("span"), RangeType::new("numeric"));
    let plan = plan_changes(&a, &b, &AutogenOptions::default());
    assert_eq!(
        sqls(&plan.up),
        [
            "CREATE TYPE app.span AS RANGE (SUBTYPE = numeric)",
            "CREATE TYPE app.box AS (\n    p app.pair,\n    s app.span\n)",
            "ALTER TYPE app.pair DROP ATTRIBUTE y",
            "ALTER TYPE app.pair ADD ATTRIBUTE z date",
        ]
    );
    // `x` changes type while `box` uses `pair`: PostgreSQL would refuse, so it is reported.
    assert_eq!(
        plan.unsupported,
        ["composite type app.pair: attribute type changed while in use"]
    );
    b.composite_types.remove(&name("box"));
    let plan = planned(&a, &b);
    assert_eq!(
        sqls(&plan.up)[2],
        "ALTER TYPE app.pair ALTER ATTRIBUTE x TYPE bigint"
    );
    assert_eq!(sqls(&plan.down).last(), Some(&"DROP TYPE app.span"));
    let mut c = b.clone();
    c.range_types.get_mut(&name("span")).unwrap().subtype = "integer".into();
    assert_eq!(
        plan_changes(&b, &c, &AutogenOptions::default()).unsupported,
        ["range type app.span (changed)"]
    );
}

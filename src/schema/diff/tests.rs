//! The diff of every object kind and attribute, and how it prints.

use super::*;
use crate::schema::model::{Domain, EnumType, IdentityGeneration, SequenceOptions, View};
use crate::schema::Identity;

fn difference(attribute: &str, before: Option<&str>, after: Option<&str>) -> String {
    Difference {
        attribute: attribute.into(),
        before: before.map(Into::into),
        after: after.map(Into::into),
    }
    .to_string()
}

#[test]
fn single_line_values_show_in_full_and_absent_ones_as_none() {
    assert_eq!(
        difference("type", Some("text"), Some("integer")),
        "type text -> integer"
    );
    assert_eq!(difference("default", None, Some("0")), "default none -> 0");
    assert_eq!(difference("default", Some("0"), None), "default 0 -> none");
}

#[test]
fn multi_line_values_show_the_first_changed_stretch() {
    let before = "CREATE FUNCTION f()\nBEGIN\n    x := 1;\n    RETURN x;\nEND;\n";
    // One line changed.
    let after = before.replace("x := 1;", "x := 2;");
    assert_eq!(
        difference("definition", Some(before), Some(&after)),
        "definition, line 3: x := 1; -> x := 2;"
    );
    // A line inserted.
    let after = before.replace("    RETURN x;\n", "    x := x + 1;\n    RETURN x;\n");
    assert_eq!(
        difference("definition", Some(before), Some(&after)),
        "definition, line 4: (no line) -> x := x + 1;"
    );
    // Several lines replaced by one.
    let after = "CREATE FUNCTION f()\nBEGIN\n    RETURN 1;\nEND;\n";
    assert_eq!(
        difference("definition", Some(before), Some(after)),
        "definition, line 3: x := 1; ... (2 lines) -> RETURN 1;"
    );
    // Only the final newline differs: nothing line-wise, so both are shown on one line.
    assert_eq!(
        difference("definition", Some("a\nb\n"), Some("a\nb")),
        "definition a b -> a b"
    );
    // A multi-line value against none is flattened.
    assert_eq!(
        difference("comment", Some("'two\nlines'"), None),
        "comment 'two lines' -> none"
    );
}

fn column(name: &str, data_type: &str) -> Column {
    Column::new(name, data_type)
}

fn table(columns: Vec<Column>) -> Table {
    Table {
        columns,
        ..Table::default()
    }
}

#[test]
fn a_table_in_both_lists_its_column_changes_after_every_table_change() {
    let name = QualifiedName::new("app", "Tasks");
    let mut before = Snapshot::default();
    before.tables.insert(
        name.clone(),
        table(vec![
            column("id", "bigint"),
            column("title", "text"),
            column("gone", "int"),
        ]),
    );
    before
        .tables
        .insert(QualifiedName::new("app", "old"), Table::default());
    let mut after = Snapshot::default();
    let mut id = column("id", "bigint");
    id.not_null = true;
    id.identity = Some(Identity {
        generation: IdentityGeneration::Always,
        sequence: SequenceOptions {
            start: 1,
            increment: 1,
            min: 1,
            max: i64::MAX,
            cache: 1,
            cycle: false,
        },
    });
    let mut title = column("title", "character varying(200)");
    title.comment = Some("it's the title".into());
    after.tables.insert(name.clone(), table(vec![title, id]));
    after
        .tables
        .insert(QualifiedName::new("app", "new"), Table::default());

    let diff = before.diff(&after);
    assert_eq!(
        diff.lines(),
        [
            // Sorted by name as PostgreSQL stores it: "Tasks" before "new".
            "~ table app.\"Tasks\": column order id, title -> title, id",
            "+ table app.new",
            "- table app.old",
            "- column app.\"Tasks\".gone int",
            "~ column app.\"Tasks\".id: nullability null -> not null",
            "~ column app.\"Tasks\".id: identity none -> generated always as identity",
            "~ column app.\"Tasks\".title: type text -> character varying(200)",
            "~ column app.\"Tasks\".title: comment none -> 'it''s the title'",
        ]
    );
    let kinds: Vec<ObjectKind> = diff.changes().iter().map(Change::kind).collect();
    assert_eq!(
        kinds,
        [
            ObjectKind::Table,
            ObjectKind::Table,
            ObjectKind::Table,
            ObjectKind::Column,
            ObjectKind::Column,
            ObjectKind::Column,
        ]
    );
    match &diff.changes()[4] {
        Change::Altered {
            before: Object::Column { column: old, .. },
            after: Object::Column { table, column: new },
            differences,
        } => {
            assert_eq!(table, &name);
            assert!(!old.not_null && new.not_null);
            assert_eq!(differences.len(), 2);
        }
        other => panic!("{other:?}"),
    }
    assert!(after.diff(&after.clone()).is_empty());
    assert_eq!(after.diff(&before).lines().len(), diff.lines().len());
}

#[test]
fn added_objects_carry_a_one_line_summary() {
    let mut after = Snapshot::default();
    let mut domain = Domain {
        base_type: "integer".into(),
        not_null: true,
        default: Some("0".into()),
        collation: None,
        constraints: BTreeMap::new(),
        comment: None,
    };
    domain
        .constraints
        .insert("small".into(), "CHECK (VALUE < 10)".into());
    after
        .domains
        .insert(QualifiedName::new("app", "priority"), domain);
    after.enums.insert(
        QualifiedName::new("app", "state"),
        EnumType {
            labels: vec!["todo".into(), "won't".into()],
            comment: None,
        },
    );
    after.views.insert(
        QualifiedName::new("app", "v"),
        View {
            definition: " SELECT 1\n  FROM x;".into(),
            options: None,
            comment: None,
        },
    );
    assert_eq!(
        Snapshot::default().diff(&after).to_string(),
        "+ enum app.state ('todo', 'won''t')\n\
         + domain app.priority integer not null default 0 CHECK (VALUE < 10)\n\
         + view app.v"
    );
}

#[test]
fn row_security_and_policies_show_as_table_attributes() {
    use crate::schema::model::{Policy, PolicyCommand};
    let name = QualifiedName::new("app", "tasks");
    let mut before = Snapshot::default();
    before.tables.insert(name.clone(), Table::default());
    let mut after = before.clone();
    let table = after.tables.get_mut(&name).unwrap();
    table.row_security = true;
    table.force_row_security = true;
    let mut mine = Policy::new(PolicyCommand::Select);
    mine.using = Some("(owner = CURRENT_USER)".into());
    table.policies.insert("mine".into(), mine);
    assert_eq!(
        before.diff(&after).lines(),
        [
            "~ table app.tasks: row security disabled -> enabled",
            "~ table app.tasks: forced row security disabled -> enabled",
            "~ table app.tasks: policy mine none -> permissive for select to public using ((owner = CURRENT_USER))",
        ]
    );
}

#[test]
fn composite_and_range_types_show_their_attributes_and_options() {
    use crate::schema::types::{Attribute, CompositeType, RangeType};
    let name = QualifiedName::new("app", "pair");
    let mut before = Snapshot::default();
    before.composite_types.insert(
        name.clone(),
        CompositeType {
            attributes: vec![Attribute::new("x", "integer")],
            comment: None,
        },
    );
    let mut after = before.clone();
    after
        .composite_types
        .get_mut(&name)
        .unwrap()
        .attributes
        .push(Attribute::new("y", "text"));
    let mut span = RangeType::new("numeric");
    span.subtype_diff = Some("numeric_sub".into());
    after
        .range_types
        .insert(QualifiedName::new("app", "span"), span);
    assert_eq!(
        before.diff(&after).lines(),
        [
            "~ composite type app.pair: attributes x integer -> x integer, y text",
            "+ range type app.span (subtype = numeric, subtype_diff = numeric_sub)",
        ]
    );
}

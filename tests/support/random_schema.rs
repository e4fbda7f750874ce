//! Random schemas for the autogenerate property test: a small model of schema `app` (an enum
//! type, tables with keys, checks and foreign keys, indexes, views, functions, triggers), made
//! consistent by `normalize` and rendered as SQL that PostgreSQL accepts.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};

/// splitmix64: the generator draws from one seed, so a case is replayed from its seed alone.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    pub fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }
}

/// Column types, by index; `MOOD` is the enum type.
pub const TYPES: &[&str] = &[
    "integer",
    "bigint",
    "smallint",
    "numeric(10,2)",
    "numeric(12,4)",
    "text",
    "varchar(10)",
    "varchar(20)",
    "boolean",
    "date",
    "timestamp with time zone",
    "jsonb",
    "uuid",
    "text[]",
    "app.mood",
];
pub const MOOD: usize = 14;
const NUMBERS: &[usize] = &[0, 1, 2, 3, 4];
const STRINGS: &[usize] = &[5, 6, 7];

/// Two defaults for each type (the enum's only uses `ok`, a label every variant keeps: a label
/// added by the migration can't be used before it commits).
fn defaults(ty: usize) -> [&'static str; 2] {
    match ty {
        0..=2 => ["0", "42"],
        3 | 4 => ["0", "1.5"],
        5 => ["''", "'x'"],
        6 | 7 => ["'v'", "''"],
        8 => ["false", "true"],
        9 => ["'2026-01-01'", "CURRENT_DATE"],
        10 => ["now()", "'2026-01-01 00:00:00+00'"],
        11 => ["'{}'", "'[]'"],
        12 => [
            "gen_random_uuid()",
            "'00000000-0000-0000-0000-000000000000'",
        ],
        13 => ["'{}'", "ARRAY['a']"],
        _ => ["'ok'", "'ok'"],
    }
}

/// Whether PostgreSQL can cast a column of one type to the other (`USING c::type`; the planner
/// takes an enum to and from `integer` through its text).
pub fn castable(from: usize, to: usize) -> bool {
    let numbers = |t| NUMBERS.contains(&t);
    let strings = |t| STRINGS.contains(&t);
    let enum_number = [(0, MOOD), (MOOD, 0)].contains(&(from, to));
    from != to && ((numbers(from) && numbers(to)) || strings(from) || strings(to) || enum_number)
}

pub const TABLES: &[&str] = &["t1", "t2", "t3", "t4"];
pub const COLUMNS: &[&str] = &["a", "b", "c", "d", "e"];
pub const LABELS: &[&str] = &["sad", "ok", "happy", "meh", "great"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Primary,
    Unique,
    None,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub ty: usize,
    pub not_null: bool,
    pub default: Option<usize>,
    /// A check on the column: 0 works for any type, 1 is the type's own when it has one.
    pub check: Option<usize>,
    pub unique: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// `id` is `integer` or `bigint`, always `NOT NULL`.
    pub id_bigint: bool,
    pub key: Key,
    /// Named from `COLUMNS`, and `t2_id` for a column that may reference `t2`.
    pub columns: BTreeMap<String, Column>,
}

/// `CREATE INDEX i_<table>_<column>_<kind>`: plain, unique, partial, expression, two columns.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Index {
    pub table: String,
    pub column: String,
    pub kind: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// A table, or a view of a smaller name (`v2` may read `v1`).
    pub source: String,
    pub columns: Vec<String>,
    pub filter: usize,
    /// Whether it calls `app.f_add`.
    pub calls: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trigger {
    /// `app.trg_1` or `app.trg_2`.
    pub function: usize,
    /// BEFORE INSERT, BEFORE INSERT OR UPDATE with a WHEN, AFTER DELETE.
    pub kind: usize,
    /// A column the `WHEN` of an `AFTER UPDATE` trigger compares (instead of `kind`).
    pub when_column: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Model {
    pub mood: Option<Vec<&'static str>>,
    pub tables: BTreeMap<String, Table>,
    /// `(from, to)`: `from.<to>_id` references `to.id`, added with `ALTER TABLE`.
    pub fks: BTreeMap<(String, String), usize>,
    pub indexes: BTreeSet<Index>,
    pub views: BTreeMap<String, View>,
    /// `app.f_add(a integer|bigint, b integer)` in SQL: (bigint, the constant in its body).
    pub f_add: Option<(bool, usize)>,
    /// `app.f_count()` in SQL, counting the rows of a table.
    pub f_count: Option<String>,
    /// `app.f_double(x integer)` in plpgsql: the factor.
    pub f_double: Option<usize>,
    /// `app.f_mood(m app.mood)` in SQL: the label it compares with.
    pub f_mood: Option<&'static str>,
    /// The plpgsql trigger functions `app.trg_1`, `app.trg_2`: their bodies.
    pub trigger_functions: BTreeMap<usize, usize>,
    /// `(table, n)`: trigger `tr_<table>_<n>`.
    pub triggers: BTreeMap<(String, usize), Trigger>,
}

impl Model {
    /// The columns a table or view offers, `id` included.
    pub fn columns_of(&self, source: &str) -> Vec<String> {
        let mut columns = vec!["id".to_string()];
        if let Some(table) = self.tables.get(source) {
            columns.extend(table.columns.keys().cloned());
        } else if let Some(view) = self.views.get(source) {
            columns.extend(view.columns.iter().cloned());
        }
        columns
    }

    /// Drops whatever names something gone, so the model renders as valid SQL.
    pub fn normalize(&mut self) {
        if self.mood.is_none() {
            for table in self.tables.values_mut() {
                table.columns.retain(|_, c| c.ty != MOOD);
            }
        }
        let labels = self.mood.clone().unwrap_or_default();
        if self.f_mood.is_some_and(|l| !labels.contains(&l)) {
            self.f_mood = None;
        }
        let tables = self.tables.clone();
        self.fks.retain(|(from, to), _| {
            let column = tables
                .get(from)
                .and_then(|t| t.columns.get(&format!("{to}_id")));
            column.is_some_and(|c| c.ty <= 1) && tables.get(to).is_some_and(|t| t.key != Key::None)
        });
        self.indexes.retain(|i| {
            tables
                .get(&i.table)
                .is_some_and(|t| i.column == "id" || t.columns.contains_key(&i.column))
        });
        if self
            .f_count
            .as_ref()
            .is_some_and(|t| !tables.contains_key(t))
        {
            self.f_count = None;
        }
        let names: Vec<String> = self.views.keys().cloned().collect();
        for name in names {
            let view = self.views[&name].clone();
            let source_ok = tables.contains_key(&view.source)
                || (view.source < name && self.views.contains_key(&view.source));
            if !source_ok {
                self.views.remove(&name);
                continue;
            }
            let offered = self.columns_of(&view.source);
            let calls = view.calls && self.f_add.is_some();
            let view = self.views.get_mut(&name).unwrap();
            view.columns.retain(|c| offered.contains(c));
            view.calls = calls;
        }
        let functions = self.trigger_functions.clone();
        self.triggers.retain(|(table, _), t| {
            tables.contains_key(table) && functions.contains_key(&t.function)
        });
        for ((table, _), trigger) in &mut self.triggers {
            if trigger
                .when_column
                .as_ref()
                .is_some_and(|c| !tables[table].columns.contains_key(c))
            {
                trigger.when_column = None;
            }
        }
    }

    pub fn sql(&self) -> String {
        let mut sql = String::from("CREATE SCHEMA app;\n");
        if let Some(labels) = &self.mood {
            let labels: Vec<String> = labels.iter().map(|l| format!("'{l}'")).collect();
            sql += &format!("CREATE TYPE app.mood AS ENUM ({});\n", labels.join(", "));
        }
        if let Some((bigint, k)) = self.f_add {
            let ty = if bigint { "bigint" } else { "integer" };
            sql += &format!(
                "CREATE FUNCTION app.f_add(a {ty}, b integer) RETURNS {ty} LANGUAGE sql \
                 IMMUTABLE AS 'SELECT a + b + {k}';\n"
            );
        }
        if let Some(label) = self.f_mood {
            sql += &format!(
                "CREATE FUNCTION app.f_mood(m app.mood) RETURNS boolean LANGUAGE sql \
                 IMMUTABLE AS 'SELECT m = ''{label}''';\n"
            );
        }
        if let Some(k) = self.f_double {
            sql += &format!(
                "CREATE FUNCTION app.f_double(x integer) RETURNS integer LANGUAGE plpgsql \
                 AS $$ BEGIN RETURN x * {k}; END $$;\n"
            );
        }
        for (n, body) in &self.trigger_functions {
            let body = match body {
                0 => "RETURN NEW;",
                1 => "IF NEW IS NULL THEN RETURN OLD; END IF; RETURN NEW;",
                _ => "RAISE NOTICE 'fired'; RETURN NEW;",
            };
            sql += &format!(
                "CREATE FUNCTION app.trg_{n}() RETURNS trigger LANGUAGE plpgsql \
                 AS $$ BEGIN {body} END $$;\n"
            );
        }
        for (name, table) in &self.tables {
            sql += &table_sql(name, table);
        }
        for ((from, to), on_delete) in &self.fks {
            let action = ["NO ACTION", "CASCADE", "SET NULL"][*on_delete];
            sql += &format!(
                "ALTER TABLE app.{from} ADD CONSTRAINT {from}_{to}_id_fkey FOREIGN KEY ({to}_id) \
                 REFERENCES app.{to} (id) ON DELETE {action};\n"
            );
        }
        for index in &self.indexes {
            let (t, c, k) = (&index.table, &index.column, index.kind);
            let name = format!("i_{t}_{c}_{k}");
            sql += &match k {
                0 => format!("CREATE INDEX {name} ON app.{t} ({c});\n"),
                1 => format!("CREATE UNIQUE INDEX {name} ON app.{t} ({c});\n"),
                2 => format!("CREATE INDEX {name} ON app.{t} ({c}) WHERE {c} IS NOT NULL;\n"),
                3 => format!("CREATE INDEX {name} ON app.{t} (({c} IS NULL));\n"),
                _ => format!("CREATE INDEX {name} ON app.{t} ({c}, id DESC);\n"),
            };
        }
        if let Some(table) = &self.f_count {
            sql += &format!(
                "CREATE FUNCTION app.f_count() RETURNS bigint LANGUAGE sql STABLE \
                 AS 'SELECT count(*) FROM app.{table}';\n"
            );
        }
        for (name, view) in &self.views {
            let mut columns = vec!["id".to_string()];
            columns.extend(view.columns.iter().cloned());
            if view.calls {
                columns.push("app.f_add(id::integer, 1) AS added".into());
            }
            sql += &format!(
                "CREATE VIEW app.{name} AS SELECT {} FROM app.{} WHERE id > {};\n",
                columns.join(", "),
                view.source,
                view.filter
            );
        }
        for ((table, n), trigger) in &self.triggers {
            let (when, condition) = match (trigger.kind, &trigger.when_column) {
                (_, Some(c)) => (
                    "AFTER UPDATE",
                    format!(" WHEN (OLD.{c} IS DISTINCT FROM NEW.{c})"),
                ),
                (0, None) => ("BEFORE INSERT", String::new()),
                (1, None) => ("BEFORE INSERT OR UPDATE", " WHEN (NEW.id > 0)".into()),
                _ => ("AFTER DELETE", String::new()),
            };
            sql += &format!(
                "CREATE TRIGGER tr_{table}_{n} {when} ON app.{table} FOR EACH ROW{condition} \
                 EXECUTE FUNCTION app.trg_{}();\n",
                trigger.function
            );
        }
        sql
    }
}

fn table_sql(name: &str, table: &Table) -> String {
    let id = if table.id_bigint { "bigint" } else { "integer" };
    let mut parts = vec![format!("id {id} NOT NULL")];
    for (c, column) in &table.columns {
        let mut part = format!("{c} {}", TYPES[column.ty]);
        if let Some(d) = column.default {
            part += &format!(" DEFAULT {}", defaults(column.ty)[d]);
        }
        if column.not_null {
            part += " NOT NULL";
        }
        parts.push(part);
    }
    match table.key {
        Key::Primary => parts.push(format!("CONSTRAINT {name}_pkey PRIMARY KEY (id)")),
        Key::Unique => parts.push(format!("CONSTRAINT {name}_id_key UNIQUE (id)")),
        Key::None => {}
    }
    for (c, column) in &table.columns {
        if column.unique {
            parts.push(format!("CONSTRAINT {name}_{c}_key UNIQUE ({c})"));
        }
        if let Some(check) = column.check {
            let rule = match (check, column.ty) {
                (1, 0..=4) => format!("{c} >= 0"),
                (1, 5..=7) => format!("{c} <> ''"),
                (1, 13) => format!("cardinality({c}) < 10"),
                _ => format!("{c} IS NOT NULL OR id > 0"),
            };
            parts.push(format!("CONSTRAINT {name}_{c}_check CHECK ({rule})"));
        }
    }
    format!(
        "CREATE TABLE app.{name} (\n    {}\n);\n",
        parts.join(",\n    ")
    )
}

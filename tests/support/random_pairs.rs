//! Pairs of random schemas: A drawn whole, B most often A with a few changes (so the plan
//! alters rather than recreates), sometimes drawn whole too.
#![allow(dead_code)]

use crate::random_schema::{
    castable, Column, Index, Key, Model, Rng, Table, Trigger, View, COLUMNS, LABELS, TABLES, TYPES,
};

/// Schemas A and B of the case numbered by `seed`, normalized.
pub fn pair(seed: u64) -> (Model, Model) {
    let mut rng = Rng(seed);
    let mut a = model(&mut rng);
    a.normalize();
    let mut b = if rng.chance(10) {
        model(&mut rng)
    } else {
        let mut b = a.clone();
        for _ in 0..1 + rng.below(4) {
            mutate(&mut b, &mut rng);
        }
        b
    };
    castable_from(&a, &mut b);
    b.normalize();
    (a, b)
}

/// A column in both keeps A's type where PostgreSQL has no cast to B's.
fn castable_from(a: &Model, b: &mut Model) {
    for (name, table) in &mut b.tables {
        for (c, column) in &mut table.columns {
            let Some(before) = a.tables.get(name).and_then(|t| t.columns.get(c)) else {
                continue;
            };
            if before.ty != column.ty && !castable(before.ty, column.ty) {
                column.ty = before.ty;
                column.check = None;
            }
        }
    }
}

fn labels(rng: &mut Rng) -> Vec<&'static str> {
    let mut labels: Vec<&'static str> = LABELS
        .iter()
        .copied()
        .filter(|l| *l == "ok" || rng.chance(50))
        .collect();
    if rng.chance(30) {
        let (i, j) = (rng.below(labels.len()), rng.below(labels.len()));
        labels.swap(i, j);
    }
    labels
}

fn column(rng: &mut Rng, ty: usize) -> Column {
    Column {
        ty,
        not_null: rng.chance(30),
        default: rng.chance(40).then(|| rng.below(2)),
        check: rng.chance(20).then(|| rng.below(2)),
        unique: rng.chance(15),
    }
}

fn any_type(rng: &mut Rng) -> usize {
    rng.below(TYPES.len())
}

fn table(rng: &mut Rng) -> Table {
    let mut columns = std::collections::BTreeMap::new();
    for name in COLUMNS {
        if rng.chance(45) {
            let ty = any_type(rng);
            columns.insert(name.to_string(), column(rng, ty));
        }
    }
    for other in TABLES {
        if rng.chance(25) {
            let ty = rng.below(2);
            columns.insert(format!("{other}_id"), column(rng, ty));
        }
    }
    Table {
        id_bigint: rng.chance(20),
        key: rng.pick(&[Key::Primary, Key::Primary, Key::Unique, Key::None]),
        columns,
    }
}

fn index(m: &Model, rng: &mut Rng) -> Option<Index> {
    if m.tables.is_empty() {
        return None;
    }
    let table = rng.pick(&m.tables.keys().cloned().collect::<Vec<_>>());
    let column = rng.pick(&m.columns_of(&table));
    Some(Index {
        table,
        column,
        kind: rng.below(5),
    })
}

fn view(m: &Model, rng: &mut Rng, name: &str) -> Option<View> {
    let mut sources: Vec<String> = m.tables.keys().cloned().collect();
    sources.extend(m.views.keys().filter(|v| v.as_str() < name).cloned());
    if sources.is_empty() {
        return None;
    }
    let source = rng.pick(&sources);
    let columns = m
        .columns_of(&source)
        .into_iter()
        .skip(1)
        .filter(|_| rng.chance(50))
        .collect();
    Some(View {
        source,
        columns,
        filter: rng.below(3),
        calls: rng.chance(30),
    })
}

fn trigger(rng: &mut Rng, table: &Table) -> Trigger {
    let columns: Vec<String> = table.columns.keys().cloned().collect();
    Trigger {
        function: 1 + rng.below(2),
        kind: rng.below(3),
        when_column: (!columns.is_empty() && rng.chance(30)).then(|| rng.pick(&columns)),
    }
}

fn model(rng: &mut Rng) -> Model {
    let mut m = Model {
        mood: rng.chance(50).then(|| labels(rng)),
        ..Model::default()
    };
    for name in TABLES {
        if rng.chance(60) {
            m.tables.insert(name.to_string(), table(rng));
        }
    }
    for (from, table) in &m.tables {
        for to in TABLES {
            if table.columns.contains_key(&format!("{to}_id")) && rng.chance(70) {
                m.fks.insert((from.clone(), to.to_string()), rng.below(3));
            }
        }
    }
    for _ in 0..rng.below(4) {
        if let Some(index) = index(&m, rng) {
            m.indexes.insert(index);
        }
    }
    m.f_add = rng.chance(50).then(|| (rng.chance(30), rng.below(3)));
    m.f_double = rng.chance(40).then(|| 2 + rng.below(3));
    m.f_mood = rng.chance(40).then(|| rng.pick(&["ok", "sad"]));
    if !m.tables.is_empty() && rng.chance(40) {
        m.f_count = Some(rng.pick(&m.tables.keys().cloned().collect::<Vec<_>>()));
    }
    for n in 1..=2 {
        if rng.chance(40) {
            m.trigger_functions.insert(n, rng.below(3));
        }
    }
    for name in ["v1", "v2", "v3"] {
        if rng.chance(40) {
            if let Some(view) = view(&m, rng, name) {
                m.views.insert(name.to_string(), view);
            }
        }
    }
    for table in m.tables.keys().cloned().collect::<Vec<_>>() {
        for n in 1..=2 {
            if rng.chance(20) {
                let trigger = trigger(rng, &m.tables[&table]);
                m.triggers.insert((table.clone(), n), trigger);
            }
        }
    }
    m.normalize();
    m
}

/// One change: an object added, dropped or altered.
fn mutate(m: &mut Model, rng: &mut Rng) {
    let tables: Vec<String> = m.tables.keys().cloned().collect();
    let some_table = |rng: &mut Rng| (!tables.is_empty()).then(|| rng.pick(&tables));
    match rng.below(16) {
        0 => {
            let name = rng.pick(TABLES).to_string();
            if m.tables.remove(&name).is_none() {
                m.tables.insert(name, table(rng));
            }
        }
        1..=5 => {
            let Some(t) = some_table(rng) else { return };
            let table = m.tables.get_mut(&t).unwrap();
            let names: Vec<String> = table.columns.keys().cloned().collect();
            let Some(c) = (!names.is_empty()).then(|| rng.pick(&names)) else {
                let ty = any_type(rng);
                table
                    .columns
                    .insert(rng.pick(COLUMNS).to_string(), column(rng, ty));
                return;
            };
            let col = table.columns.get_mut(&c).unwrap();
            match rng.below(8) {
                0 => {
                    table.columns.remove(&c);
                }
                1 => {
                    let ty = any_type(rng);
                    table
                        .columns
                        .insert(rng.pick(COLUMNS).to_string(), column(rng, ty));
                }
                2 => {
                    // Only a cast PostgreSQL has; an id column stays a number.
                    let to = any_type(rng);
                    let number = c.ends_with("_id");
                    if castable(col.ty, to) && (!number || to <= 1) {
                        col.ty = to;
                    }
                }
                3 => col.not_null = !col.not_null,
                4 => col.default = [None, Some(0), Some(1)][rng.below(3)],
                5 => col.check = [None, Some(0), Some(1)][rng.below(3)],
                6 => col.unique = !col.unique,
                _ => table.key = rng.pick(&[Key::Primary, Key::Unique, Key::None]),
            }
        }
        6 => {
            let Some(t) = some_table(rng) else { return };
            let table = m.tables.get_mut(&t).unwrap();
            if rng.chance(20) {
                table.id_bigint = !table.id_bigint;
            } else {
                let to = rng.pick(TABLES);
                table
                    .columns
                    .entry(format!("{to}_id"))
                    .or_insert_with(|| column(rng, 0));
                let key = (t.clone(), to.to_string());
                if m.fks.remove(&key).is_none() {
                    m.fks.insert(key, rng.below(3));
                }
            }
        }
        7 => {
            let Some(t) = some_table(rng) else { return };
            // Both ways between two tables: a cycle only ALTER TABLE can build.
            let to = rng.pick(TABLES).to_string();
            for (from, to) in [(t.clone(), to.clone()), (to.clone(), t.clone())] {
                if let Some(table) = m.tables.get_mut(&from) {
                    table
                        .columns
                        .entry(format!("{to}_id"))
                        .or_insert_with(|| column(rng, 0));
                    m.fks.insert((from, to), rng.below(3));
                }
            }
        }
        8 | 9 => {
            let existing: Vec<Index> = m.indexes.iter().cloned().collect();
            if !existing.is_empty() && rng.chance(50) {
                m.indexes.remove(&rng.pick(&existing));
            } else if let Some(index) = index(m, rng) {
                m.indexes.insert(index);
            }
        }
        10 => {
            let mood = m.mood.get_or_insert_with(Vec::new);
            match rng.below(4) {
                0 => {
                    let label = rng.pick(LABELS);
                    if !mood.contains(&label) {
                        mood.insert(rng.below(mood.len() + 1), label);
                    }
                }
                1 => {
                    let label = rng.pick(LABELS);
                    mood.retain(|l| *l == "ok" || *l != label);
                }
                2 if mood.len() > 1 => {
                    let (i, j) = (rng.below(mood.len()), rng.below(mood.len()));
                    mood.swap(i, j);
                }
                _ => {
                    m.mood = if rng.chance(50) {
                        None
                    } else {
                        Some(labels(rng))
                    }
                }
            }
            if m.mood.as_ref().is_some_and(|l| !l.contains(&"ok")) {
                m.mood.as_mut().unwrap().push("ok");
            }
        }
        11 | 12 => {
            let name = rng.pick(&["v1", "v2", "v3"]).to_string();
            match (m.views.contains_key(&name), rng.below(3)) {
                (true, 0) => {
                    m.views.remove(&name);
                }
                (true, 1) => m.views.get_mut(&name).unwrap().filter = rng.below(3),
                _ => {
                    if let Some(view) = view(m, rng, &name) {
                        m.views.insert(name, view);
                    }
                }
            }
        }
        13 => match rng.below(5) {
            4 => m.f_mood = [None, Some("ok"), Some("sad")][rng.below(3)],
            0 => m.f_add = m.f_add.xor(Some((false, 0))),
            1 => m.f_add = Some((rng.chance(50), rng.below(3))),
            2 => m.f_double = [None, Some(2), Some(3)][rng.below(3)],
            _ => m.f_count = some_table(rng).filter(|_| rng.chance(70)),
        },
        14 => {
            let n = 1 + rng.below(2);
            match rng.below(3) {
                0 => {
                    m.trigger_functions.remove(&n);
                }
                _ => {
                    m.trigger_functions.insert(n, rng.below(3));
                }
            }
        }
        _ => {
            let Some(t) = some_table(rng) else { return };
            let key = (t, 1 + rng.below(2));
            if m.triggers.remove(&key).is_none() || rng.chance(50) {
                let trigger = trigger(rng, &m.tables[&key.0]);
                m.trigger_functions.entry(trigger.function).or_insert(0);
                m.triggers.insert(key, trigger);
            }
        }
    }
}

//! The differences this version of autogenerate can't write yet, named one by one: a caller
//! must never believe a plan is complete when it is not.

use std::collections::BTreeMap;
use std::fmt::Display;

use crate::schema::Snapshot;

/// `kind name (added | removed | changed)` for each key whose values differ.
fn differing<K: Ord + Display, V: PartialEq>(
    kind: &str,
    from: &BTreeMap<K, V>,
    to: &BTreeMap<K, V>,
    out: &mut Vec<String>,
) {
    for (name, value) in from {
        match to.get(name) {
            None => out.push(format!("{kind} {name} (removed)")),
            Some(other) if other != value => out.push(format!("{kind} {name} (changed)")),
            Some(_) => {}
        }
    }
    for name in to.keys().filter(|name| !from.contains_key(*name)) {
        out.push(format!("{kind} {name} (added)"));
    }
}

/// Every difference between the snapshots that the plan does not write.
pub(super) fn differences(from: &Snapshot, to: &Snapshot) -> Vec<String> {
    let mut out = Vec::new();
    differing("extension", &from.extensions, &to.extensions, &mut out);
    differing(
        "materialized view",
        &from.materialized_views,
        &to.materialized_views,
        &mut out,
    );
    differing("function", &from.functions, &to.functions, &mut out);
    differing("trigger", &from.triggers, &to.triggers, &mut out);
    for (name, old) in &from.range_types {
        if to
            .range_types
            .get(name)
            .is_some_and(|new| super::types::range_redefined(old, new))
        {
            out.push(format!("range type {name} (changed)"));
        }
    }
    out.extend(super::types::blocked(from, to));
    differing("domain", &from.domains, &to.domains, &mut out);
    differing("sequence", &from.sequences, &to.sequences, &mut out);
    for (name, schema) in &from.schemas {
        if to
            .schemas
            .get(name)
            .is_some_and(|s| s.comment != schema.comment)
        {
            out.push(format!("comment of schema {name} (changed)"));
        }
    }
    for (name, table) in &to.tables {
        if let Some(source) = from.tables.get(name) {
            // A table becomes partitioned (or not) only by being created again.
            if source.partition_key != table.partition_key {
                out.push(format!("table {name}: partition key (changed)"));
            }
            for (constraint, c) in &table.constraints {
                if source
                    .constraints
                    .get(constraint)
                    .is_some_and(|old| old.comment != c.comment)
                {
                    out.push(format!(
                        "comment of constraint {constraint} on {name} (changed)"
                    ));
                }
            }
        }
    }
    for (name, index) in &to.indexes {
        if from
            .indexes
            .get(name)
            .is_some_and(|old| old.comment != index.comment)
        {
            out.push(format!("comment of index {name} (changed)"));
        }
    }
    out
}

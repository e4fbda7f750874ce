//! The differences this version of autogenerate can't write yet, named one by one: a caller
//! must never believe a plan is complete when it is not.

use crate::schema::Snapshot;

/// Every difference between the snapshots that the plan does not write.
pub(super) fn differences(from: &Snapshot, to: &Snapshot) -> Vec<String> {
    let mut out = Vec::new();
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
    super::domains::unsupported(&from.domains, &to.domains, &mut out);
    for (name, table) in &to.tables {
        if let Some(source) = from.tables.get(name) {
            // A table becomes partitioned (or not) only by being created again.
            if source.partition_key != table.partition_key {
                out.push(format!("table {name}: partition key (changed)"));
            }
        }
    }
    out
}

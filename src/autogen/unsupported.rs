//! The differences this version of autogenerate can't write yet, named one by one: a caller
//! must never believe a plan is complete when it is not.

use crate::schema::Snapshot;

/// Every difference between the snapshots that the plan does not write.
pub(super) fn differences(from: &Snapshot, to: &Snapshot) -> Vec<String> {
    let mut out = Vec::new();
    for (name, old) in &from.enums {
        if let Some(new) = to.enums.get(name) {
            let (up, down) = (
                super::enums::only_added(&old.labels, &new.labels),
                super::enums::only_added(&new.labels, &old.labels),
            );
            if !up || !down {
                out.push(format!(
                    "enum type {name}: labels removed or reordered ({} of the plan)",
                    if up { "in the down" } else { "in the up" }
                ));
            }
        }
    }
    super::domains::unsupported(&from.domains, &to.domains, &mut out);
    for (name, table) in &to.tables {
        let source = from.tables.get(name);
        let storage = |t: &crate::schema::Table| {
            (
                t.unlogged,
                t.options.clone(),
                t.partition_key.clone(),
                t.partition_bound.clone(),
                t.parents.clone(),
            )
        };
        let default_storage = storage(&crate::schema::Table::default());
        let differs = match source {
            Some(source) => storage(source) != storage(table),
            None => storage(table) != default_storage,
        };
        if differs {
            out.push(format!(
                "table {name}: persistence, storage options, partitioning or inheritance"
            ));
        }
        if let Some(source) = source {
            for column in &table.columns {
                if let Some(old) = source.column(&column.name) {
                    if old.generated != column.generated || old.identity != column.identity {
                        out.push(format!(
                            "column {name}.{}: generated expression or identity (changed)",
                            crate::schema::ident(&column.name)
                        ));
                    }
                }
            }
        }
    }
    out
}

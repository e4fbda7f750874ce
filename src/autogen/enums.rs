//! Enum types: created before the tables that use them, dropped after; labels added in place
//! (`ADD VALUE ... BEFORE/AFTER`, which keeps their order). Labels removed or reordered take a
//! new type: the old one is renamed, the new one created, every column cast to it through
//! `text` (defaults dropped around the cast), and the old type dropped.

use std::collections::{BTreeMap, BTreeSet};

use super::hazard::Hazard;
use super::PlannedStatement;
use crate::quote::literal;
use crate::schema::{ident, EnumType, QualifiedName, Snapshot};

/// Whether `old` is `new` with labels only added (each old label still there, in order).
pub(super) fn only_added(old: &[String], new: &[String]) -> bool {
    let mut remaining = new.iter();
    old.iter().all(|label| remaining.any(|n| n == label))
}

fn comment(name: &QualifiedName, comment: &Option<String>) -> PlannedStatement {
    PlannedStatement {
        sql: format!(
            "COMMENT ON TYPE {name} IS {}",
            comment.as_deref().map_or("NULL".to_owned(), literal)
        ),
        hazards: vec![],
    }
}

/// What runs before the tables change: new types, and labels added to types that stay.
pub(super) fn creates(
    from: &BTreeMap<QualifiedName, EnumType>,
    to: &BTreeMap<QualifiedName, EnumType>,
) -> Vec<PlannedStatement> {
    let mut out = Vec::new();
    for (name, enum_type) in to {
        match from.get(name) {
            None => {
                let labels: Vec<String> = enum_type.labels.iter().map(|l| literal(l)).collect();
                out.push(PlannedStatement {
                    sql: format!("CREATE TYPE {name} AS ENUM ({})", labels.join(", ")),
                    hazards: vec![],
                });
                if enum_type.comment.is_some() {
                    out.push(comment(name, &enum_type.comment));
                }
            }
            Some(old) => {
                if only_added(&old.labels, &enum_type.labels) {
                    for (at, label) in enum_type.labels.iter().enumerate() {
                        if old.labels.contains(label) {
                            continue;
                        }
                        // Placed after its predecessor (or before its successor when first).
                        let place = match at.checked_sub(1) {
                            Some(before) => format!("AFTER {}", literal(&enum_type.labels[before])),
                            None => format!("BEFORE {}", literal(&enum_type.labels[1])),
                        };
                        out.push(PlannedStatement {
                            sql: format!("ALTER TYPE {name} ADD VALUE {} {place}", literal(label)),
                            hazards: vec![],
                        });
                    }
                }
                // A replaced type gets its comment when it is created again.
                if old.comment != enum_type.comment && only_added(&old.labels, &enum_type.labels) {
                    out.push(comment(name, &enum_type.comment));
                }
            }
        }
    }
    out
}

/// What runs after the tables change: types that go away.
pub(super) fn drops(
    from: &BTreeMap<QualifiedName, EnumType>,
    to: &BTreeMap<QualifiedName, EnumType>,
) -> Vec<PlannedStatement> {
    from.keys()
        .filter(|name| !to.contains_key(*name))
        .map(|name| PlannedStatement {
            sql: format!("DROP TYPE {name}"),
            hazards: vec![],
        })
        .collect()
}

/// The enum types that `to` has with labels removed or reordered.
fn replaced<'a>(from: &'a Snapshot, to: &'a Snapshot) -> Vec<(&'a QualifiedName, &'a EnumType)> {
    to.enums
        .iter()
        .filter(|(name, new)| {
            from.enums
                .get(*name)
                .is_some_and(|old| !only_added(&old.labels, &new.labels))
        })
        .collect()
}

/// The names of the enum types the plan replaces (labels removed or reordered).
pub(super) fn replaced_names(from: &Snapshot, to: &Snapshot) -> BTreeSet<QualifiedName> {
    replaced(from, to)
        .into_iter()
        .map(|(name, _)| name.clone())
        .collect()
}

/// How a column's type reads when it is `name` (`format_type` leaves out `public.`).
fn spellings(name: &QualifiedName) -> Vec<String> {
    let mut spellings = vec![name.to_string()];
    if name.schema == "public" {
        spellings.push(ident(&name.name).into_owned());
    }
    spellings
}

/// Whether a column type (as the snapshot prints it) is one of `snapshot`'s enum types, or an
/// array of one.
pub(super) fn is_enum(snapshot: &Snapshot, data_type: &str) -> bool {
    let element = data_type.trim_end_matches("[]");
    snapshot
        .enums
        .keys()
        .any(|name| spellings(name).iter().any(|s| s == element))
}

/// The column types (as the snapshot prints them) of the enum types the plan replaces: their
/// columns' defaults are dropped before the cast and set again with the tables' changes.
pub(super) fn replaced_types(from: &Snapshot, to: &Snapshot) -> BTreeSet<String> {
    replaced(from, to)
        .into_iter()
        .flat_map(|(name, _)| spellings(name))
        .collect()
}

/// Each enum type whose labels are removed or reordered, replaced by a new one: before the
/// tables change, so that every column of the type (as the source has them) is cast.
pub(super) fn replaces(from: &Snapshot, to: &Snapshot) -> Vec<PlannedStatement> {
    let mut out = Vec::new();
    for (name, enum_type) in replaced(from, to) {
        let mut old_name = format!("{}_old", name.name);
        while from
            .enums
            .contains_key(&QualifiedName::new(&name.schema, &old_name))
            || to
                .enums
                .contains_key(&QualifiedName::new(&name.schema, &old_name))
        {
            old_name.push_str("_old");
        }
        let old = QualifiedName::new(&name.schema, &old_name);
        out.push(PlannedStatement {
            sql: format!("ALTER TYPE {name} RENAME TO {}", ident(&old_name)),
            hazards: vec![],
        });
        let labels: Vec<String> = enum_type.labels.iter().map(|l| literal(l)).collect();
        out.push(PlannedStatement {
            sql: format!("CREATE TYPE {name} AS ENUM ({})", labels.join(", ")),
            hazards: vec![],
        });
        if enum_type.comment.is_some() {
            out.push(comment(name, &enum_type.comment));
        }
        let spellings = spellings(name);
        for (table_name, table) in &from.tables {
            for column in &table.columns {
                let array = column.data_type.strip_suffix("[]");
                let uses = [Some(column.data_type.as_str()), array]
                    .into_iter()
                    .flatten()
                    .any(|t| spellings.iter().any(|s| s == t));
                if !uses {
                    continue;
                }
                // A partition's or child's column changes with its parent's.
                let inherited = table.parents.iter().any(|parent| {
                    from.tables
                        .get(parent)
                        .is_some_and(|p| p.column(&column.name).is_some())
                });
                if inherited {
                    continue;
                }
                let lock = Hazard::AccessExclusive;
                let column_sql = format!(
                    "ALTER TABLE {table_name} ALTER COLUMN {}",
                    ident(&column.name)
                );
                if column.default.is_some() {
                    out.push(PlannedStatement {
                        sql: format!("{column_sql} DROP DEFAULT"),
                        hazards: vec![lock],
                    });
                }
                let (text, new_type) = match array {
                    Some(_) => ("text[]", format!("{name}[]")),
                    None => ("text", name.to_string()),
                };
                out.push(PlannedStatement {
                    sql: format!(
                        "{column_sql} TYPE {new_type} USING {}::{text}::{new_type}",
                        ident(&column.name)
                    ),
                    hazards: vec![lock, Hazard::RewritesTable, Hazard::FailsOnExistingRows],
                });
            }
        }
        out.push(PlannedStatement {
            sql: format!("DROP TYPE {old}"),
            hazards: vec![],
        });
    }
    out
}

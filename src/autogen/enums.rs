//! Enum types: created before the tables that use them, dropped after; labels added in place
//! (`ADD VALUE ... BEFORE/AFTER`, which keeps their order). Removing or reordering labels takes
//! a new type and a cast of every column: not written yet, and said so (see `unsupported`).

use std::collections::BTreeMap;

use super::PlannedStatement;
use crate::quote::literal;
use crate::schema::{EnumType, QualifiedName};

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
                if old.comment != enum_type.comment {
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

//! Composite and range types: created before the tables that use them (ranges first, then
//! composites after the composites they contain), dropped after them; a composite type's
//! attributes added, dropped and retyped in place (`ALTER TYPE ... ADD / DROP / ALTER
//! ATTRIBUTE`). A range type whose definition changes, and an attribute retyped while a column
//! or another type uses its type, are reported, not written (PostgreSQL refuses both while
//! the type is in use).

use std::collections::BTreeMap;

use super::hazard::Hazard;
use super::statement::statement;
use super::PlannedStatement;
use crate::quote::literal;
use crate::schema::{ident, Attribute, CompositeType, QualifiedName, RangeType, Snapshot};

fn comment(name: &QualifiedName, comment: &Option<String>) -> PlannedStatement {
    statement(
        format!(
            "COMMENT ON TYPE {name} IS {}",
            comment.as_deref().map_or("NULL".to_owned(), literal)
        ),
        vec![],
    )
}

fn attribute_sql(attribute: &Attribute) -> String {
    let mut sql = format!("{} {}", ident(&attribute.name), attribute.data_type);
    if let Some(collation) = &attribute.collation {
        sql.push_str(&format!(" COLLATE {collation}"));
    }
    sql
}

/// Whether `data_type` (as `format_type` prints it) is `name`, or an array of it.
fn names(data_type: &str, name: &QualifiedName) -> bool {
    let base = data_type.trim_end_matches("[]");
    base == name.to_string() || (name.schema == "public" && base == ident(&name.name))
}

/// `types` in an order where a composite comes after the composites its attributes use.
fn dependency_order<'a>(
    types: &BTreeMap<&'a QualifiedName, &'a CompositeType>,
) -> Vec<&'a QualifiedName> {
    let mut left: Vec<&QualifiedName> = types.keys().copied().collect();
    let mut placed = Vec::new();
    while !left.is_empty() {
        let ready = (0..left.len())
            .find(|&at| {
                types[left[at]].attributes.iter().all(|attribute| {
                    !left
                        .iter()
                        .any(|other| other != &left[at] && names(&attribute.data_type, other))
                })
            })
            .unwrap_or(0);
        placed.push(left.remove(ready));
    }
    placed
}

fn range_sql(name: &QualifiedName, range: &RangeType) -> String {
    let mut options = vec![format!("SUBTYPE = {}", range.subtype)];
    for (option, value) in [
        ("COLLATION", &range.collation),
        ("CANONICAL", &range.canonical),
        ("SUBTYPE_DIFF", &range.subtype_diff),
    ] {
        if let Some(value) = value {
            options.push(format!("{option} = {value}"));
        }
    }
    format!("CREATE TYPE {name} AS RANGE ({})", options.join(", "))
}

/// Whether a table column or a composite type's attribute of `snapshot` has type `name`.
fn used(snapshot: &Snapshot, name: &QualifiedName) -> bool {
    let tables = snapshot
        .tables
        .values()
        .flat_map(|t| t.columns.iter().map(|c| &c.data_type));
    let composites = snapshot
        .composite_types
        .values()
        .flat_map(|t| t.attributes.iter().map(|a| &a.data_type));
    tables
        .chain(composites)
        .any(|data_type| names(data_type, name))
}

/// The composite types whose attributes change type while something uses them: not
/// written, reported.
pub(super) fn blocked(from: &Snapshot, to: &Snapshot) -> Vec<String> {
    to.composite_types
        .iter()
        .filter(|(name, new)| {
            from.composite_types
                .get(*name)
                .is_some_and(|old| retyped(old, new) && (used(from, name) || used(to, name)))
        })
        .map(|(name, _)| format!("composite type {name}: attribute type changed while in use"))
        .collect()
}

fn retyped(old: &CompositeType, new: &CompositeType) -> bool {
    new.attributes.iter().any(|attribute| {
        old.attributes
            .iter()
            .any(|a| a.name == attribute.name && a != attribute)
    })
}

/// Whether two range types differ in more than their comment.
pub(super) fn range_redefined(old: &RangeType, new: &RangeType) -> bool {
    let mut old = old.clone();
    old.comment.clone_from(&new.comment);
    &old != new
}

/// New types and changes to existing ones: before the tables change.
pub(super) fn creates(from: &Snapshot, to: &Snapshot) -> Vec<PlannedStatement> {
    let mut out = Vec::new();
    for (name, range) in &to.range_types {
        match from.range_types.get(name) {
            None => {
                out.push(statement(range_sql(name, range), vec![]));
                if range.comment.is_some() {
                    out.push(comment(name, &range.comment));
                }
            }
            Some(old) if old.comment != range.comment => out.push(comment(name, &range.comment)),
            Some(_) => {}
        }
    }
    let new: BTreeMap<&QualifiedName, &CompositeType> = to
        .composite_types
        .iter()
        .filter(|(name, _)| !from.composite_types.contains_key(*name))
        .collect();
    for name in dependency_order(&new) {
        let composite = new[name];
        let attributes: Vec<String> = composite
            .attributes
            .iter()
            .map(|a| format!("    {}", attribute_sql(a)))
            .collect();
        out.push(statement(
            format!("CREATE TYPE {name} AS (\n{}\n)", attributes.join(",\n")),
            vec![],
        ));
        if composite.comment.is_some() {
            out.push(comment(name, &composite.comment));
        }
    }
    for (name, composite) in &to.composite_types {
        let Some(old) = from.composite_types.get(name) else {
            continue;
        };
        for attribute in &old.attributes {
            if !composite
                .attributes
                .iter()
                .any(|a| a.name == attribute.name)
            {
                out.push(statement(
                    format!(
                        "ALTER TYPE {name} DROP ATTRIBUTE {}",
                        ident(&attribute.name)
                    ),
                    vec![Hazard::DeletesData, Hazard::NotReversible],
                ));
            }
        }
        for attribute in &composite.attributes {
            match old.attributes.iter().find(|a| a.name == attribute.name) {
                None => out.push(statement(
                    format!(
                        "ALTER TYPE {name} ADD ATTRIBUTE {}",
                        attribute_sql(attribute)
                    ),
                    vec![],
                )),
                Some(before) if before != attribute && !(used(from, name) || used(to, name)) => {
                    let collation = attribute
                        .collation
                        .as_ref()
                        .map(|c| format!(" COLLATE {c}"))
                        .unwrap_or_default();
                    out.push(statement(
                        format!(
                            "ALTER TYPE {name} ALTER ATTRIBUTE {} TYPE {}{collation}",
                            ident(&attribute.name),
                            attribute.data_type
                        ),
                        vec![Hazard::NotReversible],
                    ));
                }
                Some(_) => {}
            }
        }
        if old.comment != composite.comment {
            out.push(comment(name, &composite.comment));
        }
    }
    out
}

/// Types that go away: after the tables that used them, composites before the ranges they
/// may contain.
pub(super) fn drops(from: &Snapshot, to: &Snapshot) -> Vec<PlannedStatement> {
    let gone: BTreeMap<&QualifiedName, &CompositeType> = from
        .composite_types
        .iter()
        .filter(|(name, _)| !to.composite_types.contains_key(*name))
        .collect();
    let mut out: Vec<PlannedStatement> = dependency_order(&gone)
        .into_iter()
        .rev()
        .map(|name| statement(format!("DROP TYPE {name}"), vec![]))
        .collect();
    for name in from.range_types.keys() {
        if !to.range_types.contains_key(name) {
            out.push(statement(format!("DROP TYPE {name}"), vec![]));
        }
    }
    out
}

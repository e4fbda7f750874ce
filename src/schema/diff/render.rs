//! How an attribute of an object reads in a change: quoted text, comments, nullability, a
//! column's or a domain's whole specification.

use crate::schema::model::{Column, Domain, Policy};
use crate::schema::types::{Attribute, RangeType};

/// A column as its definition reads: `integer not null default 0`.
pub(super) fn column_spec(column: &Column) -> String {
    let mut spec = column.data_type.clone();
    if let Some(collation) = &column.collation {
        spec.push_str(&format!(" collate {collation}"));
    }
    if column.not_null {
        spec.push_str(" not null");
    }
    if let Some(default) = &column.default {
        spec.push_str(&format!(" default {default}"));
    }
    if let Some(expression) = &column.generated {
        let kind = column.generated_kind.keyword().to_lowercase();
        spec.push_str(&format!(" generated always as ({expression}) {kind}"));
    }
    if let Some(identity) = &column.identity {
        spec.push_str(&format!(" {}", identity.generation));
    }
    spec
}

/// A domain as its definition reads: `integer not null default 0 CHECK (...)`.
pub(super) fn domain_spec(domain: &Domain) -> String {
    let mut spec = domain.base_type.clone();
    if let Some(collation) = &domain.collation {
        spec.push_str(&format!(" collate {collation}"));
    }
    if domain.not_null {
        spec.push_str(" not null");
    }
    if let Some(default) = &domain.default {
        spec.push_str(&format!(" default {default}"));
    }
    for definition in domain.constraints.values() {
        spec.push_str(&format!(" {definition}"));
    }
    spec
}

pub(super) fn labels(labels: &[String]) -> String {
    labels
        .iter()
        .map(|label| quote(label))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A SQL string literal, for comments and labels: [`crate::quote::literal`], which reads back
/// the same whatever `standard_conforming_strings` is and stays on one line.
pub(super) fn quote(text: &str) -> String {
    crate::quote::literal(text)
}

pub(super) fn comment(comment: &Option<String>) -> Option<String> {
    comment.as_deref().map(quote)
}

pub(super) fn nullability(not_null: bool) -> Option<String> {
    Some(if not_null { "not null" } else { "null" }.to_owned())
}

pub(super) fn shown<T: ToString>(value: &T) -> Option<String> {
    Some(value.to_string())
}

/// A policy as its definition reads: `permissive for select to public using (...)`.
pub(super) fn policy_spec(policy: &Policy) -> String {
    let mut spec = format!(
        "{} for {} to {}",
        if policy.permissive {
            "permissive"
        } else {
            "restrictive"
        },
        policy.command.to_string().to_lowercase(),
        policy.roles.join(", ")
    );
    if let Some(using) = &policy.using {
        spec.push_str(&format!(" using ({using})"));
    }
    if let Some(check) = &policy.with_check {
        spec.push_str(&format!(" with check ({check})"));
    }
    spec
}

/// A composite type's attributes as they read: `x integer, label text collate "C"`.
pub(super) fn attributes(attributes: &[Attribute]) -> String {
    attributes
        .iter()
        .map(|a| {
            let mut spec = format!("{} {}", crate::schema::ident(&a.name), a.data_type);
            if let Some(collation) = &a.collation {
                spec.push_str(&format!(" collate {collation}"));
            }
            spec
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A range type as its definition reads: `(subtype = numeric, subtype_diff = f)`.
pub(super) fn range_spec(range: &RangeType) -> String {
    let mut parts = vec![format!("subtype = {}", range.subtype)];
    for (option, value) in [
        ("collation", &range.collation),
        ("canonical", &range.canonical),
        ("subtype_diff", &range.subtype_diff),
    ] {
        if let Some(value) = value {
            parts.push(format!("{option} = {value}"));
        }
    }
    format!("({})", parts.join(", "))
}

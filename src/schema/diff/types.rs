//! Comparing enum, composite and range types, and domains.

use std::collections::BTreeSet;

use super::change::Difference;
use super::differences::Differences;
use super::render::*;
use crate::schema::model::{ident, Domain, EnumType};
use crate::schema::types::{CompositeType, RangeType};

pub(super) fn compare_enums(before: &EnumType, after: &EnumType) -> Vec<Difference> {
    let EnumType {
        labels: l,
        comment: c,
    } = before;
    let mut d = Differences::default();
    d.check("labels", Some(labels(l)), Some(labels(&after.labels)));
    d.check("comment", comment(c), comment(&after.comment));
    d.0
}

pub(super) fn compare_domains(before: &Domain, after: &Domain) -> Vec<Difference> {
    let Domain {
        base_type,
        not_null,
        default,
        collation,
        constraints,
        comment: c,
    } = before;
    let mut d = Differences::default();
    d.check("type", shown(base_type), shown(&after.base_type));
    d.check("collation", collation.clone(), after.collation.clone());
    d.check(
        "nullability",
        nullability(*not_null),
        nullability(after.not_null),
    );
    d.check("default", default.clone(), after.default.clone());
    let names: BTreeSet<&String> = constraints.keys().chain(after.constraints.keys()).collect();
    for name in names {
        d.check(
            format!("constraint {}", ident(name)),
            constraints.get(name).cloned(),
            after.constraints.get(name).cloned(),
        );
    }
    d.check("comment", comment(c), comment(&after.comment));
    d.0
}

pub(super) fn compare_composites(before: &CompositeType, after: &CompositeType) -> Vec<Difference> {
    let CompositeType {
        attributes: a,
        comment: c,
    } = before;
    let mut d = Differences::default();
    d.check(
        "attributes",
        Some(attributes(a)),
        Some(attributes(&after.attributes)),
    );
    d.check("comment", comment(c), comment(&after.comment));
    d.0
}

pub(super) fn compare_ranges(before: &RangeType, after: &RangeType) -> Vec<Difference> {
    let RangeType {
        subtype,
        collation,
        canonical,
        subtype_diff,
        comment: c,
    } = before;
    let mut d = Differences::default();
    d.check("subtype", shown(subtype), shown(&after.subtype));
    d.check("collation", collation.clone(), after.collation.clone());
    d.check("canonical", canonical.clone(), after.canonical.clone());
    d.check(
        "subtype_diff",
        subtype_diff.clone(),
        after.subtype_diff.clone(),
    );
    d.check("comment", comment(c), comment(&after.comment));
    d.0
}

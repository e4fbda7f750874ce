//! Comparing tables, their columns, and sequences.

use std::collections::BTreeSet;

use super::change::Difference;
use super::differences::Differences;
use super::render::*;
use crate::schema::model::{ident, Column, GeneratedKind, QualifiedName, Sequence, Table};

/// The table's own attributes; columns and constraints are compared one by one elsewhere.
pub(super) fn compare_tables(before: &Table, after: &Table) -> Vec<Difference> {
    let Table {
        columns,
        constraints: _,
        unlogged,
        options,
        partition_key,
        partition_bound,
        parents,
        comment: c,
        row_security,
        force_row_security,
        policies,
    } = before;
    let persistence =
        |unlogged: bool| Some(if unlogged { "unlogged" } else { "logged" }.to_owned());
    let names = |parents: &[QualifiedName]| {
        (!parents.is_empty()).then(|| {
            parents
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        })
    };
    let mut d = Differences::default();
    d.check(
        "column order",
        common_order(columns, &after.columns),
        common_order(&after.columns, columns),
    );
    d.check(
        "persistence",
        persistence(*unlogged),
        persistence(after.unlogged),
    );
    d.check("options", options.clone(), after.options.clone());
    d.check(
        "partition key",
        partition_key.clone(),
        after.partition_key.clone(),
    );
    d.check(
        "partition bound",
        partition_bound.clone(),
        after.partition_bound.clone(),
    );
    d.check("parents", names(parents), names(&after.parents));
    d.check("comment", comment(c), comment(&after.comment));
    let security = |on: bool| Some(if on { "enabled" } else { "disabled" }.to_owned());
    d.check(
        "row security",
        security(*row_security),
        security(after.row_security),
    );
    d.check(
        "forced row security",
        security(*force_row_security),
        security(after.force_row_security),
    );
    let names: BTreeSet<&String> = policies.keys().chain(after.policies.keys()).collect();
    for name in names {
        d.check(
            format!("policy {}", ident(name)),
            policies.get(name).map(policy_spec),
            after.policies.get(name).map(policy_spec),
        );
    }
    d.0
}

/// The order of the columns of `columns` that `other` has too (added or dropped columns are
/// changes of their own), as `a, b, c`.
pub(super) fn common_order(columns: &[Column], other: &[Column]) -> Option<String> {
    let names: Vec<&str> = columns
        .iter()
        .filter(|column| other.iter().any(|o| o.name == column.name))
        .map(|column| column.name.as_str())
        .collect();
    Some(names.join(", "))
}

pub(super) fn compare_columns(before: &Column, after: &Column) -> Vec<Difference> {
    let Column {
        name: _,
        data_type,
        not_null,
        default,
        generated,
        generated_kind,
        identity,
        collation,
        comment: c,
    } = before;
    let mut d = Differences::default();
    d.check("type", shown(data_type), shown(&after.data_type));
    d.check("collation", collation.clone(), after.collation.clone());
    d.check(
        "nullability",
        nullability(*not_null),
        nullability(after.not_null),
    );
    d.check("default", default.clone(), after.default.clone());
    d.check("generated", generated.clone(), after.generated.clone());
    if generated.is_some() && after.generated.is_some() {
        let keyword = |kind: &GeneratedKind| Some(kind.keyword().to_lowercase());
        d.check(
            "generated storage",
            keyword(generated_kind),
            keyword(&after.generated_kind),
        );
    }
    d.check(
        "identity",
        identity.as_ref().map(|i| i.generation.to_string()),
        after.identity.as_ref().map(|i| i.generation.to_string()),
    );
    if let (Some(identity), Some(after_identity)) = (identity, &after.identity) {
        d.check(
            "identity sequence",
            shown(&identity.sequence),
            shown(&after_identity.sequence),
        );
    }
    d.check("comment", comment(c), comment(&after.comment));
    d.0
}

pub(super) fn compare_sequences(before: &Sequence, after: &Sequence) -> Vec<Difference> {
    let Sequence {
        data_type,
        options,
        owned_by,
        comment: c,
    } = before;
    let (o, a) = (options, &after.options);
    let cycle = |cycle: bool| Some(if cycle { "cycle" } else { "no cycle" }.to_owned());
    let mut d = Differences::default();
    d.check("type", shown(data_type), shown(&after.data_type));
    d.check("start", shown(&o.start), shown(&a.start));
    d.check("increment", shown(&o.increment), shown(&a.increment));
    d.check("minvalue", shown(&o.min), shown(&a.min));
    d.check("maxvalue", shown(&o.max), shown(&a.max));
    d.check("cache", shown(&o.cache), shown(&a.cache));
    d.check("cycle", cycle(o.cycle), cycle(a.cycle));
    d.check(
        "owned by",
        owned_by.as_ref().map(ToString::to_string),
        after.owned_by.as_ref().map(ToString::to_string),
    );
    d.check("comment", comment(c), comment(&after.comment));
    d.0
}

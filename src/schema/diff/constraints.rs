//! Comparing constraints and indexes.

use super::change::Difference;
use super::differences::Differences;
use super::render::*;
use crate::schema::model::{Constraint, Index};

pub(super) fn compare_constraints(before: &Constraint, after: &Constraint) -> Vec<Difference> {
    let Constraint {
        kind,
        definition,
        comment: c,
    } = before;
    let mut d = Differences::default();
    d.check("kind", shown(kind), shown(&after.kind));
    d.check("definition", shown(definition), shown(&after.definition));
    d.check("comment", comment(c), comment(&after.comment));
    d.0
}

pub(super) fn compare_indexes(before: &Index, after: &Index) -> Vec<Difference> {
    let Index {
        table,
        definition,
        comment: c,
    } = before;
    let mut d = Differences::default();
    d.check("table", shown(table), shown(&after.table));
    d.check("definition", shown(definition), shown(&after.definition));
    d.check("comment", comment(c), comment(&after.comment));
    d.0
}

//! Comparing views and materialized views.

use super::change::Difference;
use super::differences::Differences;
use super::render::*;
use crate::schema::model::View;

pub(super) fn compare_views(before: &View, after: &View) -> Vec<Difference> {
    let View {
        definition,
        options,
        comment: c,
    } = before;
    let mut d = Differences::default();
    d.check("definition", shown(definition), shown(&after.definition));
    d.check("options", options.clone(), after.options.clone());
    d.check("comment", comment(c), comment(&after.comment));
    d.0
}

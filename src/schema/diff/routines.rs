//! Comparing functions, procedures, aggregates and triggers.

use super::change::Difference;
use super::differences::Differences;
use super::render::*;
use crate::schema::model::{Function, Trigger};

pub(super) fn compare_functions(before: &Function, after: &Function) -> Vec<Difference> {
    let Function {
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

pub(super) fn compare_triggers(before: &Trigger, after: &Trigger) -> Vec<Difference> {
    let Trigger {
        definition,
        firing,
        comment: c,
    } = before;
    let mut d = Differences::default();
    d.check("definition", shown(definition), shown(&after.definition));
    d.check("firing", shown(firing), shown(&after.firing));
    d.check("comment", comment(c), comment(&after.comment));
    d.0
}

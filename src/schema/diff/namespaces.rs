//! Comparing schemas and extensions.

use super::change::Difference;
use super::differences::Differences;
use super::render::*;
use crate::schema::model::{ident, Extension, Schema};

pub(super) fn compare_schemas(before: &Schema, after: &Schema) -> Vec<Difference> {
    let Schema { comment: c } = before;
    let mut d = Differences::default();
    d.check("comment", comment(c), comment(&after.comment));
    d.0
}

pub(super) fn compare_extensions(before: &Extension, after: &Extension) -> Vec<Difference> {
    let Extension {
        schema,
        version,
        comment: c,
    } = before;
    let mut d = Differences::default();
    d.check(
        "schema",
        Some(ident(schema).into_owned()),
        Some(ident(&after.schema).into_owned()),
    );
    d.check("version", shown(version), shown(&after.version));
    d.check("comment", comment(c), comment(&after.comment));
    d.0
}

//! Composite and range types of the snapshot (enum types and domains are in `model`).

/// A composite type (`CREATE TYPE t AS (...)`), not a table's row type.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CompositeType {
    /// Its attributes, in order.
    pub attributes: Vec<Attribute>,
    /// `COMMENT ON TYPE`.
    pub comment: Option<String>,
}

/// An attribute of a [`CompositeType`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Attribute {
    /// Its name.
    pub name: String,
    /// Its type, as `format_type` prints it.
    pub data_type: String,
    /// `COLLATE`, when it is not the type's default collation.
    pub collation: Option<String>,
}

impl Attribute {
    /// An attribute of `data_type` (as `format_type` prints it), default collation.
    pub fn new(name: impl Into<String>, data_type: impl Into<String>) -> Self {
        Attribute {
            name: name.into(),
            data_type: data_type.into(),
            collation: None,
        }
    }
}

/// A range type (`CREATE TYPE r AS RANGE (SUBTYPE = ...)`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RangeType {
    /// `SUBTYPE`, as `format_type` prints it.
    pub subtype: String,
    /// `COLLATION`, when it is not the subtype's default.
    pub collation: Option<String>,
    /// `CANONICAL`: the function that normalizes a value, when there is one.
    pub canonical: Option<String>,
    /// `SUBTYPE_DIFF`: the function that measures a difference, when there is one.
    pub subtype_diff: Option<String>,
    /// `COMMENT ON TYPE`.
    pub comment: Option<String>,
}

impl RangeType {
    /// A range of `subtype` (as `format_type` prints it), with no options nor comment.
    pub fn new(subtype: impl Into<String>) -> Self {
        RangeType {
            subtype: subtype.into(),
            collation: None,
            canonical: None,
            subtype_diff: None,
            comment: None,
        }
    }
}

//! Revision ids and labels checked by the `const fn` constructors of embedded migrations, at
//! compile time where they are used in a `static`.

use crate::revision::{RevisionId, RESERVED_NAMES};

/// A revision id the constructors checked.
pub(super) fn valid_id(id: &str) -> RevisionId {
    // Unreachable error: `EmbeddedMigration::new` and `with_parents` refuse invalid ids, with
    // the rules of `revision::check_name` (a test keeps the two in step).
    RevisionId::new(id).expect("revision ids of an EmbeddedMigration are checked when built")
}

/// `revision::check_name`, in a `const fn` so that a `static` with an invalid name fails to
/// compile.
pub(super) const fn is_valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    if bytes.is_empty() {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if !(bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
            return false;
        }
        i += 1;
    }
    let mut reserved = 0;
    while reserved < RESERVED_NAMES.len() {
        if bytes_equal(bytes, RESERVED_NAMES[reserved].as_bytes()) {
            return false;
        }
        reserved += 1;
    }
    true
}

pub(super) const fn all_valid_names(names: &[&str]) -> bool {
    let mut i = 0;
    while i < names.len() {
        if !is_valid_name(names[i]) {
            return false;
        }
        i += 1;
    }
    true
}

const fn bytes_equal(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

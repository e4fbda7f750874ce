//! Unit tests of embedded sets: building, comparing with the directory.

use super::*;
use crate::revision::{check_name, NameKind};
use proptest::prelude::*;

proptest! {
    #[test]
    fn the_const_name_check_follows_the_naming_rules(
        name in "(head|heads|base|[A-Za-z0-9_]{0,6}|[ -~]{0,6}|\\PC{0,4})"
    ) {
        prop_assert_eq!(
            is_valid_name(&name),
            check_name(&name, NameKind::Revision).is_ok()
        );
    }
}

//! Names of throwaway schemas, databases and templates, and when they were made.
//!
//! A throwaway schema or database is `pelican_tmp_<created>_<pid>_<counter>_<random>`: the
//! creation time (unix seconds) lets the janitor of a later run tell the leftovers of a crashed
//! run (old) from the objects of a run in progress (fresh), even on a server shared by several
//! machines; the process id, a counter and a random part make names unique.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

/// Prefix of every throwaway schema ([`TempSchema`](super::TempSchema)) and database
/// ([`TempDatabase`](super::TempDatabase)): `pelican_tmp_<created>_<pid>_<n>_<random>`, with
/// the creation time in unix seconds.
pub const TEMP_PREFIX: &str = "pelican_tmp_";

/// Prefix of the template databases [`TempDatabase`](super::TempDatabase)s are cloned from:
/// `pelican_tpl_<key>`, where the key is a hash of the migration set and the target.
pub const TEMPLATE_PREFIX: &str = "pelican_tpl_";

/// Now, in unix seconds.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}

/// A fresh throwaway name, made now.
pub(crate) fn unique_temp_name() -> String {
    temp_name_at(unix_now())
}

/// A fresh throwaway name that says it was made at `created` (unix seconds).
pub(crate) fn temp_name_at(created: u64) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    static SALT: OnceLock<u32> = OnceLock::new();
    let salt = SALT.get_or_init(|| {
        use std::hash::{BuildHasher, Hasher};
        // std seeds every `RandomState` randomly: a random number without a dependency.
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u32(std::process::id());
        hasher.finish() as u32
    });
    format!(
        "{TEMP_PREFIX}{created}_{}_{}_{salt:08x}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// When a throwaway object was made, from its name; `None` for a name this module did not make.
pub(crate) fn created_at(name: &str) -> Option<u64> {
    let rest = name.strip_prefix(TEMP_PREFIX)?;
    let mut parts = rest.split('_');
    let created = parts.next()?.parse().ok()?;
    (parts.count() == 3).then_some(created)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_short_identifiers_that_tell_their_age() {
        let first = unique_temp_name();
        let second = unique_temp_name();
        assert_ne!(first, second);
        for name in [&first, &second] {
            assert!(name.len() <= 63, "longer than PostgreSQL allows: {name}");
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{name}"
            );
            let age = unix_now() - created_at(name).unwrap();
            assert!(age < 5, "{name}");
        }
        assert_eq!(
            created_at(&temp_name_at(1_700_000_000)),
            Some(1_700_000_000)
        );
    }

    #[test]
    fn other_names_have_no_age() {
        for name in [
            "pelican_tmp_",
            "pelican_tmp_x_1_2_3",
            "pelican_tmp_12_1",
            "public",
        ] {
            assert_eq!(created_at(name), None, "{name}");
        }
    }
}

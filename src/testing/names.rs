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

/// Prefix of the copies of a template made ahead of time on a `DATABASE_URL` server:
/// `pelican_spare_<key>_<created>_<random>_<n>`, where the key is the template's. The next
/// [`TempDatabase`](super::TempDatabase) of the same template, in this process or a later
/// one, takes it by renaming it to a throwaway name; the janitor drops those older than an hour.
pub(crate) const SPARE_PREFIX: &str = "pelican_spare_";

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
    format!(
        "{TEMP_PREFIX}{created}_{}_{}_{:08x}",
        std::process::id(),
        next_number(),
        salt()
    )
}

/// The start of the names of the spare copies of the template with key `key`.
pub(crate) fn spare_prefix(key: &str) -> String {
    format!("{SPARE_PREFIX}{key}_")
}

/// A fresh name for a spare copy of the template with key `key`, made at `created`. The
/// random part comes before the counter, so that the name stays within PostgreSQL's 63 bytes
/// with a long-running process's counter (the process id has no room).
pub(crate) fn spare_name_at(key: &str, created: u64) -> String {
    format!(
        "{}{created}_{:08x}_{}",
        spare_prefix(key),
        salt(),
        next_number()
    )
}

/// When a spare copy was made, from its name; `None` for a name this module did not make.
pub(crate) fn spare_created_at(name: &str) -> Option<u64> {
    let rest = name.strip_prefix(SPARE_PREFIX)?;
    let mut parts = rest.split('_');
    let _key = parts.next()?;
    let created = parts.next()?.parse().ok()?;
    (parts.count() == 2).then_some(created)
}

/// A number unique within the process.
pub(crate) fn next_number() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A random number, drawn once per process.
pub(crate) fn salt() -> u32 {
    static SALT: OnceLock<u32> = OnceLock::new();
    *SALT.get_or_init(|| {
        use std::hash::{BuildHasher, Hasher};
        // std seeds every `RandomState` randomly: a random number without a dependency.
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u32(std::process::id());
        hasher.finish() as u32
    })
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
    fn spare_names_are_short_identifiers_that_tell_their_template_and_age() {
        let key = "0123456789abcdef";
        let name = spare_name_at(key, 1_700_000_000);
        assert!(name.starts_with(&spare_prefix(key)), "{name}");
        assert_ne!(name, spare_name_at(key, 1_700_000_000));
        // The longest: a counter of 12 digits still fits in PostgreSQL's 63 bytes.
        assert!(name.len() + 11 <= 63, "too long: {name}");
        assert_eq!(spare_created_at(&name), Some(1_700_000_000));
        assert_eq!(created_at(&name), None, "not a throwaway name");
        for other in [
            "pelican_spare_",
            "pelican_spare_k_x_1_2",
            "pelican_spare_k_12_1",
            &temp_name_at(1_700_000_000),
        ] {
            assert_eq!(spare_created_at(other), None, "{other}");
        }
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

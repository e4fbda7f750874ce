//! A pristine data directory kept between test processes, so that only the first throwaway
//! server of a machine pays for `initdb` (~1s); the others copy it (~0.1s).
//!
//! `cargo test` runs each test binary as its own process, one after the other, and each
//! starts a server: without this, every binary waits for `initdb`.
//!
//! The template lives beside the servers' directories (`/tmp/pelican-initdb-<key>`), where
//! `<key>` changes with the PostgreSQL installation (the programs' path, size and date), the
//! account the server runs as and the `initdb` options. It is only trusted when it belongs to
//! that account and nobody else can write to it; it is published with an atomic rename, so a
//! reader never sees half of one; and a template that fails to start a server is discarded
//! and rebuilt (a `/tmp` cleaner may have eaten part of it).

use std::fs;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Bump when the way templates are made changes, so old ones are no longer used.
const FORMAT: u32 = 1;

/// The template data directory for one PostgreSQL installation and server account.
pub(crate) struct Template {
    path: PathBuf,
    /// The account that must own it.
    owner: u32,
}

impl Template {
    /// The template in `base` for the programs in `bin_dir`, run by the account `owner`
    /// with `initdb_args`.
    pub(crate) fn new(base: &Path, bin_dir: &Path, owner: u32, initdb_args: &[&str]) -> Template {
        let mut hasher = DefaultHasher::new();
        FORMAT.hash(&mut hasher);
        bin_dir.hash(&mut hasher);
        for program in ["initdb", "postgres"] {
            if let Ok(meta) = fs::metadata(bin_dir.join(program)) {
                (meta.len(), meta.mtime(), meta.mtime_nsec(), meta.ino()).hash(&mut hasher);
            }
        }
        owner.hash(&mut hasher);
        initdb_args.hash(&mut hasher);
        Template {
            path: base.join(format!("pelican-initdb-{:016x}", hasher.finish())),
            owner,
        }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the template exists and can be trusted: a directory of the server's account
    /// that no one else can write to, holding a data directory.
    pub(crate) fn is_usable(&self) -> bool {
        let Ok(meta) = fs::symlink_metadata(&self.path) else {
            return false;
        };
        meta.is_dir()
            && meta.uid() == self.owner
            && meta.permissions().mode() & 0o077 == 0
            && self.path.join("PG_VERSION").is_file()
    }

    /// Publishes `staged` (a pristine data directory) as the template, unless another
    /// process was faster. Best effort: without a template, the next server runs `initdb`.
    pub(crate) fn publish(&self, staged: &Path) {
        if fs::rename(staged, &self.path).is_err() {
            let _ = fs::remove_dir_all(staged);
        }
    }

    /// Deletes a template that did not work.
    pub(crate) fn discard(&self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::DirBuilder;
    use std::os::unix::fs::DirBuilderExt;

    /// Our uid: the owner of a file we create.
    fn own_uid() -> u32 {
        let probe = std::env::temp_dir().join(format!("pelican-uid-probe-{}", std::process::id()));
        fs::write(&probe, "").unwrap();
        let uid = fs::metadata(&probe).unwrap().uid();
        fs::remove_file(probe).unwrap();
        uid
    }

    #[test]
    fn the_key_follows_installation_account_and_options() {
        let base = Path::new("/tmp");
        let bin = Path::new("/usr/lib/postgresql/15/bin");
        let one = Template::new(base, bin, 101, &["-E", "UTF8"]).path;
        assert_eq!(one, Template::new(base, bin, 101, &["-E", "UTF8"]).path);
        assert_ne!(one, Template::new(base, bin, 1000, &["-E", "UTF8"]).path);
        assert_ne!(one, Template::new(base, bin, 101, &["-E", "LATIN1"]).path);
        assert_ne!(
            one,
            Template::new(base, Path::new("/opt/pg/bin"), 101, &["-E", "UTF8"]).path
        );
        assert!(one.to_str().unwrap().starts_with("/tmp/pelican-initdb-"));
    }

    #[test]
    fn only_a_private_complete_template_is_used() {
        let base =
            std::env::temp_dir().join(format!("pelican-template-test-{}", std::process::id()));
        fs::create_dir_all(&base).unwrap();
        let uid = own_uid();
        let template = Template::new(&base, Path::new("/nonexistent"), uid, &[]);
        assert!(!template.is_usable(), "missing");

        let staged = base.join("staged");
        DirBuilder::new().mode(0o700).create(&staged).unwrap();
        fs::write(staged.join("PG_VERSION"), "15\n").unwrap();
        template.publish(&staged);
        assert!(!staged.exists());
        assert!(template.is_usable());

        fs::set_permissions(template.path(), fs::Permissions::from_mode(0o770)).unwrap();
        assert!(!template.is_usable(), "writable by the group");
        fs::set_permissions(template.path(), fs::Permissions::from_mode(0o700)).unwrap();

        let someone_else = Template {
            path: template.path().to_path_buf(),
            owner: uid + 1,
        };
        assert!(!someone_else.is_usable(), "owned by another account");

        // A second publisher loses quietly and its copy is removed.
        DirBuilder::new().mode(0o700).create(&staged).unwrap();
        fs::write(staged.join("PG_VERSION"), "15\n").unwrap();
        fs::write(staged.join("extra"), "").unwrap();
        template.publish(&staged);
        assert!(!staged.exists());
        assert!(!template.path().join("extra").exists());

        template.discard();
        assert!(!template.path().exists());
        fs::remove_dir_all(base).unwrap();
    }
}

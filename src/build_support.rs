//! For build scripts: rebuild the crate when a migration file is added or removed.
//!
//! [`embed_migrations!`](crate::embed_migrations) makes Cargo rebuild the crate when an
//! embedded file changes, but no macro can notice a file *added* to (or removed from) the
//! directory. A build script can; `build.rs` at the root of the package:
//!
//! ```no_run
//! fn main() {
//!     pelican::build::watch("migrations");
//! }
//! ```
//!
//! with pelican among the build dependencies (`cargo add --build pelican`). A build script
//! that only needs this line can print it itself, without the build dependency (which makes
//! Cargo compile pelican a second time, for the build script):
//!
//! ```no_run
//! fn main() {
//!     println!("cargo:rerun-if-changed=migrations");
//! }
//! ```
//!
//! Either way, note that a build script that prints any `rerun-if-changed` line is rerun only
//! when those paths change, not on every change in the package: list the other inputs your
//! build script reads, too.

// The examples are build scripts: their `main` is the point.
#![allow(clippy::needless_doctest_main)]

use std::io::{self, Write};
use std::path::Path;

/// Tells Cargo to rerun the build script, and so rebuild the crate, when anything in the
/// migrations directory changes: a file added, removed or edited.
///
/// `dir` is relative to the package root (the directory of `Cargo.toml`), as in
/// `embed_migrations!`. Call it from `build.rs`, once per embedded directory. A directory
/// that does not exist gets a Cargo warning (and is watched all the same: creating it
/// triggers a rebuild).
///
/// ```no_run
/// // build.rs
/// fn main() {
///     pelican::build::watch("migrations");
///     pelican::build::watch("billing/migrations");
/// }
/// ```
pub fn watch(dir: impl AsRef<Path>) {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR");
    let lines = directives(dir.as_ref(), manifest_dir.as_deref().map(Path::new));
    let mut out = io::stdout().lock();
    for line in lines {
        // A build script's stdout is Cargo's; if it is gone there is no one left to tell.
        let _ = writeln!(out, "{line}");
    }
}

/// The lines [`watch`] prints. Cargo scans a directory given to `rerun-if-changed` for the
/// newest modification time among its files, and the directory's own time changes when a
/// file is added or removed, so one line covers every case.
fn directives(dir: &Path, manifest_dir: Option<&Path>) -> Vec<String> {
    let mut lines = vec![format!("cargo:rerun-if-changed={}", dir.display())];
    let absolute = match manifest_dir {
        Some(root) => root.join(dir),
        None => dir.to_owned(),
    };
    if !absolute.is_dir() {
        lines.push(format!(
            "cargo:warning=pelican::build::watch: migrations directory '{}' does not exist \
             (paths are relative to the directory of Cargo.toml)",
            dir.display()
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_existing_directory_is_watched_as_given() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert_eq!(
            directives(Path::new("tests/fixtures/embed/billing"), Some(root)),
            ["cargo:rerun-if-changed=tests/fixtures/embed/billing"]
        );
    }

    #[test]
    fn a_missing_directory_is_watched_and_warned_about() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert_eq!(
            directives(Path::new("no/such/migrations"), Some(root)),
            [
                "cargo:rerun-if-changed=no/such/migrations",
                "cargo:warning=pelican::build::watch: migrations directory 'no/such/migrations' \
                 does not exist (paths are relative to the directory of Cargo.toml)"
            ]
        );
    }
}

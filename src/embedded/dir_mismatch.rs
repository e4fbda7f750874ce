//! What `assert_matches_dir` reports: the files added, removed or changed on disk since the
//! build, or a directory that can't be read.

use std::path::PathBuf;

use crate::source::SourceError;

/// The directory of an embedded set differs from what was embedded, or can't be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DirMismatch {
    /// Files were added, removed or changed since the build.
    #[error(
        "the migrations embedded from '{embedded_from}' differ from the directory '{}':\n{}\
         rebuild to embed the directory as it is now; if `cargo build` or `cargo test` did \
         not rebuild the crate after files were added or removed, add a build script \
         (build.rs) with `fn main() {{ pelican::build::watch(\"{embedded_from}\"); }}` \
         (see docs/embedding.md)",
        .dir.display(),
        list_changes(added, removed, changed)
    )]
    OutOfDate {
        /// The directory as written in the macro call.
        embedded_from: &'static str,
        /// The directory compared.
        dir: PathBuf,
        /// Files on disk that are not embedded.
        added: Vec<String>,
        /// Embedded files no longer on disk.
        removed: Vec<String>,
        /// Files whose content differs from what was embedded.
        changed: Vec<String>,
    },
    /// The directory could not be read, or a file in it does not parse.
    #[error(
        "can't compare the migrations embedded from '{embedded_from}' with their directory: \
         {error}"
    )]
    Unreadable {
        /// The directory as written in the macro call.
        embedded_from: &'static str,
        /// Why reading failed.
        error: Box<SourceError>,
    },
}

pub(super) fn list_changes(added: &[String], removed: &[String], changed: &[String]) -> String {
    let mut text = String::new();
    for (what, names) in [
        ("added since the build, not embedded", added),
        ("removed since the build, still embedded", removed),
        ("changed since the build", changed),
    ] {
        if !names.is_empty() {
            text.push_str(&format!("  {what}: {}\n", names.join(", ")));
        }
    }
    text
}

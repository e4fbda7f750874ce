//! The migrations directory as the macro sees it, and the files read from it: what both the
//! expansion (`embed.rs`) and its error messages (`diagnostics.rs`) work on.

use std::path::{Path, PathBuf};

use crate::rust_module::MigrationValue;
use crate::source::MigrationFile;

/// One migration file, read and checked, ready to be written out.
pub(crate) struct Embedded {
    pub(crate) file: MigrationFile,
    /// The file name inside the directory (`a1_first.sql`).
    pub(crate) name: String,
    /// The absolute path, for `include_bytes!` and `#[path]`.
    pub(crate) path: PathBuf,
    /// For a Rust migration, how to reach its `Migration` value.
    pub(crate) rust: Option<MigrationValue>,
}

/// The migrations directory: as written in the call, and where it is.
pub(crate) struct Dir {
    /// As written, relative to the manifest directory; file names shown in errors start with it.
    pub(crate) written: String,
    /// `CARGO_MANIFEST_DIR` joined with it.
    pub(crate) absolute: PathBuf,
}

impl Dir {
    /// A file of the directory as the user knows it: `migrations/a1_first.sql`.
    pub(crate) fn show(&self, name: &str) -> String {
        let written = self.written.trim_end_matches(['/', '\\']);
        if written.is_empty() || written == "." {
            name.to_owned()
        } else {
            format!("{written}/{name}")
        }
    }

    /// [`show`](Self::show) for a path inside the directory (as the loader reports files).
    pub(crate) fn show_path(&self, path: &Path) -> String {
        match path.strip_prefix(&self.absolute) {
            Ok(name) => self.show(&name.to_string_lossy()),
            Err(_) => path.display().to_string(),
        }
    }
}

//! The directory loader: every migration file directly in a directory, parsed.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::{parse_migration, MigrationFile, SourceError};
use crate::RevisionId;

/// Loads every `*.sql` and `*.rs` migration file directly in `dir`, sorted by file name.
///
/// Subdirectories are not searched. Skipped: `mod.rs` (it declares the Rust migrations as
/// modules), hidden files (`.x.sql`, and editor lock files such as `.#x.sql`), backups ending
/// in `~`, and anything that is not a file. Error messages show each file as
/// `dir` joined with its name, so pass the path the way the user knows it.
///
/// Fails on the first file (in name order) that can't be read or parsed, and when two files
/// declare the same revision id.
///
/// ```no_run
/// let files = pelican::source::load_dir("migrations")?;
/// for file in &files {
///     println!("{} {}", file.revision().id(), file.file_name());
/// }
/// # Ok::<(), pelican::source::SourceError>(())
/// ```
pub fn load_dir(dir: impl AsRef<Path>) -> Result<Vec<MigrationFile>, SourceError> {
    let dir = dir.as_ref();
    let io_error = |path: &Path| {
        let path = path.to_owned();
        move |error: io::Error| SourceError::Io { path, error }
    };

    match fs::metadata(dir) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Err(SourceError::MissingDir {
                path: dir.to_owned(),
            })
        }
        Err(error) => return Err(io_error(dir)(error)),
        Ok(metadata) if !metadata.is_dir() => {
            return Err(SourceError::NotADirectory {
                path: dir.to_owned(),
            })
        }
        Ok(_) => {}
    }

    let mut candidates: Vec<(String, PathBuf)> = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_error(dir))? {
        let entry = entry.map_err(io_error(dir))?;
        let path = entry.path();
        let name = match entry.file_name().into_string() {
            Ok(name) => name,
            Err(raw) => {
                if is_migration_file_name(&raw.to_string_lossy()) {
                    return Err(SourceError::NonUtf8FileName { path });
                }
                continue;
            }
        };
        if !is_migration_file_name(&name) {
            continue;
        }
        // `fs::metadata` follows symbolic links: a link to a file counts as a file.
        if !fs::metadata(&path).map_err(io_error(&path))?.is_file() {
            continue;
        }
        candidates.push((name, path));
    }
    candidates.sort();

    let mut files = Vec::with_capacity(candidates.len());
    let mut declared_by: HashMap<RevisionId, PathBuf> = HashMap::new();
    for (_, path) in candidates {
        let bytes = fs::read(&path).map_err(io_error(&path))?;
        let file = parse_migration(&path.display().to_string(), &bytes)?;
        let id = file.revision().id().clone();
        if let Some(first) = declared_by.get(&id) {
            return Err(SourceError::DuplicateRevision {
                id,
                first: first.clone(),
                second: path,
            });
        }
        declared_by.insert(id, path);
        files.push(file);
    }
    Ok(files)
}

/// Whether a directory entry's name is one the loader reads.
fn is_migration_file_name(name: &str) -> bool {
    let skipped = name.starts_with('.') || name.ends_with('~') || name == "mod.rs";
    !skipped && (name.ends_with(".sql") || name.ends_with(".rs"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory under the system temp dir, removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(test: &str) -> Self {
            let path = std::env::temp_dir().join(format!(
                "pelican-source-{}-{}",
                test,
                std::process::id()
            ));
            let _ = fs::remove_dir_all(&path);
            fs::create_dir_all(&path).unwrap();
            TempDir(path)
        }

        fn write(&self, name: &str, text: &str) {
            fs::write(self.0.join(name), text).unwrap();
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn sql(id: &str, revises: &str) -> String {
        format!("-- revision: {id}\n-- revises: {revises}\n\n-- up\nSELECT 1;\n-- down\n")
    }

    #[test]
    fn loads_migration_files_in_name_order_and_skips_the_rest() {
        let dir = TempDir::new("order");
        dir.write("b2_second.sql", &sql("b2", "a1"));
        dir.write("a1_first.sql", &sql("a1", ""));
        dir.write(
            "c3_third.rs",
            "//! revision: c3\n//! revises: b2\n\npub struct M;\n",
        );
        // Not migrations: each would fail to parse if it were read.
        dir.write("mod.rs", "mod c3_third;\n");
        dir.write(".hidden.sql", "garbage");
        dir.write(".#a1_first.sql", "garbage");
        dir.write("a1_first.sql~", "garbage");
        dir.write("README.md", "garbage");
        fs::create_dir(dir.0.join("d4_directory.sql")).unwrap();
        fs::create_dir(dir.0.join("nested")).unwrap();
        dir.write("nested/e5_nested.sql", "garbage");

        let files = load_dir(&dir.0).unwrap();
        let ids: Vec<&str> = files.iter().map(|f| f.revision().id().as_str()).collect();
        assert_eq!(ids, ["a1", "b2", "c3"]);
        let names: Vec<String> = files.iter().map(|f| f.file_name().to_owned()).collect();
        assert_eq!(
            names,
            ["a1_first.sql", "b2_second.sql", "c3_third.rs"].map(|name| dir
                .0
                .join(name)
                .display()
                .to_string())
        );
    }

    #[test]
    fn an_empty_directory_has_no_migrations() {
        let dir = TempDir::new("empty");
        assert!(load_dir(&dir.0).unwrap().is_empty());
    }

    #[test]
    fn two_files_declaring_one_revision_are_refused_naming_both() {
        let dir = TempDir::new("duplicate");
        dir.write("a1_first.sql", &sql("a1", ""));
        dir.write("a1_again.sql", &sql("a1", ""));
        let err = load_dir(&dir.0).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "revision 'a1' is declared by two files: '{}' and '{}'; \
                 give one of them a new revision id",
                dir.0.join("a1_again.sql").display(),
                dir.0.join("a1_first.sql").display()
            )
        );
    }

    #[test]
    fn a_parse_error_names_the_file_by_its_path_in_the_directory() {
        let dir = TempDir::new("parse-error");
        dir.write("a1_first.sql", "-- revision: a1\n-- revison: x\n");
        let err = load_dir(&dir.0).unwrap_err();
        assert!(matches!(err, SourceError::Parse(_)));
        assert_eq!(
            err.to_string(),
            format!(
                "{}:2: unknown header key 'revison' (did you mean 'revision'?)",
                dir.0.join("a1_first.sql").display()
            )
        );
    }

    #[test]
    fn a_missing_directory_is_reported_by_name() {
        let path = std::env::temp_dir().join("pelican-source-no-such-dir-9f8e7d");
        let err = load_dir(&path).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("migrations directory '{}' does not exist", path.display())
        );
    }

    #[test]
    fn a_file_given_as_the_directory_is_reported() {
        let dir = TempDir::new("not-a-dir");
        dir.write("a1_first.sql", &sql("a1", ""));
        let path = dir.0.join("a1_first.sql");
        let err = load_dir(&path).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "migrations directory '{}' is not a directory; give the folder that holds \
                 the migration files",
                path.display()
            )
        );
    }
}

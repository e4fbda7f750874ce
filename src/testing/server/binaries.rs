//! Finding the PostgreSQL programs: the server's (`initdb`, `postgres`, `pg_ctl`) and the
//! clients' (`psql`, ...).

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::testing::TestingError;

/// Names a bin directory explicitly, skipping the search.
pub(crate) const BIN_DIR_VAR: &str = "PELICAN_PG_BINDIR";

/// The programs a throwaway cluster needs.
const SERVER_PROGRAMS: [&str; 3] = ["initdb", "postgres", "pg_ctl"];

/// The bin directory of a PostgreSQL server installation: `PELICAN_PG_BINDIR` when set,
/// else the first of `pg_config --bindir`, `/usr/lib/postgresql/<newest>/bin`,
/// `/usr/local/pgsql/bin` and the directory of an `initdb` on `PATH` that holds all three
/// server programs.
pub(crate) fn server_bin_dir() -> Result<PathBuf, TestingError> {
    if let Some(dir) = env::var_os(BIN_DIR_VAR).filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        return match missing_server_program(&dir) {
            None => Ok(dir),
            Some(missing) => Err(TestingError::IncompleteBinDir {
                variable: BIN_DIR_VAR,
                dir,
                missing,
            }),
        };
    }
    let candidates = candidate_dirs("initdb");
    candidates
        .iter()
        .find(|dir| missing_server_program(dir).is_none())
        .cloned()
        .ok_or(TestingError::NoBinaries {
            searched: candidates,
            bin_dir_var: BIN_DIR_VAR,
        })
}

/// Where `program` is: in `preferred` (the server's bin dir) if it is there, else in the
/// usual places.
pub(crate) fn find_program(
    preferred: Option<&Path>,
    program: &str,
) -> Result<PathBuf, TestingError> {
    let mut searched: Vec<PathBuf> = preferred.map(Path::to_path_buf).into_iter().collect();
    searched.extend(candidate_dirs(program));
    searched.dedup();
    searched
        .iter()
        .map(|dir| dir.join(program))
        .find(|path| is_executable(path))
        .ok_or_else(|| TestingError::ProgramNotFound {
            program: program.to_owned(),
            searched,
        })
}

/// The directories worth searching for `program`, best first, without duplicates.
fn candidate_dirs(program: &str) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(dir) = pg_config_bindir() {
        dirs.push(dir);
    }
    dirs.extend(debian_bin_dirs(Path::new("/usr/lib/postgresql")));
    dirs.push(PathBuf::from("/usr/local/pgsql/bin"));
    // A program on PATH may be a symlink into the real bin dir (Debian's wrappers in
    // /usr/local/bin, Homebrew's links): its siblings are found beside the target.
    if let Some(path) = env::var_os("PATH") {
        for dir in env::split_paths(&path) {
            let found = dir.join(program);
            if is_executable(&found) {
                let real_dir = found
                    .canonicalize()
                    .ok()
                    .and_then(|real| real.parent().map(Path::to_path_buf));
                dirs.extend(real_dir);
                dirs.push(dir);
            }
        }
    }
    let mut unique = Vec::with_capacity(dirs.len());
    for dir in dirs {
        if !unique.contains(&dir) {
            unique.push(dir);
        }
    }
    unique
}

fn pg_config_bindir() -> Option<PathBuf> {
    let output = Command::new("pg_config")
        .arg("--bindir")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let dir = text.trim();
    (output.status.success() && !dir.is_empty()).then(|| PathBuf::from(dir))
}

/// `<root>/<version>/bin` for every installed version (Debian's layout), newest first.
fn debian_bin_dirs(root: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut versions: Vec<(Vec<u32>, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let version = name
                .split('.')
                .map(str::parse)
                .collect::<Result<Vec<u32>, _>>()
                .ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    versions.sort_by(|a, b| b.0.cmp(&a.0));
    versions.into_iter().map(|(_, dir)| dir).collect()
}

fn missing_server_program(dir: &Path) -> Option<&'static str> {
    SERVER_PROGRAMS
        .into_iter()
        .find(|program| !is_executable(&dir.join(program)))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    fn scratch_dir(name: &str) -> PathBuf {
        let dir = env::temp_dir().join(format!("pelican-binaries-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn touch_executable(path: &Path) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, "#!/bin/sh\n").unwrap();
        fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn debian_versions_sort_newest_first_and_skip_other_entries() {
        let root = scratch_dir("debian");
        for version in ["9.6", "15", "16", "common", "10"] {
            fs::create_dir_all(root.join(version).join("bin")).unwrap();
        }
        let dirs = debian_bin_dirs(&root);
        let names: Vec<_> = dirs
            .iter()
            .map(|d| d.parent().unwrap().file_name().unwrap().to_str().unwrap())
            .collect();
        assert_eq!(names, ["16", "15", "10", "9.6"]);
        fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn a_dir_needs_all_three_server_programs() {
        let dir = scratch_dir("programs");
        assert_eq!(missing_server_program(&dir), Some("initdb"));
        touch_executable(&dir.join("initdb"));
        touch_executable(&dir.join("postgres"));
        assert_eq!(missing_server_program(&dir), Some("pg_ctl"));
        touch_executable(&dir.join("pg_ctl"));
        assert_eq!(missing_server_program(&dir), None);
        // Present but not executable does not count.
        fs::set_permissions(dir.join("pg_ctl"), fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(missing_server_program(&dir), Some("pg_ctl"));
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn missing_binaries_message_says_what_to_do() {
        let error = TestingError::NoBinaries {
            searched: vec![
                PathBuf::from("/usr/lib/postgresql/15/bin"),
                PathBuf::from("/usr/local/pgsql/bin"),
            ],
            bin_dir_var: BIN_DIR_VAR,
        };
        assert_eq!(
            error.to_string(),
            "no PostgreSQL server binaries found (looked for initdb, postgres and pg_ctl in \
             /usr/lib/postgresql/15/bin, /usr/local/pgsql/bin): install PostgreSQL \
             (Debian/Ubuntu: apt-get install postgresql), set PELICAN_PG_BINDIR to the directory \
             holding initdb, or set DATABASE_URL to use an existing server"
        );
    }

    #[test]
    fn unknown_program_is_a_clear_error() {
        let error = find_program(None, "pelican-no-such-program").unwrap_err();
        let message = error.to_string();
        assert!(
            message
                .starts_with("PostgreSQL program `pelican-no-such-program` not found (looked in "),
            "{message}"
        );
        assert!(message.ends_with(
            "): install the PostgreSQL client programs (Debian/Ubuntu: apt-get install postgresql-client)"
        ));
    }
}

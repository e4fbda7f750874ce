//! The private directory of a throwaway cluster: where it goes (a roomy tmpfs when there is
//! one), short enough for a unix socket, and owned by the account the server runs as.

use std::env;
use std::fs::{self, DirBuilder};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::testing::server::account::Account;
use crate::testing::TestingError;

/// A unix socket path holds at most 107 bytes; the socket file's name takes 15 of them and
/// the directory's own name up to ~25.
pub(super) const MAX_BASE_DIR_LEN: usize = 60;

/// Where cluster directories go: `TMPDIR` when it is set, else `/dev/shm` when it is a
/// roomy tmpfs (memory is the fastest disk for data that is thrown away: `initdb` takes half
/// the time there), else `/tmp`.
pub(super) fn preferred_base() -> PathBuf {
    let shm = Path::new("/dev/shm");
    let roomy_shm = env::var_os("TMPDIR").is_none()
        && fs::read_to_string("/proc/mounts").is_ok_and(|mounts| is_roomy_tmpfs(&mounts, shm));
    if roomy_shm {
        shm.to_path_buf()
    } else {
        env::temp_dir()
    }
}

/// Whether `/proc/mounts` (as `mounts`) shows a tmpfs of at least 1 GiB at `point`: the 64 MiB
/// `/dev/shm` of a default Docker container would fill up.
pub(super) fn is_roomy_tmpfs(mounts: &str, point: &Path) -> bool {
    const ROOMY: u64 = 1 << 30;
    let Some(point) = point.to_str() else {
        return false;
    };
    // With several mounts on one point, the last one is visible.
    let Some(options) = mounts.lines().rev().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        (fields.len() >= 4 && fields[1] == point).then(|| (fields[2], fields[3]))
    }) else {
        return false;
    };
    let (fs_type, options) = options;
    let size = options
        .split(',')
        .find_map(|option| option.strip_prefix("size="));
    let bytes = size.and_then(|size| {
        let (digits, unit) = size.split_at(
            size.find(|c: char| !c.is_ascii_digit())
                .unwrap_or(size.len()),
        );
        let scale = match unit {
            "" => 1,
            "k" | "K" => 1 << 10,
            "m" | "M" => 1 << 20,
            "g" | "G" => 1 << 30,
            _ => return None,
        };
        digits.parse::<u64>().ok().map(|n| n.saturating_mul(scale))
    });
    fs_type == "tmpfs" && bytes.is_some_and(|bytes| bytes >= ROOMY)
}

/// Creates a fresh directory, readable only by the account the server will run as, in a
/// place whose path is short enough for a unix socket. Returns the account to run the server
/// as: `None` when that is us, the unprivileged account when we are root.
pub(crate) fn create_private_dir() -> Result<(PathBuf, Option<Account>), TestingError> {
    let preferred = preferred_base();
    let base = if usable_base(&preferred) {
        preferred
    } else {
        PathBuf::from("/tmp")
    };
    let dir = create_unique_dir(&base)?;
    let owner = fs::metadata(&dir)
        .map_err(|error| {
            TestingError::filesystem("inspect the test server directory", &dir, error)
        })?
        .uid();
    if owner != 0 {
        return Ok((dir, None));
    }
    let account = match Account::unprivileged() {
        Ok(account) => account,
        Err(error) => {
            let _ = fs::remove_dir(&dir);
            return Err(error);
        }
    };
    // The server's account must be able to reach the directory: if the temporary
    // directory is private to root, use /tmp instead.
    let dir = if world_traversable(&base) {
        dir
    } else {
        let _ = fs::remove_dir(&dir);
        create_unique_dir(Path::new("/tmp"))?
    };
    if let Err(error) = std::os::unix::fs::chown(&dir, Some(account.uid), Some(account.gid)) {
        let _ = fs::remove_dir(&dir);
        return Err(TestingError::filesystem(
            "give the server's account (chown) the test server directory",
            &dir,
            error,
        ));
    }
    Ok((dir, Some(account)))
}

/// Short enough for a socket path, and plain enough to be an entry of
/// `unix_socket_directories` (a comma-separated list).
pub(super) fn usable_base(base: &Path) -> bool {
    let text = base.as_os_str().as_encoded_bytes();
    text.len() <= MAX_BASE_DIR_LEN
        && text
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-".contains(b))
}

pub(super) fn world_traversable(path: &Path) -> bool {
    path.ancestors().all(|dir| {
        dir.as_os_str().is_empty()
            || fs::metadata(dir)
                .map(|m| m.permissions().mode() & 0o001 != 0)
                .unwrap_or(false)
    })
}

pub(super) fn create_unique_dir(base: &Path) -> Result<PathBuf, TestingError> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let mut builder = DirBuilder::new();
    builder.mode(0o700);
    loop {
        let dir = base.join(format!(
            "pelican-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        match builder.create(&dir) {
            Ok(()) => return Ok(dir),
            // Left behind by an earlier process with the same pid; take the next name.
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(error) => {
                return Err(TestingError::filesystem(
                    "create the test server directory",
                    dir,
                    error,
                ))
            }
        }
    }
}

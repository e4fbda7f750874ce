//! Unit tests of the throwaway cluster's settings and paths.

use std::env;
use std::fs::DirBuilder;
use std::os::unix::fs::DirBuilderExt;

use super::private_dir::*;
use super::*;

#[test]
fn keeps_the_last_lines() {
    assert_eq!(last_lines("a\nb\nc\n", 2), "b\nc");
    assert_eq!(last_lines("a", 5), "a");
    assert_eq!(last_lines("", 5), "");
}

#[test]
fn a_base_dir_must_be_short_and_plain() {
    assert!(usable_base(Path::new("/tmp")));
    assert!(usable_base(Path::new("/var/folders/x_/a-b.c/T")));
    assert!(!usable_base(Path::new("/tmp/with space")));
    assert!(!usable_base(Path::new("/tmp/a,b")));
    assert!(!usable_base(&PathBuf::from(format!(
        "/{}",
        "d".repeat(MAX_BASE_DIR_LEN)
    ))));
}

#[test]
fn only_a_roomy_tmpfs_is_preferred() {
    let shm = Path::new("/dev/shm");
    let mounts = |line: &str| format!("proc /proc proc rw 0 0\n{line}\n");
    assert!(is_roomy_tmpfs(
        &mounts("tmpfs /dev/shm tmpfs rw,relatime,size=24684084k 0 0"),
        shm
    ));
    assert!(!is_roomy_tmpfs(
        &mounts("shm /dev/shm tmpfs rw,nosuid,size=65536k 0 0"),
        shm
    ));
    assert!(!is_roomy_tmpfs(
        &mounts("tmpfs /dev/shm tmpfs rw,relatime 0 0"),
        shm
    ));
    assert!(!is_roomy_tmpfs(
        &mounts("/dev/vda /dev/shm ext4 rw,size=9g 0 0"),
        shm
    ));
    assert!(is_roomy_tmpfs(
        &mounts("tmpfs /dev/shm tmpfs rw,size=2g 0 0"),
        shm
    ));
    assert!(!is_roomy_tmpfs(
        &mounts("tmpfs /run tmpfs rw,size=9g 0 0"),
        shm
    ));
    // The last mount on a point hides the earlier ones.
    let stacked = "tmpfs /dev/shm tmpfs rw,size=9g 0 0\nshm /dev/shm tmpfs rw,size=64m 0 0\n";
    assert!(!is_roomy_tmpfs(stacked, shm));
}

#[test]
fn root_only_directories_are_not_traversable() {
    assert!(world_traversable(Path::new("/tmp")));
    let private = env::temp_dir().join(format!("pelican-private-{}", std::process::id()));
    DirBuilder::new().mode(0o700).create(&private).unwrap();
    assert!(!world_traversable(&private));
    fs::remove_dir(&private).unwrap();
}

//! Golden files under `tests/golden/`: the expected output of a test, committed. Run the tests
//! with `PELICAN_BLESS=1` to write the current output instead, then review the diff.
#![allow(dead_code)]

use std::path::PathBuf;

/// The environment variable that makes [`check`] write golden files instead of comparing.
pub const BLESS: &str = "PELICAN_BLESS";

pub fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

/// Compares `actual` with the golden file `name`, or writes it when blessing.
pub fn check(name: &str, actual: &str) {
    let path = path(name);
    if std::env::var_os(BLESS).is_some() {
        std::fs::write(&path, actual).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "reading {}: {e}\n(run the test with {BLESS}=1 to create it from the current output)",
            path.display()
        )
    });
    if expected != actual {
        panic!(
            "the output differs from {} (if the new output is right, run the test with \
             {BLESS}=1 and review the diff)\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        );
    }
}

//! Broken migration directories are compile errors at the `embed_migrations!` call, naming the
//! file and line. One trybuild run compiles every case in `tests/ui/` and compares the
//! compiler's output with the `.stderr` file beside it (`TRYBUILD=overwrite` rewrites them).

#[path = "support/cargo.rs"]
mod cargo;

use std::path::Path;
use std::{fs, io};

#[test]
fn broken_migration_directories_are_compile_errors() {
    // trybuild compiles the cases in a crate of its own, `<target>/tests/trybuild/pelican`,
    // and embed_migrations! resolves its path from the calling crate's directory: the
    // fixtures must be there too.
    let project = cargo::target_dir()
        .join("tests")
        .join("trybuild")
        .join("pelican");
    let fixtures = Path::new("tests")
        .join("fixtures")
        .join("embed")
        .join("broken");
    let copy = project.join(&fixtures);
    let _ = fs::remove_dir_all(&copy);
    copy_dir(&fixtures, &copy).expect("copy the fixtures into trybuild's crate");

    // The #[pelican::test] cases embed the migrations of tests/temp.rs.
    let temp = Path::new("tests").join("fixtures").join("temp");
    let _ = fs::remove_dir_all(project.join(&temp));
    copy_dir(&temp, &project.join(&temp)).expect("copy the fixtures into trybuild's crate");

    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/embed_*.rs");
    // Misused #[pelican::test]: an unknown option, a function that isn't async or has no
    // argument, an argument that is neither a TempSchema nor a TempDatabase.
    cases.compile_fail("tests/ui/test_*.rs");
}

fn copy_dir(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &to.join(entry.file_name()))?;
        } else {
            fs::copy(entry.path(), to.join(entry.file_name()))?;
        }
    }
    Ok(())
}

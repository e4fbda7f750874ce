//! Does `cargo build` notice a migration file edited, added or removed? A scratch crate that
//! embeds a directory is built, its directory changed, and the crate built and run again:
//! with the `pelican::build::watch` build script, and without it (where an added file is not
//! noticed, and `assert_matches_dir` in the crate's test says so).
//!
//! The first run builds the scratch crate's dependencies (about 40 s on two cores); later runs
//! reuse `<target>/tests/embed-rebuild` and take a few seconds.

#[path = "support/cargo.rs"]
mod cargo;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[test]
fn editing_adding_or_removing_a_migration_rebuilds_the_crate() {
    let probe = Probe::new();

    // With the build script.
    probe.write_build_script(true);
    probe.write_migration("a1_first.sql", "a1", "", "SELECT 1;");
    let first = probe.run();
    assert_eq!(ids(&first), ["a1"]);

    probe.write_migration("a1_first.sql", "a1", "", "SELECT 2;");
    let edited = probe.run();
    assert_eq!(ids(&edited), ["a1"]);
    assert_ne!(
        first, edited,
        "an edited file changes the embedded checksum"
    );

    probe.write_migration("b2_second.sql", "b2", "a1", "SELECT 3;");
    assert_eq!(ids(&probe.run()), ["a1", "b2"], "an added file is embedded");
    probe
        .test()
        .expect("the embedded set matches its directory");

    probe.remove_migration("b2_second.sql");
    assert_eq!(ids(&probe.run()), ["a1"], "a removed file is gone");

    // Without it: edits are still noticed (the macro includes each file), additions are not,
    // and the crate's own test reports them.
    probe.write_build_script(false);
    probe.write_migration("a1_first.sql", "a1", "", "SELECT 4;");
    let edited = probe.run();
    assert_eq!(ids(&edited), ["a1"]);
    probe
        .test()
        .expect("the embedded set matches its directory");

    probe.write_migration("b2_second.sql", "b2", "a1", "SELECT 5;");
    assert_eq!(
        probe.run(),
        edited,
        "without the build script, the crate is not rebuilt"
    );
    let failure = probe
        .test()
        .expect_err("the stale set no longer matches its directory");
    assert!(
        failure.contains("added since the build, not embedded: b2_second.sql"),
        "{failure}"
    );
}

/// The scratch crate, in `<target>/tests/embed-rebuild/probe`.
struct Probe {
    dir: PathBuf,
    target: PathBuf,
}

impl Probe {
    fn new() -> Self {
        let target = cargo::target_dir().join("tests").join("embed-rebuild");
        let dir = target.join("probe");
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("src")).unwrap();
        fs::create_dir_all(dir.join("migrations")).unwrap();
        let pelican = env!("CARGO_MANIFEST_DIR");
        // The workspace's lock file: the same dependency versions, nothing to download.
        fs::copy(
            Path::new(pelican).join("Cargo.lock"),
            dir.join("Cargo.lock"),
        )
        .unwrap();
        fs::write(
            dir.join("src/main.rs"),
            r#"static MIGRATIONS: pelican::EmbeddedMigrations = pelican::embed_migrations!();

fn main() {
    for migration in MIGRATIONS.migrations() {
        println!("{} {}", migration.id(), migration.checksum());
    }
}

#[test]
fn every_migration_is_embedded() {
    MIGRATIONS.assert_matches_dir();
}
"#,
        )
        .unwrap();
        Probe { dir, target }
    }

    fn write_build_script(&self, with: bool) {
        let pelican = env!("CARGO_MANIFEST_DIR");
        let mut manifest = format!(
            "[package]\nname = \"probe\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
             [workspace]\n\n[dependencies]\npelican = {{ path = {pelican:?} }}\n"
        );
        let build_script = self.dir.join("build.rs");
        if with {
            manifest.push_str(&format!(
                "\n[build-dependencies]\npelican = {{ path = {pelican:?} }}\n"
            ));
            fs::write(
                &build_script,
                "fn main() {\n    pelican::build::watch(\"migrations\");\n}\n",
            )
            .unwrap();
        } else {
            let _ = fs::remove_file(&build_script);
        }
        fs::write(self.dir.join("Cargo.toml"), manifest).unwrap();
    }

    fn write_migration(&self, name: &str, id: &str, revises: &str, sql: &str) {
        let text = format!("-- revision: {id}\n-- revises: {revises}\n\n-- up\n{sql}\n-- down\n");
        fs::write(self.dir.join("migrations").join(name), text).unwrap();
    }

    fn remove_migration(&self, name: &str) {
        fs::remove_file(self.dir.join("migrations").join(name)).unwrap();
    }

    fn cargo(&self, args: &[&str]) -> Output {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        Command::new(cargo)
            .args(args)
            .args(["--offline", "--quiet"])
            .current_dir(&self.dir)
            .env("CARGO_TARGET_DIR", &self.target)
            .output()
            .expect("run cargo")
    }

    /// Builds (if cargo sees a reason to) and runs the binary; its output.
    fn run(&self) -> String {
        let output = self.cargo(&["run"]);
        assert!(
            output.status.success(),
            "cargo run failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// Runs the crate's test; its output when it fails.
    fn test(&self) -> Result<(), String> {
        let output = self.cargo(&["test"]);
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    }
}

/// The revision ids the probe printed.
fn ids(output: &str) -> Vec<&str> {
    output
        .lines()
        .filter_map(|line| line.split(' ').next())
        .collect()
}

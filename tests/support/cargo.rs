//! Where cargo builds this workspace, for tests that build scratch crates beside it.

use std::path::PathBuf;
use std::process::Command;

/// Cargo's target directory for this workspace (`cargo metadata`'s, as trybuild finds it).
pub fn target_dir() -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version=1", "--no-deps", "--offline"])
        .output()
        .expect("run cargo metadata");
    assert!(output.status.success(), "cargo metadata failed: {output:?}");
    let json = String::from_utf8(output.stdout).expect("cargo metadata prints UTF-8");
    let key = "\"target_directory\":\"";
    let start = json.find(key).expect("cargo metadata has target_directory") + key.len();
    let end = start + json[start..].find('"').expect("a JSON string ends");
    PathBuf::from(json[start..end].replace("\\\\", "\\"))
}

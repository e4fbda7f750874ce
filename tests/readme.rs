//! README.md's quickstart, run as written: the commands of the fenced block that follows the
//! `<!-- quickstart -->` marker, each through `sh -c` in the repository root, against a fresh
//! database given as `DATABASE_URL`; then once more, where there is nothing left to do.
//!
//! The commands build and run `examples/quickstart` with cargo (the same cargo as this test)
//! in this workspace's target directory. Cargo.toml gives `dev` and `test` one profile, so
//! they reuse the dependencies `cargo test` compiled: the first run compiles pelican without
//! the `cli` feature and the example (about a minute on two cores), later runs nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use pelican::testing::TestServer;

/// The line that marks the quickstart block in README.md.
const MARKER: &str = "<!-- quickstart -->";

/// The test command README.md must give, and `.ci/run` runs.
const TEST_COMMAND: &str = "cargo test --workspace --all-features";

const QUICKSTART_MIGRATIONS: &str = "examples/quickstart/migrations";

fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The commands of the first fenced block after [`MARKER`]: its lines, without blank lines and
/// comment lines.
fn quickstart_commands(readme: &str) -> Result<Vec<String>, String> {
    let after_marker = readme
        .split_once(MARKER)
        .ok_or_else(|| format!("README.md has no '{MARKER}' line before the quickstart block"))?
        .1;
    let mut lines = after_marker
        .lines()
        .skip_while(|line| line.trim().is_empty());
    let fence = lines.next().unwrap_or_default().trim();
    if !fence.starts_with("```") {
        return Err(format!(
            "the line after '{MARKER}' in README.md must open a fenced code block, found '{fence}'"
        ));
    }
    let mut commands = Vec::new();
    for line in lines.by_ref() {
        let line = line.trim();
        if line.starts_with("```") {
            return if commands.is_empty() {
                Err("the quickstart block of README.md has no command".to_owned())
            } else {
                Ok(commands)
            };
        }
        if !line.is_empty() && !line.starts_with('#') {
            commands.push(line.to_owned());
        }
    }
    Err("the quickstart block of README.md is never closed".to_owned())
}

/// Runs `command` with `sh -c` in the repository root, with `DATABASE_URL` set, this test's
/// cargo first on `PATH`.
fn run(command: &str, database_url: &str) -> Output {
    let mut path = std::env::var_os("PATH").unwrap_or_default();
    if let Some(cargo_dir) = std::env::var_os("CARGO")
        .map(PathBuf::from)
        .and_then(|cargo| cargo.parent().map(Path::to_path_buf))
    {
        let mut dirs = vec![cargo_dir];
        dirs.extend(std::env::split_paths(&path));
        path = std::env::join_paths(dirs).expect("PATH entries without ':'");
    }
    let started = Instant::now();
    let output = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(repo_root())
        .env("DATABASE_URL", database_url)
        .env("PATH", path)
        .output()
        .unwrap_or_else(|error| panic!("can't run sh -c '{command}': {error}"));
    eprintln!("`{command}` took {:.1} s", started.elapsed().as_secs_f64());
    assert!(
        output.status.success(),
        "README.md's quickstart command `{command}` failed ({}).\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    output
}

/// Runs every command of the block and returns what they printed on stdout.
fn run_all(commands: &[String], database_url: &str) -> String {
    commands
        .iter()
        .map(|command| String::from_utf8_lossy(&run(command, database_url).stdout).into_owned())
        .collect()
}

/// The revision ids of the quickstart's migrations, from their file names.
fn quickstart_revisions() -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(repo_root().join(QUICKSTART_MIGRATIONS))
        .expect("the quickstart's migrations directory")
        .map(|entry| entry.expect("a directory entry").file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".sql") || name.ends_with(".rs"))
        .map(|name| name.split('_').next().unwrap_or_default().to_owned())
        .collect();
    ids.sort();
    ids
}

#[test]
fn readme_names_the_test_command_ci_runs() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    assert!(
        readme.lines().any(|line| line.trim() == TEST_COMMAND),
        "README.md must give the test command on a line of its own: {TEST_COMMAND}"
    );
}

#[tokio::test]
async fn readme_quickstart_migrates_a_fresh_database_then_has_nothing_to_do() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let commands = quickstart_commands(&readme).unwrap_or_else(|problem| panic!("{problem}"));
    let database = TestServer::shared()
        .expect("a PostgreSQL server for tests")
        .create_database()
        .await
        .expect("a fresh database");
    let url = database.connection_string();
    let revisions = quickstart_revisions();
    assert!(revisions.len() >= 2, "the quickstart has migrations");

    let first = run_all(&commands, url);
    assert!(
        first.contains(&format!("Applied {} migrations", revisions.len())),
        "the first run applies every migration:\n{first}"
    );
    for id in &revisions {
        assert!(
            first
                .lines()
                .any(|line| line.trim_start().starts_with(id.as_str())),
            "the first run lists {id} as applied:\n{first}"
        );
        // In the graph, an applied revision is drawn `o`, the current head `@`.
        assert!(
            first.lines().any(|line| {
                let graph = line.split(id.as_str()).next().unwrap_or_default();
                line.contains(&format!(" {id}")) && (graph.contains('o') || graph.contains('@'))
            }),
            "the graph shows {id} applied:\n{first}"
        );
    }
    assert!(
        first.contains("(head) (current)"),
        "the graph marks the head as the database's current revision:\n{first}"
    );

    // The database agrees with what was printed.
    let client = database.connect().await.unwrap();
    let rows = client
        .query(
            "SELECT revision FROM pelican_revisions WHERE state = 'applied' ORDER BY revision",
            &[],
        )
        .await
        .unwrap();
    let applied: Vec<String> = rows.iter().map(|row| row.get(0)).collect();
    assert_eq!(applied, revisions);

    let second = run_all(&commands, url);
    assert!(
        second.contains("Nothing to do: the database is already at head."),
        "the second run has nothing to do:\n{second}"
    );
    assert!(
        !second.contains("Applied"),
        "the second run applies nothing:\n{second}"
    );
}

#[test]
fn the_quickstart_block_is_found_and_read_as_commands() {
    let readme =
        "intro\n<!-- quickstart -->\n\n```sh\n# comment\ncargo run --example x   # why\n\n```\n";
    assert_eq!(
        quickstart_commands(readme).unwrap(),
        ["cargo run --example x   # why"]
    );
    assert_eq!(
        quickstart_commands("```sh\ncargo run\n```\n").unwrap_err(),
        "README.md has no '<!-- quickstart -->' line before the quickstart block"
    );
    assert_eq!(
        quickstart_commands("<!-- quickstart -->\ntext\n```sh\ncargo run\n```\n").unwrap_err(),
        "the line after '<!-- quickstart -->' in README.md must open a fenced code block, found 'text'"
    );
    assert_eq!(
        quickstart_commands("<!-- quickstart -->\n```sh\n# nothing\n```\n").unwrap_err(),
        "the quickstart block of README.md has no command"
    );
}

//! Issue 13: the linter over 10,000 revisions, a mix of realistic statements (tables, columns
//! added with and without defaults, indexes, foreign keys, renames, drops in downs), read from
//! a migrations directory and linted in each revision's context. Goal: under 1 s.
//!
//! Side by side in the same run: squawk's CLI (PyPI `squawk-cli`) on the same files' SQL, when
//! installed (found on `PATH` or at `PELICAN_BENCH_SQUAWK`); a whole process, which also reads
//! and prints.
//!
//! `cargo bench --bench lint_large`; `PELICAN_BENCH_RUNS` (default 5).

#[path = "support/mod.rs"]
mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use pelican::lint::lint_migrations;
use pelican::MigrationSet;
use support::{env_count, ratio, Summary};

const REVISIONS: usize = 10_000;

/// The up and down of revision `n`: one of a handful of shapes.
fn sections(n: usize) -> (String, String) {
    let t = format!("t{}", n / 5);
    match n % 5 {
        0 => (
            format!("CREATE TABLE {t} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, owner bigint NOT NULL, title text NOT NULL DEFAULT '', created timestamptz NOT NULL DEFAULT now());"),
            format!("DROP TABLE {t};"),
        ),
        1 => (
            format!("ALTER TABLE {t} ADD COLUMN note text;\nCREATE INDEX {t}_owner ON {t} (owner);"),
            format!("DROP INDEX {t}_owner;\nALTER TABLE {t} DROP COLUMN note;"),
        ),
        2 => (
            format!("ALTER TABLE {t} ADD COLUMN score integer NOT NULL DEFAULT 0;\nALTER TABLE {t} ADD CONSTRAINT {t}_score CHECK (score >= 0);"),
            format!("ALTER TABLE {t} DROP CONSTRAINT {t}_score;\nALTER TABLE {t} DROP COLUMN score;"),
        ),
        3 => (
            format!("ALTER TABLE {t} ADD CONSTRAINT {t}_owner_fkey FOREIGN KEY (owner) REFERENCES t0 (id);\nALTER TABLE {t} ALTER COLUMN title TYPE varchar(200);"),
            format!("ALTER TABLE {t} ALTER COLUMN title TYPE text;\nALTER TABLE {t} DROP CONSTRAINT {t}_owner_fkey;"),
        ),
        _ => (
            format!("ALTER TABLE {t} RENAME COLUMN note TO body;\nUPDATE {t} SET body = '' WHERE body IS NULL;"),
            format!("ALTER TABLE {t} RENAME COLUMN body TO note;"),
        ),
    }
}

fn write_migrations(dir: &Path) {
    std::fs::create_dir_all(dir.join("sql")).unwrap();
    for n in 0..REVISIONS {
        let (up, down) = sections(n);
        let revises = if n == 0 {
            String::new()
        } else {
            format!("-- revises: r{:05}\n", n - 1)
        };
        std::fs::write(
            dir.join(format!("r{n:05}.sql")),
            format!("-- revision: r{n:05}\n{revises}\n-- up\n{up}\n\n-- down\n{down}\n"),
        )
        .unwrap();
        // The same SQL as plain files, for squawk.
        std::fs::write(
            dir.join("sql").join(format!("r{n:05}.sql")),
            format!("{up}\n"),
        )
        .unwrap();
    }
}

fn time(runs: usize, mut work: impl FnMut()) -> Summary {
    let samples: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            work();
            start.elapsed()
        })
        .collect();
    Summary::of(&samples)
}

fn main() {
    if !support::benchmarking() {
        assert!(sections(3).0.contains("FOREIGN KEY"));
        println!("lint_large: not benchmarking (run `cargo bench --bench lint_large`)");
        return;
    }
    let runs = env_count("PELICAN_BENCH_RUNS", 5);
    let dir = std::env::temp_dir().join(format!("pelican-lint-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    write_migrations(&dir);
    let mut findings = 0;
    let read_and_lint = time(runs, || {
        let set = MigrationSet::from_dir(&dir).unwrap();
        findings = lint_migrations(&set).len();
    });
    let set = MigrationSet::from_dir(&dir).unwrap();
    let lint_only = time(runs, || {
        findings = lint_migrations(&set).len();
    });
    println!("lint_large: {REVISIONS} revisions, {findings} findings");
    println!("pelican (read the directory + lint, in process): {read_and_lint}");
    println!("  of which lint alone: {lint_only}");
    let squawk = std::env::var("PELICAN_BENCH_SQUAWK").unwrap_or_else(|_| "squawk".into());
    let installed = Command::new(&squawk)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if installed {
        let files: Vec<String> = (0..REVISIONS)
            .map(|n| {
                dir.join("sql")
                    .join(format!("r{n:05}.sql"))
                    .display()
                    .to_string()
            })
            .collect();
        let squawk_run = time(runs.min(3), || {
            let out = Command::new(&squawk).args(&files).output().unwrap();
            assert!(!out.stdout.is_empty() || !out.stderr.is_empty());
        });
        println!("squawk CLI on the same SQL (whole process): {squawk_run}");
        println!(
            "ratio pelican (read + lint) / squawk: {:.3}",
            ratio(read_and_lint.median, squawk_run.median)
        );
    } else {
        println!("squawk: not installed (pip install squawk-cli, or set PELICAN_BENCH_SQUAWK)");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

//! The `pelican` binary, verb by verb, against a throwaway PostgreSQL: what it prints on
//! stdout and stderr, its exit status, and what it does to the database.
#![cfg(feature = "cli")]

#[path = "cli/autogenerate.rs"]
mod autogenerate;
#[path = "support/cli.rs"]
mod cli;
#[path = "support/db.rs"]
mod db;
#[path = "cli/drift.rs"]
mod drift;
#[path = "cli/dump.rs"]
mod dump;
#[path = "cli/fleet.rs"]
mod fleet;
#[path = "cli/guard.rs"]
mod guard;
#[path = "cli/hardening.rs"]
mod hardening;
#[path = "cli/lint.rs"]
mod lint;

use cli::{run_in, Project};
use db::{history, table_exists};

/// The lines of a `created:` header value: RFC 3339, UTC, to the second.
fn is_timestamp(text: &str) -> bool {
    let b = text.as_bytes();
    text.len() == 20
        && text.ends_with('Z')
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
}

fn header_value<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("-- {key}: ")))
}

#[test]
fn init_writes_the_settings_and_revision_builds_on_the_head() {
    let p = Project::new("init");
    std::fs::remove_dir(p.path("migrations")).unwrap();

    let run = p.pelican(&["init"]);
    assert_eq!(run.ok(), "pelican.toml\n");
    assert_eq!(
        run.stderr,
        "Created pelican.toml, for the migrations directory migrations (created). Next: \
         `pelican revision -m \"first revision\"`.\n"
    );
    assert!(p.path("migrations").is_dir());
    assert!(p.read("pelican.toml").contains("\ndir = \"migrations\"\n"));
    assert_eq!(
        p.pelican(&["init"]).fails(1),
        "error: 'pelican.toml' already exists; edit it, or remove it and run init again\n"
    );

    let run = p.pelican(&["revision", "-m", "Create tasks!", "--rev-id", "a1"]);
    assert_eq!(run.ok(), "migrations/a1_create_tasks.sql\n");
    assert_eq!(run.stderr, "Created revision a1 (a new base).\n");
    let text = p.read("migrations/a1_create_tasks.sql");
    let created = header_value(&text, "created").unwrap();
    assert!(is_timestamp(created), "{created}");
    assert_eq!(
        text,
        format!(
            "-- revision: a1\n-- message: Create tasks!\n-- created: {created}\n\n-- up\n\n\n\
             -- down\n\n"
        )
    );

    // A generated id: 12 lowercase hex digits, revising the head.
    let run = p.pelican(&["revision", "-m", "add done"]);
    let path = run.ok().trim_end().to_owned();
    let id = path
        .strip_prefix("migrations/")
        .and_then(|name| name.strip_suffix("_add_done.sql"))
        .unwrap_or_else(|| panic!("{path}"));
    assert_eq!(id.len(), 12);
    assert!(
        id.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')),
        "{id}"
    );
    let text = p.read(&path);
    assert_eq!(header_value(&text, "revision"), Some(id));
    assert_eq!(header_value(&text, "revises"), Some("a1"));
    assert_eq!(
        run.stderr,
        format!("Created revision {id} (revising a1).\n")
    );
    assert_eq!(p.pelican(&["heads"]).ok(), format!("{id} (head)\n"));
}

#[test]
fn revision_with_several_heads_needs_head_or_a_merge() {
    let p = Project::new("several-heads");
    p.migration("a1", "");
    p.migration("b1", "");

    assert_eq!(
        p.pelican(&["revision", "-m", "next"]).fails(1),
        "error: there are several heads (a1, b1); pass --head REV to choose the revision the \
         new one revises, or merge them first with `pelican merge heads -m MESSAGE`\n"
    );
    assert_eq!(std::fs::read_dir(p.path("migrations")).unwrap().count(), 2);

    let run = p.pelican(&["revision", "-m", "on b", "--head", "b1", "--rev-id", "c1"]);
    assert_eq!(run.ok(), "migrations/c1_on_b.sql\n");
    assert_eq!(
        header_value(&p.read("migrations/c1_on_b.sql"), "revises"),
        Some("b1")
    );

    // Not a head: only with --splice.
    assert_eq!(
        p.pelican(&["revision", "-m", "x", "--head", "b1", "--rev-id", "c2"])
            .fails(1),
        "error: revision b1 is not a head (it is revised by c1); pass --splice to start a new \
         branch from it\n"
    );
    p.pelican(&[
        "revision", "-m", "x", "--head", "b1", "--splice", "--rev-id", "c2",
    ])
    .ok();
    assert_eq!(
        p.pelican(&["heads"]).ok(),
        "a1 (head)\nc1 (head)\nc2 (head)\n"
    );

    // A new root with a label, a dependency by label.
    p.pelican(&[
        "revision",
        "-m",
        "reports",
        "--head",
        "base",
        "--branch-label",
        "reports",
        "--depends-on",
        "a1",
        "--rev-id",
        "d1",
    ])
    .ok();
    let text = p.read("migrations/d1_reports.sql");
    assert_eq!(header_value(&text, "revises"), None);
    assert_eq!(header_value(&text, "branch-labels"), Some("reports"));
    assert_eq!(header_value(&text, "depends-on"), Some("a1"));
    p.pelican(&[
        "revision",
        "-m",
        "more reports",
        "--head",
        "reports@head",
        "--rev-id",
        "d2",
    ])
    .ok();
    assert_eq!(
        header_value(&p.read("migrations/d2_more_reports.sql"), "revises"),
        Some("d1")
    );

    // Nothing is written when the result would be invalid.
    let err = p
        .pelican(&[
            "revision",
            "-m",
            "y",
            "--head",
            "a1",
            "--branch-label",
            "reports",
            "--rev-id",
            "e1",
        ])
        .fails(1)
        .to_owned();
    assert!(
        err.starts_with("error: the new revision would be invalid, so nothing was written: "),
        "{err}"
    );
    assert!(err.contains("'reports'"), "{err}");
    assert!(!p.path("migrations/e1_y.sql").exists());
    assert_eq!(
        p.pelican(&["revision", "-m", "y", "--head", "a1", "--rev-id", "a1"])
            .fails(1),
        "error: revision a1 already exists (migrations/a1_test.sql); choose another id, or \
         leave out --rev-id\n"
    );
    assert_eq!(
        p.pelican(&["revision", "-m", "y", "--head", "a1", "--rev-id", "bad-id"])
            .fails(1),
        "error: the new revision would be invalid, so nothing was written: revision id 'bad-id' \
         contains \"-\"; only ASCII letters, digits and '_' are allowed\n"
    );
}

#[test]
fn revision_rust_writes_a_module_pelican_reads_as_a_rust_migration() {
    let p = Project::new("rust");
    p.migration("a1", "");
    let run = p.pelican(&[
        "revision",
        "--rust",
        "-m",
        "backfill owners",
        "--rev-id",
        "b2",
    ]);
    assert_eq!(run.ok(), "migrations/b2_backfill_owners.rs\n");
    assert_eq!(
        run.stderr,
        "Created revision b2 (revising a1).\nRust migrations run from the application that \
         compiles them in (pelican::embed_migrations! with pelican::cli::run), not from the \
         pelican binary.\n"
    );
    let text = p.read("migrations/b2_backfill_owners.rs");
    assert!(
        text.starts_with(
            "//! revision: b2\n//! revises: a1\n//! message: backfill owners\n//! created: "
        ),
        "{text}"
    );
    assert!(text.contains("pub struct BackfillOwners;\n"), "{text}");
    assert!(
        text.contains("impl Migration for BackfillOwners {"),
        "{text}"
    );
    let show = p.pelican(&["show", "b2"]).ok().to_owned();
    assert!(show.contains("\nKind: rust\n"), "{show}");
}

#[test]
fn merge_joins_heads_and_refuses_anything_else() {
    let p = Project::new("merge");
    p.migration("a1", "");
    p.migration("b1", "");
    p.migration("c1", "a1");

    assert_eq!(
        p.pelican(&["merge", "-m", "x", "a1", "b1"]).fails(1),
        "error: revision a1 is not a head (it is revised by c1); a merge joins heads; name \
         heads, or `heads` for all of them\n"
    );
    assert_eq!(
        p.pelican(&["merge", "-m", "x", "c1", "c1"]).fails(1),
        "error: revision c1 is named twice; name each head once\n"
    );
    assert_eq!(
        p.pelican(&["merge", "-m", "x", "c1"]).fails(1),
        "error: a merge needs at least two heads, and only c1 was given\n"
    );
    assert_eq!(p.pelican(&["merge", "c1", "b1"]).code, 2, "-m is required");

    let run = p.pelican(&["merge", "-m", "join them", "heads", "--rev-id", "m1"]);
    assert_eq!(run.ok(), "migrations/m1_join_them.sql\n");
    assert_eq!(run.stderr, "Created merge revision m1 (merging b1, c1).\n");
    let text = p.read("migrations/m1_join_them.sql");
    assert_eq!(header_value(&text, "revises"), Some("b1, c1"));
    assert!(text.ends_with("\n-- up\n\n\n-- down\n\n"), "{text}");
    assert_eq!(p.pelican(&["heads"]).ok(), "m1 (head) (mergepoint)\n");
    assert_eq!(
        p.pelican(&["merge", "-m", "again", "heads"]).fails(1),
        "error: there is only one head (m1): nothing to merge\n"
    );
}

#[tokio::test]
async fn upgrade_current_history_and_downgrade_round_trip() {
    let p = Project::with_db("round-trip").await;
    p.migration("a1", "");
    p.migration("a2", "a1");
    let client = p.client().await;

    let run = p.pelican(&["upgrade"]);
    assert_eq!(run.ok(), "");
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(
        lines[..2],
        ["[1/2] upgrade a1 create a1", "[2/2] upgrade a2 create a2"]
    );
    assert!(
        lines[2].starts_with("Upgraded 2 revisions in "),
        "{}",
        run.stderr
    );
    assert!(
        lines[2].ends_with("; the database is now at a2 (head)."),
        "{}",
        run.stderr
    );
    assert_eq!(lines.len(), 3);
    assert!(table_exists(&client, "t_a2").await);

    assert_eq!(p.pelican(&["current"]).ok(), "a2 (head)\n");
    assert_eq!(
        p.pelican(&["history"]).ok(),
        "a1 -> a2 (head) (current), create a2\n<base> -> a1, create a1\n"
    );
    assert_eq!(
        p.pelican(&["upgrade"]).stderr,
        "Nothing to upgrade: the database is already at head.\n"
    );

    let run = p.pelican(&["downgrade", "-1"]);
    run.ok();
    assert!(
        run.stderr
            .starts_with("[1/1] downgrade a2 create a2\nDowngraded 1 revision in "),
        "{}",
        run.stderr
    );
    assert_eq!(p.pelican(&["current"]).ok(), "a1\n");
    assert!(!table_exists(&client, "t_a2").await);

    p.pelican(&["downgrade", "base"]).ok();
    let run = p.pelican(&["current"]);
    assert_eq!(run.ok(), "");
    assert_eq!(run.stderr, "The database has no revision applied.\n");
    assert!(history(&client, "public").await.is_empty());

    // -q: nothing on stderr.
    let run = p.pelican(&["-q", "upgrade", "a1"]);
    assert_eq!((run.ok(), run.stderr.as_str()), ("", ""));
    assert_eq!(history(&client, "public").await, ["a1:applied"]);
}

#[tokio::test]
async fn dry_run_prints_the_plan_and_runs_nothing() {
    let p = Project::with_db("dry-run").await;
    p.migration("a1", "");
    p.migration("a2", "a1");
    let run = p.pelican(&["upgrade", "--dry-run"]);
    assert_eq!(run.ok(), "a1 create a1\na2 create a2\n");
    assert_eq!(
        run.stderr,
        "Would upgrade 2 revisions (--dry-run: nothing ran).\n"
    );
    assert!(!table_exists(&p.client().await, "t_a1").await);
}

#[tokio::test]
async fn upgrade_head_with_several_heads_fails_naming_them() {
    let p = Project::with_db("head-ambiguous").await;
    p.migration("a1", "");
    p.migration("b1", "");
    assert_eq!(
        p.pelican(&["upgrade", "head"]).fails(1),
        "error: 'head' is ambiguous: there are several heads (a1, b1); name one of them, use \
         <branch>@head, or 'heads' for all; or merge them into one (`pelican merge -m MESSAGE \
         heads`)\n"
    );
    assert!(history(&p.client().await, "public").await.is_empty());
    p.pelican(&["upgrade", "heads"]).ok();
    assert_eq!(p.pelican(&["current"]).ok(), "a1 (head)\nb1 (head)\n");
}

#[tokio::test]
async fn ambiguous_prefixes_and_unknown_revisions_are_errors() {
    let p = Project::with_db("lookup").await;
    p.migration("abcd1234", "");
    p.migration("abcd5678", "abcd1234");
    for args in [
        &["upgrade", "abcd"][..],
        &["show", "abcd"],
        &["downgrade", "abcd"],
    ] {
        assert_eq!(
            p.pelican(args).fails(1),
            "error: 'abcd' is ambiguous: it starts 'abcd1234', 'abcd5678'\n",
            "{args:?}"
        );
    }
    for args in [
        &["upgrade", "zzzz9"][..],
        &["show", "zzzz9"],
        &["stamp", "zzzz9"],
    ] {
        assert_eq!(
            p.pelican(args).fails(1),
            "error: no revision or branch label 'zzzz9', and none starts with 'zzzz9'\n",
            "{args:?}"
        );
    }
    // A unique prefix is enough.
    p.pelican(&["upgrade", "abcd1"]).ok();
    assert_eq!(p.pelican(&["current"]).ok(), "abcd1234\n");
}

#[test]
fn commands_that_need_a_database_say_how_to_give_one() {
    let p = Project::new("no-database");
    p.migration("a1", "");
    for args in [
        &["current"][..],
        &["upgrade"],
        &["downgrade", "base"],
        &["stamp", "head"],
        &["status"],
        &["check"],
        &["repair"],
        &["resolve", "a1", "--forget"],
        &["history", "-r", "current:"],
    ] {
        assert_eq!(
            p.pelican(args).fails(1),
            "error: no database given: pass --database-url URL, or set DATABASE_URL (for \
             example postgresql://user@localhost/mydb)\n",
            "{args:?}"
        );
    }
    // Reading the files needs no database.
    p.pelican(&["history"]).ok();
    p.pelican(&["check", "--files-only"]).ok();
}

#[test]
fn an_unreachable_server_is_reported_without_the_password() {
    let p = Project::new("unreachable");
    p.migration("a1", "");
    let url = "postgresql://alice:s3cret-pw@127.0.0.1:1/app";
    for verbose in [false, true] {
        let mut args = vec!["--database-url", url, "current"];
        if verbose {
            args.push("-v");
        }
        let run = p.pelican_env(&args, &[]);
        let stderr = run.fails(1);
        assert!(!stderr.contains("s3cret"), "{stderr}");
        let error = stderr.lines().last().unwrap();
        assert!(
            error.starts_with(
                "error: could not connect to the database postgresql://alice:***@127.0.0.1:1/app: \
                 error connecting to server: "
            ),
            "{stderr}"
        );
        if verbose {
            assert!(
                stderr.contains(
                    "database: postgresql://alice:***@127.0.0.1:1/app (from --database-url)\n"
                ),
                "{stderr}"
            );
        }
    }

    // From DATABASE_URL, and in the key=value form.
    let run = p.pelican_env(&["-v", "upgrade"], &[("DATABASE_URL", url)]);
    assert!(!run.fails(1).contains("s3cret"), "{}", run.stderr);
    assert!(run.stderr.contains("(from DATABASE_URL)"), "{}", run.stderr);
    let key_value = "host=127.0.0.1 port=1 user=alice password=s3cret-pw dbname=app";
    let run = p.pelican_env(&["-v", "--database-url", key_value, "status"], &[]);
    let stderr = run.fails(1);
    assert!(!stderr.contains("s3cret"), "{stderr}");
    assert!(
        stderr.contains(
            "error: could not connect to the database host=127.0.0.1 port=1 user=alice \
             password=*** dbname=app: "
        ),
        "{stderr}"
    );

    // A malformed string, and one given where a command was expected.
    let run = p.pelican_env(
        &[
            "--database-url",
            "postgresql://alice:s3cret-pw@127.0.0.1:notaport/app",
            "current",
        ],
        &[],
    );
    let stderr = run.fails(1);
    assert!(!stderr.contains("s3cret"), "{stderr}");
    assert!(
        stderr.starts_with(
            "error: the database URL (from --database-url) is not a valid connection string: "
        ),
        "{stderr}"
    );
    let run = p.pelican_env(&[url], &[]);
    let stderr = run.fails(2);
    assert!(!stderr.contains("s3cret"), "{stderr}");
    assert!(
        stderr.contains("postgresql://alice:***@127.0.0.1:1/app"),
        "{stderr}"
    );

    // TLS settings that can't work are refused before connecting, naming the fix.
    let run = p.pelican_env(
        &[
            "--database-url",
            "postgresql://alice:s3cret-pw@127.0.0.1:1/app?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
            "current",
        ],
        &[],
    );
    assert_eq!(
        run.fails(1),
        "error: could not connect to the database \
         postgresql://alice:***@127.0.0.1:1/app?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem: \
         the sslrootcert file /nonexistent/ca.pem can't be read (No such file or directory (os \
         error 2)): give the path of the PEM file of the CA that signed the server's certificate \
         (managed services publish theirs)\n"
    );
    let run = p.pelican_env(
        &[
            "--database-url",
            "host=127.0.0.1 sslmode=verify_full",
            "current",
        ],
        &[],
    );
    assert_eq!(
        run.fails(1),
        "error: could not connect to the database host=127.0.0.1 sslmode=verify_full: \
         sslmode=verify_full is not an sslmode: use disable, allow, prefer, require, verify-ca \
         or verify-full\n"
    );
}

#[tokio::test]
async fn stamp_records_revisions_without_running_them() {
    let p = Project::with_db("stamp").await;
    p.migration("a1", "");
    p.migration("a2", "a1");
    let client = p.client().await;

    let run = p.pelican(&["stamp", "a2"]);
    assert_eq!(run.ok(), "");
    assert_eq!(
        run.stderr,
        "Stamped (nothing ran): recorded a1, a2; the database is now at a2 (head).\n"
    );
    assert!(!table_exists(&client, "t_a1").await);
    assert_eq!(
        history(&client, "public").await,
        ["a1:stamped", "a2:stamped"]
    );
    assert_eq!(
        p.pelican(&["stamp", "a2"]).stderr,
        "Nothing to stamp: the database already records a2.\n"
    );
    assert_eq!(
        p.pelican(&["stamp", "a1"]).stderr,
        "Stamped (nothing ran): removed a2; the database is now at a1.\n"
    );
    assert_eq!(
        p.pelican(&["stamp", "base"]).stderr,
        "Stamped (nothing ran): removed a1; no revision is applied now.\n"
    );
    p.pelican(&["stamp", "--purge", "a2"]).ok();
    assert_eq!(
        history(&client, "public").await,
        ["a1:stamped", "a2:stamped"]
    );
}

/// r0 → a1 → m1, r0 → b1 (labelled `side`) → m1, and c1 on a root of its own.
fn branchy(p: &Project) {
    p.migration("r0", "");
    p.migration("a1", "r0");
    p.migration_with("b1", "r0", "branch-labels: side", "SELECT 1;");
    p.migration("m1", "a1, b1");
    p.migration("c1", "");
}

#[test]
fn history_heads_branches_and_show_read_the_files() {
    let p = Project::new("listings");
    branchy(&p);
    assert_eq!(
        p.pelican(&["history"]).ok(),
        "(a1, b1) -> m1 (side) (head) (mergepoint), create m1\n\
         r0 -> b1 (side), create b1\n\
         r0 -> a1, create a1\n\
         <base> -> r0 (branchpoint), create r0\n\
         <base> -> c1 (head), create c1\n"
    );
    assert_eq!(
        p.pelican(&["history", "-r", "b1:"]).ok(),
        "(a1, b1) -> m1 (side) (head) (mergepoint), create m1\nr0 -> b1 (side), create b1\n"
    );
    assert_eq!(
        p.pelican(&["history", "-r", ":a1"]).ok(),
        "r0 -> a1, create a1\n<base> -> r0 (branchpoint), create r0\n"
    );
    assert_eq!(
        p.pelican(&["history", "-r", "a1"]).fails(2),
        "error: 'a1' is not a range; write START:END, where either side may be empty \
         (base:head, ae10:, :current)\n"
    );
    assert_eq!(
        p.pelican(&["heads"]).ok(),
        "c1 (head)\nm1 (side) (head) (mergepoint)\n"
    );
    assert_eq!(
        p.pelican(&["branches"]).ok(),
        "r0 (branchpoint), create r0\n  -> a1, create a1\n  -> b1 (side), create b1\n"
    );
    assert_eq!(
        p.pelican(&["show", "side@head"]).ok(),
        format!(
            "Rev: m1 (side) (head) (mergepoint)\nParents: a1, b1\nPath: migrations/m1_test.sql\n\
             Kind: sql\nChecksum: sha256:{}\nMessage: create m1\n",
            pelican::Checksum::of(p.read("migrations/m1_test.sql").as_bytes())
        )
    );
    let verbose = p.pelican(&["heads", "-v"]).ok().to_owned();
    assert!(
        verbose.starts_with("Rev: c1 (head)\nParent: <base>\n"),
        "{verbose}"
    );
    assert!(
        verbose.contains("\n\nRev: m1 (side) (head) (mergepoint)\n"),
        "{verbose}"
    );
}

#[tokio::test]
async fn json_output_describes_revisions_and_the_database() {
    let p = Project::with_db("json").await;
    branchy(&p);
    p.pelican(&["upgrade", "a1"]).ok();

    let parse = |args: &[&str]| -> serde_json::Value {
        let run = p.pelican(args);
        serde_json::from_str(run.ok()).unwrap_or_else(|e| panic!("{e}: {run:?}"))
    };
    let current = parse(&["current", "--json"]);
    assert_eq!(current[0]["revision"], "a1");
    assert_eq!(current[0]["state"], "applied");
    assert_eq!(current[0]["is_current"], true);
    assert_eq!(current[0]["applied_by"], "postgres");

    let history = parse(&["history", "--json"]);
    let states: Vec<(String, String)> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["revision"].as_str().unwrap().to_owned(),
                r["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let pairs: Vec<(&str, &str)> = states
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("m1", "pending"),
            ("b1", "pending"),
            ("a1", "applied"),
            ("r0", "applied"),
            ("c1", "pending")
        ]
    );

    let show = parse(&["show", "m1", "--json"]);
    assert_eq!(show["parents"], serde_json::json!(["a1", "b1"]));
    assert_eq!(show["labels"], serde_json::json!(["side"]));
    assert_eq!(show["is_merge_point"], true);
    assert_eq!(show["file"], "migrations/m1_test.sql");

    let status = parse(&["status", "--json"]);
    assert_eq!(status["current"], serde_json::json!(["a1"]));
    assert_eq!(status["pending"], serde_json::json!(["c1", "b1", "m1"]));
    assert_eq!(status["heads"], serde_json::json!(["c1", "m1"]));

    let heads = parse(&["heads", "--json"]);
    assert_eq!(heads.as_array().unwrap().len(), 2);
    let branches = parse(&["branches", "--json"]);
    assert_eq!(branches[0]["revision"], "r0");
    assert_eq!(branches[0]["children"], serde_json::json!(["a1", "b1"]));
}

#[tokio::test]
async fn status_compares_the_database_with_the_files() {
    let p = Project::with_db("status").await;
    p.migration("a1", "");
    p.migration("a2", "a1");
    p.pelican(&["upgrade", "a1"]).ok();
    assert_eq!(
        p.pelican(&["status"]).ok(),
        "Current: a1\nApplied: 1 revision\nPending: 1 revision: a2\nHeads of the migrations: a2\n"
    );
    p.pelican(&["upgrade"]).ok();
    assert_eq!(
        p.pelican(&["status"]).ok(),
        "Current: a2 (head)\nApplied: 2 revisions\nPending: none, the database is at its heads\n\
         Heads of the migrations: a2\n"
    );
}

#[tokio::test]
async fn check_fails_with_one_status_per_problem() {
    let p = Project::with_db("check").await;
    p.migration("a1", "");

    // Pending.
    let run = p.pelican(&["check"]);
    assert_eq!(
        run.stdout,
        "ok   a single head: a1\n\
         ok   no revision is marked failed\n\
         ok   applied files are unchanged\n\
         ok   every applied revision is known\n\
         FAIL 1 revision pending: a1 (run `pelican upgrade heads`)\n\
         ok   no lint error in the pending revisions\n\
         ok   the database matches its applied revisions (no drift)\n"
    );
    assert_eq!(run.fails(7), "error: 1 check failed: pending\n");

    p.pelican(&["upgrade"]).ok();
    let run = p.pelican(&["check"]);
    run.ok();
    assert_eq!(run.stderr, "");

    // Several heads (and so pending): the lowest status wins, all are listed.
    p.migration("b1", "");
    let run = p.pelican(&["check"]);
    assert!(
        run.stdout.starts_with(
            "FAIL several heads: a1, b1 (merge them with `pelican merge heads -m MESSAGE`)\n"
        ),
        "{}",
        run.stdout
    );
    assert_eq!(run.fails(3), "error: 2 checks failed: heads, pending\n");
    let run = p.pelican(&["check", "--json"]);
    assert_eq!(run.code, 3);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["ok"], false);
    assert_eq!(report["exit_status"], 3);
    assert_eq!(report["checks"][0]["name"], "heads");
    assert_eq!(
        report["checks"][0]["revisions"],
        serde_json::json!(["a1", "b1"])
    );
    assert_eq!(report["checks"][4]["ok"], false);

    // The files alone, no database.
    let run = p.pelican_env(&["check", "--files-only"], &[]);
    assert_eq!(
        run.stdout,
        "FAIL several heads: a1, b1 (merge them with `pelican merge heads -m MESSAGE`)\n\
         ok   no lint error in the revisions\n"
    );
    run.fails(3);
    std::fs::remove_file(p.path("migrations/b1_test.sql")).unwrap();
    p.pelican_env(&["check", "--files-only"], &[]).ok();

    // An applied file edited.
    let original = p.read("migrations/a1_test.sql");
    p.write("migrations/a1_test.sql", &format!("{original}-- edited\n"));
    let run = p.pelican(&["check"]);
    assert!(run.stdout.contains(
        "FAIL applied files changed since they ran: a1 (migrations/a1_test.sql) (restore them, \
         or accept them with `pelican repair`)\n"
    ), "{}", run.stdout);
    run.fails(5);
    p.write("migrations/a1_test.sql", &original);

    // A revision the files don't have.
    p.migration("a2", "a1");
    p.pelican(&["upgrade"]).ok();
    std::fs::remove_file(p.path("migrations/a2_test.sql")).unwrap();
    let run = p.pelican(&["check"]);
    assert!(
        run.stdout
            .contains("FAIL the database has revisions these migrations don't: a2\n"),
        "{}",
        run.stdout
    );
    run.fails(6);
}

#[tokio::test]
async fn a_failed_non_transactional_revision_is_resolved_with_resolve() {
    let p = Project::with_db("resolve").await;
    let client = p.client().await;
    p.migration("r1", "");
    p.migration_with(
        "r2",
        "r1",
        "transaction: false",
        "CREATE TABLE IF NOT EXISTS t_r2 (id int);\nSELECT no_such_column FROM t_r2;",
    );
    let err = p.pelican(&["upgrade"]).fails(1).to_owned();
    assert!(
        err.contains("error: revision r2 (migrations/r2_test.sql, line 8) failed to upgrade: ERROR: column \"no_such_column\" does not exist (SQLSTATE 42703)"),
        "{err}"
    );
    let err = p.pelican(&["upgrade"]).fails(1).to_owned();
    assert!(
        err.starts_with(
            "error: revision r2 (migrations/r2_test.sql) is marked failed in the history table: "
        ),
        "{err}"
    );
    // Statement 1 ran, statement 2 failed: the row says so, and how to go on.
    assert!(err.contains(": statement 2 failed: revision r2 "), "{err}");
    assert!(
        err.contains(
            "the statements before statement 2 were applied, statement 2 and the rest were not"
        ),
        "{err}"
    );
    assert!(
        err.contains("(at a terminal: `pelican resolve r2 --resume`)"),
        "{err}"
    );
    assert!(
        err.contains("(`pelican resolve r2 --applied` or `--forget`)"),
        "{err}"
    );
    assert_eq!(p.pelican(&["check"]).code, 4);
    let status = p.pelican(&["status"]).ok().to_owned();
    assert!(status.contains("\nFailed: r2 "), "{status}");

    assert_eq!(
        p.pelican(&["resolve", "r1", "--applied"]).fails(1),
        "error: revision r1 is not marked failed in the history table (it is applied)\n"
    );
    assert_eq!(
        p.pelican(&["resolve", "r2"]).code,
        2,
        "--applied or --forget is required"
    );

    let run = p.pelican(&["resolve", "r2", "--forget"]);
    run.ok();
    assert_eq!(
        run.stderr,
        "Forgot r2: its record is deleted, and the next upgrade runs it again.\n"
    );
    p.migration_with(
        "r2",
        "r1",
        "transaction: false",
        "CREATE TABLE IF NOT EXISTS t_r2 (id int);",
    );
    p.pelican(&["upgrade"]).ok();
    assert_eq!(
        history(&client, "public").await,
        ["r1:applied", "r2:applied"]
    );

    // --applied, after finishing by hand. (Its second statement fails: a failing first
    // statement would leave no row to resolve.)
    p.migration_with(
        "r3",
        "r2",
        "transaction: false",
        "CREATE TABLE t_r3 (id int);\nSELECT no_such_column FROM t_r2;",
    );
    p.pelican(&["upgrade"]).fails(1);
    // `current` shows the failed revision beside the head it has applied.
    assert_eq!(p.pelican(&["current"]).ok(), "r2\nr3 (head) (failed)\n");
    let run = p.pelican(&["resolve", "r3", "--applied"]);
    run.ok();
    assert_eq!(run.stderr, "Recorded r3 as applied; runs can go on.\n");
    assert_eq!(p.pelican(&["current"]).ok(), "r3 (head)\n");

    // --resume, after fixing the cause: the failed statement and the rest run.
    p.migration_with(
        "r4",
        "r3",
        "transaction: false",
        "CREATE TABLE t_r4 (id int);\nINSERT INTO t_needed VALUES (1);\nCREATE TABLE t_r4_done (id int);",
    );
    p.pelican(&["upgrade"]).fails(1);
    let client = p.client().await;
    client
        .batch_execute("CREATE TABLE t_needed (id int)")
        .await
        .unwrap();
    let run = p.pelican(&["resolve", "r4", "--resume"]);
    run.ok();
    assert!(
        run.stderr
            .starts_with("Resumed r4: its upgrade finished in "),
        "{}",
        run.stderr
    );
    assert!(table_exists(&client, "t_r4_done").await);
    assert_eq!(p.pelican(&["current"]).ok(), "r4 (head)\n");
    assert_eq!(
        p.pelican(&["resolve", "r4", "--resume"]).fails(1),
        "error: revision r4 is not marked failed in the history table (it is applied)\n"
    );
}

#[tokio::test]
async fn repair_accepts_the_checksums_of_edited_files() {
    let p = Project::with_db("repair").await;
    p.migration("a1", "");
    p.pelican(&["upgrade"]).ok();
    let original = p.read("migrations/a1_test.sql");
    p.write(
        "migrations/a1_test.sql",
        &format!("{original}-- a comment added later\n"),
    );
    p.migration("a2", "a1");

    let err = p.pelican(&["upgrade"]).fails(1).to_owned();
    assert!(err.starts_with("error: applied migrations were changed after they ran:\n  a1 (migrations/a1_test.sql): recorded "), "{err}");
    assert!(
        err.ends_with(
            "accept the new checksums with Migrator::repair (at a terminal: `pelican repair`).\n"
        ),
        "{err}"
    );

    let run = p.pelican(&["repair"]);
    assert_eq!(run.ok(), "a1\n");
    assert_eq!(
        run.stderr,
        "Accepted the current checksums of 1 revision: a1.\n"
    );
    p.pelican(&["upgrade"]).ok();
    assert_eq!(
        p.pelican(&["repair"]).stderr,
        "Nothing to repair: every applied file matches its recorded checksum.\n"
    );
}

#[tokio::test]
async fn the_history_schema_comes_from_the_option_or_the_settings_file() {
    let p = Project::with_db("schema").await;
    let client = p.client().await;
    p.migration("a1", "");
    p.pelican(&["--schema", "tenant_a", "upgrade"]).ok();
    assert_eq!(history(&client, "tenant_a").await, ["a1:applied"]);
    assert!(history(&client, "public").await.is_empty());
    assert_eq!(p.pelican(&["current"]).ok(), "");
    assert_eq!(
        p.pelican(&["--schema", "tenant_a", "current"]).ok(),
        "a1 (head)\n"
    );

    p.write("pelican.toml", "schema = \"tenant_a\"\n");
    assert_eq!(p.pelican(&["current"]).ok(), "a1 (head)\n");
}

#[tokio::test]
async fn the_lock_wait_is_bounded() {
    let p = Project::with_db("lock-wait").await;
    p.migration("a1", "");
    let holder = p.client().await;
    holder
        .batch_execute(
            "SELECT pg_advisory_lock(1885695081, hashtext(current_database() || '/public/pelican_revisions'))",
        )
        .await
        .unwrap();
    let err = p
        .pelican(&["upgrade", "--lock-wait", "300ms"])
        .fails(1)
        .to_owned();
    assert!(err.starts_with("error: timed out after 0."), "{err}");
    assert!(
        err.contains("waiting for the migration lock on public.pelican_revisions"),
        "{err}"
    );
    assert_eq!(
        p.pelican(&["upgrade", "--lock-wait", "3"]).fails(2),
        "error: invalid value '3' for '--lock-wait <DURATION>': '3' is not a duration; write a \
         whole number and a unit: 500ms, 5s, 2min, 1h\n\nFor more information, try '--help'.\n"
    );
}

#[test]
fn offline_ranges_belong_to_sql() {
    let p = Project::new("ranges");
    p.migration("a1", "");
    assert_eq!(
        p.pelican_env(
            &[
                "--database-url",
                "postgresql://x@127.0.0.1:1/x",
                "upgrade",
                "base:a1"
            ],
            &[]
        )
        .fails(2),
        "error: 'base:a1' is a FROM:TO range, which only --sql (offline mode) takes; online, \
         the database says where it is: give just the target\n"
    );
}

#[test]
fn usage_errors_exit_with_2_and_help_with_0() {
    let dir = std::env::temp_dir();
    for args in [
        &["frobnicate"][..],
        &["downgrade"],
        &["upgrade", "--bogus"],
        &["-v", "-q", "heads"],
    ] {
        let run = run_in(&dir, args, &[]);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(run.stderr.starts_with("error: "), "{run:?}");
    }
    let run = run_in(&dir, &["--version"], &[]);
    assert_eq!(run.ok(), format!("pelican {}\n", env!("CARGO_PKG_VERSION")));
    let run = run_in(&dir, &["--help"], &[]);
    assert!(
        run.ok().contains("Usage: pelican [OPTIONS] <COMMAND>"),
        "{}",
        run.stdout
    );
}

#[test]
fn colors_only_when_asked_or_on_a_terminal() {
    let p = Project::new("colors");
    // Not a terminal: plain.
    assert!(p
        .pelican(&["current"])
        .fails(1)
        .starts_with("error: no database"));
    let run = p.pelican(&["--color", "always", "current"]);
    assert!(
        run.fails(1)
            .starts_with("\x1b[31;1merror:\x1b[0m no database"),
        "{:?}",
        run.stderr
    );
    let run = p.pelican_env(&["--color", "auto", "current"], &[("NO_COLOR", "1")]);
    assert!(run.fails(1).starts_with("error: no database"));
}

#[test]
fn settings_come_from_pelican_toml_and_are_checked() {
    let p = Project::new("settings");
    p.write(
        "db/migrations/a1_test.sql",
        "-- revision: a1\n\n-- up\n-- down\n",
    );
    p.write("conf/pelican.toml", "dir = \"../db/migrations\"\n");
    assert_eq!(
        p.pelican(&["--config", "conf/pelican.toml", "heads"]).ok(),
        "a1 (head)\n"
    );

    assert_eq!(
        p.pelican(&["--config", "nope.toml", "heads"]).fails(1),
        "error: settings file 'nope.toml' does not exist (given with --config)\n"
    );
    std::fs::remove_dir(p.path("migrations")).unwrap();
    assert_eq!(
        p.pelican(&["heads"]).fails(1),
        "error: migrations directory 'migrations' does not exist\nhint: run `pelican init` to \
         create it, or give the directory with --dir\n"
    );
    p.write("pelican.toml", "directory = \"db/migrations\"\n");
    assert_eq!(
        p.pelican(&["heads"]).fails(1),
        "error: pelican.toml: unknown key 'directory'; the keys are 'dir', 'schema', \
         'desired_schema', 'dump_after_upgrade', 'dev_url', 'lock', 'lease_ttl' and [lint]\n"
    );
    p.write("pelican.toml", "dir = \"db/migrations\"\n");
    assert_eq!(p.pelican(&["heads"]).ok(), "a1 (head)\n");
    assert_eq!(
        p.pelican(&["--dir", "db/migrations", "heads"]).ok(),
        "a1 (head)\n"
    );
}

#[tokio::test]
async fn sql_writes_the_script_of_a_run_without_a_database() {
    let p = Project::with_db("offline").await;
    let client = p.client().await;
    p.migration("a1", "");
    p.migration("a2", "a1");

    // No database given: offline.
    let run = p.pelican_env(&["upgrade", "--sql"], &[]);
    let script = run.ok().to_owned();
    assert_eq!(
        run.stderr,
        "Wrote the SQL script of the upgrade from base to head: 2 revisions (offline: nothing \
         ran). Run it with psql -v ON_ERROR_STOP=1 -X -f FILE.\n"
    );
    assert!(
        script.contains("CREATE TABLE IF NOT EXISTS \"public\".\"pelican_revisions\""),
        "{script}"
    );
    let first = script.find("CREATE TABLE t_a1").expect(&script);
    let second = script.find("CREATE TABLE t_a2").expect(&script);
    assert!(first < second, "{script}");
    assert_eq!(script.matches("\nBEGIN;\n").count(), 2, "{script}");
    assert!(history(&client, "public").await.is_empty(), "nothing ran");

    // The script does what the online run does.
    client.batch_execute(&script).await.unwrap();
    assert!(table_exists(&client, "t_a2").await);
    assert_eq!(p.pelican(&["current"]).ok(), "a2 (head)\n");
    p.pelican(&["check"]).ok();

    // FROM:TO, one transaction, another schema.
    let script = p
        .pelican_env(
            &[
                "--schema",
                "tenant",
                "upgrade",
                "a1:head",
                "--sql",
                "--single-transaction",
            ],
            &[],
        )
        .ok()
        .to_owned();
    assert!(!script.contains("CREATE TABLE t_a1"), "{script}");
    assert!(script.contains("CREATE TABLE t_a2"), "{script}");
    assert_eq!(script.matches("BEGIN;").count(), 1, "{script}");
    assert!(
        script.contains("\"tenant\".\"pelican_revisions\""),
        "{script}"
    );

    // A downgrade must say where it starts.
    assert_eq!(
        p.pelican_env(&["downgrade", "base", "--sql"], &[]).fails(2),
        "error: `downgrade --sql` needs FROM:TO, such as head:base: without a database, \
         pelican can't know where the downgrade starts\n"
    );
    assert_eq!(
        p.pelican_env(&["upgrade", "a1:", "--sql"], &[]).fails(2),
        "error: 'a1:' has no target after ':'; write FROM:TO, such as base:head\n"
    );
    let script = p
        .pelican_env(&["downgrade", "head:base", "--sql"], &[])
        .ok()
        .to_owned();
    let second = script.find("DROP TABLE IF EXISTS t_a2").expect(&script);
    let first = script.find("DROP TABLE IF EXISTS t_a1").expect(&script);
    assert!(second < first, "{script}");
    client.batch_execute(&script).await.unwrap();
    assert_eq!(p.pelican(&["current"]).ok(), "");
    assert!(!table_exists(&client, "t_a1").await);

    // Stamp.
    let run = p.pelican_env(&["stamp", "a2", "--sql"], &[]);
    let script = run.ok().to_owned();
    assert_eq!(
        run.stderr,
        "Wrote the SQL script of the stamp from base: records 2 revisions, removes 0 revisions \
         (offline: nothing ran).\n"
    );
    client.batch_execute(&script).await.unwrap();
    assert_eq!(
        history(&client, "public").await,
        ["a1:stamped", "a2:stamped"]
    );
    assert_eq!(
        p.pelican_env(&["stamp", "base:a1", "a2", "--sql"], &[])
            .fails(2),
        "error: 'base:a1' is a FROM:TO range, which `stamp --sql` takes alone; give one range, \
         or targets without FROM\n"
    );
}

#[test]
fn sql_refuses_rust_migrations_naming_them() {
    let p = Project::new("offline-rust");
    p.migration("a1", "");
    p.write(
        "migrations/b2_backfill.rs",
        "//! revision: b2\n//! revises: a1\n\npub struct Backfill;\n",
    );
    let err = p.pelican(&["upgrade", "--sql"]).fails(1).to_owned();
    assert!(
        err.starts_with(
            "error: revision b2 (migrations/b2_backfill.rs) is a Rust migration, so no SQL \
             script can upgrade through it"
        ),
        "{err}"
    );
    p.pelican(&["upgrade", "a1", "--sql"]).ok();
}

#[tokio::test]
async fn history_graph_draws_the_dag_with_the_database_state() {
    let p = Project::with_db("graph").await;
    branchy(&p);
    let set = pelican::MigrationSet::from_dir(p.path("migrations")).unwrap();
    let run = p.pelican_env(&["history", "--graph"], &[]);
    assert_eq!(
        run.ok(),
        pelican::diagram::draw_terminal(set.graph(), &pelican::diagram::Marks::none())
    );
    assert_eq!(run.stderr, "", "no database: no marks, no legend");

    p.pelican(&["upgrade", "a1"]).ok();
    let run = p.pelican(&["history", "--graph"]);
    let drawing = run.ok();
    let marks = pelican::diagram::Marks::from_applied(set.graph(), ["r0", "a1"]);
    assert_eq!(
        drawing,
        pelican::diagram::draw_terminal(set.graph(), &marks)
    );
    assert!(
        drawing.contains("\n@ | a1 (current) create a1\n"),
        "{drawing}"
    );
    assert_eq!(run.stderr, format!("{}\n", pelican::diagram::LEGEND));
    assert_eq!(
        p.pelican(&["history", "--graph", "-r", "a1:"]).code,
        2,
        "--graph draws the whole graph"
    );

    let dot = p.pelican(&["graph"]).ok().to_owned();
    assert!(dot.starts_with("digraph revisions {\n"), "{dot}");
    assert!(dot.contains("\"a1\" -> \"m1\""), "{dot}");
    let mermaid = p
        .pelican_env(&["graph", "--format", "mermaid"], &[])
        .ok()
        .to_owned();
    assert!(mermaid.starts_with("flowchart BT\n"), "{mermaid}");
}

#[tokio::test]
async fn upgrade_without_the_pipeline_applies_and_records_each_revision() {
    let p = Project::with_db("no-pipeline").await;
    p.migration("a1", "");
    p.migration("a2", "a1");
    p.pelican(&["upgrade", "--no-pipeline"]).ok();
    assert_eq!(
        history(&p.client().await, "public").await,
        ["a1:applied", "a2:applied"]
    );
}

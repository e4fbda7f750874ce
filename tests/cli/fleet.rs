//! `pelican fleet`: the migrations over many schemas or databases.

use super::cli::Project;

async fn project(name: &str) -> Project {
    let p = Project::with_db(name).await;
    p.migration_sections(
        "a1",
        "",
        "",
        "CREATE TABLE notes (id bigint PRIMARY KEY, body text);",
        "DROP TABLE notes;",
    );
    p
}

#[tokio::test]
async fn fleet_upgrade_runs_each_schema_and_reports_each_line_and_a_summary() {
    let p = project("fleet-schemas").await;
    let run = p.pelican(&[
        "fleet",
        "upgrade",
        "--schemas",
        "t1,t2,Odd Name",
        "--jobs",
        "2",
    ]);
    let out = run.ok();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[0].starts_with("ok   ") && lines[0].ends_with("/t1: migrated: a1"),
        "{out}"
    );
    assert!(lines[2].ends_with("/Odd Name: migrated: a1"), "{out}");
    assert!(
        run.stderr.contains("3 target(s) in ")
            && run
                .stderr
                .contains(": 3 migrated, 0 already there, 0 failed, 0 not run"),
        "{}",
        run.stderr
    );
    let client = p.client().await;
    let count: i64 = client
        .query_one("SELECT count(*) FROM \"Odd Name\".pelican_revisions", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 1);

    let status = p.pelican(&["fleet", "status", "--schemas", "t1,t3"]);
    let out = status.ok();
    assert!(out.contains("/t1: at a1"), "{out}");
    assert!(out.contains("/t3: 1 pending"), "{out}");
    assert!(
        status
            .stderr
            .contains("2 target(s): 1 current, 1 behind or failed"),
        "{}",
        status.stderr
    );
}

#[tokio::test]
async fn a_failed_tenant_fails_the_run_with_its_error_and_the_json_report_says_so() {
    let p = project("fleet-failed").await;
    p.client()
        .await
        .batch_execute(
            "CREATE SCHEMA tenant_a; CREATE SCHEMA tenant_b; CREATE TABLE tenant_b.notes (poison int);",
        )
        .await
        .unwrap();
    let query = "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant\\_%' ORDER BY 1";
    let run = p.pelican(&["fleet", "upgrade", "--schemas-query", query, "--json"]);
    let stderr = run.fails(1);
    // Off a terminal, a line per target as it finishes.
    let progress: Vec<&str> = stderr.lines().filter(|l| l.contains("/2] ")).collect();
    assert_eq!(progress.len(), 2, "{stderr}");
    assert!(
        progress
            .iter()
            .any(|l| l.contains("] done: ") && l.contains("/tenant_a (")),
        "{stderr}"
    );
    assert!(
        progress
            .iter()
            .any(|l| l.contains("] failed: ") && l.contains("/tenant_b (")),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 migrated, 0 already there, 1 failed, 0 not run\n"),
        "{stderr}"
    );
    assert!(
        stderr.ends_with(
            "error: the fleet run failed: 1 target(s) failed, 0 not run (above); run it again \
             to retry them, the others are left as they are\n"
        ),
        "{stderr}"
    );
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["ok"], false);
    assert_eq!(report["failed"], 1);
    let failed = &report["targets"][1];
    assert_eq!(failed["schema"], "tenant_b");
    assert_eq!(failed["outcome"], "failed");
    assert_eq!(failed["revisions"], serde_json::json!(["a1"]));
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains("relation \"notes\" already exists"),
        "{failed}"
    );

    let none = p.pelican(&[
        "fleet",
        "upgrade",
        "--schemas-query",
        "SELECT nspname FROM pg_namespace WHERE false",
    ]);
    let stderr = none.fails(1);
    assert!(
        stderr.contains("the fleet has no target: the query returned no row"),
        "{stderr}"
    );
}

#[tokio::test]
async fn databases_come_from_a_file_with_comments_and_a_target_option_is_required() {
    let p = project("fleet-databases").await;
    p.write("tenants.txt", &format!("# the tenants\n\n{}\n", p.url()));
    let run = p.pelican(&["fleet", "upgrade", "--databases", "tenants.txt"]);
    assert!(run.ok().ends_with(": migrated: a1\n"), "{}", run.stdout);
    let again = p.pelican(&["fleet", "upgrade", "--databases", "tenants.txt"]);
    assert!(
        again.ok().ends_with(": already there\n"),
        "{}",
        again.stdout
    );

    let run = p.pelican(&["fleet", "upgrade"]);
    let stderr = run.fails(2);
    assert!(stderr.contains("--schemas"), "names the options: {stderr}");
    p.write("empty.txt", "# nobody yet\n");
    let run = p.pelican(&["fleet", "upgrade", "--databases", "empty.txt"]);
    assert!(
        run.fails(1)
            .contains("empty.txt lists no connection string"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn batches_and_a_pause_are_options_of_the_run() {
    let p = project("fleet-batches").await;
    let run = p.pelican(&[
        "fleet",
        "upgrade",
        "--schemas",
        "b1,b2,b3",
        "--batch",
        "2",
        "--pause",
        "10ms",
    ]);
    assert_eq!(run.ok().lines().count(), 3, "{}", run.stdout);
    let run = p.pelican(&["fleet", "upgrade", "--schemas", "b1", "--pause", "10ms"]);
    assert!(run.fails(2).contains("--batch"), "{}", run.stderr);
}

#[tokio::test]
async fn fleet_check_fails_with_check_statuses_when_a_tenant_is_behind_or_failed() {
    let p = project("fleet-check").await;
    p.pelican(&["fleet", "upgrade", "--schemas", "c1,c2"]).ok();
    p.pelican(&["fleet", "check", "--schemas", "c1,c2"]).ok();
    let run = p.pelican(&["fleet", "check", "--schemas", "c1,c2,c3"]);
    assert_eq!(
        run.fails(7),
        "3 target(s): 2 current, 1 behind or failed\n\
         error: 0 target(s) failed or unreadable, 1 behind\n"
    );
    assert!(run.stdout.contains("/c3: 1 pending"), "{}", run.stdout);

    // A non-transactional revision failing part-way is recorded as failed.
    p.migration_sections(
        "a2",
        "a1",
        "transaction: false",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS notes_body ON notes (body);\nSELECT 1/0;",
        "DROP INDEX CONCURRENTLY IF EXISTS notes_body;",
    );
    p.pelican(&["fleet", "upgrade", "--schemas", "c1"]).fails(1);
    let run = p.pelican(&["fleet", "check", "--schemas", "c1,c2"]);
    let stderr = run.fails(4);
    assert!(
        stderr.ends_with("error: 1 target(s) failed or unreadable, 1 behind\n"),
        "{stderr}"
    );
    assert!(run.stdout.contains("FAIL "), "{}", run.stdout);
    assert!(
        run.stdout.contains("/c1: revision a2 failed"),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn fleet_current_shows_each_targets_heads() {
    let p = project("fleet-current").await;
    p.pelican(&["fleet", "upgrade", "--schemas", "k1"]).ok();
    let run = p.pelican(&["fleet", "current", "--schemas", "k1,k2"]);
    let out = run.ok();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].ends_with("/k1: a1"), "{out}");
    assert!(lines[1].ends_with("/k2: no revision applied"), "{out}");
}

#[tokio::test]
async fn fleet_check_drift_names_the_tenant_changed_by_hand_and_what_changed() {
    let p = project("fleet-drift").await;
    p.migration_sections(
        "a2",
        "a1",
        "",
        "CREATE INDEX notes_body ON notes (body);",
        "DROP INDEX notes_body;",
    );
    p.pelican(&["fleet", "upgrade", "--schemas", "d1,d2,d3"])
        .ok();
    // No drift: every tenant matches its replay, and the check passes.
    let run = p.pelican(&["fleet", "check", "--drift", "--schemas", "d1,d2,d3"]);
    run.ok();
    assert!(
        run.stderr
            .contains("drift: 3 of 3 target(s) match their revisions"),
        "{}",
        run.stderr
    );
    // Someone changes d2 by hand; d3 is behind (a1 only) and still matches a1.
    p.pelican(&["fleet", "downgrade", "a1", "--schemas", "d3"])
        .ok();
    p.client()
        .await
        .batch_execute("ALTER TABLE d2.notes ADD COLUMN added_by_hand integer")
        .await
        .unwrap();
    let run = p.pelican(&["fleet", "check", "--drift", "--schemas", "d1,d2,d3"]);
    let stderr = run.fails(7);
    assert!(
        stderr.ends_with(
            "error: 0 target(s) failed or unreadable, 1 behind, 1 drifted or not comparable\n"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("drift: 2 of 3 target(s) match their revisions"),
        "{stderr}"
    );
    assert!(
        run.stdout
            .contains("/d2: 1 difference(s) from its revisions"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("added_by_hand"), "{}", run.stdout);
    assert_eq!(run.stdout.matches("DRIFT ").count(), 1, "{}", run.stdout);

    // At head everywhere, drift alone fails with check's drift status.
    p.pelican(&["fleet", "upgrade", "--schemas", "d3"]).ok();
    let run = p.pelican(&[
        "fleet",
        "check",
        "--drift",
        "--schemas",
        "d1,d2,d3",
        "--json",
    ]);
    run.fails(10);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let drifts: Vec<usize> = report
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["drift"].as_array().unwrap().len())
        .collect();
    assert_eq!(drifts, [0, 1, 0], "{report}");
}

//! `pelican guard install|status|remove`, and `upgrade` under an installed guard.

use super::cli::Project;

/// `command_tag object_identity` of every row of the guard's log in `public`.
async fn logged(client: &tokio_postgres::Client) -> Vec<String> {
    pelican::guard::read_log(client, "public", None)
        .await
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e.command_tag,
                e.object_identity.as_deref().unwrap_or("-")
            )
        })
        .collect()
}

#[tokio::test]
async fn guard_install_status_and_remove() {
    let p = Project::with_db("guard-verbs").await;
    let client = p.client().await;
    assert_eq!(
        p.pelican(&["guard", "status"]).ok(),
        "guard: not installed in schema public\n"
    );
    let run = p.pelican(&["guard", "install"]);
    assert_eq!(
        (run.ok(), run.stderr.as_str()),
        (
            "",
            "Installed the DDL guard: DDL run outside pelican's migrations is now recorded in \
             public.pelican_ddl_log.\n"
        )
    );
    assert_eq!(
        p.pelican(&["guard", "install"]).stderr,
        "The DDL guard in schema public is already installed and current.\n"
    );
    client
        .batch_execute("CREATE TABLE by_hand (x int)")
        .await
        .unwrap();
    let status = p.pelican(&["guard", "status"]);
    let lines: Vec<&str> = status.ok().lines().collect();
    assert_eq!(
        lines[..4],
        [
            "guard: recording, in schema public",
            "ddl_command_end trigger: enabled (function in schema public)",
            "sql_drop trigger: enabled (function in schema public)",
            "function: current",
        ]
    );
    assert!(
        lines[4].starts_with("log: public.pelican_ddl_log, 1 row, the last at "),
        "{lines:?}"
    );
    let json: serde_json::Value =
        serde_json::from_str(p.pelican(&["guard", "status", "--json"]).ok()).unwrap();
    assert_eq!(json["active"], true);
    assert_eq!(json["log"]["rows"], 1);

    let run = p.pelican(&["guard", "remove"]);
    run.ok();
    assert_eq!(
        run.stderr,
        "Removed the DDL guard; its log public.pelican_ddl_log is kept (append-only). Drop it \
         with `pelican guard remove --drop-log`.\n"
    );
    let status = p.pelican(&["guard", "status"]);
    assert!(
        status
            .ok()
            .starts_with("guard: installed in schema public but NOT recording"),
        "{status:?}"
    );
    p.pelican(&["guard", "remove", "--drop-log"]).ok();
    assert_eq!(
        p.pelican(&["guard", "status"]).ok(),
        "guard: not installed in schema public\n"
    );
}

#[tokio::test]
async fn upgrade_and_downgrade_from_the_cli_are_not_recorded_by_the_guard() {
    let p = Project::with_db("guard-upgrade").await;
    p.migration("a1", "");
    p.migration_sections(
        "a2",
        "a1",
        "transaction: false",
        "CREATE INDEX CONCURRENTLY t_a1_id ON t_a1 (id);",
        "DROP INDEX CONCURRENTLY t_a1_id;",
    );
    p.pelican(&["guard", "install"]).ok();
    p.pelican(&["upgrade"]).ok();
    p.pelican(&["downgrade", "base"]).ok();
    p.pelican(&["upgrade"]).ok();
    let client = p.client().await;
    assert_eq!(logged(&client).await, Vec::<String>::new());
    client
        .batch_execute("ALTER TABLE t_a1 ADD COLUMN nick text")
        .await
        .unwrap();
    assert_eq!(logged(&client).await, ["ALTER TABLE public.t_a1"]);
}

#[tokio::test]
async fn guard_install_as_a_role_that_may_not_create_event_triggers_says_so() {
    let p = Project::with_db("guard-no-privilege").await;
    let client = p.client().await;
    let role = format!("guard_cli_{}", std::process::id());
    client
        .batch_execute(&format!(
            "DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN; \
             GRANT CREATE ON SCHEMA public TO {role}"
        ))
        .await
        .unwrap();
    let separator = if p.url().contains('?') { '&' } else { '?' };
    let url = format!("{}{separator}user={role}", p.url());
    let run = p.pelican_env(&["--database-url", &url, "guard", "install"], &[]);
    let stderr = run.fails(1);
    assert!(
        stderr.starts_with(&format!(
            "error: role {role} may not install the DDL guard: "
        )),
        "{stderr}"
    );
    assert!(stderr.contains("need a superuser"), "{stderr}");
    assert!(
        stderr.contains("`pelican drift` works without the guard"),
        "{stderr}"
    );
    assert_eq!(
        p.pelican(&["guard", "status"]).ok(),
        "guard: not installed in schema public\n"
    );
    client
        .batch_execute(&format!(
            "REVOKE ALL ON SCHEMA public FROM {role}; DROP ROLE {role}"
        ))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_guards_own_objects_are_not_drift() {
    let p = Project::with_db("guard-drift").await;
    p.migration("a1", "");
    p.pelican(&["guard", "install"]).ok();
    p.pelican(&["upgrade"]).ok();
    let run = p.pelican(&["drift"]);
    assert_eq!(run.ok(), "", "{run:?}");
    assert!(run.stderr.contains("No drift"), "{}", run.stderr);
}

//! Random schema pairs on real PostgreSQL: the generated up turns A into B, nothing is left to
//! plan from there, and the down turns it back into A. Deterministic in CI (a fixed seed), so a
//! red run replays; `PELICAN_AUTOGEN_RANDOM=1` draws a new seed and `PELICAN_AUTOGEN_CASES=N`
//! sets the number of cases.

#[path = "support/db.rs"]
mod db;
#[path = "support/autogen.rs"]
mod plans;
#[path = "support/random_pairs.rs"]
mod random_pairs;
#[path = "support/random_schema.rs"]
mod random_schema;

use pelican::autogen::{plan_changes, AutogenOptions};
use plans::{app, built};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

/// The runner of both tests: `default_cases` from a fixed seed unless the environment says
/// otherwise.
fn runner(default_cases: u32) -> TestRunner {
    let cases = std::env::var("PELICAN_AUTOGEN_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default_cases);
    let config = Config {
        cases,
        // The cases are drawn from a seed: a smaller seed is no simpler schema.
        max_shrink_iters: 0,
        failure_persistence: None,
        ..Config::default()
    };
    if std::env::var_os("PELICAN_AUTOGEN_RANDOM").is_some() {
        TestRunner::new(config)
    } else {
        TestRunner::new_with_rng(
            config,
            proptest::test_runner::TestRng::deterministic_rng(
                proptest::test_runner::RngAlgorithm::ChaCha,
            ),
        )
    }
}

/// One case: A and B built, A → B planned with nothing unsupported, up gives B, nothing is
/// left to plan from there, down gives A. The error names the step and shows the SQL.
async fn check(a_sql: &str, b_sql: &str) -> Result<(), String> {
    let (_a_db, a) = built(a_sql).await;
    let (_b_db, b) = built(b_sql).await;
    let (before, after) = (app(&a).await, app(&b).await);
    let plan = plan_changes(&before, &after, &AutogenOptions::default());
    let (up, down) = (plan.up_sql(), plan.down_sql());
    if !plan.unsupported.is_empty() {
        return Err(format!("unsupported: {:?}", plan.unsupported));
    }
    a.batch_execute(&up)
        .await
        .map_err(|e| format!("up failed: {e:?}\n-- up\n{up}"))?;
    let reached = app(&a).await;
    if reached != after {
        let diff = reached.diff(&after);
        return Err(format!("up did not give B:\n{diff}\n-- up\n{up}"));
    }
    let again = plan_changes(&reached, &after, &AutogenOptions::default());
    if !again.up.is_empty() {
        return Err(format!(
            "planned again after up:\n{}\n-- up\n{up}",
            again.up_sql()
        ));
    }
    a.batch_execute(&down)
        .await
        .map_err(|e| format!("down failed: {e:?}\n-- up\n{up}\n-- down\n{down}"))?;
    let back = app(&a).await;
    if back != before {
        let diff = back.diff(&before);
        return Err(format!("down did not give A:\n{diff}\n-- down\n{down}"));
    }
    Ok(())
}

/// Random schema pairs with every kind the generator knows (`support/random_schema.rs`).
#[test]
fn random_schema_pairs_round_trip() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let case = |seed: u64| {
        let (a, b) = random_pairs::pair(seed);
        let (a_sql, b_sql) = (a.sql(), b.sql());
        runtime
            .block_on(check(&a_sql, &b_sql))
            .map_err(|e| format!("seed {seed}: {e}\n-- A\n{a_sql}\n-- B\n{b_sql}"))
    };
    // `PELICAN_AUTOGEN_SEED=N` replays the one case a failure names.
    if let Ok(seed) = std::env::var("PELICAN_AUTOGEN_SEED") {
        return case(seed.parse().unwrap()).unwrap_or_else(|e| panic!("{e}"));
    }
    runner(24)
        .run(&any::<u64>(), |seed| {
            case(seed).map_err(TestCaseError::fail)
        })
        .unwrap_or_else(|e| panic!("{e}"));
}

/// Random pairs of table sets: the generated up turns A into B and the down turns B back.
#[test]
fn random_table_sets_round_trip() {
    let types = [
        "integer",
        "bigint",
        "text",
        "boolean",
        "numeric(10,2)",
        "date",
    ];
    let column = (0..types.len(), any::<bool>(), any::<bool>());
    let table = prop::collection::btree_map("[a-e]", column, 1..4);
    let tables = prop::collection::btree_map("t[1-4]", table, 0..4);
    let render = move |tables: &std::collections::BTreeMap<
        String,
        std::collections::BTreeMap<String, (usize, bool, bool)>,
    >| {
        let mut sql = String::from("CREATE SCHEMA app;\n");
        for (name, columns) in tables {
            let columns: Vec<String> = columns
                .iter()
                .map(|(c, (t, not_null, default))| {
                    let data_type = types[*t];
                    let default = match (*default, data_type) {
                        (true, "text") => " DEFAULT ''",
                        (true, "boolean") => " DEFAULT false",
                        (true, "date") => " DEFAULT '2026-01-01'",
                        (true, _) => " DEFAULT 0",
                        (false, _) => "",
                    };
                    let not_null = if *not_null { " NOT NULL" } else { "" };
                    format!("{c} {data_type}{default}{not_null}")
                })
                .collect();
            sql.push_str(&format!(
                "CREATE TABLE app.{name} ({});\n",
                columns.join(", ")
            ));
        }
        sql
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut runner = runner(32);
    runner
        .run(&(tables.clone(), tables), |(a, b)| {
            let (a_sql, b_sql) = (render(&a), render(&b));
            runtime.block_on(async {
                // Types that can't be cast into one another make a plan PostgreSQL refuses:
                // skip those pairs here (the plan names the cast; the user reviews it).
                let (_a_db, a_client) = built(&a_sql).await;
                let (_b_db, b_client) = built(&b_sql).await;
                let plan = plan_changes(
                    &app(&a_client).await,
                    &app(&b_client).await,
                    &AutogenOptions::default(),
                );
                let before = app(&a_client).await;
                if let Err(e) = a_client.batch_execute(&plan.up_sql()).await {
                    // Only a cast PostgreSQL has no rule for (boolean to date) may fail.
                    assert_eq!(
                        e.code(),
                        Some(&tokio_postgres::error::SqlState::CANNOT_COERCE),
                        "{e}\n{a_sql}\n{b_sql}\n{}",
                        plan.up_sql()
                    );
                    return;
                }
                assert_eq!(
                    app(&a_client).await,
                    app(&b_client).await,
                    "{a_sql}\n{b_sql}\n{}",
                    plan.up_sql()
                );
                if let Err(e) = a_client.batch_execute(&plan.down_sql()).await {
                    // The cast back may be one PostgreSQL has no rule for, too.
                    assert_eq!(
                        e.code(),
                        Some(&tokio_postgres::error::SqlState::CANNOT_COERCE),
                        "{e}\n{}",
                        plan.down_sql()
                    );
                    return;
                }
                assert_eq!(
                    app(&a_client).await,
                    before,
                    "{a_sql}\n{b_sql}\n{}",
                    plan.down_sql()
                );
            });
            Ok(())
        })
        .unwrap();
}

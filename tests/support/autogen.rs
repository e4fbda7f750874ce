//! Round trips of autogenerate on real PostgreSQL: build A and B, plan A → B, check that up
//! turns A into B and down turns it back.
#![allow(dead_code)]

use pelican::autogen::{plan_changes, AutogenOptions, ChangePlan};
use pelican::schema::{snapshot, Snapshot};
use tokio_postgres::Client;

/// The snapshot of schema `app`, columns sorted by name: autogenerate doesn't reorder columns
/// (it says so in a note), so order is left out of the comparison.
pub async fn app(client: &Client) -> Snapshot {
    let mut s = snapshot(client, &["app"]).await.unwrap();
    for table in s.tables.values_mut() {
        table.columns.sort_by(|a, b| a.name.cmp(&b.name));
    }
    s
}

pub async fn built(sql: &str) -> (pelican::testing::TestDatabase, Client) {
    let (database, client) = crate::db::fresh_db().await;
    client
        .batch_execute(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    (database, client)
}

/// Builds A and B, plans A → B, runs up on A and checks it is B, runs down and checks it is
/// A again. Returns the plan for more checks.
pub async fn round_trip(a_sql: &str, b_sql: &str, options: &AutogenOptions) -> ChangePlan {
    let (_a_db, a) = built(a_sql).await;
    let (_b_db, b) = built(b_sql).await;
    let (before, after) = (app(&a).await, app(&b).await);
    let plan = plan_changes(&before, &after, options);
    assert!(plan.unsupported.is_empty(), "{:?}", plan.unsupported);
    a.batch_execute(&plan.up_sql())
        .await
        .unwrap_or_else(|e| panic!("up failed: {e:?}\n{}", plan.up_sql()));
    assert_eq!(app(&a).await, after, "up\n{}", plan.up_sql());
    a.batch_execute(&plan.down_sql())
        .await
        .unwrap_or_else(|e| panic!("down failed: {e:?}\n{}", plan.down_sql()));
    assert_eq!(app(&a).await, before, "down\n{}", plan.down_sql());
    plan
}

/// Both ways: A → B → A, then B → A → B.
pub async fn both_ways(a_sql: &str, b_sql: &str) -> ChangePlan {
    round_trip(b_sql, a_sql, &AutogenOptions::default()).await;
    round_trip(a_sql, b_sql, &AutogenOptions::default()).await
}

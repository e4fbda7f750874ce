//! Other roles, pools and the migration lock, for tests of what pelican trusts and releases.
#![allow(dead_code)]

use pelican::testing::TestDatabase;
use tokio_postgres::Client;

/// The first half of pelican's lock key ("peli").
const LOCK_CLASS: i64 = 0x7065_6c69;

/// Creates a login role named `<prefix>_<unique>` with `attributes` (e.g. `CREATEDB`); roles
/// are the server's, so each test gets a name of its own.
pub async fn create_role(admin: &Client, prefix: &str, attributes: &str) -> String {
    let name: String = admin
        .query_one(
            "SELECT $1 || '_' || substr(md5(random()::text || clock_timestamp()::text), 1, 10)",
            &[&prefix],
        )
        .await
        .unwrap()
        .get(0);
    admin
        .batch_execute(&format!("CREATE ROLE {name} LOGIN {attributes}"))
        .await
        .unwrap();
    name
}

/// A connection to `database` as `role`.
pub async fn connect_as(database: &TestDatabase, role: &str) -> Client {
    let mut config = database.config().clone();
    config.user(role);
    let (client, connection) = config.connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

/// A deadpool pool of `size` connections to `database`.
pub fn pool(database: &TestDatabase, size: usize) -> deadpool_postgres::Pool {
    let manager = deadpool_postgres::Manager::new(database.config().clone(), tokio_postgres::NoTls);
    deadpool_postgres::Pool::builder(manager)
        .max_size(size)
        .build()
        .unwrap()
}

/// SQL that takes pelican's migration lock for the history in `schema`, as another session.
pub fn pelican_lock_sql(schema: &str) -> String {
    format!(
        "SELECT pg_advisory_lock({LOCK_CLASS}, hashtext(current_database() || '/' || '{}' || '/pelican_revisions'))",
        schema.replace('\'', "''")
    )
}

/// How many sessions of this database hold (or wait for) a pelican migration lock.
pub async fn lock_holders(client: &Client) -> i64 {
    client
        .query_one(
            &format!(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = {LOCK_CLASS}::oid \
                 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

static MIGRATIONS: pelican::EmbeddedMigrations = pelican::embed_migrations!("tests/fixtures/temp/migrations");

#[pelican::test(migrations = MIGRATIONS)]
async fn takes_a_client(client: tokio_postgres::Client) {
    let _ = client;
}

fn main() {}

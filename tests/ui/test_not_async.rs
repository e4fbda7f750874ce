use pelican::testing::TempSchema;

static MIGRATIONS: pelican::EmbeddedMigrations = pelican::embed_migrations!("tests/fixtures/temp/migrations");

#[pelican::test(migrations = MIGRATIONS, fixture("tasks.sql"))]
async fn unknown_option(schema: TempSchema) {
    let _ = schema;
}

#[pelican::test(migrations = MIGRATIONS)]
fn not_async(schema: TempSchema) {
    let _ = schema;
}

#[pelican::test(migrations = MIGRATIONS)]
async fn no_argument() {}

fn main() {}

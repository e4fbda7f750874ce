static MIGRATIONS: pelican::EmbeddedMigrations =
    pelican::embed_migrations!("tests/fixtures/embed/broken/no_migration_type");

fn main() {
    let _ = &MIGRATIONS;
}

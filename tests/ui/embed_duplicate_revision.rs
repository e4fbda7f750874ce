static MIGRATIONS: pelican::EmbeddedMigrations =
    pelican::embed_migrations!("tests/fixtures/embed/broken/duplicate_revision");

fn main() {
    let _ = &MIGRATIONS;
}

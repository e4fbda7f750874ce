static MIGRATIONS: pelican::EmbeddedMigrations =
    pelican::embed_migrations!("tests/fixtures/embed/broken/unknown_dependency");

fn main() {
    let _ = &MIGRATIONS;
}

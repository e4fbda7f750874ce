static MIGRATIONS: pelican::EmbeddedMigrations =
    pelican::embed_migrations!("tests/fixtures/embed/broken/unknown_parent");

fn main() {
    let _ = &MIGRATIONS;
}

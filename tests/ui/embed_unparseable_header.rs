static MIGRATIONS: pelican::EmbeddedMigrations =
    pelican::embed_migrations!("tests/fixtures/embed/broken/unparseable_header");

fn main() {
    let _ = &MIGRATIONS;
}

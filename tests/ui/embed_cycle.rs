static MIGRATIONS: pelican::EmbeddedMigrations =
    pelican::embed_migrations!("tests/fixtures/embed/broken/cycle");

fn main() {
    let _ = &MIGRATIONS;
}

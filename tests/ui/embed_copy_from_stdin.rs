static MIGRATIONS: pelican::EmbeddedMigrations =
    pelican::embed_migrations!("tests/fixtures/embed/broken/copy_from_stdin");

fn main() {
    let _ = &MIGRATIONS;
}

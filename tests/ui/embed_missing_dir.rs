static MIGRATIONS: pelican::EmbeddedMigrations =
    pelican::embed_migrations!("tests/fixtures/embed/broken/no_such_dir");

fn main() {
    let _ = &MIGRATIONS;
}

static MIGRATIONS: pelican::EmbeddedMigrations =
    pelican::embed_migrations!("tests/fixtures/embed/broken/file_name_mismatch");

fn main() {
    let _ = &MIGRATIONS;
}

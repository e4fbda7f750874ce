static MIGRATIONS: pelican::EmbeddedMigrations =
    pelican::embed_migrations!("tests/fixtures/embed/broken/not_a_unit_struct");

fn main() {
    let _ = &MIGRATIONS;
}

static MIGRATIONS: pelican::EmbeddedMigrations = pelican::embed_migrations!(migrations);

fn main() {
    let _ = &MIGRATIONS;
}

//! Migrations as they run: the SQL of a migration body, split into the statements PostgreSQL sees.
pub mod statements;

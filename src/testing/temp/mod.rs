//! Throwaway schemas and databases migrated for one test: [`TempSetup`] and the two things it
//! makes, [`TempSchema`] and [`TempDatabase`] (a copy of a template migrated once, with a copy
//! made ahead for the next test), and the janitor that removes what crashed runs left.

mod database;
mod janitor;
mod schema;
mod setup;
mod spare;
mod template;
#[doc(hidden)]
pub mod test;

pub use database::TempDatabase;
pub use janitor::{sweep_leftovers, Swept, LEFTOVER_AGE};
pub use schema::TempSchema;
pub use setup::{TempSetup, Throwaway, DEFAULT_TARGET};

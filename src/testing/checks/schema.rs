//! The migrations against a desired schema (pytest-alembic's model-vs-DDL test).

use std::path::Path;

use super::CheckError;
use crate::migration::MigrationSet;
use crate::Migrator;

/// Checks that the migrations, replayed to their heads in a scratch database, give the
/// schema of `desired_schema` (a `.sql` file or a directory of them, loaded in another
/// scratch database): the test that fails when someone changed the schema file and forgot
/// the revision, or the other way round. The scratch databases are made on a throwaway
/// server from the local PostgreSQL binaries.
///
/// ```no_run
/// # async fn example(set: &pelican::MigrationSet) -> Result<(), pelican::testing::CheckError> {
/// pelican::testing::assert_matches_schema(set, "schema.sql").await?;
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// [`CheckError::SchemaMismatch`] with the differences and the SQL that would close the gap;
/// [`CheckError::Scratch`] when the desired schema fails to load (its file and line) or a
/// migration fails to replay.
pub async fn assert_matches_schema(
    set: &MigrationSet,
    desired_schema: impl AsRef<Path>,
) -> Result<(), CheckError> {
    let desired_schema = desired_schema.as_ref();
    let migrator = Migrator::new(set.clone());
    let comparison = migrator
        .compare_with_desired_schema(desired_schema, None)
        .await
        .map_err(|error| CheckError::Scratch(Box::new(error)))?;
    if comparison.differences.is_empty() {
        return Ok(());
    }
    Err(CheckError::SchemaMismatch {
        desired_schema: desired_schema.to_path_buf(),
        differences: comparison.differences,
        sql: comparison.plan.up_sql(),
    })
}

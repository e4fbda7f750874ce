//! Procedural macros for [pelican](https://docs.rs/pelican).
//!
//! Don't depend on this crate directly: `pelican` re-exports its macros
//! (`pelican::embed_migrations!`), so an application depends on one crate.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

// pelican's pure core, compiled a second time, here.
//
// The macro must parse migration files and validate their DAG exactly as the runtime does,
// with the same messages. A proc-macro crate can't depend on `pelican` (pelican depends on it
// to re-export the macro: a cycle), and moving the parser into a third crate would split one
// concept across crates. So this crate compiles pelican's own files by path:
//
// * `revision.rs`: ids, naming rules, `Revision`, checksums; with its child `timeout.rs` (the
//   durations of `lock-timeout` / `statement-timeout`, and the longest PostgreSQL takes),
//   linked beside it because a file included by path finds its children in its own folder;
// * `source/mod.rs` with its children `parse.rs` (the file parser, with `header.rs`,
//   `parse_error.rs` and `client_side.rs`) and `dir.rs` (the directory loader: which files
//   count, name order, duplicate revisions), so the macro embeds exactly the files
//   `pelican::source::load_dir` reads at run time;
// * `migration/statements.rs`: the statement splitter, which follows PostgreSQL's lexer; the
//   parser reads SQL sections with it (psql-only commands are refused there), and it sits
//   in a module `migration` as in pelican, so that its path is the same;
// * `graph.rs`: the DAG validation (unknown parents and dependencies, cycles, labels);
// * `history/digest.rs`: the digest of the history table when every revision is applied,
//   which the expansion carries so that a start at head compares it with one row.
//
// The modules sit at this crate's root under the names they have in pelican, so the paths
// they use (`crate::revision::…`, `crate::graph::…`) resolve the same way in both crates, and
// `crate::RevisionId` resolves through the `use` below as through pelican's re-export. Those
// files are written for this: they use only `std`, `petgraph`, `sha2`, `thiserror` and each
// other (each says so at its top), and keep their tests out of the way (`test = false` in this
// crate's Cargo.toml). Much of their API is unused here, hence the `allow`s.
//
// They are reached through `migrations-macros/shared/`, symbolic links to `../src/…`, so that
// they are inside this package: `cargo package` follows the links and ships the files
// themselves, and a published pelican-macros compiles on its own.
#[allow(dead_code)]
#[path = "../shared/graph.rs"]
mod graph;
#[allow(dead_code)]
#[path = "../shared/digest.rs"]
mod history_digest;
#[allow(dead_code, unused_imports)]
#[path = "../shared/revision.rs"]
mod revision;
#[allow(dead_code, unused_imports)]
#[path = "../shared/source/mod.rs"]
mod source;
// `enum_variant_names`: `SplitError`'s variants are pelican's public API, where clippy lets
// them be; here the module is private.
#[allow(dead_code, clippy::enum_variant_names)]
#[path = "../shared/statements.rs"]
mod statements;

/// `crate::migration::statements`, the path the shared parser uses, as in pelican.
mod migration {
    pub(crate) use super::statements;
}

use revision::RevisionId;

mod diagnostics;
mod embed;
mod migrations_dir;
mod rust_module;
mod test_attr;

use proc_macro::TokenStream;

/// Embeds every migration of a directory in the binary, at compile time.
///
/// ```ignore
/// static MIGRATIONS: pelican::EmbeddedMigrations = pelican::embed_migrations!("migrations");
/// ```
///
/// The path is relative to the directory of the calling crate's `Cargo.toml`; without an
/// argument it is `"migrations"`. The macro reads every `<revision>_<slug>.sql` and
/// `<revision>_<slug>.rs` file directly in the directory, parses their headers, validates
/// the revision DAG and computes the checksums, and expands to a constant
/// `pelican::EmbeddedMigrations` holding the result: SQL text split into its sections, and for
/// each Rust file, the file compiled as a module of the calling crate and a reference to its
/// `Migration` value. At run time nothing is read from the filesystem or parsed again.
///
/// Any problem is a compile error at the macro call naming the file and line: a header that
/// doesn't parse, a file name that disagrees with its revision, two files declaring one
/// revision, an unknown parent or dependency, a cycle, a Rust module without a `Migration`
/// type.
///
/// Editing a migration rebuilds the crate; adding or removing one needs a build script line,
/// `pelican::build::watch("migrations")`, because a macro can't watch a directory. See the
/// embedding guide (`docs/embedding.md`) and `EmbeddedMigrations::assert_matches_dir`.
#[proc_macro]
pub fn embed_migrations(input: TokenStream) -> TokenStream {
    embed::expand(input.into()).into()
}

/// Runs an async test with a migrated, throwaway schema or database of its own.
///
/// ```ignore
/// use pelican::testing::{TempDatabase, TempSchema};
///
/// static MIGRATIONS: pelican::EmbeddedMigrations = pelican::embed_migrations!();
///
/// #[pelican::test(migrations = MIGRATIONS)]
/// async fn tasks_start_empty(schema: TempSchema) {
///     let client = schema.connect().await.unwrap();
///     // ...
/// }
///
/// #[pelican::test(migrations = MIGRATIONS, target = "b2", fixtures("tests/fixtures/users.sql"))]
/// async fn with_users(database: TempDatabase) -> Result<(), Box<dyn std::error::Error>> {
///     // ...
///     Ok(())
/// }
/// ```
///
/// The function is `async` and takes one argument; its type picks what it gets: a
/// `pelican::testing::TempSchema` (a schema, migrated from scratch) or a
/// `pelican::testing::TempDatabase` (a database copied from a template migrated once). It may
/// return `()` or a `Result`, and carry other attributes (`#[should_panic]`, `#[ignore]`).
///
/// Options, all optional:
///
/// * `migrations = EXPR`: the migrations, an `EmbeddedMigrations` (`&EXPR` is passed to
///   `TempSetup::new`); `migrations = "dir"` embeds that directory; without the option, the
///   crate's `migrations` directory is embedded;
/// * `target = "revision"`: migrate to that target instead of every head;
/// * `fixtures("a.sql", "b.sql")`: SQL files run in order after migrating, relative to the
///   crate's directory and read at compile time.
///
/// The test runs on a `current_thread` tokio runtime of its own, against the shared test
/// server (`DATABASE_URL`, or one throwaway cluster per test binary).
#[proc_macro_attribute]
pub fn test(attr: TokenStream, item: TokenStream) -> TokenStream {
    test_attr::expand(attr.into(), item.into()).into()
}

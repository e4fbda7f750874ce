//! The `pelican` command-line tool: Alembic's verbs over a migrations directory.
//! See `docs/cli.md`, or `pelican --help`.

fn main() -> std::process::ExitCode {
    pelican::cli::main()
}

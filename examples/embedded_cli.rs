//! An application binary that carries its migrations and offers pelican's commands as a
//! subcommand of its own: `myapp migrate upgrade`, `myapp migrate current`, ...
//!
//! ```sh
//! export DATABASE_URL=postgresql://app@localhost/app
//! cargo run --features cli --example embedded_cli -- migrate upgrade
//! cargo run --features cli --example embedded_cli -- migrate history --graph
//! cargo run --features cli --example embedded_cli -- migrate downgrade -1
//! cargo run --features cli --example embedded_cli -- migrate --help
//! ```
//!
//! The migrations are compiled in, so the deployed binary needs no migrations directory, and
//! the Rust migration of the set (which the stand-alone `pelican` binary can't run) runs
//! like the SQL ones.

use std::process::ExitCode;

/// The quickstart's migrations, read when this program compiles.
static MIGRATIONS: pelican::EmbeddedMigrations =
    pelican::embed_migrations!("examples/quickstart/migrations");

const USAGE: &str = "\
usage: embedded_cli <command>

commands:
  migrate <pelican command>   pelican's commands over the migrations built into this
                              program: upgrade, downgrade, current, history, status, ...
                              (`embedded_cli migrate --help` lists them)
  serve                       what the application would do (here: says so)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        // Everything after `migrate` goes to pelican, with "migrate" standing in for the
        // program name, so that its help and errors read `migrate upgrade ...`.
        Some("migrate") => pelican::cli::run_with_args(&MIGRATIONS, &args[1..]),
        Some("serve") => {
            println!("serving (an application would start here)");
            ExitCode::SUCCESS
        }
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("error: unknown command '{other}'\n\n{USAGE}");
            ExitCode::from(2)
        }
        None => {
            eprintln!("error: no command given\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

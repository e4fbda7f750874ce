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
        // Everything after `migrate` goes to pelican, with "embedded_cli migrate" as the
        // program name, so that its help, errors and suggested commands read
        // `embedded_cli migrate upgrade ...`.
        Some("migrate") => {
            let program = format!("{} migrate", program_name(&args));
            pelican::cli::run_with_args(
                &MIGRATIONS,
                std::iter::once(program).chain(args[2..].iter().cloned()),
            )
        }
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

/// This program's file name, as the user typed it without its directory.
fn program_name(args: &[String]) -> String {
    args.first()
        .and_then(|arg0| std::path::Path::new(arg0).file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "embedded_cli".to_owned())
}

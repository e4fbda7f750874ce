//! pelican in one program: migrate a database to head and draw the revision graph.
//!
//! ```sh
//! cargo run --example quickstart                 # a throwaway PostgreSQL server
//! DATABASE_URL=postgresql://app@localhost/app cargo run --example quickstart
//! ```
//!
//! The migrations in `examples/quickstart/migrations/` are compiled into this program by
//! `embed_migrations!`: a table, two branches that grew from it, the merge that joins them,
//! and a Rust migration that seeds data. Run it twice against the same `DATABASE_URL`: the
//! second run has nothing to do.

use std::error::Error;
use std::process::ExitCode;

use pelican::diagram::{self, Marks};
use pelican::testing::TestServer;
use pelican::{EmbeddedMigrations, Migrator};

/// `println!` that doesn't panic when stdout is gone (`... | head -3`): the output is only
/// lost, the migration still runs.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// `print!` that doesn't panic when stdout is gone.
macro_rules! say_raw {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// Every migration of the directory, read when this program compiles.
static MIGRATIONS: EmbeddedMigrations =
    pelican::embed_migrations!("examples/quickstart/migrations");

fn main() -> ExitCode {
    match quickstart() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", with_causes(error.as_ref()));
            ExitCode::FAILURE
        }
    }
}

fn quickstart() -> Result<(), Box<dyn Error>> {
    // `TestServer::start` is pelican's test harness: the server `DATABASE_URL` names, or,
    // when it is unset, a throwaway PostgreSQL server of our own, deleted when this
    // program ends. A real application connects to its own database (see
    // examples/app_startup.rs).
    let server = TestServer::start().map_err(|error| {
        format!(
            "{error}\nThe quickstart needs a database: set DATABASE_URL to one you may write \
             to, or install PostgreSQL's server programs (13 or newer; Debian and Ubuntu: \
             apt-get install postgresql) for a throwaway one."
        )
    })?;
    if server.is_throwaway() {
        say!(
            "DATABASE_URL is not set, so this runs on a throwaway PostgreSQL server, deleted \
             when the program ends."
        );
    } else {
        say!(
            "Migrating the database DATABASE_URL names: {}.",
            describe(&server)
        );
    }

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(migrate_and_draw(&server))
}

async fn migrate_and_draw(server: &TestServer) -> Result<(), Box<dyn Error>> {
    let (client, connection) =
        tokio_postgres::connect(server.connection_string(), tokio_postgres::NoTls)
            .await
            .map_err(|error| {
                format!(
                    "can't connect to {}: {}",
                    describe(server),
                    with_causes(&error)
                )
            })?;
    tokio::spawn(connection);

    let migrator = Migrator::new(&MIGRATIONS);
    let report = migrator.migrate_to_head(&client).await?;

    if report.is_empty() {
        say!("\nNothing to do: the database is already at head.");
    } else {
        say!(
            "\nApplied {} migrations in {} ms:",
            report.steps.len(),
            report.elapsed.as_millis()
        );
        for step in &report.steps {
            let message = MIGRATIONS
                .get(step.revision.as_str())
                .map_or("", |migration| migration.message());
            say!("  {}  {message}", step.revision);
        }
    }

    // The graph, newest first, with what this database has applied marked.
    let status = migrator.status(&client).await?;
    let graph = migrator.migrations().graph();
    let marks = Marks::from_applied(graph, &status.applied);
    say!("\nThe revision graph ({}):\n", diagram::LEGEND);
    say_raw!("{}", diagram::draw_terminal(graph, &marks));

    let tasks = client
        .query_one("SELECT count(*) FROM tasks", &[])
        .await?
        .get::<_, i64>(0);
    say!("\nThe tasks table has {tasks} rows.");
    if server.is_throwaway() {
        say!(
            "\nThe throwaway server goes away now. Set DATABASE_URL to keep the result, run \
             this again (nothing to do the second time) and look at it with the pelican CLI: \
             README.md, \"A 5-minute tour\"."
        );
    } else {
        say!(
            "\nRun this again: nothing to do. Look at the database with the CLI:\n  \
             cargo run --features cli --bin pelican -- --dir examples/quickstart/migrations history --graph"
        );
    }
    Ok(())
}

/// The database, user and host of a server, without its password.
fn describe(server: &TestServer) -> String {
    let config = server.config();
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(name)) => name.clone(),
        Some(tokio_postgres::config::Host::Unix(path)) => path.display().to_string(),
        None => "localhost".to_owned(),
    };
    format!(
        "database '{}' as '{}' on {host}",
        config.get_dbname().unwrap_or("(the user's)"),
        config.get_user().unwrap_or("(the current user)"),
    )
}

/// An error followed by its causes: tokio-postgres puts PostgreSQL's own message (`database
/// "app" does not exist`) in the cause of a terse "db error".
fn with_causes(error: &(dyn Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(error) = cause {
        let line = error.to_string();
        if !text.contains(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        cause = error.source();
    }
    text
}

//! An application's startup: build the connection pool, migrate to head, then serve.
//!
//! ```sh
//! DATABASE_URL=postgresql://app@localhost/app cargo run --example app_startup
//! cargo run --example app_startup          # DATABASE_URL unset: a throwaway server
//! ```
//!
//! Three "replicas" start at once on the same database, as they do in a rolling deploy:
//! one applies the migrations while the others wait on pelican's advisory lock, then find
//! the database at head and carry on. Start it again and every replica finds the database
//! at head at once: that check is one query, with no lock.

use std::error::Error;
use std::process::ExitCode;

use pelican::testing::TestServer;
use pelican::{EmbeddedMigrations, Migrator, Progress};

/// `println!` that doesn't panic when stdout is gone (`... | head -3`): the output is only
/// lost, the migration still runs.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// The application's migrations, compiled into the binary (here, the quickstart's).
static MIGRATIONS: EmbeddedMigrations =
    pelican::embed_migrations!("examples/quickstart/migrations");

const REPLICAS: usize = 3;

type BoxError = Box<dyn Error + Send + Sync>;

fn main() -> ExitCode {
    // Only for this example: when DATABASE_URL is unset, a throwaway PostgreSQL server
    // (pelican's test harness). An application reads its own configuration instead.
    let server = match TestServer::start() {
        Ok(server) => server,
        Err(error) => {
            eprintln!(
                "error: {error}\nSet DATABASE_URL to a database you may write to, or install \
                 PostgreSQL's server programs for a throwaway one."
            );
            return ExitCode::FAILURE;
        }
    };
    if server.is_throwaway() {
        say!("DATABASE_URL is not set: using a throwaway PostgreSQL server.");
    }
    let runtime = tokio::runtime::Runtime::new().expect("a Tokio runtime");
    match runtime.block_on(start_replicas(server.connection_string())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", with_causes(error.as_ref()));
            ExitCode::FAILURE
        }
    }
}

async fn start_replicas(database_url: &str) -> Result<(), BoxError> {
    let replicas: Vec<_> = (1..=REPLICAS)
        .map(|replica| tokio::spawn(start_replica(replica, database_url.to_owned())))
        .collect();
    for replica in replicas {
        replica.await??;
    }
    Ok(())
}

/// What each instance of the application does before it serves traffic.
async fn start_replica(replica: usize, database_url: String) -> Result<(), BoxError> {
    let mut config = deadpool_postgres::Config::new();
    config.url = Some(database_url);
    config.application_name = Some(format!("app_startup replica {replica}"));
    let pool = config.create_pool(
        Some(deadpool_postgres::Runtime::Tokio1),
        tokio_postgres::NoTls,
    )?;

    // `tracing` carries pelican's own log (a `pelican.run` span, one line per revision);
    // with a subscriber installed you'd see it there. This prints the same events itself.
    let migrator = Migrator::new(&MIGRATIONS).on_progress(move |event| {
        if let Progress::Finished {
            revision,
            position,
            total,
            duration,
            ..
        } = event
        {
            let ms = duration.as_secs_f64() * 1000.0;
            say!("replica {replica}: [{position}/{total}] applied {revision} in {ms:.1} ms");
        }
    });
    let report = migrator.migrate_to_head(&pool).await?;
    if report.is_empty() {
        say!("replica {replica}: the database is at head, nothing to do");
    } else {
        say!(
            "replica {replica}: applied {} migrations in {} ms",
            report.steps.len(),
            report.elapsed.as_millis()
        );
    }

    // ... and now the application serves, on the same pool.
    let client = pool.get().await?;
    let tasks: i64 = client
        .query_one("SELECT count(*) FROM tasks", &[])
        .await?
        .get(0);
    say!("replica {replica}: serving; {tasks} tasks in the database");
    Ok(())
}

/// An error followed by its causes (tokio-postgres and deadpool keep PostgreSQL's own
/// message in the cause).
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

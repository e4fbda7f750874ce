//! What the runtime benches share: the static migrations, the child processes, the counting
//! proxy, statistics and connection strings.
#![allow(dead_code)] // each bench uses part of it

pub mod child;
pub mod delay;
pub mod proxy;
pub mod synthetic;

use std::fmt;
use std::time::Duration;

use tokio_postgres::Config;

/// Whether the binary was started by `cargo bench` (which passes `--bench`), rather than by
/// `cargo test --benches`, which only checks that it runs: then it does nothing heavy.
pub fn benchmarking() -> bool {
    std::env::args().any(|arg| arg == "--bench")
}

/// A number from the environment, or a default.
pub fn env_count(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(value) => value
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a whole number, not '{value}'")),
        Err(_) => default,
    }
}

/// The median and quartiles of timed runs.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    pub runs: usize,
    pub median: Duration,
    pub q1: Duration,
    pub q3: Duration,
    pub min: Duration,
}

impl Summary {
    pub fn of(samples: &[Duration]) -> Summary {
        assert!(!samples.is_empty(), "no samples");
        let mut sorted = samples.to_vec();
        sorted.sort();
        let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
        Summary {
            runs: sorted.len(),
            median: at(0.5),
            q1: at(0.25),
            q3: at(0.75),
            min: sorted[0],
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "median {} (quartiles {} .. {}, min {}, {} runs)",
            ms(self.median),
            ms(self.q1),
            ms(self.q3),
            ms(self.min),
            self.runs
        )
    }
}

/// `12.34 ms`.
pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// `a / b` of two durations.
pub fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

/// A `key=value` connection string for `config`'s database, through the socket directory
/// `host` instead of the configured host (libpq and tokio-postgres read it alike).
pub fn conninfo_via(config: &Config, host: &std::path::Path) -> String {
    let quote = |value: &str| format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"));
    let mut parts = vec![
        format!("host={}", quote(&host.to_string_lossy())),
        format!(
            "port={}",
            config.get_ports().first().copied().unwrap_or(5432)
        ),
    ];
    if let Some(user) = config.get_user() {
        parts.push(format!("user={}", quote(user)));
    }
    if let Some(dbname) = config.get_dbname() {
        parts.push(format!("dbname={}", quote(dbname)));
    }
    if let Some(password) = config.get_password() {
        parts.push(format!(
            "password={}",
            quote(&String::from_utf8_lossy(password))
        ));
    }
    parts.join(" ")
}

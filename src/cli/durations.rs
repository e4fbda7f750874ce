//! The durations the command line and pelican.toml take (`--lock-timeout`, `--lock-wait`,
//! `--lease-ttl`, `--pause`): PostgreSQL's units, at most what PostgreSQL takes.

use std::time::Duration;

use crate::revision::{self, DurationTextError, MAX_TIMEOUT_TEXT};

/// Parses a `--lock-timeout` or `--statement-timeout`: `<whole number><unit>` with unit `ms`,
/// `s`, `min` or `h`, as in migration headers, at most what PostgreSQL takes. `0ms` is no
/// timeout.
pub(crate) fn parse_timeout(text: &str) -> Result<Duration, String> {
    parse_duration(text, "or 0ms for no timeout")
}

/// Parses `--lock-wait`, written as a timeout is: the wait is PostgreSQL's `lock_timeout`.
pub(crate) fn parse_wait(text: &str) -> Result<Duration, String> {
    parse_duration(text, "the wait is a lock_timeout")
}

/// Parses `--lease-ttl` (and `lease_ttl` in pelican.toml): a duration of at least 1s.
pub(crate) fn parse_lease_ttl(text: &str) -> Result<Duration, String> {
    let ttl = parse_duration(text, "a lease renewed every third of it")?;
    if ttl < crate::lock::MIN_LEASE_TTL {
        return Err(format!(
            "'{}' is too short for a lease: give at least 1s (the heartbeat renews it every \
             third of it)",
            text.trim()
        ));
    }
    Ok(ttl)
}

fn parse_duration(text: &str, note: &str) -> Result<Duration, String> {
    let text = text.trim();
    revision::parse_duration(text).map_err(|error| match error {
        DurationTextError::Invalid => format!(
            "'{text}' is not a duration; write a whole number and a unit: 500ms, 5s, 2min, 1h"
        ),
        DurationTextError::TooLong => format!(
            "'{text}' is too long: PostgreSQL's maximum is {MAX_TIMEOUT_TEXT}; give a shorter \
             duration ({note})"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_postgres_units() {
        assert_eq!(parse_timeout("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_timeout("3s"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_timeout("2min"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_timeout(" 1h "), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_timeout("0ms"), Ok(Duration::ZERO));
        assert_eq!(parse_wait("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(
            parse_timeout("3"),
            Err(
                "'3' is not a duration; write a whole number and a unit: 500ms, 5s, 2min, 1h"
                    .to_owned()
            )
        );
        assert!(parse_timeout("1.5s").is_err());
        assert!(parse_wait("s").is_err());
    }

    #[test]
    fn durations_stop_at_what_postgres_takes() {
        assert_eq!(parse_timeout("596h"), Ok(Duration::from_secs(596 * 3600)));
        assert_eq!(
            parse_timeout("600h"),
            Err(
                "'600h' is too long: PostgreSQL's maximum is 2147483647ms, about 24.8 days \
                 (596h); give a shorter duration (or 0ms for no timeout)"
                    .to_owned()
            )
        );
        assert_eq!(
            parse_wait("99999999999999999999h"),
            Err(
                "'99999999999999999999h' is too long: PostgreSQL's maximum is 2147483647ms, \
                 about 24.8 days (596h); give a shorter duration (the wait is a lock_timeout)"
                    .to_owned()
            )
        );
    }
}

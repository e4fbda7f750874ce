//! The durations of PostgreSQL's timeout settings: how migration headers and the CLI write
//! them, and the longest one PostgreSQL takes.
//!
//! Part of the pure core, compiled by the proc-macro crate too (through
//! `migrations-macros/shared/timeout.rs`): `std` only.

use std::fmt;
use std::time::Duration;

/// The longest `lock_timeout` or `statement_timeout` PostgreSQL takes: `INT_MAX`
/// milliseconds (2147483647 ms), about 24.8 days. Zero means no timeout.
pub const MAX_TIMEOUT: Duration = Duration::from_millis(MAX_TIMEOUT_MILLIS as u64);

/// [`MAX_TIMEOUT`] in milliseconds.
const MAX_TIMEOUT_MILLIS: u32 = i32::MAX as u32;

/// [`MAX_TIMEOUT`] as messages say it: exact, in days, and in the largest whole number of the
/// largest unit a header or the CLI can write.
pub(crate) const MAX_TIMEOUT_TEXT: &str = "2147483647ms, about 24.8 days (596h)";

/// Why the text of a duration was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DurationTextError {
    /// Not a whole number followed by `ms`, `s`, `min` or `h`.
    Invalid,
    /// A duration, but longer than [`MAX_TIMEOUT`].
    TooLong,
}

/// Parses a duration as migration headers and the CLI write them: a whole number and one of
/// PostgreSQL's units `ms`, `s`, `min`, `h`, nothing else (no sign, space or fraction), and
/// at most [`MAX_TIMEOUT`]. `0ms` (or `0s`...) is zero.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, DurationTextError> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    let unit_millis: u64 = match unit {
        "ms" => 1,
        "s" => 1_000,
        "min" => 60_000,
        "h" => 3_600_000,
        _ => return Err(DurationTextError::Invalid),
    };
    if number.is_empty() {
        return Err(DurationTextError::Invalid);
    }
    // Only digits, so a number that doesn't fit a u64 is a duration too long, not a typo.
    let millis = number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(unit_millis))
        .filter(|&millis| millis <= u64::from(MAX_TIMEOUT_MILLIS))
        .ok_or(DurationTextError::TooLong)?;
    Ok(Duration::from_millis(millis))
}

/// A duration longer than a PostgreSQL timeout setting takes ([`MAX_TIMEOUT`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeoutTooLong {
    /// What the duration was given for (`lock_timeout`, `statement_timeout`, `lock_wait`).
    pub setting: &'static str,
    /// The duration given.
    pub duration: Duration,
}

impl fmt::Display for TimeoutTooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {:?} is too long: PostgreSQL's maximum is {MAX_TIMEOUT_TEXT}; give a shorter \
             duration",
            self.setting, self.duration
        )?;
        if self.setting.ends_with("timeout") {
            f.write_str(", or Duration::ZERO for no timeout")?;
        }
        Ok(())
    }
}

impl std::error::Error for TimeoutTooLong {}

/// Checks that `duration` fits a PostgreSQL millisecond setting (`lock_timeout`,
/// `statement_timeout`; a lock wait is a `lock_timeout` too) and returns it in whole
/// milliseconds, as the `SET` statement takes it.
///
/// A duration under a millisecond but not zero counts as 1 ms: rounded down it would be 0,
/// which PostgreSQL reads as no timeout at all. Longer ones are truncated to the millisecond.
///
/// # Errors
///
/// [`TimeoutTooLong`], naming `setting`, when `duration` is over [`MAX_TIMEOUT`].
pub(crate) fn check_setting_millis(
    setting: &'static str,
    duration: Duration,
) -> Result<u32, TimeoutTooLong> {
    let millis = u32::try_from(duration.as_millis())
        .ok()
        .filter(|&millis| millis <= MAX_TIMEOUT_MILLIS)
        .ok_or(TimeoutTooLong { setting, duration })?;
    Ok(if millis == 0 && !duration.is_zero() {
        1
    } else {
        millis
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_whole_numbers_with_a_postgres_unit() {
        let ok = |text| parse_duration(text).unwrap();
        assert_eq!(ok("500ms"), Duration::from_millis(500));
        assert_eq!(ok("5s"), Duration::from_secs(5));
        assert_eq!(ok("2min"), Duration::from_secs(120));
        assert_eq!(ok("1h"), Duration::from_secs(3600));
        assert_eq!(ok("0ms"), Duration::ZERO);
        for bad in [
            "", "5", "s", "5 s", " 5s", "1.5s", "5sec", "-1s", "+1s", "5S",
        ] {
            assert_eq!(
                parse_duration(bad),
                Err(DurationTextError::Invalid),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn durations_stop_at_what_postgres_takes() {
        assert_eq!(parse_duration("2147483647ms"), Ok(MAX_TIMEOUT));
        assert_eq!(parse_duration("596h"), Ok(Duration::from_secs(596 * 3600)));
        assert_eq!(
            parse_duration("35791min"),
            Ok(Duration::from_secs(35791 * 60))
        );
        for long in [
            "2147483648ms",
            "2147484s",
            "35792min",
            "597h",
            "600h",
            "99999999999999999999h",
        ] {
            assert_eq!(
                parse_duration(long),
                Err(DurationTextError::TooLong),
                "{long}"
            );
        }
    }

    #[test]
    fn settings_take_whole_milliseconds_up_to_the_maximum() {
        let check = |d| check_setting_millis("lock_timeout", d);
        assert_eq!(check(Duration::ZERO), Ok(0));
        assert_eq!(check(Duration::from_micros(1)), Ok(1));
        assert_eq!(check(Duration::from_micros(2_500)), Ok(2));
        assert_eq!(check(MAX_TIMEOUT), Ok(2_147_483_647));
        assert_eq!(
            check(MAX_TIMEOUT + Duration::from_micros(999)),
            Ok(2_147_483_647)
        );
        let err = check(MAX_TIMEOUT + Duration::from_millis(1)).unwrap_err();
        assert_eq!(err.setting, "lock_timeout");
        assert_eq!(
            err.to_string(),
            "lock_timeout of 2147483.648s is too long: PostgreSQL's maximum is 2147483647ms, \
             about 24.8 days (596h); give a shorter duration, or Duration::ZERO for no timeout"
        );
        assert_eq!(
            check_setting_millis("lock_wait", Duration::from_secs(600 * 3600))
                .unwrap_err()
                .to_string(),
            "lock_wait of 2160000s is too long: PostgreSQL's maximum is 2147483647ms, about \
             24.8 days (596h); give a shorter duration"
        );
        assert!(check(Duration::MAX).is_err());
    }
}

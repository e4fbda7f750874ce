//! Run-level timeouts are checked before anything is rendered: PostgreSQL takes at most
//! `INT_MAX` milliseconds, and a timeout under a millisecond is not "no timeout".

use std::time::Duration;

use pelican::offline::{render, render_stamp, OfflineError, OfflineOptions};
use pelican::revision::MAX_TIMEOUT;
use pelican::Planner;

use super::{merge_set, upgrade_plan};

#[test]
fn timeouts_postgres_cant_take_are_refused() {
    let set = merge_set();
    let plan = upgrade_plan(&set, &[], "head");
    let too_long = OfflineOptions::new().lock_timeout(Duration::from_secs(600 * 3600));
    let err = render(&set, &plan, &too_long).unwrap_err();
    assert!(matches!(err, OfflineError::TimeoutTooLong(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "lock_timeout of 2160000s is too long: PostgreSQL's maximum is 2147483647ms, about 24.8 \
         days (596h); give a shorter duration, or Duration::ZERO for no timeout"
    );
    let stamp = Planner::new(set.graph(), ["root"])
        .unwrap()
        .stamp(&["head".parse().unwrap()], false)
        .unwrap();
    let too_long = OfflineOptions::new().statement_timeout(MAX_TIMEOUT * 2);
    assert!(render_stamp(&set, &stamp, &too_long)
        .unwrap_err()
        .to_string()
        .starts_with("statement_timeout of 4294967.294s is too long"));

    // The longest PostgreSQL takes; under a millisecond is one, not zero (no timeout).
    let options = OfflineOptions::new()
        .lock_timeout(MAX_TIMEOUT)
        .statement_timeout(Duration::from_micros(500));
    let script = render(&set, &plan, &options).unwrap();
    assert!(
        script.contains("SET LOCAL lock_timeout = 3000;\nSET LOCAL statement_timeout = 1;\n"),
        "{script}"
    );
    assert!(
        script.contains("SET LOCAL lock_timeout = 2147483647;\n"),
        "{script}"
    );
}

//! The operating-system account a throwaway server runs as.
//!
//! PostgreSQL refuses to run as root. When the tests run as root (containers, CI), the
//! server runs as the `postgres` account (or `nobody`) instead, owning its directory; when
//! they don't, it simply runs as the current user.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use crate::testing::TestingError;

const PASSWD: &str = "/etc/passwd";

/// Accounts to run the server as when we are root, best first.
const CANDIDATES: [&str; 2] = ["postgres", "nobody"];

/// An unprivileged account, from `/etc/passwd`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Account {
    pub(crate) name: String,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
}

impl Account {
    /// The account to run the server as when we are root.
    pub(crate) fn unprivileged() -> Result<Account, TestingError> {
        let text = std::fs::read_to_string(PASSWD).unwrap_or_default();
        CANDIDATES
            .iter()
            .find_map(|name| find_in_passwd(&text, name))
            .ok_or_else(|| TestingError::NoUnprivilegedUser {
                passwd: Path::new(PASSWD).to_path_buf(),
            })
    }
}

/// Makes `command` run as `account` when there is one (we are root), as ourselves otherwise.
pub(crate) fn run_as(command: &mut Command, account: Option<&Account>) {
    if let Some(account) = account {
        // std drops the supplementary groups too when root switches uid.
        command.uid(account.uid).gid(account.gid);
    }
}

fn find_in_passwd(passwd: &str, name: &str) -> Option<Account> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        if fields.next()? != name {
            return None;
        }
        let _password = fields.next()?;
        let uid = fields.next()?.parse().ok()?;
        let gid = fields.next()?.parse().ok()?;
        (uid != 0).then(|| Account {
            name: name.to_owned(),
            uid,
            gid,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "root:x:0:0:root:/root:/bin/bash\n\
        nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n\
        postgres:x:101:104:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash\n";

    #[test]
    fn finds_an_account_by_name() {
        assert_eq!(
            find_in_passwd(SAMPLE, "postgres"),
            Some(Account {
                name: "postgres".into(),
                uid: 101,
                gid: 104
            })
        );
        assert_eq!(find_in_passwd(SAMPLE, "nobody").map(|a| a.uid), Some(65534));
        assert_eq!(find_in_passwd(SAMPLE, "postgre"), None);
    }

    #[test]
    fn never_picks_a_root_account_or_a_broken_line() {
        assert_eq!(
            find_in_passwd("postgres:x:0:0::/:/bin/sh\n", "postgres"),
            None
        );
        assert_eq!(
            find_in_passwd("postgres:x:abc:1::/:/bin/sh\n", "postgres"),
            None
        );
        assert_eq!(find_in_passwd("postgres\n", "postgres"), None);
    }
}

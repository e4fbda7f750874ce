//! Streaming replication between throwaway clusters: the settings a primary (and its
//! standbys) run with, and a standby's data directory copied from its primary with
//! `pg_basebackup -R` (which writes `standby.signal` and `primary_conninfo`).

use super::{run_to_end, Cluster, PORT, SUPERUSER};
use crate::testing::TestingError;

/// The settings of streaming replication, after the usual ones (the later `-c` wins): WAL
/// with enough for a standby, senders for it, and read-only queries on it. The harness's
/// `pg_hba.conf` (initdb's, trust) already lets local replication connections in.
pub(super) const STREAMING: &[(&str, &str)] = &[
    ("wal_level", "replica"),
    ("max_wal_senders", "10"),
    ("hot_standby", "on"),
];

impl Cluster {
    /// Fills this cluster's data directory with a base backup of `primary`, streaming the
    /// WAL it needs, configured to follow the primary once started.
    pub(super) fn base_backup(&self, primary: &Cluster) -> Result<(), TestingError> {
        let program = self.bin_dir.join("pg_basebackup");
        let mut command = self.pg_command("pg_basebackup");
        command
            .arg("-D")
            .arg(&self.data_dir)
            .arg("-h")
            .arg(primary.socket_dir())
            .arg("-p")
            .arg(PORT.to_string())
            .args([
                "-U",
                SUPERUSER,
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
                "--no-sync",
            ]);
        match run_to_end(&mut command, &program)? {
            None => Ok(()),
            Some((status, output)) => Err(TestingError::BaseBackup {
                program,
                data_dir: self.data_dir.clone(),
                status,
                output,
            }),
        }
    }
}

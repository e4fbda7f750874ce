//! The lock that serializes migrators, in two strategies, and the connections it is held on.
//!
//! * [`LockStrategy::Advisory`]: a PostgreSQL session advisory lock (`advisory`), held on one
//!   pinned connection: no table, nothing to clean up after a crash (the server releases it
//!   when the session ends). It needs a real session, which a pooler in transaction mode
//!   (PgBouncer's `pool_mode = transaction`) does not give: there, the next query may run on
//!   another server connection, and the lock stays behind on one the pooler hands to others.
//! * [`LockStrategy::Lease`]: a row in the `pelican_lease` table of the history schema
//!   (`lease`): taken with one `INSERT … ON CONFLICT DO UPDATE … WHERE expired`, renewed by a
//!   heartbeat on a connection of its own, released at the end; a killed migrator's lease
//!   expires after its TTL. Every statement is a transaction of its own, so it works through
//!   any pooler.
//! * [`LockStrategy::Auto`] (the default): the advisory lock on a direct connection, the
//!   lease behind a pooler. Telling them apart costs nothing (`pooler`): the query that tries
//!   the advisory lock checks that it runs on the backend PostgreSQL announced at connect
//!   time, which a pooler never does.
//!
//! The advisory strategy behind a pooler is refused ([`Error::AdvisoryLockBehindPooler`]),
//! never silently unsafe.

mod advisory;
mod lease;
mod pooler;

use std::fmt;
use std::ops::Deref;
use std::str::FromStr;
use std::time::Duration;

use tokio_postgres::Client;

use crate::error::Error;
use crate::sql::lease::LeaseSql;
pub(crate) use advisory::LockKey;
use advisory::{Advisory, AdvisoryGuard};
use lease::LeaseGuard;
pub(crate) use pooler::announced_pid;

/// A connection the migrator runs on: from a pool, or one you lend it.
pub enum Connection<'a> {
    /// Taken from a `deadpool_postgres` pool.
    Pooled(Box<deadpool_postgres::Object>),
    /// A client you own.
    Borrowed(&'a Client),
}

impl Deref for Connection<'_> {
    type Target = Client;

    fn deref(&self) -> &Client {
        match self {
            Connection::Pooled(object) => object,
            Connection::Borrowed(client) => client,
        }
    }
}

/// A connection of its own that the lease lock's heartbeat renews the lease on (see
/// [`LockStrategy::Lease`]), so that a long migration on the main connection doesn't keep
/// it from being renewed. It is closed when the lease is released.
pub struct SideConnection(Box<dyn Deref<Target = Client> + Send + Sync>);

impl SideConnection {
    /// Any owned handle on a client: a `tokio_postgres::Client` (see the `From` impl), a
    /// `deadpool_postgres::ClientWrapper`, ...
    pub fn new(client: impl Deref<Target = Client> + Send + Sync + 'static) -> Self {
        SideConnection(Box::new(client))
    }
}

impl From<Client> for SideConnection {
    fn from(client: Client) -> Self {
        struct Owned(Client);
        impl Deref for Owned {
            type Target = Client;
            fn deref(&self) -> &Client {
                &self.0
            }
        }
        SideConnection::new(Owned(client))
    }
}

impl Deref for SideConnection {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.0
    }
}

/// Where the migrator gets its connection: a `deadpool_postgres::Pool` or a
/// `tokio_postgres::Client`.
#[async_trait::async_trait]
pub trait Database: Send + Sync {
    /// A connection to run on.
    async fn connection(&self) -> Result<Connection<'_>, Error>;

    /// A second connection, for the lease lock's heartbeat only (see
    /// [`LockStrategy::Lease`]); `None` when this database can't open one (the default).
    ///
    /// A pool opens a new connection outside its limits. Without one (a lent `Client`), the
    /// lease is renewed between revisions on the migrating connection, so a single revision
    /// running longer than the lease's TTL loses it (the run then stops before its next
    /// revision with [`Error::LeaseLost`]): lend a pool, implement this, or raise the TTL.
    async fn heartbeat_connection(&self) -> Result<Option<SideConnection>, Error> {
        Ok(None)
    }
}

#[async_trait::async_trait]
impl Database for deadpool_postgres::Pool {
    async fn connection(&self) -> Result<Connection<'_>, Error> {
        self.get()
            .await
            .map(|object| Connection::Pooled(Box::new(object)))
            .map_err(Error::from)
    }

    async fn heartbeat_connection(&self) -> Result<Option<SideConnection>, Error> {
        use deadpool::managed::Manager;
        let client = self
            .manager()
            .create()
            .await
            .map_err(|e| Error::database("opening the lease's heartbeat connection", e))?;
        Ok(Some(SideConnection::new(client)))
    }
}

#[async_trait::async_trait]
impl Database for Client {
    async fn connection(&self) -> Result<Connection<'_>, Error> {
        Ok(Connection::Borrowed(self))
    }
}

/// How migrators serialize: see the [module documentation](self).
///
/// ```
/// use pelican::lock::LockStrategy;
/// assert_eq!("lease".parse::<LockStrategy>(), Ok(LockStrategy::Lease));
/// assert_eq!(LockStrategy::default(), LockStrategy::Auto);
/// assert_eq!(LockStrategy::Advisory.to_string(), "advisory");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LockStrategy {
    /// A session advisory lock; refused behind a connection pooler.
    Advisory,
    /// A lease row in `pelican_lease`, renewed by a heartbeat; works through any pooler.
    Lease,
    /// The advisory lock on a direct connection, the lease behind a pooler.
    #[default]
    Auto,
}

impl LockStrategy {
    /// The name of each strategy, as [`FromStr`] reads it.
    pub const NAMES: [&'static str; 3] = ["advisory", "lease", "auto"];
}

impl fmt::Display for LockStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LockStrategy::Advisory => "advisory",
            LockStrategy::Lease => "lease",
            LockStrategy::Auto => "auto",
        })
    }
}

/// A name that is not a [`LockStrategy`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown lock strategy '{0}'; the strategies are advisory, lease and auto")]
pub struct UnknownLockStrategy(pub String);

impl FromStr for LockStrategy {
    type Err = UnknownLockStrategy;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "advisory" => Ok(LockStrategy::Advisory),
            "lease" => Ok(LockStrategy::Lease),
            "auto" => Ok(LockStrategy::Auto),
            other => Err(UnknownLockStrategy(other.to_owned())),
        }
    }
}

/// The default time-to-live of a lease: a killed migrator's lease is taken over this long
/// after its last renewal.
pub const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(60);

/// The shortest lease TTL accepted: the heartbeat renews every third of it.
pub const MIN_LEASE_TTL: Duration = Duration::from_secs(1);

/// The lock of one history table, in the configured strategy.
#[derive(Debug, Clone)]
pub(crate) struct Lock {
    advisory: LockKey,
    lease: LeaseSql,
    pub(crate) strategy: LockStrategy,
    pub(crate) lease_ttl: Duration,
}

impl Lock {
    pub(crate) fn new(schema: &str, table: &str) -> Self {
        Lock {
            advisory: LockKey::new(schema, table),
            lease: LeaseSql::new(schema, table),
            strategy: LockStrategy::default(),
            lease_ttl: DEFAULT_LEASE_TTL,
        }
    }

    /// The same lock for the history table `table` of `schema`.
    pub(crate) fn for_table(&self, schema: &str, table: &str) -> Self {
        Lock {
            advisory: LockKey::new(schema, table),
            lease: LeaseSql::new(schema, table),
            ..self.clone()
        }
    }

    /// Takes the lock within `wait` in the configured strategy, or fails naming its holder.
    /// `db` gives the lease its heartbeat connection.
    pub(crate) async fn acquire<'a>(
        &self,
        db: &impl Database,
        connection: Connection<'a>,
        wait: Duration,
    ) -> Result<LockGuard<'a>, Error> {
        let announced = announced_pid(&connection).await;
        let connection = match self.strategy {
            LockStrategy::Lease => connection,
            strategy => match self.advisory.acquire(connection, wait, announced).await? {
                Advisory::Held(guard) => return Ok(LockGuard::Advisory(guard)),
                Advisory::BehindPooler(_) if strategy == LockStrategy::Advisory => {
                    return Err(Error::AdvisoryLockBehindPooler {
                        lock: self.advisory.label().to_owned(),
                    })
                }
                Advisory::BehindPooler(connection) => {
                    tracing::info!(
                        lock = %self.lease.label(),
                        "a connection pooler is in front of PostgreSQL: using the lease lock"
                    );
                    connection
                }
            },
        };
        // Without a heartbeat connection the lease is renewed between revisions instead.
        let side = db.heartbeat_connection().await.unwrap_or_else(|err| {
            tracing::warn!(error = %err, "no heartbeat connection: the lease is renewed between revisions");
            None
        });
        let guard = lease::acquire(
            &self.lease,
            connection,
            side,
            wait,
            self.lease_ttl,
            announced,
        )
        .await?;
        Ok(LockGuard::Lease(guard))
    }

    /// Describes the session holding the advisory lock, or the lease's live holder.
    pub(crate) async fn holder(&self, client: &Client) -> Option<String> {
        match self.advisory.holder(client).await {
            Some(holder) => Some(holder),
            None => lease::holder(&self.lease, client).await,
        }
    }
}

/// The held lock, in either strategy. Release it with [`LockGuard::release`]; dropped
/// instead (a panic, a cancelled run), a pooled connection is closed rather than returned to
/// its pool, and a lease is released by its heartbeat task (or expires).
pub(crate) enum LockGuard<'a> {
    Advisory(AdvisoryGuard<'a>),
    Lease(LeaseGuard<'a>),
}

impl LockGuard<'_> {
    /// The connection the run goes on.
    pub(crate) fn client(&self) -> &Client {
        match self {
            LockGuard::Advisory(guard) => guard.client(),
            LockGuard::Lease(guard) => guard.client(),
        }
    }

    /// Whether the connection goes through a pooler, where nothing may rely on the session:
    /// a `transaction: false` revision can't run on it.
    pub(crate) fn behind_pooler(&self) -> bool {
        match self {
            LockGuard::Advisory(_) => false,
            LockGuard::Lease(guard) => guard.behind_pooler(),
        }
    }

    /// Whether the session is marked as pelican's for the DDL guard (the advisory lock marks
    /// it; under a lease each transaction marks itself with `SET LOCAL`).
    pub(crate) fn marks_session(&self) -> bool {
        matches!(self, LockGuard::Advisory(_))
    }

    /// Fails with [`Error::LeaseLost`] when the lease was lost; renews it first when it has
    /// no heartbeat of its own and a third of its TTL has passed. Called before each
    /// revision.
    pub(crate) async fn keep_alive(&self) -> Result<(), Error> {
        match self {
            LockGuard::Advisory(_) => Ok(()),
            LockGuard::Lease(guard) => guard.keep_alive().await,
        }
    }

    /// Releases the lock (see each strategy's guard).
    pub(crate) async fn release(self) -> Result<(), Error> {
        match self {
            LockGuard::Advisory(guard) => guard.release().await,
            LockGuard::Lease(guard) => guard.release().await,
        }
    }
}

//! Connections by connection string with libpq's TLS settings (feature `tls`): `sslmode`
//! (`disable` ... `verify-full`) and `sslrootcert`, over rustls with ring's cryptography and
//! the platform's CA certificates. The CLI and the fleet connect through [`Connector`];
//! an application builds its pool with it (see [`Connector::pool_manager`]).
//!
//! | `sslmode` | encrypted | certificate checked |
//! | --- | --- | --- |
//! | `disable` | no | — |
//! | `allow`, `prefer` (default) | when the server offers TLS | only with `sslrootcert`: its chain |
//! | `require` | yes | only with `sslrootcert`: its chain (as libpq) |
//! | `verify-ca` | yes | its chain, up to `sslrootcert` or the platform's CAs |
//! | `verify-full` | yes | its chain and the host name |
//!
//! As in libpq, TLS settings are ignored for Unix-domain sockets, and `sslrootcert=system`
//! (the platform's CAs) asks for `verify-full`.

mod error;
mod verify;

use std::path::PathBuf;

use deadpool_postgres::{Manager, ManagerConfig};
use tokio_postgres::config::{Host, SslMode as DriverSslMode};
use tokio_postgres::{Client, Config, NoTls};
use tokio_postgres_rustls::MakeRustlsConnect;

use error::Attempt;
pub use error::ConnectError;
use verify::{Check, Roots};

/// libpq's `sslmode`: whether the connection is encrypted, and what of the server's
/// certificate is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SslMode {
    /// Never encrypted.
    Disable,
    /// Encrypted when the server offers TLS (tokio-postgres can't try without TLS first, so
    /// this is `prefer`).
    Allow,
    /// Encrypted when the server offers TLS; the default.
    #[default]
    Prefer,
    /// Always encrypted; the certificate is checked only when `sslrootcert` is given.
    Require,
    /// Always encrypted, the certificate signed by a trusted CA.
    VerifyCa,
    /// Always encrypted, the certificate signed by a trusted CA and naming the host.
    VerifyFull,
}

impl SslMode {
    /// The value as written in a connection string.
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    fn parse(value: &str) -> Result<SslMode, ConnectError> {
        Ok(match value {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => {
                return Err(ConnectError::InvalidSslMode {
                    value: value.to_owned(),
                })
            }
        })
    }
}

/// The parameters taken out of the string before tokio-postgres reads it: the ones it
/// doesn't know (or, for `sslmode`, knows only in part).
const TAKEN: &[&str] = &[
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "sslpassword",
    "sslcrl",
];

/// A connection string with its TLS parameters read, nothing loaded yet.
struct Parsed {
    config: Config,
    mode: SslMode,
    roots: Option<Roots>,
}

impl Parsed {
    fn new(conninfo: &str) -> Result<Parsed, ConnectError> {
        let (rest, taken) = crate::conninfo::take_params(conninfo, TAKEN);
        let mut mode = None;
        let mut root_cert = None;
        for (key, value) in taken {
            match key.as_str() {
                "sslmode" => mode = Some(SslMode::parse(&value)?),
                "sslrootcert" => root_cert = Some(value),
                _ => return Err(ConnectError::UnsupportedParameter { key }),
            }
        }
        let config: Config = rest.parse().map_err(|error: tokio_postgres::Error| {
            ConnectError::InvalidConnectionString {
                reason: crate::error::describe_db_error(&error),
            }
        })?;
        let roots = match root_cert.as_deref() {
            Some("system") => {
                match mode {
                    None | Some(SslMode::VerifyFull) => mode = Some(SslMode::VerifyFull),
                    Some(weak) => {
                        return Err(ConnectError::WeakModeWithSystemRoots {
                            mode: weak.as_str().to_owned(),
                        })
                    }
                }
                Some(Roots::System)
            }
            Some(path) => Some(Roots::File(PathBuf::from(path))),
            None => None,
        };
        Ok(Parsed {
            config,
            mode: mode.unwrap_or_default(),
            roots,
        })
    }
}

/// The driver's settings of `conninfo`, its TLS parameters checked and left out, without
/// loading any certificate: for reading the host or the database a string names.
#[cfg_attr(not(feature = "fleet"), allow(dead_code))]
pub(crate) fn parse_config(conninfo: &str) -> Result<Config, ConnectError> {
    Parsed::new(conninfo).map(|parsed| parsed.config)
}

/// A connection string read with its TLS settings: connects, or makes a pool's manager.
///
/// ```no_run
/// # async fn example() -> Result<(), pelican::tls::ConnectError> {
/// use pelican::tls::Connector;
///
/// let connector = Connector::new(
///     "postgresql://app@db.example.com/app?sslmode=verify-full&sslrootcert=/etc/ssl/db-ca.pem",
/// )?;
/// let client = connector.connect().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Connector {
    config: Config,
    mode: SslMode,
    /// `None` when the connection is not encrypted (`disable`, Unix-domain sockets).
    tls: Option<MakeRustlsConnect>,
    /// Where the trusted CAs come from, when the chain is checked.
    trusted: Option<String>,
}

impl Connector {
    /// Reads `conninfo` (a URL or `key=value` pairs), loading the CA certificates its
    /// `sslmode` and `sslrootcert` call for. Fails on an invalid string, an unknown
    /// `sslmode`, or an `sslrootcert` file that can't be read.
    pub fn new(conninfo: &str) -> Result<Connector, ConnectError> {
        let Parsed {
            mut config,
            mode,
            roots,
        } = Parsed::new(conninfo)?;
        let sockets_only = !config.get_hosts().is_empty()
            && config
                .get_hosts()
                .iter()
                .all(|h| matches!(h, Host::Unix(_)));
        let check = match (mode, roots) {
            (SslMode::Disable, _) => None,
            _ if sockets_only => None,
            (SslMode::VerifyCa, roots) => Some(Check::Chain(roots.unwrap_or(Roots::System))),
            (SslMode::VerifyFull, roots) => {
                Some(Check::ChainAndName(roots.unwrap_or(Roots::System)))
            }
            (_, Some(roots)) => Some(Check::Chain(roots)),
            (_, None) => Some(Check::Nothing),
        };
        let trusted = match &check {
            Some(Check::Chain(roots) | Check::ChainAndName(roots)) => Some(roots.describe()),
            _ => None,
        };
        let tls = match &check {
            Some(check) => Some(MakeRustlsConnect::new(verify::client_config(check)?)),
            None => None,
        };
        config.ssl_mode(match (mode, &tls) {
            (_, None) => DriverSslMode::Disable,
            (SslMode::Allow | SslMode::Prefer, _) => DriverSslMode::Prefer,
            _ => DriverSslMode::Require,
        });
        Ok(Connector {
            config,
            mode,
            tls,
            trusted,
        })
    }

    /// The driver's settings, TLS parameters left out (they are in the connector).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The driver's settings, to set a timeout or an application name before connecting.
    pub fn config_mut(&mut self) -> &mut Config {
        &mut self.config
    }

    /// The `sslmode` of the connection string (`prefer` when it gives none).
    pub fn ssl_mode(&self) -> SslMode {
        self.mode
    }

    /// The rustls connector for tokio-postgres, `None` when the connection is not encrypted
    /// (`sslmode=disable`, or only Unix-domain sockets).
    pub fn rustls(&self) -> Option<&MakeRustlsConnect> {
        self.tls.as_ref()
    }

    /// Connects, and spawns the connection's task on the current Tokio runtime.
    pub async fn connect(&self) -> Result<Client, ConnectError> {
        let outcome = match &self.tls {
            Some(tls) => self
                .config
                .connect(tls.clone())
                .await
                .map(|(client, connection)| {
                    tokio::spawn(connection);
                    client
                }),
            None => self
                .config
                .connect(NoTls)
                .await
                .map(|(client, connection)| {
                    tokio::spawn(connection);
                    client
                }),
        };
        outcome.map_err(|error| self.explain(&error))
    }

    /// A deadpool manager over these settings, for a pool such as the one
    /// [`Migrator`](crate::Migrator) runs on.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// use deadpool_postgres::{ManagerConfig, Pool, RecyclingMethod};
    /// use pelican::tls::Connector;
    ///
    /// let connector = Connector::new(&std::env::var("DATABASE_URL")?)?;
    /// let manager = connector.pool_manager(ManagerConfig {
    ///     recycling_method: RecyclingMethod::Fast,
    /// });
    /// let pool = Pool::builder(manager).max_size(4).build()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn pool_manager(&self, manager_config: ManagerConfig) -> Manager {
        match &self.tls {
            Some(tls) => Manager::from_config(self.config.clone(), tls.clone(), manager_config),
            None => Manager::from_config(self.config.clone(), NoTls, manager_config),
        }
    }

    /// A driver's connection error told in terms of these TLS settings (an untrusted or
    /// misnamed certificate, a server without TLS, a server that requires it...).
    pub fn explain(&self, error: &tokio_postgres::Error) -> ConnectError {
        let host = self
            .config
            .get_hosts()
            .iter()
            .find_map(|host| match host {
                Host::Tcp(name) => Some(name.clone()),
                Host::Unix(_) => None,
            })
            .unwrap_or_else(|| "localhost".to_owned());
        error::explain(
            error,
            &Attempt {
                host: &host,
                mode: self.mode.as_str(),
                encrypting: self.tls.is_some(),
                trusted: self.trusted.clone(),
            },
        )
    }
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("hosts", &self.config.get_hosts())
            .field("ssl_mode", &self.mode)
            .field("encrypted", &self.tls.is_some())
            .field("trusted", &self.trusted)
            .finish()
    }
}

/// docs/operations.md, whose examples (the TLS section's) are compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/operations.md")]
struct OperationsGuide;

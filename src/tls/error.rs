//! Why a connection string could not be used or the server not reached, told in terms of
//! `sslmode` and `sslrootcert`: what happened, and what to change.

use std::path::PathBuf;

use rustls::CertificateError;
use thiserror::Error;

/// A connection that could not be made. Each message names the cause and the fix.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The connection string does not parse.
    #[error("not a valid connection string: {reason}")]
    InvalidConnectionString {
        /// Why (from the driver).
        reason: String,
    },
    /// `sslmode` has a value libpq doesn't know.
    #[error(
        "sslmode={value} is not an sslmode: use disable, allow, prefer, require, verify-ca \
         or verify-full"
    )]
    InvalidSslMode {
        /// The value given.
        value: String,
    },
    /// `sslrootcert=system` with an `sslmode` that would not check the host name.
    #[error(
        "sslmode={mode} may not be used with sslrootcert=system (as in libpq): use \
         sslmode=verify-full, or name a CA file with sslrootcert"
    )]
    WeakModeWithSystemRoots {
        /// The `sslmode` given.
        mode: String,
    },
    /// A parameter pelican does not support, such as a client certificate.
    #[error(
        "the connection string parameter {key} is not supported: pelican authenticates with a \
         password or trust, not a client certificate; remove {key} (sslmode and sslrootcert \
         are supported)"
    )]
    UnsupportedParameter {
        /// The parameter.
        key: String,
    },
    /// The `sslrootcert` file can't be read.
    #[error(
        "the sslrootcert file {} can't be read ({source}): give the path of the PEM file of \
         the CA that signed the server's certificate (managed services publish theirs)",
        .path.display()
    )]
    MissingRootCert {
        /// The path given.
        path: PathBuf,
        /// Why it can't be read.
        source: std::io::Error,
    },
    /// The `sslrootcert` file holds no usable certificate.
    #[error(
        "the sslrootcert file {} is not a CA certificate file: {detail}; give a PEM file \
         holding the CA certificate(s)",
        .path.display()
    )]
    InvalidRootCert {
        /// The path given.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// No CA certificate was found on this machine, and no `sslrootcert` was given.
    #[error(
        "no CA certificates were found on this machine to verify the server with ({detail}): \
         give the CA's file with sslrootcert=/path/to/ca.pem, or install the platform's CA \
         certificates (Debian: ca-certificates)"
    )]
    NoSystemRoots {
        /// What the platform's store said.
        detail: String,
    },
    /// The server answered that it doesn't do TLS, and `sslmode` requires it.
    #[error(
        "the server {host} does not accept TLS connections, and sslmode={mode} requires TLS: \
         turn on ssl on the server (ssl = on, with a certificate), or use sslmode=prefer if \
         an unencrypted connection is acceptable"
    )]
    ServerWithoutTls {
        /// The host connected to.
        host: String,
        /// The `sslmode` given.
        mode: String,
    },
    /// The server accepts only TLS connections from here, and this one was not.
    #[error(
        "the server {host} accepts only TLS connections (a hostssl line in pg_hba.conf), and \
         this connection was not encrypted (sslmode={mode}): use sslmode=verify-full with \
         sslrootcert, or sslmode=require; the server said: {message}"
    )]
    ServerRequiresTls {
        /// The host connected to.
        host: String,
        /// The `sslmode` given.
        mode: String,
        /// The server's message.
        message: String,
    },
    /// The server's certificate is not signed by a trusted CA.
    #[error(
        "the certificate of the server {host} is not signed by a trusted CA (trusted: \
         {trusted}): give the CA certificate that signed it with sslrootcert=/path/to/ca.pem \
         (for a managed service, its CA bundle), or check that {host} is the right server"
    )]
    UntrustedCertificate {
        /// The host connected to.
        host: String,
        /// Where the trusted CAs came from.
        trusted: String,
    },
    /// The server's certificate doesn't name the host connected to.
    #[error(
        "the certificate of the server {host} is not valid for the host name {host} (it names \
         {presented}): connect with a host name the certificate names, or use \
         sslmode=verify-ca to check the CA but not the name"
    )]
    HostNameMismatch {
        /// The host connected to.
        host: String,
        /// The names the certificate gives, comma-separated.
        presented: String,
    },
    /// The server's certificate was refused for another reason (expired, not yet valid...).
    #[error(
        "the certificate of the server {host} was refused: {detail}; check the server's \
         certificate (and this machine's clock)"
    )]
    BadCertificate {
        /// The host connected to.
        host: String,
        /// What rustls found.
        detail: String,
    },
    /// The TLS handshake failed for another reason.
    #[error("the TLS handshake with the server {host} failed: {detail}")]
    Handshake {
        /// The host connected to.
        host: String,
        /// What went wrong.
        detail: String,
    },
    /// The connection failed for a reason that has nothing to do with TLS (the server is
    /// down, the password is wrong...).
    #[error("{reason}")]
    Connect {
        /// Why (from the server or the driver).
        reason: String,
    },
}

/// What tokio-postgres says when the server answers an SSLRequest with `N`.
const SERVER_WITHOUT_TLS: &str = "server does not support TLS";

/// The facts of a connection an error is explained with.
pub(super) struct Attempt<'a> {
    pub(super) host: &'a str,
    pub(super) mode: &'a str,
    /// Whether TLS was attempted at all.
    pub(super) encrypting: bool,
    /// Where the trusted CAs came from, when the chain is checked.
    pub(super) trusted: Option<String>,
}

/// `error` told in terms of the connection's TLS settings.
pub(super) fn explain(error: &tokio_postgres::Error, attempt: &Attempt<'_>) -> ConnectError {
    let host = attempt.host.to_owned();
    if let Some(db) = error.as_db_error() {
        let no_tls_entry = *db.code()
            == tokio_postgres::error::SqlState::INVALID_AUTHORIZATION_SPECIFICATION
            && db.message().contains("no encryption");
        if no_tls_entry {
            return ConnectError::ServerRequiresTls {
                host,
                mode: attempt.mode.to_owned(),
                message: db.message().to_owned(),
            };
        }
    }
    let mut cause = std::error::Error::source(error);
    while let Some(inner) = cause {
        if attempt.encrypting && inner.to_string() == SERVER_WITHOUT_TLS {
            return ConnectError::ServerWithoutTls {
                host,
                mode: attempt.mode.to_owned(),
            };
        }
        let tls = inner
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|e| e.downcast_ref::<rustls::Error>())
            .or_else(|| inner.downcast_ref::<rustls::Error>());
        if let Some(tls) = tls {
            return explain_rustls(tls, host, attempt);
        }
        cause = inner.source();
    }
    ConnectError::Connect {
        reason: crate::error::describe_db_error(error),
    }
}

fn explain_rustls(error: &rustls::Error, host: String, attempt: &Attempt<'_>) -> ConnectError {
    match error {
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            ConnectError::UntrustedCertificate {
                host,
                trusted: attempt.trusted.clone().unwrap_or_default(),
            }
        }
        rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext {
            presented,
            ..
        }) => ConnectError::HostNameMismatch {
            host,
            presented: if presented.is_empty() {
                "no host name".to_owned()
            } else {
                presented
                    .iter()
                    .map(|name| plain_name(name))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        },
        rustls::Error::InvalidCertificate(CertificateError::NotValidForName) => {
            ConnectError::HostNameMismatch {
                host,
                presented: "other host names".to_owned(),
            }
        }
        rustls::Error::InvalidCertificate(other) => ConnectError::BadCertificate {
            host,
            detail: other.to_string(),
        },
        other => ConnectError::Handshake {
            host,
            detail: other.to_string(),
        },
    }
}

/// A name as webpki shows it (`DnsName("db.example")`, `IpAddress(10.0.0.1)`), plain.
fn plain_name(shown: &str) -> &str {
    let inner = shown
        .split_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .unwrap_or(shown);
    inner.trim_matches('"')
}

#[cfg(test)]
mod tests {
    use super::plain_name;

    #[test]
    fn names_are_shown_plain() {
        assert_eq!(plain_name("DnsName(\"db.example\")"), "db.example");
        assert_eq!(plain_name("IpAddress(10.0.0.1)"), "10.0.0.1");
        assert_eq!(plain_name("db.example"), "db.example");
    }
}

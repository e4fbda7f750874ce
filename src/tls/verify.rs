//! What a TLS connection checks of the server's certificate, by `sslmode`: nothing but the
//! handshake's signatures (`prefer`, `require`), the chain up to a trusted CA (`verify-ca`),
//! or the chain and the host name (`verify-full`); and the CAs trusted.

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

use super::error::ConnectError;

/// The CAs a verifying connection trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Roots {
    /// The certificates of a PEM file (`sslrootcert=FILE`).
    File(std::path::PathBuf),
    /// The platform's CA certificates (`sslrootcert=system`, or no `sslrootcert`).
    System,
}

impl Roots {
    /// Where the trusted CAs come from, for messages.
    pub(super) fn describe(&self) -> String {
        match self {
            Roots::File(path) => format!("the CA certificates of sslrootcert={}", path.display()),
            Roots::System => "the platform's CA certificates".to_owned(),
        }
    }

    fn load(&self) -> Result<RootCertStore, ConnectError> {
        let mut store = RootCertStore::empty();
        match self {
            Roots::File(path) => {
                for cert in read_pem(path)? {
                    store
                        .add(cert)
                        .map_err(|error| ConnectError::InvalidRootCert {
                            path: path.clone(),
                            detail: error.to_string(),
                        })?;
                }
            }
            Roots::System => {
                let found = rustls_native_certs::load_native_certs();
                store.add_parsable_certificates(found.certs);
                if store.is_empty() {
                    let errors: Vec<String> = found.errors.iter().map(|e| e.to_string()).collect();
                    return Err(ConnectError::NoSystemRoots {
                        detail: if errors.is_empty() {
                            "none found".to_owned()
                        } else {
                            errors.join("; ")
                        },
                    });
                }
            }
        }
        Ok(store)
    }
}

/// The certificates of the PEM file `path`; an error when it can't be read or has none.
fn read_pem(path: &Path) -> Result<Vec<CertificateDer<'static>>, ConnectError> {
    let invalid = |detail: String| ConnectError::InvalidRootCert {
        path: path.to_path_buf(),
        detail,
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|error| match error {
            rustls::pki_types::pem::Error::Io(source) => ConnectError::MissingRootCert {
                path: path.to_path_buf(),
                source,
            },
            other => invalid(other.to_string()),
        })?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| invalid(error.to_string()))?;
    if certs.is_empty() {
        return Err(invalid(
            "it holds no PEM certificate (-----BEGIN CERTIFICATE-----)".to_owned(),
        ));
    }
    Ok(certs)
}

/// How much of the server's certificate is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Check {
    /// Nothing: the connection is encrypted, the server unauthenticated.
    Nothing,
    /// Signed by one of `Roots`, whatever host name it names.
    Chain(Roots),
    /// Signed by one of `Roots`, and naming the host connected to.
    ChainAndName(Roots),
}

/// The crypto provider: ring's.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A rustls client configuration that checks what `check` says.
pub(super) fn client_config(check: &Check) -> Result<ClientConfig, ConnectError> {
    let provider = provider();
    let verifier: Arc<dyn ServerCertVerifier> = match check {
        Check::Nothing => Arc::new(Lenient {
            chain: None,
            algorithms: provider.signature_verification_algorithms,
        }),
        Check::Chain(roots) => Arc::new(Lenient {
            chain: Some(webpki(roots, &provider)?),
            algorithms: provider.signature_verification_algorithms,
        }),
        Check::ChainAndName(roots) => webpki(roots, &provider)?,
    };
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports TLS 1.2 and 1.3")
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

fn webpki(
    roots: &Roots,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>, ConnectError> {
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots.load()?), provider.clone())
        .build()
        .map_err(|error| ConnectError::NoSystemRoots {
            detail: error.to_string(),
        })
}

/// What checks less than webpki: the chain but not the host name (`sslmode=verify-ca`: webpki
/// checks the chain first, so a name mismatch means the chain was good), or nothing
/// (`prefer`, `require` without a CA file, as libpq). The handshake's signatures are always
/// checked.
#[derive(Debug)]
struct Lenient {
    /// `None`: any certificate is taken.
    chain: Option<Arc<WebPkiServerVerifier>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Lenient {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

//! TLS for control and data connections.
//!
//! One rustls `ClientConfig` per session is shared by the control connection
//! and every data connection, so data connections resume the control
//! connection's TLS session (vsftpd's `require_ssl_reuse` insists on it).
//! Certificates are verified against the system's roots with host-name
//! checking; a certificate that fails is refused unless its SHA-256
//! fingerprint was pinned or the user asked for `--insecure`. The refusal
//! keeps the fingerprint so the caller can show it.

use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ClientConfig, WebPkiServerVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use sha2::{Digest, Sha256};
use suppaftp::{FtpResult, RustlsConnector, TlsConnector};

/// suppaftp's TLS stream type, which it uses publicly but does not export.
pub type RustlsStream = <RustlsConnector as TlsConnector>::Stream;

use super::command::TlsTrust;
use super::error::CertificateProblem;

/// The last certificate refused on a session, for the error report.
pub type RefusedCertificate = Arc<Mutex<Option<CertificateProblem>>>;

/// Builds the shared client configuration for one session.
pub fn client_config(trust: &TlsTrust, refused: RefusedCertificate) -> Arc<ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(FerryVerifier {
        system: system_verifier(&provider),
        pinned: trust
            .pinned_sha256
            .iter()
            .filter_map(|fp| normalize_fingerprint(fp))
            .collect(),
        insecure: trust.insecure,
        algorithms: provider.signature_verification_algorithms,
        refused,
    });
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map(|builder| {
            builder
                .dangerous()
                .with_custom_certificate_verifier(verifier.clone())
                .with_no_client_auth()
        });
    match config {
        Ok(config) => Arc::new(config),
        // The ring provider always supports the default versions; this
        // branch exists so a future provider change cannot panic.
        Err(_) => Arc::new(
            ClientConfig::builder()
                .dangerous()
                .with_custom_certificate_verifier(verifier)
                .with_no_client_auth(),
        ),
    }
}

fn system_verifier(provider: &Arc<CryptoProvider>) -> Option<Arc<WebPkiServerVerifier>> {
    let mut roots = RootCertStore::empty();
    let loaded = rustls_native_certs::load_native_certs();
    for cert in loaded.certs {
        let _ = roots.add(cert);
    }
    if roots.is_empty() {
        return None;
    }
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .ok()
}

/// Accepts what the system roots accept, plus pinned fingerprints, plus
/// everything when insecure; remembers what it refused.
#[derive(Debug)]
struct FerryVerifier {
    system: Option<Arc<WebPkiServerVerifier>>,
    pinned: Vec<String>,
    insecure: bool,
    algorithms: WebPkiSupportedAlgorithms,
    refused: RefusedCertificate,
}

impl ServerCertVerifier for FerryVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let fingerprint = fingerprint(end_entity);
        if self.insecure || self.pinned.contains(&fingerprint) {
            return Ok(ServerCertVerified::assertion());
        }
        let verdict = match &self.system {
            Some(system) => system.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            ),
            None => Err(rustls::Error::General(
                "no trusted root certificates found on this system".to_string(),
            )),
        };
        if let Err(err) = &verdict
            && let Ok(mut slot) = self.refused.lock()
        {
            *slot = Some(CertificateProblem {
                reason: describe(err),
                sha256: fingerprint,
            });
        }
        verdict
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

fn describe(err: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    match err {
        rustls::Error::InvalidCertificate(C::UnknownIssuer) => {
            "it is self-signed or issued by an unknown authority".to_string()
        }
        rustls::Error::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => {
            "it has expired".to_string()
        }
        rustls::Error::InvalidCertificate(C::NotValidYet | C::NotValidYetContext { .. }) => {
            "it is not valid yet".to_string()
        }
        rustls::Error::InvalidCertificate(
            C::NotValidForName | C::NotValidForNameContext { .. },
        ) => "it was issued for another host name".to_string(),
        other if other.to_string().contains("CaUsedAsEndEntity") => {
            "it is self-signed (a CA certificate used as the server's own)".to_string()
        }
        other => other.to_string(),
    }
}

/// SHA-256 of a DER certificate as lowercase hex pairs joined by colons.
pub fn fingerprint(der: &[u8]) -> String {
    let digest = Sha256::digest(der);
    digest
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Accepts a fingerprint with or without colons, any case; `None` unless it
/// is 32 bytes of hex.
pub fn normalize_fingerprint(text: &str) -> Option<String> {
    let hex: String = text
        .chars()
        .filter(|c| *c != ':' && !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    let hex = hex.strip_prefix("sha256").unwrap_or(&hex).to_string();
    if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let pairs: Vec<&str> = (0..32).filter_map(|i| hex.get(i * 2..i * 2 + 2)).collect();
    Some(pairs.join(":"))
}

/// suppaftp's rustls connector, plus socket timeouts set before the
/// handshake so a silent server cannot stall it (implicit TLS connects
/// inside suppaftp, where we cannot set them otherwise).
#[derive(Debug)]
pub struct TimeoutConnector {
    inner: RustlsConnector,
    timeout: Duration,
}

impl TimeoutConnector {
    pub fn new(config: Arc<ClientConfig>, timeout: Duration) -> TimeoutConnector {
        TimeoutConnector {
            inner: RustlsConnector::from(config),
            timeout,
        }
    }
}

impl TlsConnector for TimeoutConnector {
    type Stream = RustlsStream;

    fn connect(&self, domain: &str, stream: TcpStream) -> FtpResult<Self::Stream> {
        stream
            .set_read_timeout(Some(self.timeout))
            .and_then(|()| stream.set_write_timeout(Some(self.timeout)))
            .map_err(suppaftp::FtpError::ConnectionError)?;
        self.inner.connect(domain, stream)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_normalize() {
        let colons = "AB:".repeat(31) + "AB";
        let plain = "ab".repeat(32);
        assert_eq!(
            normalize_fingerprint(&colons),
            normalize_fingerprint(&plain)
        );
        assert_eq!(
            normalize_fingerprint(&format!("sha256:{plain}")),
            normalize_fingerprint(&plain)
        );
        assert!(normalize_fingerprint("abcd").is_none());
        assert!(normalize_fingerprint(&"zz".repeat(32)).is_none());
        assert_eq!(fingerprint(b"").len(), 95);
    }
}

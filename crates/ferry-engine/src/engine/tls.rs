//! TLS for control and data connections.
//!
//! One rustls `ClientConfig` per session is shared by the control connection
//! and every data connection, so data connections resume the control
//! connection's TLS session (vsftpd's `require_ssl_reuse` insists on it).
//! Certificates are verified against the system's roots with host-name
//! checking; a certificate that fails is refused unless its SHA-256
//! fingerprint was pinned or the user asked for `--insecure`. The refusal
//! keeps the fingerprint so the caller can show it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ClientConfig, WebPkiServerVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use sha2::{Digest, Sha256};

use super::session::DataStream;

use super::command::{TlsTrust, TlsVersions};
use super::error::CertificateProblem;

/// The last certificate refused on a session, for the error report.
pub type RefusedCertificate = Arc<Mutex<Option<CertificateProblem>>>;

/// Builds the shared client configuration for one session.
/// What a session knows of its TLS 1.3 tickets, so an upload knows
/// whether waiting for one is worth it.
pub type Tickets = Arc<TicketState>;

#[derive(Debug, Default)]
pub struct TicketState {
    /// Tickets in the store (up to the memory cache's bound).
    available: std::sync::atomic::AtomicUsize,
    /// Set once a wait after an upload brought nothing: this server sends
    /// no tickets on data connections, so waiting again would only cost.
    pointless: std::sync::atomic::AtomicBool,
}

/// rustls's in-memory session store, counting TLS 1.3 tickets in and out.
#[derive(Debug)]
struct CountingStore {
    inner: rustls::client::ClientSessionMemoryCache,
    tickets: Tickets,
}

/// rustls keeps at most this many tickets per server.
const MAX_TICKETS: usize = 8;

impl rustls::client::ClientSessionStore for CountingStore {
    fn set_kx_hint(&self, name: ServerName<'static>, group: rustls::NamedGroup) {
        self.inner.set_kx_hint(name, group);
    }

    fn kx_hint(&self, name: &ServerName<'_>) -> Option<rustls::NamedGroup> {
        self.inner.kx_hint(name)
    }

    fn set_tls12_session(
        &self,
        name: ServerName<'static>,
        value: rustls::client::Tls12ClientSessionValue,
    ) {
        self.inner.set_tls12_session(name, value);
    }

    fn tls12_session(
        &self,
        name: &ServerName<'_>,
    ) -> Option<rustls::client::Tls12ClientSessionValue> {
        self.inner.tls12_session(name)
    }

    fn remove_tls12_session(&self, name: &ServerName<'static>) {
        self.inner.remove_tls12_session(name);
    }

    fn insert_tls13_ticket(
        &self,
        name: ServerName<'static>,
        value: rustls::client::Tls13ClientSessionValue,
    ) {
        use std::sync::atomic::Ordering;
        let _ = self
            .tickets
            .available
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                Some((n + 1).min(MAX_TICKETS))
            });
        self.inner.insert_tls13_ticket(name, value);
    }

    fn take_tls13_ticket(
        &self,
        name: &ServerName<'static>,
    ) -> Option<rustls::client::Tls13ClientSessionValue> {
        use std::sync::atomic::Ordering;
        let ticket = self.inner.take_tls13_ticket(name);
        if ticket.is_some() {
            let _ =
                self.tickets
                    .available
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                        Some(n.saturating_sub(1))
                    });
        }
        ticket
    }
}

pub fn client_config(
    trust: &TlsTrust,
    refused: RefusedCertificate,
    tickets: Tickets,
) -> Arc<ClientConfig> {
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
    let versions: &[&rustls::SupportedProtocolVersion] = match trust.versions {
        TlsVersions::Both => rustls::DEFAULT_VERSIONS,
        TlsVersions::Only12 => &[&rustls::version::TLS12],
        TlsVersions::Only13 => &[&rustls::version::TLS13],
    };
    let config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .map(|builder| {
            builder
                .dangerous()
                .with_custom_certificate_verifier(verifier.clone())
                .with_no_client_auth()
        });
    let resumption = rustls::client::Resumption::store(Arc::new(CountingStore {
        inner: rustls::client::ClientSessionMemoryCache::new(32),
        tickets,
    }));
    match config {
        Ok(mut config) => {
            config.resumption = resumption;
            Arc::new(config)
        }
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
            *slot = Some(certificate_problem(describe(err), fingerprint, end_entity));
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
        rustls::Error::InvalidCertificate(C::Other(other))
            if matches!(
                other.0.downcast_ref::<webpki::Error>(),
                Some(webpki::Error::CaUsedAsEndEntity)
            ) =>
        {
            "it is self-signed (a CA certificate used as the server's own)".to_string()
        }
        other => other.to_string(),
    }
}

/// The refused certificate, described for a person to judge. A
/// certificate that cannot be parsed still has its fingerprint.
fn certificate_problem(reason: String, sha256: String, der: &[u8]) -> CertificateProblem {
    use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};
    let mut problem = CertificateProblem {
        reason,
        sha256,
        subject: "(unreadable)".to_string(),
        issuer: "(unreadable)".to_string(),
        names: Vec::new(),
        not_before: String::new(),
        not_after: String::new(),
    };
    if let Ok((_, cert)) = X509Certificate::from_der(der) {
        problem.subject = cert.subject().to_string();
        problem.issuer = cert.issuer().to_string();
        problem.not_before = cert.validity().not_before.to_string();
        problem.not_after = cert.validity().not_after.to_string();
        if let Ok(Some(names)) = cert.subject_alternative_name() {
            problem.names = names
                .value
                .general_names
                .iter()
                .filter_map(|name| match name {
                    GeneralName::DNSName(dns) => Some((*dns).to_string()),
                    GeneralName::IPAddress(bytes) => ip_text(bytes),
                    _ => None,
                })
                .collect();
        }
    }
    problem
}

fn ip_text(bytes: &[u8]) -> Option<String> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes)
            .ok()
            .map(|b| std::net::Ipv4Addr::from(b).to_string()),
        16 => <[u8; 16]>::try_from(bytes)
            .ok()
            .map(|b| std::net::Ipv6Addr::from(b).to_string()),
        _ => None,
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

/// Reads what the server has already sent on a TLS data connection, without
/// waiting: after a TLS 1.3 handshake that is the session ticket the next
/// data connection resumes with. Servers that insist on resumption (vsftpd's
/// `require_ssl_reuse`) refuse a data connection without one, and rustls
/// hands out each ticket once, so an upload that never reads would use up
/// the tickets the login brought.
pub fn collect_session_tickets(stream: &mut DataStream, tickets: &Tickets) {
    use std::sync::atomic::Ordering;
    let DataStream::Suppaftp(stream) = stream else {
        return;
    };
    let suppaftp::DataStream::Ssl(tls) = stream.get_mut() else {
        return;
    };
    let Some(inner) = tls.tls_mut() else {
        return;
    };
    // With tickets in hand, take what has arrived without waiting; with
    // none (TLS 1.3 only needs them), wait briefly for the server's.
    let starving = inner.conn.protocol_version() == Some(rustls::ProtocolVersion::TLSv1_3)
        && tickets.available.load(Ordering::Relaxed) == 0
        && !tickets.pointless.load(Ordering::Relaxed);
    let waited = if starving {
        inner.sock.set_read_timeout(Some(TICKET_WAIT)).is_ok()
    } else {
        inner.sock.set_nonblocking(true).is_ok()
    };
    if !waited {
        return;
    }
    let before = tickets.available.load(Ordering::Relaxed);
    // A handful of records at most; stop at "nothing more yet" or once a
    // ticket came in.
    for _ in 0..8 {
        match inner.conn.read_tls(&mut inner.sock) {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                if inner.conn.process_new_packets().is_err() {
                    break;
                }
                if starving && tickets.available.load(Ordering::Relaxed) > before {
                    break;
                }
            }
        }
    }
    if starving && tickets.available.load(Ordering::Relaxed) <= before {
        tickets.pointless.store(true, Ordering::Relaxed);
    }
    let _ = inner.sock.set_nonblocking(false);
    let _ = inner.sock.set_read_timeout(None);
}

/// How long an upload waits for a TLS 1.3 session ticket when the store
/// has none; the server sends it right after the handshake.
const TICKET_WAIT: Duration = Duration::from_millis(250);

#[cfg(test)]
mod tests {
    use super::*;

    /// rustls passes some refusals of the certificate checks on as
    /// `Other`, wrapping webpki's own error: told apart by that value.
    #[test]
    fn a_ca_certificate_used_as_the_servers_own_is_named_so() {
        use std::sync::Arc;
        let wrapped = |error: webpki::Error| {
            rustls::Error::InvalidCertificate(rustls::CertificateError::Other(rustls::OtherError(
                Arc::new(error),
            )))
        };
        assert_eq!(
            describe(&wrapped(webpki::Error::CaUsedAsEndEntity)),
            "it is self-signed (a CA certificate used as the server's own)"
        );
        let other = describe(&wrapped(webpki::Error::EndEntityUsedAsCa));
        assert!(!other.contains("self-signed"), "{other}");
    }

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

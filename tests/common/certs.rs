//! A self-signed certificate made at test time, so no key ever sits in
//! the repository.

use sha2::{Digest, Sha256};

pub struct TestCert {
    pub cert_pem: String,
    pub key_pem: String,
    pub cert_der: Vec<u8>,
    /// SHA-256 of the DER, lowercase hex without colons.
    pub sha256_hex: String,
}

/// A certificate for `names` (DNS names or IP addresses).
pub fn generate(names: &[&str]) -> TestCert {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let certified = rcgen::generate_simple_self_signed(names).expect("generate a certificate");
    let cert_der = certified.cert.der().to_vec();
    let sha256_hex = Sha256::digest(&cert_der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    TestCert {
        cert_pem: certified.cert.pem(),
        key_pem: certified.signing_key.serialize_pem(),
        cert_der,
        sha256_hex,
    }
}

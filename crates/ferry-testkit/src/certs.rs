//! A self-signed certificate made at test time, so no private key ever
//! sits in the repository and nothing expires between runs.

use sha2::{Digest, Sha256};

/// One self-signed certificate and its key, in the shapes the tests need:
/// PEM for servers that read files, DER for a rustls trust store, and the
/// SHA-256 fingerprint for pinning (`--trust`).
pub struct TestCert {
    pub cert_pem: String,
    pub key_pem: String,
    pub cert_der: Vec<u8>,
    /// The key as PKCS#8 DER, for a rustls server config.
    pub key_der: Vec<u8>,
    /// SHA-256 of `cert_der`, lowercase hex without colons.
    pub sha256_hex: String,
}

/// A fresh certificate whose subject alternative names are `names`.
/// Names that parse as IP addresses (e.g. `"127.0.0.1"`) become IP SANs,
/// the rest DNS SANs, so a client may verify either form of the host.
pub fn generate(names: &[&str]) -> TestCert {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let certified = rcgen::generate_simple_self_signed(names.clone())
        .unwrap_or_else(|e| panic!("rcgen could not make a certificate for {names:?}: {e}"));
    let cert_der = certified.cert.der().to_vec();
    let sha256_hex = Sha256::digest(&cert_der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    TestCert {
        cert_pem: certified.cert.pem(),
        key_pem: certified.signing_key.serialize_pem(),
        cert_der,
        key_der: certified.signing_key.serialize_der(),
        sha256_hex,
    }
}

impl TestCert {
    /// Writes `cert.pem` and `key.pem` into `dir` (for servers that want
    /// paths) and returns their paths.
    pub fn write_pem_files(
        &self,
        dir: &std::path::Path,
    ) -> (std::path::PathBuf, std::path::PathBuf) {
        let cert = dir.join("cert.pem");
        let key = dir.join("key.pem");
        std::fs::write(&cert, &self.cert_pem)
            .unwrap_or_else(|e| panic!("write {}: {e}", cert.display()));
        std::fs::write(&key, &self.key_pem)
            .unwrap_or_else(|e| panic!("write {}: {e}", key.display()));
        // Only the owner may read the key, as a real server would insist.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600));
        }
        (cert, key)
    }
}

//! Site passwords live in the OS keyring (Secret Service on Linux,
//! Keychain on macOS, Credential Manager on Windows), keyed by the site's
//! id. There is no fallback to a file: without a keyring, Ferry asks for
//! the password at connect time.

use std::sync::OnceLock;

use keyring_core::{Entry, Error as KeyringError};

/// The keyring "service" our entries are filed under.
const SERVICE: &str = "ferry";

/// Why a password could not be kept or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error(
        "no keyring is available ({0}); the password is not stored and is needed at each connect"
    )]
    Unavailable(String),
    #[error("the keyring refused: {0}")]
    Keyring(String),
}

/// Picks the platform's keyring once. Tests install keyring-core's mock
/// store before anything calls this; then it is left alone.
pub fn use_platform_keyring() -> Result<(), SecretError> {
    static CHOSEN: OnceLock<Result<(), SecretError>> = OnceLock::new();
    CHOSEN
        .get_or_init(|| {
            if keyring_core::get_default_store().is_some() {
                return Ok(());
            }
            // Tests of the binary (and people who want no keyring) say so;
            // then nothing reaches the user's real keyring.
            if std::env::var("FERRY_KEYRING").is_ok_and(|v| v == "none") {
                return Err(SecretError::Unavailable(
                    "FERRY_KEYRING=none turned it off".to_string(),
                ));
            }
            platform_store()
                .map(keyring_core::set_default_store)
                .map_err(|e| SecretError::Unavailable(e.to_string()))
        })
        .clone()
}

#[cfg(all(unix, not(target_os = "macos")))]
fn platform_store() -> keyring_core::Result<std::sync::Arc<keyring_core::CredentialStore>> {
    Ok(zbus_secret_service_keyring_store::Store::new()?)
}

#[cfg(target_os = "macos")]
fn platform_store() -> keyring_core::Result<std::sync::Arc<keyring_core::CredentialStore>> {
    Ok(apple_native_keyring_store::keychain::Store::new()?)
}

#[cfg(windows)]
fn platform_store() -> keyring_core::Result<std::sync::Arc<keyring_core::CredentialStore>> {
    Ok(windows_native_keyring_store::Store::new()?)
}

fn entry(site_id: &str) -> Result<Entry, SecretError> {
    use_platform_keyring()?;
    Entry::new(SERVICE, &format!("site:{site_id}")).map_err(classify)
}

fn classify(err: KeyringError) -> SecretError {
    match err {
        KeyringError::NoDefaultStore
        | KeyringError::NoStorageAccess(_)
        | KeyringError::PlatformFailure(_) => SecretError::Unavailable(err.to_string()),
        other => SecretError::Keyring(other.to_string()),
    }
}

pub fn save_password(site_id: &str, password: &str) -> Result<(), SecretError> {
    entry(site_id)?.set_password(password).map_err(classify)
}

/// The stored password, or `None` if there is none.
pub fn load_password(site_id: &str) -> Result<Option<String>, SecretError> {
    match entry(site_id)?.get_password() {
        Ok(password) => Ok(Some(password)),
        Err(KeyringError::NoEntry) => Ok(None),
        Err(err) => Err(classify(err)),
    }
}

/// Forgets the password (nothing to forget is fine).
pub fn delete_password(site_id: &str) -> Result<(), SecretError> {
    match entry(site_id)?.delete_credential() {
        Ok(()) | Err(KeyringError::NoEntry) => Ok(()),
        Err(err) => Err(classify(err)),
    }
}

/// keyring-core's own mock store, one for the whole test process (a
/// second would replace the first under a running test): no test touches
/// the user's keyring. Every unit test that may reach the keyring, even
/// through the window's site thread, calls this first.
#[cfg(test)]
pub(crate) fn mock_keyring() {
    static MOCK: OnceLock<()> = OnceLock::new();
    MOCK.get_or_init(|| {
        keyring_core::set_default_store(keyring_core::mock::Store::new().unwrap());
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_kept_read_and_forgotten_by_site_id() {
        mock_keyring();
        assert_eq!(load_password("site-a").unwrap(), None);
        save_password("site-a", "pässwörd ☃").unwrap();
        save_password("site-b", "other").unwrap();
        assert_eq!(
            load_password("site-a").unwrap().as_deref(),
            Some("pässwörd ☃")
        );
        delete_password("site-a").unwrap();
        assert_eq!(load_password("site-a").unwrap(), None);
        assert_eq!(load_password("site-b").unwrap().as_deref(), Some("other"));
        // Forgetting twice is fine.
        delete_password("site-a").unwrap();
    }
}

//! The sign-in token lives in the OS keyring (Secret Service on Linux, Keychain
//! on macOS, Credential Manager on Windows), keyed by server URL: never in the
//! database, a file, a log or an error message.

use crate::SyncError;

/// Keyring service name; the account is the server URL.
pub const SERVICE: &str = "eu.trustdesk.workstation";

fn entry(server: &str) -> Result<keyring::Entry, SyncError> {
    keyring::Entry::new(SERVICE, server).map_err(keyring_error)
}

// keyring's errors never carry the secret, but can carry platform detail.
fn keyring_error(e: keyring::Error) -> SyncError {
    SyncError::Keyring(e.to_string())
}

pub fn save_token(server: &str, token: &str) -> Result<(), SyncError> {
    entry(server)?.set_password(token).map_err(keyring_error)
}

/// The stored token for `server`, if any.
pub fn load_token(server: &str) -> Result<Option<String>, SyncError> {
    match entry(server)?.get_password() {
        Ok(t) => Ok(Some(t)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(keyring_error(e)),
    }
}

/// Removes the token; absent already is fine.
pub fn delete_token(server: &str) -> Result<(), SyncError> {
    match entry(server)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(keyring_error(e)),
    }
}

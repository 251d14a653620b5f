use serde::Serialize;
use ts_rs::TS;

/// The one error shape that crosses IPC: a stable code callers may branch on,
/// and a message for people.
#[derive(Debug, Clone, Serialize, TS, thiserror::Error)]
#[error("{code}: {message}")]
pub struct IpcError {
    pub code: String,
    pub message: String,
}

impl IpcError {
    pub fn new(code: &str, message: impl Into<String>) -> IpcError {
        IpcError { code: code.into(), message: message.into() }
    }
}

impl From<trustdesk_store::StoreError> for IpcError {
    fn from(e: trustdesk_store::StoreError) -> Self {
        IpcError::new(e.code(), e.to_string())
    }
}

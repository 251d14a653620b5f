use std::path::Path;

use trustdesk_store::Store;

use crate::IpcError;

/// File name of the local store inside the data directory.
pub const STORE_FILE: &str = "trustdesk.db";

pub struct AppState {
    pub store: Store,
    /// Who decisions are recorded as. Until sign-in (issue 5) this is the OS
    /// user, marked as local.
    pub user: String,
}

impl AppState {
    pub async fn open(data_dir: &Path) -> Result<AppState, IpcError> {
        let store = Store::open(&data_dir.join(STORE_FILE)).await?;
        tracing::info!(path = %store.path().display(), "local store open");
        let os_user =
            std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_else(|_| "unknown".into());
        Ok(AppState { store, user: format!("local:{os_user}") })
    }
}

/// What commands receive: the store, or the reason it could not be opened.
pub type Opened = Result<AppState, IpcError>;

use std::path::Path;

use trustdesk_store::Store;

use crate::IpcError;

/// File name of the local store inside the data directory.
pub const STORE_FILE: &str = "trustdesk.db";

pub struct AppState {
    pub store: Store,
}

impl AppState {
    pub async fn open(data_dir: &Path) -> Result<AppState, IpcError> {
        let store = Store::open(&data_dir.join(STORE_FILE)).await?;
        tracing::info!(path = %store.path().display(), "local store open");
        Ok(AppState { store })
    }

    /// Who decisions are recorded as: the signed-in user, else the OS user
    /// marked as local.
    pub async fn user(&self) -> Result<String, IpcError> {
        Ok(trustdesk_sync::workstation::decider(&self.store).await?)
    }
}

/// What commands receive: the store, or the reason it could not be opened.
pub type Opened = Result<AppState, IpcError>;

/// The opened store, or the error that kept it from opening.
pub fn opened<'a>(state: &'a tauri::State<'_, Opened>) -> Result<&'a AppState, IpcError> {
    state.inner().as_ref().map_err(Clone::clone)
}

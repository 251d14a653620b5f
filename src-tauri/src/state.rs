use std::path::Path;
use std::sync::RwLock;

use trustdesk_domain::LanguageCode;
use trustdesk_store::Store;

use crate::IpcError;

/// File name of the local store inside the data directory.
pub const STORE_FILE: &str = "trustdesk.db";

pub struct AppState {
    pub store: Store,
    /// The language the UI shows, for texts that come from Rust data (the
    /// checklist's criteria); the UI sets it at start and when it switches.
    ui_language: RwLock<LanguageCode>,
}

impl AppState {
    pub async fn open(data_dir: &Path) -> Result<AppState, IpcError> {
        let store = Store::open(&data_dir.join(STORE_FILE)).await?;
        tracing::info!(path = %store.path().display(), "local store open");
        Ok(AppState { store, ui_language: RwLock::new("en".parse().expect("en is a language code")) })
    }

    pub fn ui_language(&self) -> LanguageCode {
        *self.ui_language.read().expect("ui language lock")
    }

    pub fn set_ui_language(&self, language: LanguageCode) {
        *self.ui_language.write().expect("ui language lock") = language;
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

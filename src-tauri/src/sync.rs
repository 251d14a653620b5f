//! Sync with the central service. Until sign-in with the OS keyring lands
//! (issue 5), the server and token come from `TRUSTDESK_SERVER` and
//! `TRUSTDESK_TOKEN` (what `cargo xtask demo` sets); without them the app works
//! on its local store alone.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tauri::{AppHandle, Emitter, State};
use tokio::sync::Mutex;
use trustdesk_store::Store;
use trustdesk_sync::Client;
use ts_rs::TS;

use crate::scan::{spawn_background_scan, QUEUE_CHANGED};
use crate::state::Opened;
use crate::IpcError;

/// How long after a decision the loop waits for more before syncing.
const DEBOUNCE: Duration = Duration::from_secs(2);

/// What the status bar shows.
#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct SyncStatus {
    /// Whether a server is configured at all.
    pub configured: bool,
    pub last_success: Option<DateTime<Utc>>,
    /// Code of the last failure (`offline`, `unauthorized`, ...), cleared on success.
    pub last_error: Option<String>,
    pub pending_decisions: u32,
}

pub struct SyncState {
    client: Option<Client>,
    /// Poked after each local decision; the loop syncs shortly after.
    decided: tokio::sync::Notify,
    status: Mutex<SyncStatus>,
    /// One sync at a time.
    running: Mutex<()>,
}

impl SyncState {
    pub fn from_env() -> Arc<SyncState> {
        let client = match (std::env::var("TRUSTDESK_SERVER"), std::env::var("TRUSTDESK_TOKEN")) {
            (Ok(server), Ok(token)) => match Client::new(&server, &token) {
                Ok(c) => Some(c),
                Err(e) => {
                    tracing::error!(code = e.code(), "sync client unavailable: {e}");
                    None
                }
            },
            _ => None,
        };
        let status = SyncStatus { configured: client.is_some(), ..SyncStatus::default() };
        Arc::new(SyncState {
            client,
            decided: tokio::sync::Notify::new(),
            status: Mutex::new(status),
            running: Mutex::new(()),
        })
    }

    /// A decision was recorded: sync soon (debounced by the loop).
    pub fn poke(&self) {
        self.decided.notify_one();
    }

    /// Push then pull; rescans new texts and tells the UI. Errors are kept in the
    /// status (and returned); the outbox keeps everything for the next attempt.
    pub async fn run(&self, app: &AppHandle, store: &Store) -> Result<SyncStatus, IpcError> {
        let Some(client) = &self.client else {
            return Ok(self.status.lock().await.clone());
        };
        let _one = self.running.lock().await;
        let result = client.sync(store).await;
        let pending = store.pending_count().await.map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX));
        let mut status = self.status.lock().await;
        status.pending_decisions = pending;
        match result {
            Ok((pushed, pulled)) => {
                status.last_success = Some(Utc::now());
                status.last_error = None;
                tracing::info!(
                    applied = pushed.applied,
                    conflicts = pushed.conflicts,
                    pulled = pulled.items,
                    "synced"
                );
                if pulled.items > 0 || pushed.applied > 0 || pushed.conflicts > 0 || pushed.rejected > 0 {
                    spawn_background_scan(app.clone(), store.clone());
                    let _ = app.emit(QUEUE_CHANGED, pulled.items);
                }
                Ok(status.clone())
            }
            Err(e) => {
                tracing::warn!(code = e.code(), "sync failed: {e}");
                status.last_error = Some(e.code().to_owned());
                Err(IpcError::new(e.code(), e.to_string()))
            }
        }
    }
}

/// Syncs at start, then every `period`, and shortly after decisions (a burst of
/// decisions within the debounce window goes out in one sync).
pub fn spawn_periodic(app: AppHandle, store: Store, sync: Arc<SyncState>, period: Duration) {
    if sync.client.is_none() {
        return;
    }
    tauri::async_runtime::spawn(async move {
        loop {
            let _ = sync.run(&app, &store).await;
            tokio::select! {
                _ = tokio::time::sleep(period) => {}
                _ = sync.decided.notified() => tokio::time::sleep(DEBOUNCE).await,
            }
        }
    });
}

#[tauri::command]
pub async fn sync_now(
    app: AppHandle,
    opened: State<'_, Opened>,
    sync: State<'_, Arc<SyncState>>,
) -> Result<SyncStatus, IpcError> {
    let s = opened.inner().as_ref().map_err(Clone::clone)?;
    sync.run(&app, &s.store).await
}

#[tauri::command]
pub async fn sync_status(sync: State<'_, Arc<SyncState>>) -> Result<SyncStatus, IpcError> {
    Ok(sync.status.lock().await.clone())
}

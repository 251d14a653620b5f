//! Runs the ARM filters over reviews the local store has not scanned with the
//! rule packs in force, off the UI's path, and tells the UI when hits changed.

use tauri::{AppHandle, Emitter};
use trustdesk_store::{scan, Store};

/// Event the UI listens to: the queue's data changed underneath it.
pub const QUEUE_CHANGED: &str = "queue-changed";

pub fn spawn_background_scan(app: AppHandle, store: Store) {
    tauri::async_runtime::spawn(async move {
        match scan::scan_pending(&store).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(reviews = n, "scanned with the ARM filters");
                let _ = app.emit(QUEUE_CHANGED, n);
            }
            Err(e) => tracing::error!(code = e.code(), "filter scan failed: {e}"),
        }
    });
}

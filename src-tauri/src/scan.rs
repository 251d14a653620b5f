//! Runs the ARM filters over reviews the local store has not scanned with the
//! current rule packs, off the UI's path, and tells the UI when hits changed.

use tauri::{AppHandle, Emitter};
use trustdesk_filters::{Engine, RulePacks};
use trustdesk_store::{scan, Store};

/// Event the UI listens to: the queue's data changed underneath it.
pub const QUEUE_CHANGED: &str = "queue-changed";

pub fn spawn_background_scan(app: AppHandle, store: Store) {
    tauri::async_runtime::spawn(async move {
        let packs = RulePacks::builtin();
        let version = scan::pack_set_version(&packs);
        // Compiled only when a review needs scanning: most starts have none,
        // and the compiled automata are memory the process would keep.
        match store.reviews_to_scan(&version, 1).await {
            Ok(next) if next.is_empty() => return,
            Ok(_) => {}
            Err(e) => return tracing::error!(code = e.code(), "filter scan failed: {e}"),
        }
        let engine = match Engine::compile(&packs) {
            Ok(e) => e,
            Err(e) => return tracing::error!("the built-in rule packs do not compile: {e}"),
        };
        match store.scan_unscanned(&version, |v| scan::scan_review(&engine, v)).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(reviews = n, %version, "scanned with the ARM filters");
                let _ = app.emit(QUEUE_CHANGED, n);
            }
            Err(e) => tracing::error!(code = e.code(), "filter scan failed: {e}"),
        }
    });
}

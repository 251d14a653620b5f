//! Files sent as evidence (audit findings, dispute attachments, reviewers'
//! replies), from this workstation's content-addressed cache, so offline too.

use tauri::ipc::Response;
use tauri::State;
use trustdesk_sync::evidence::EvidenceCache;

use crate::audits::{write_report, ExportedReport};
use crate::state::{opened, Opened};
use crate::IpcError;

/// An evidence file from the local cache (viewable offline), as raw bytes.
#[tauri::command]
pub async fn evidence_file(state: State<'_, Opened>, sha256: String) -> Result<Response, IpcError> {
    let s = opened(&state)?;
    match EvidenceCache::beside(s.store.path()).get(&sha256)? {
        Some(bytes) => Ok(Response::new(bytes)),
        None => Err(IpcError::new(
            "not_found",
            "this file is not on this workstation yet; it arrives with the next sync",
        )),
    }
}

/// Writes a cached evidence file into the `reports` folder under a name made
/// from the sender's: only a safe part of it reaches the file system.
pub fn save_copy(
    store: &trustdesk_store::Store,
    prefix: &str,
    sha256: &str,
    name: &str,
) -> Result<ExportedReport, IpcError> {
    let bytes = EvidenceCache::beside(store.path()).get(sha256)?.ok_or_else(|| {
        IpcError::new("not_found", "the file is not on this workstation yet; sync while online")
    })?;
    let safe: String = name
        .chars()
        .map(|c| if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '-' })
        .take(80)
        .collect();
    let safe = safe.trim_start_matches('.');
    write_report(store, &format!("{prefix}-{}-{safe}", &sha256[..8.min(sha256.len())]), &bytes)
}

//! The dashboard: local figures from the store (offline) and the team's
//! fairness figures as the sync loop last fetched them, with their age.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::sync::Arc;
use tauri::State;

use trustdesk_api::fairness::{CalibrationItem, FairnessReport};
use trustdesk_store::dashboard::LocalFigures;
use ts_rs::TS;

use crate::state::{opened, Opened};
use crate::sync::SyncState;
use crate::IpcError;
use trustdesk_sync::SyncError;

/// The figures cache entry the sync client keeps (`trustdesk_sync::FAIRNESS_CACHE`).
const FAIRNESS: &str = trustdesk_sync::FAIRNESS_CACHE;

#[derive(Debug, Clone, Serialize, TS)]
pub struct TeamFigures {
    pub fetched_at: DateTime<Utc>,
    pub report: FairnessReport,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Dashboard {
    /// The signed-in role ("moderator", "auditor", "mediator", "admin"), if any.
    pub role: Option<String>,
    pub user_name: Option<String>,
    pub local: LocalFigures,
    /// Absent until the server's figures were fetched once.
    pub team: Option<TeamFigures>,
}

#[tauri::command]
pub async fn dashboard(state: State<'_, Opened>) -> Result<Dashboard, IpcError> {
    let s = opened(&state)?;
    let session = s.store.session().await?;
    let local = s.store.local_figures(Utc::now()).await?;
    let team = match s.store.cached_figures(FAIRNESS).await? {
        // A cache written by another version that no longer parses is dropped,
        // not shown wrong; the next sync replaces it.
        Some((body, fetched_at)) => {
            serde_json::from_str(&body).ok().map(|report| TeamFigures { fetched_at, report })
        }
        None => None,
    };
    Ok(Dashboard {
        role: session.as_ref().map(|s| s.role.clone()),
        user_name: session.map(|s| s.user_name),
        local,
        team,
    })
}

/// The admin's calibration queue, from the server (it needs the connection:
/// settling is a decision about two colleagues' decisions, kept centrally).
#[tauri::command]
pub async fn calibration_queue(sync: State<'_, Arc<SyncState>>) -> Result<Vec<CalibrationItem>, IpcError> {
    let client = sync.client().await;
    let client = client.as_ref().ok_or(SyncError::SignedOut)?;
    Ok(client.calibration().await?)
}

#[tauri::command]
pub async fn settle_calibration(
    sync: State<'_, Arc<SyncState>>,
    sample_id: String,
    decision: String,
) -> Result<CalibrationItem, IpcError> {
    let client = sync.client().await;
    let client = client.as_ref().ok_or(SyncError::SignedOut)?;
    Ok(client.settle_calibration(&sample_id, &decision).await?)
}

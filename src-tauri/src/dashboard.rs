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

/// One line of the activity view: a journal entry, with what the UI needs to
/// name it (the decision's action, or the case change's name).
#[derive(Debug, Clone, Serialize, TS)]
pub struct ActivityRow {
    #[ts(type = "number")]
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// The user, or `sync` for the server's answers.
    pub actor: String,
    /// `review`, `audit`, `dispute`, `complaint`.
    pub kind: String,
    pub entity_id: String,
    /// `decision_recorded`, `decision_synced`, `case_conflict`, ...
    pub event: String,
    /// For review events: the decision's action.
    pub action: Option<trustdesk_domain::ReviewAction>,
    /// For case events: the change's name (`decide`, `send_message`, `item`, ...).
    pub change: Option<String>,
    /// The start of the review's text (untrusted: shown as text).
    pub excerpt: Option<String>,
}

/// Rows of the activity view per page.
const ACTIVITY_PAGE: u32 = 100;

/// The journal, newest first, a page before `before` (an earlier row's `seq`).
#[tauri::command]
pub async fn activity(state: State<'_, Opened>, before: Option<i64>) -> Result<Vec<ActivityRow>, IpcError> {
    let s = opened(&state)?;
    let entries = s.store.activity(before, ACTIVITY_PAGE).await?;
    Ok(entries
        .into_iter()
        .map(|e| {
            let payload: serde_json::Value = serde_json::from_str(&e.payload).unwrap_or_default();
            let action = (e.entity_kind == "review")
                .then(|| serde_json::from_value(payload["action"].clone()).ok())
                .flatten();
            let change =
                (e.entity_kind != "review").then(|| payload["change"].as_str().map(str::to_owned)).flatten();
            ActivityRow {
                seq: e.seq,
                at: e.at,
                actor: e.actor,
                kind: e.entity_kind,
                entity_id: e.entity_id,
                event: e.event,
                action,
                change,
                excerpt: e.review_excerpt,
            }
        })
        .collect())
}

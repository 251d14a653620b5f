//! The activity view: this workstation's journal, newest first, a page at a
//! time. Adapter only.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tauri::State;
use ts_rs::TS;

use crate::state::{opened, Opened};
use crate::IpcError;

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

//! Complaint commands (DSA Art. 20): the moderator's complaint list, one case
//! with the contested review, and the decision (offline, queued like any
//! other). A review's complaints reach its detail through `review_context`.
//! Adapters only.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tauri::State;
use trustdesk_domain::complaint::{ComplaintChange, ComplaintOutcome, ComplaintStatus};
use trustdesk_domain::ComplaintCase;
use trustdesk_store::ComplaintView;
use ts_rs::TS;

use crate::audits::{case_issues, CaseIssue};
use crate::dto::ReviewRow;
use crate::state::{opened, AppState, Opened};
use crate::sync::SyncState;
use crate::IpcError;

#[derive(Debug, Clone, Serialize, TS)]
pub struct ComplaintRow {
    pub id: String,
    pub review_id: String,
    pub shop_name: String,
    pub language: String,
    pub received_at: DateTime<Utc>,
    /// As the user sees it: their queued decision applied.
    pub status: ComplaintStatus,
    /// The signed-in user made the contested decision: someone else decides.
    pub own_decision: bool,
    /// Routed to the signed-in user.
    pub assigned_to_me: bool,
    pub pending_changes: u32,
    pub needs_attention: u32,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ComplaintDetail {
    pub row: ComplaintRow,
    pub case: ComplaintCase,
    /// The contested review as this workstation holds it (absent when deleted).
    pub review: Option<ReviewRow>,
    pub issues: Vec<CaseIssue>,
}

/// The signed-in user's server id (complaints name deciders by id); `None`
/// before any sign-in.
async fn my_id(s: &AppState) -> Result<Option<String>, IpcError> {
    Ok(s.store.session().await?.map(|session| session.user_id))
}

async fn me(s: &AppState) -> Result<String, IpcError> {
    my_id(s).await?.ok_or_else(|| IpcError::new("signed_out", "sign in to work on complaints"))
}

fn row(v: &ComplaintView, me: &str) -> ComplaintRow {
    let c = &v.case;
    ComplaintRow {
        id: c.id.clone(),
        review_id: c.review_id.to_string(),
        shop_name: v.shop.name.clone(),
        language: c.language.to_string(),
        received_at: c.received_at,
        status: c.status,
        own_decision: c.decision_by == me,
        assigned_to_me: c.assigned_to.as_deref() == Some(me),
        pending_changes: v.pending_changes,
        needs_attention: v.unresolved.len() as u32,
    }
}

async fn detail(s: &AppState, v: ComplaintView, me: &str) -> Result<ComplaintDetail, IpcError> {
    let review = match s.store.get_review(v.case.review_id).await {
        Ok(r) => Some(r.into()),
        Err(trustdesk_store::StoreError::NotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    Ok(ComplaintDetail { row: row(&v, me), issues: case_issues(&v.unresolved), review, case: v.case })
}

/// Open complaints first (oldest first), then decided ones, newest first.
#[tauri::command]
pub async fn list_complaints(state: State<'_, Opened>) -> Result<Vec<ComplaintRow>, IpcError> {
    let s = opened(&state)?;
    // Complaints come from the server: a workstation never signed in has none.
    let Some(me) = my_id(s).await? else { return Ok(Vec::new()) };
    let mut views = s.store.complaints().await?;
    views.sort_by_key(|v| match v.case.status {
        ComplaintStatus::Open => (0, v.case.received_at.timestamp_micros()),
        _ => (1, -v.case.received_at.timestamp_micros()),
    });
    Ok(views.iter().map(|v| row(v, &me)).collect())
}

#[tauri::command]
pub async fn complaint_detail(
    state: State<'_, Opened>,
    complaint_id: String,
) -> Result<ComplaintDetail, IpcError> {
    let s = opened(&state)?;
    let me = me(s).await?;
    let v = s.store.case::<ComplaintCase>(&complaint_id).await?;
    detail(s, v, &me).await
}

/// Decides a complaint at once (kept offline) and queues it for the server.
#[tauri::command]
pub async fn decide_complaint(
    state: State<'_, Opened>,
    sync: State<'_, Arc<SyncState>>,
    complaint_id: String,
    outcome: ComplaintOutcome,
    reasons: String,
) -> Result<ComplaintDetail, IpcError> {
    let s = opened(&state)?;
    let me = me(s).await?;
    let change = ComplaintChange::Decide { outcome, reasons };
    s.store.record_complaint_change(&complaint_id, &change, &me, Utc::now()).await?;
    sync.poke();
    let v = s.store.case::<ComplaintCase>(&complaint_id).await?;
    detail(s, v, &me).await
}

/// Takes note of a decision the server did not apply (someone decided first):
/// the server's outcome stands and the local one is dropped.
#[tauri::command]
pub async fn accept_complaint_outcome(
    state: State<'_, Opened>,
    complaint_id: String,
    mutation_id: String,
) -> Result<ComplaintDetail, IpcError> {
    let s = opened(&state)?;
    let me = me(s).await?;
    let m: trustdesk_domain::DecisionId =
        mutation_id.parse().map_err(|_| IpcError::new("bad_request", "mutation_id is not a valid id"))?;
    s.store.resolve_case(m, false, &s.user().await?, Utc::now()).await?;
    let v = s.store.case::<ComplaintCase>(&complaint_id).await?;
    detail(s, v, &me).await
}

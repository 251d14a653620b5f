//! Review commands: the moderation queue.

use chrono::{DateTime, Utc};
use tauri::State;
use trustdesk_domain::decision::Grounds;
use trustdesk_domain::statement::IllegalMarking;
use trustdesk_domain::{templates, DecisionId, ReviewAction, ReviewId};
use trustdesk_store::{NewDecision, ReviewQuery};
use trustdesk_sync::workstation;

use crate::dto::{
    BulkDecideRequest, BulkDecideResult, BulkFailure, DecideRequest, ReviewContext, ReviewListQuery,
    ReviewPage, ReviewRow, ShopOption, StateCount, StoreInfo,
};
use crate::state::{opened, Opened};
use crate::sync::SyncState;
use crate::IpcError;
use std::sync::Arc;

fn parse<T: std::str::FromStr>(what: &str, s: &str) -> Result<T, IpcError> {
    s.parse().map_err(|_| IpcError::new("bad_request", format!("{what} is not a valid id")))
}

#[tauri::command]
pub async fn store_info(state: State<'_, Opened>) -> Result<StoreInfo, IpcError> {
    let s = opened(&state)?;
    Ok(StoreInfo {
        path: s.store.path().display().to_string(),
        review_count: s.store.review_count().await?,
        user: s.user().await?,
    })
}

#[tauri::command]
pub async fn list_reviews(state: State<'_, Opened>, query: ReviewListQuery) -> Result<ReviewPage, IpcError> {
    let s = opened(&state)?;
    let q = ReviewQuery {
        state: query.state,
        shop_id: query.shop_id,
        language: query.language,
        stars: query.stars.unwrap_or_default(),
        source: query.source,
        flag: query.flag,
        category: query.category,
        industry: query.industry,
        min_age_days: query.min_age_days,
        search: query.search,
        sort: query.sort.unwrap_or_default(),
        offset: query.offset,
        limit: query.limit,
    };
    let page = s.store.list_reviews(&q, Utc::now()).await?;
    let claimed = s.store.claimed_ids("review", Utc::now()).await?;
    let items = page
        .items
        .into_iter()
        .map(|v| {
            let mut row = ReviewRow::from(v);
            row.claimed = claimed.contains(&row.id);
            row
        })
        .collect();
    Ok(ReviewPage { items, total: page.total })
}

#[tauri::command]
pub async fn list_shops(state: State<'_, Opened>) -> Result<Vec<ShopOption>, IpcError> {
    let s = opened(&state)?;
    Ok(s.store.shops().await?.into_iter().map(|(id, name)| ShopOption { id: id.to_string(), name }).collect())
}

#[tauri::command]
pub async fn queue_counts(state: State<'_, Opened>) -> Result<Vec<StateCount>, IpcError> {
    let s = opened(&state)?;
    Ok(s.store.state_counts().await?.into_iter().map(|(state, count)| StateCount { state, count }).collect())
}

/// Records a decision durably and returns the review as the user now sees it.
#[tauri::command]
pub async fn decide_review(
    state: State<'_, Opened>,
    sync: State<'_, Arc<SyncState>>,
    request: DecideRequest,
) -> Result<ReviewRow, IpcError> {
    let s = opened(&state)?;
    let review_id: ReviewId = parse("review_id", &request.review_id)?;
    let user = s.user().await?;
    if request.illegal.is_some() {
        // The marking must make a valid statement before it is recorded: an
        // outbox entry the server would refuse helps nobody.
        let view = s.store.get_review(review_id).await?;
        let templates = workstation::statement_templates(&s.store).await?;
        workstation::preview_statement(
            &view,
            request.action,
            request.message.as_deref(),
            request.illegal.clone(),
            &user,
            &templates,
        )?;
    }
    let decision = workstation::moderator_decision(
        review_id,
        request.action,
        request.facts,
        request.message,
        request.illegal,
        user,
    )?;
    workstation::decide(&s.store, decision).await?;
    sync.poke();
    Ok(s.store.get_review(review_id).await?.into())
}

/// Largest selection one bulk action takes.
const MAX_BULK: usize = 500;

/// Publishes or rejects a selection in one durable transaction; items whose
/// transition is illegal are reported, the rest land.
#[tauri::command]
pub async fn decide_reviews(
    state: State<'_, Opened>,
    sync: State<'_, Arc<SyncState>>,
    request: BulkDecideRequest,
) -> Result<BulkDecideResult, IpcError> {
    let s = opened(&state)?;
    if !matches!(request.action, ReviewAction::Publish | ReviewAction::Reject { .. }) {
        return Err(IpcError::new("bad_request", "bulk actions are publish and reject only"));
    }
    if request.review_ids.len() > MAX_BULK {
        return Err(IpcError::new("bad_request", format!("select at most {MAX_BULK} reviews at once")));
    }
    let ids = request
        .review_ids
        .iter()
        .map(|id| parse::<ReviewId>("review_id", id))
        .collect::<Result<Vec<_>, _>>()?;
    let user = s.user().await?;
    let batch = ids
        .iter()
        .map(|id| NewDecision {
            review_id: *id,
            action: request.action,
            grounds: Grounds::default(),
            decided_by: user.clone(),
            message: None,
        })
        .collect();
    let results = s.store.record_decisions(batch, Utc::now()).await?;
    sync.poke();
    let mut out = BulkDecideResult { updated: Vec::new(), failed: Vec::new() };
    for (id, r) in ids.into_iter().zip(results) {
        match r {
            Ok(_) => out.updated.push(s.store.get_review(id).await?.into()),
            Err(e) => out.failed.push(BulkFailure { review_id: id.to_string(), error: e.into() }),
        }
    }
    Ok(out)
}

#[tauri::command]
pub async fn undo_decision(state: State<'_, Opened>, decision_id: String) -> Result<ReviewRow, IpcError> {
    let s = opened(&state)?;
    let id: DecisionId = parse("decision_id", &decision_id)?;
    let d = s.store.undo_decision(id, &s.user().await?, Utc::now()).await?;
    Ok(s.store.get_review(d.review_id).await?.into())
}

#[tauri::command]
pub async fn review_context(state: State<'_, Opened>, review_id: String) -> Result<ReviewContext, IpcError> {
    let s = opened(&state)?;
    let id: ReviewId = parse("review_id", &review_id)?;
    let view = s.store.get_review(id).await?;
    Ok(ReviewContext {
        shop_rating: s.store.shop_rating(view.review.shop_id, Utc::now()).await?,
        reviewer_history: s.store.reviewer_history(id, 10).await?.into_iter().map(Into::into).collect(),
        complaints: s.store.complaints_on_review(id).await?.into_iter().map(|v| v.case).collect(),
    })
}

/// The evidence request in the reviewer's language, for the moderator to edit.
#[tauri::command]
pub async fn evidence_message(
    state: State<'_, Opened>,
    review_id: String,
    deadline: DateTime<Utc>,
) -> Result<String, IpcError> {
    let s = opened(&state)?;
    let view = s.store.get_review(parse("review_id", &review_id)?).await?;
    Ok(templates::evidence_request(view.review.language, &view.shop.name, deadline.date_naive()))
}

/// Saves a copy of a file the reviewer sent (from this workstation's cache, so
/// offline too) into the `reports` folder, for a viewer of the user's choice.
#[tauri::command]
pub async fn save_review_evidence(
    state: State<'_, Opened>,
    review_id: String,
    sha256: String,
) -> Result<crate::audits::ExportedReport, IpcError> {
    let s = opened(&state)?;
    let view = s.store.get_review(parse("review_id", &review_id)?).await?;
    let f = view
        .review
        .flags
        .evidence_files
        .iter()
        .find(|f| f.sha256 == sha256)
        .ok_or_else(|| IpcError::new("not_found", "the review has no such evidence file"))?;
    crate::evidence::save_copy(&s.store, "evidence", &f.sha256, &f.name)
}

/// Resolves a decision the server did not apply: keep mine (decide again on the
/// server's current copy) or accept theirs.
#[tauri::command]
pub async fn resolve_decision(
    state: State<'_, Opened>,
    sync: State<'_, Arc<SyncState>>,
    decision_id: String,
    keep_mine: bool,
) -> Result<ReviewRow, IpcError> {
    let s = opened(&state)?;
    let id: DecisionId = parse("decision_id", &decision_id)?;
    let (review_id, _) = s.store.resolve(id, keep_mine, &s.user().await?, Utc::now()).await?;
    sync.poke();
    Ok(s.store.get_review(review_id).await?.into())
}

/// The statement of reasons the reviewer would receive for `action` now, with
/// the moderator's note; `None` when the action keeps nothing off the profile.
#[tauri::command]
pub async fn statement_preview(
    state: State<'_, Opened>,
    review_id: String,
    action: ReviewAction,
    note: Option<String>,
    illegal: Option<IllegalMarking>,
) -> Result<Option<String>, IpcError> {
    let s = opened(&state)?;
    let view = s.store.get_review(parse("review_id", &review_id)?).await?;
    let templates = workstation::statement_templates(&s.store).await?;
    Ok(workstation::preview_statement(&view, action, note.as_deref(), illegal, &s.user().await?, &templates)?)
}

//! Review commands.

use tauri::State;
use trustdesk_store::ReviewQuery;

use crate::dto::{ReviewListQuery, ReviewPage, StoreInfo};
use crate::state::Opened;
use crate::IpcError;

fn opened<'a>(state: &'a State<'_, Opened>) -> Result<&'a crate::state::AppState, IpcError> {
    state.inner().as_ref().map_err(Clone::clone)
}

#[tauri::command]
pub async fn store_info(state: State<'_, Opened>) -> Result<StoreInfo, IpcError> {
    let s = opened(&state)?;
    Ok(StoreInfo { path: s.store.path().display().to_string(), review_count: s.store.review_count().await? })
}

#[tauri::command]
pub async fn list_reviews(state: State<'_, Opened>, query: ReviewListQuery) -> Result<ReviewPage, IpcError> {
    let s = opened(&state)?;
    let page = s
        .store
        .list_reviews(&ReviewQuery { state: query.state, offset: query.offset, limit: query.limit })
        .await?;
    Ok(ReviewPage { items: page.items.into_iter().map(Into::into).collect(), total: page.total })
}

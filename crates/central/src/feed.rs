//! `GET /v1/changes`: the change feed.
//!
//! Each entity row carries `change_seq`, taken from a single counter row in the
//! same transaction that writes the entity. The counter's row lock is held until
//! commit, so sequence numbers become visible strictly in order: a reader that
//! has seen N can never later find a committed N-1. The feed is compacted: an
//! entity appears once, at its latest change, so a client resuming from any cursor
//! gets every entity changed after it exactly once, in its latest state.

use std::fmt::Write as _;

use sqlx::Row;
use trustdesk_api::{codes, EntityKind, DEFAULT_CHANGES_LIMIT, MAX_CHANGES_LIMIT};

use crate::auth::User;
use crate::body::query_pairs;
use crate::db::{self, Backend};
use crate::error::ApiError;
use crate::AppState;

pub struct FeedQuery {
    pub since: i64,
    pub limit: u32,
}

pub fn parse_query(raw: Option<&str>) -> Result<FeedQuery, ApiError> {
    let mut q = FeedQuery { since: 0, limit: DEFAULT_CHANGES_LIMIT };
    for (k, v) in query_pairs(raw, &["since", "limit"])? {
        match k.as_str() {
            "since" => {
                let bad = || {
                    ApiError::new(
                        axum::http::StatusCode::BAD_REQUEST,
                        codes::BAD_CURSOR,
                        "since must be a cursor returned by this server (a non-negative integer)",
                    )
                };
                if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad());
                }
                // All digits but too large for a sequence number: ahead of any feed.
                q.since = v.parse().unwrap_or(i64::MAX);
            }
            _ => {
                let n: u64 = v
                    .parse()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| ApiError::bad_request("limit must be a positive integer"))?;
                if n > u64::from(MAX_CHANGES_LIMIT) {
                    return Err(ApiError::bad_request(format!("limit must be at most {MAX_CHANGES_LIMIT}")));
                }
                q.limit = n as u32;
            }
        }
    }
    Ok(q)
}

/// Builds the page as JSON text: the stored documents are spliced in unparsed,
/// which is what makes the feed fast.
pub async fn page(state: &AppState, user: &User, q: FeedQuery) -> Result<String, ApiError> {
    let head = db::current_change_seq(&state.db.read).await?;
    if q.since > head {
        return Err(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            codes::BAD_CURSOR,
            "since is ahead of this server's feed; start again from the beginning",
        ));
    }
    let kinds: Vec<&str> =
        EntityKind::ALL.into_iter().filter(|k| user.sees(*k)).map(|k| k.as_str()).collect();
    // The kind filter must not steer the planner onto a kind index (SQLite then
    // sorts every row for every page): `+kind` in SQLite and `kind || ''` in
    // PostgreSQL keep the scan on the change_seq index.
    let filter = if kinds.len() == EntityKind::ALL.len() {
        String::new()
    } else {
        let column = match state.db.backend {
            Backend::Sqlite => "+kind",
            Backend::Postgres => "(kind || '')",
        };
        let placeholders: Vec<String> = (0..kinds.len()).map(|i| format!("${}", i + 3)).collect();
        format!(" AND {column} IN ({})", placeholders.join(", "))
    };
    let sql = format!(
        "SELECT kind, id, version, change_seq, deleted, doc FROM entities
         WHERE change_seq > $1{filter} ORDER BY change_seq LIMIT $2"
    );
    let mut query = sqlx::query(&sql).bind(q.since).bind(i64::from(q.limit) + 1);
    if !filter.is_empty() {
        for k in &kinds {
            query = query.bind(*k);
        }
    }
    let rows = query.fetch_all(&state.db.read).await?;
    let has_more = rows.len() > q.limit as usize;
    let mut out = String::with_capacity(rows.len() * 700 + 64);
    out.push_str("{\"items\":[");
    let mut next = q.since;
    for (i, row) in rows.iter().take(q.limit as usize).enumerate() {
        let kind: String = row.try_get(0)?;
        let id: String = row.try_get(1)?;
        let version: i64 = row.try_get(2)?;
        let seq: i64 = row.try_get(3)?;
        let deleted: i64 = row.try_get(4)?;
        let doc: String = row.try_get(5)?;
        next = seq;
        if i > 0 {
            out.push(',');
        }
        // kind and id are our own ASCII identifiers; no escaping needed.
        let _ =
            write!(out, "{{\"cursor\":\"{seq}\",\"kind\":\"{kind}\",\"id\":\"{id}\",\"version\":{version},");
        if deleted != 0 {
            out.push_str("\"op\":\"delete\",\"entity\":null}");
        } else {
            let _ = write!(out, "\"op\":\"upsert\",\"entity\":{{\"{kind}\":{doc}}}}}");
        }
    }
    let remaining = (head - next).max(0);
    let _ = write!(out, "],\"next_cursor\":\"{next}\",\"has_more\":{has_more},\"remaining\":{remaining}}}");
    Ok(out)
}

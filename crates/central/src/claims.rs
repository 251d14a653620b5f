//! Claims: a lease on a batch of open work. Claimed items are skipped by other
//! claims and refused to other users' mutations until the lease runs out.
//!
//! The claiming UPDATE re-checks availability in its own WHERE clause, so two
//! concurrent claims can never take the same item (on PostgreSQL the second waits
//! for the first's row locks and then re-evaluates the condition).

use chrono::Duration;
use sqlx::Row;
use trustdesk_api::{
    Claim, ClaimRequest, ExtendClaim, WorkKind, DEFAULT_LEASE_SECONDS, MAX_CLAIM_ITEMS, MAX_LEASE_SECONDS,
};

use crate::auth::User;
use crate::db::{self, micros, rfc3339, Backend, Db};
use crate::error::ApiError;

fn lease(seconds: Option<u32>) -> Result<Duration, ApiError> {
    let s = seconds.unwrap_or(DEFAULT_LEASE_SECONDS);
    if s == 0 || s > MAX_LEASE_SECONDS {
        return Err(ApiError::bad_request(format!("lease_seconds must be 1 to {MAX_LEASE_SECONDS}")));
    }
    Ok(Duration::seconds(i64::from(s)))
}

fn kind_name(k: WorkKind) -> &'static str {
    k.entity_kind().as_str()
}

pub async fn claim(db: &Db, user: &User, req: ClaimRequest) -> Result<Claim, ApiError> {
    if !user.works_on(req.kind) {
        return Err(ApiError::forbidden(format!(
            "a {} may not claim {} work",
            user.role.as_str(),
            kind_name(req.kind)
        )));
    }
    if req.limit == 0 || req.limit > MAX_CLAIM_ITEMS {
        return Err(ApiError::bad_request(format!("limit must be 1 to {MAX_CLAIM_ITEMS}")));
    }
    let now = db::now();
    let expires = now + lease(req.lease_seconds)?;
    let claim_id = uuid::Uuid::now_v7().to_string();
    let kind = kind_name(req.kind);

    // $1..$6 are fixed; filters append from $7.
    let mut filters = String::new();
    let mut extra: Vec<String> = Vec::new();
    if let Some(shop) = req.filter.shop_id {
        extra.push(shop.to_string());
        filters.push_str(&format!(" AND shop_id = ${}", 6 + extra.len()));
    }
    if let Some(lang) = req.filter.language {
        extra.push(lang.to_string());
        filters.push_str(&format!(" AND language = ${}", 6 + extra.len()));
    }
    if let Some(cat) = req.filter.category {
        let name =
            serde_json::to_value(cat).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        extra.push(format!("%,{name},%"));
        filters.push_str(&format!(" AND categories LIKE ${}", 6 + extra.len()));
    }
    // excluded_user: a complaint never goes to the moderator whose decision it contests.
    let available = "open = 1 AND deleted = 0 AND (claim_until IS NULL OR claim_until <= $5)
        AND (excluded_user IS NULL OR excluded_user <> $2)";
    // PostgreSQL: skip rows a concurrent claim is taking instead of queueing behind
    // it and then coming back short. SQLite has one writer, so no race to skip.
    let skip_locked = if db.backend == Backend::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
    // The pick is materialised so it runs once: re-running it per updated row
    // would pick past the limit.
    let sql = format!(
        "WITH picked AS MATERIALIZED (
             SELECT id FROM entities WHERE kind = $4 AND {available}{filters}
             ORDER BY queue_at, id LIMIT $6{skip_locked})
         UPDATE entities SET claim_id = $1, claimed_by = $2, claim_until = $3
         WHERE kind = $4 AND {available} AND id IN (SELECT id FROM picked)"
    );

    let mut tx = db.write.begin().await?;
    sqlx::query("INSERT INTO claims (id, user_id, kind, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&claim_id)
        .bind(&user.id)
        .bind(kind)
        .bind(rfc3339(now))
        .bind(micros(expires))
        .execute(&mut *tx)
        .await?;
    let mut q = sqlx::query(&sql)
        .bind(&claim_id)
        .bind(&user.id)
        .bind(micros(expires))
        .bind(kind)
        .bind(micros(now))
        .bind(i64::from(req.limit));
    for e in extra {
        q = q.bind(e);
    }
    q.execute(&mut *tx).await?;
    let ids = held_ids(&mut tx, &claim_id).await?;
    tx.commit().await?;
    Ok(Claim { claim_id, kind: req.kind, ids, expires_at: expires })
}

async fn held_ids(conn: &mut sqlx::AnyConnection, claim_id: &str) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query("SELECT id FROM entities WHERE claim_id = $1 AND open = 1 ORDER BY queue_at, id")
        .bind(claim_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(|r| r.try_get::<String, _>(0)).collect()
}

struct ClaimRow {
    kind: WorkKind,
}

async fn own_claim(
    conn: &mut sqlx::AnyConnection,
    user: &User,
    claim_id: &str,
) -> Result<ClaimRow, ApiError> {
    let row = sqlx::query("SELECT user_id, kind, released FROM claims WHERE id = $1")
        .bind(claim_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| ApiError::not_found("no such claim"))?;
    let owner: String = row.try_get("user_id")?;
    if owner != user.id {
        return Err(ApiError::forbidden("the claim belongs to another user"));
    }
    if row.try_get::<i64, _>("released")? != 0 {
        return Err(ApiError::not_found("the claim was released"));
    }
    let kind: String = row.try_get("kind")?;
    let kind = match kind.as_str() {
        "audit" => WorkKind::Audit,
        "dispute" => WorkKind::Dispute,
        "complaint" => WorkKind::Complaint,
        _ => WorkKind::Review,
    };
    Ok(ClaimRow { kind })
}

/// Renews the lease on whatever the claim still holds (items taken by others
/// after an expiry stay theirs).
pub async fn extend(db: &Db, user: &User, claim_id: &str, req: ExtendClaim) -> Result<Claim, ApiError> {
    let now = db::now();
    let expires = now + lease(Some(req.lease_seconds))?;
    let mut tx = db.write.begin().await?;
    let row = own_claim(&mut tx, user, claim_id).await?;
    sqlx::query("UPDATE claims SET expires_at = $1 WHERE id = $2")
        .bind(micros(expires))
        .bind(claim_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE entities SET claim_until = $1 WHERE claim_id = $2 AND open = 1")
        .bind(micros(expires))
        .bind(claim_id)
        .execute(&mut *tx)
        .await?;
    let ids = held_ids(&mut tx, claim_id).await?;
    tx.commit().await?;
    Ok(Claim { claim_id: claim_id.to_owned(), kind: row.kind, ids, expires_at: expires })
}

pub async fn release(db: &Db, user: &User, claim_id: &str) -> Result<(), ApiError> {
    let mut tx = db.write.begin().await?;
    own_claim(&mut tx, user, claim_id).await?;
    sqlx::query(
        "UPDATE entities SET claim_id = NULL, claimed_by = NULL, claim_until = NULL WHERE claim_id = $1",
    )
    .bind(claim_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE claims SET released = 1 WHERE id = $1").bind(claim_id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

//! Row decoding and the overlay query.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::Serialize;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;
use trustdesk_domain::arm::ArmHit;
use trustdesk_domain::{DecisionId, Review, ReviewStatus, Shop, Stars};

use crate::{parse_code, parse_id, StoreError};

/// Server copy with the overlay columns the outbox triggers maintain.
pub(crate) const OVERLAY_SELECT: &str = "
    SELECT r.*, s.name AS shop_name, s.country AS shop_country, s.languages AS shop_languages,
      s.industries AS shop_industries, s.arm_enabled AS shop_arm_enabled, s.employee_names AS shop_employees,
      h.hits AS hits, h.rule_pack_version AS rule_pack_version,
      o.delivery AS local_delivery, o.server_code AS local_server_code, o.server_message AS local_server_message
    FROM reviews r LEFT JOIN outbox o ON o.mutation_id = r.local_decision JOIN shops s ON s.id = r.shop_id LEFT JOIN review_hits h ON h.review_id = r.id";

/// Counting matches needs no joins.
pub(crate) const OVERLAY_COUNT: &str = "SELECT COUNT(*) FROM reviews r";

/// A review as the user sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewView {
    /// The server's copy.
    pub review: Review,
    pub shop: Shop,
    /// The server status with pending local decisions applied.
    pub effective_status: ReviewStatus,
    /// Local decisions on this review not yet acknowledged by the server.
    pub pending_decisions: u32,
    /// The newest of them: the one an undo would take back.
    pub newest_local_decision: Option<DecisionId>,
    /// ARM filter hits, empty when the text was not scanned (or is clean).
    pub hits: Vec<ArmHit>,
    /// The rule-pack version that scanned this text, if scanned.
    pub rule_pack_version: Option<String>,
    /// How the server answered the newest local decision, when it did not apply
    /// it: a conflict or a refusal the user must resolve.
    pub attention: Option<Attention>,
    /// The server deleted this review; it stays only until its local decisions
    /// are resolved (they show as conflicts).
    pub deleted_on_server: bool,
}

/// A local decision the server did not apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attention {
    /// Someone else changed the review first; the server's copy is the current one.
    Conflict,
    /// The server refused the decision for good.
    Refused { code: String, message: String },
}

/// Fixed-width UTC timestamp, so text order equals time order.
pub(crate) fn time_key(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub(crate) fn parse_time(s: &str) -> Result<DateTime<Utc>, StoreError> {
    Ok(DateTime::parse_from_rfc3339(s)
        .map_err(|e| StoreError::Corrupt(format!("time {s:?}: {e}")))?
        .with_timezone(&Utc))
}

pub(crate) fn enum_code<T: Serialize>(v: &T) -> Result<String, StoreError> {
    match serde_json::to_value(v)? {
        serde_json::Value::String(s) => Ok(s),
        other => Err(StoreError::Corrupt(format!("not a unit enum: {other}"))),
    }
}

pub(crate) fn review_view(row: &SqliteRow) -> Result<ReviewView, StoreError> {
    let status: ReviewStatus = serde_json::from_str(row.try_get("status")?)?;
    let local: Option<&str> = row.try_get("local_status")?;
    let effective_status = match local {
        Some(s) => serde_json::from_str(s)?,
        None => status,
    };
    let stars: i64 = row.try_get("stars")?;
    let submitted: &str = row.try_get("submitted_at")?;
    let experience: &str = row.try_get("experience_date")?;
    let review = Review {
        id: parse_id(row.try_get("id")?)?,
        shop_id: parse_id(row.try_get("shop_id")?)?,
        order_reference: row.try_get("order_reference")?,
        reviewer_reference: row.try_get("reviewer_reference")?,
        stars: Stars::try_from(stars).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        text: row.try_get("text")?,
        language: parse_id(row.try_get("language")?)?,
        experience_date: NaiveDate::parse_from_str(experience, "%Y-%m-%d")
            .map_err(|e| StoreError::Corrupt(format!("experience_date {experience:?}: {e}")))?,
        submitted_at: parse_time(submitted)?,
        source: parse_code(row.try_get("source")?)?,
        status,
        flags: serde_json::from_str(row.try_get("flags")?)?,
        version: row.try_get("version")?,
    };
    let pending: i64 = row.try_get("pending_decisions")?;
    let shop = Shop {
        id: review.shop_id,
        name: row.try_get("shop_name")?,
        country: parse_id(row.try_get("shop_country")?)?,
        languages: serde_json::from_str(row.try_get("shop_languages")?)?,
        industries: serde_json::from_str(row.try_get("shop_industries")?)?,
        arm_enabled: row.try_get("shop_arm_enabled")?,
        employee_names: serde_json::from_str(row.try_get("shop_employees")?)?,
    };
    let newest_local_decision =
        row.try_get::<Option<&str>, _>("local_decision")?.map(parse_id).transpose()?;
    let hits = match row.try_get::<Option<&str>, _>("hits")? {
        Some(h) => serde_json::from_str(h)?,
        None => Vec::new(),
    };
    Ok(ReviewView {
        review,
        shop,
        effective_status,
        pending_decisions: pending as u32,
        newest_local_decision,
        hits,
        rule_pack_version: row.try_get("rule_pack_version")?,
        attention: match row.try_get::<Option<&str>, _>("local_delivery")? {
            Some("conflict") => Some(Attention::Conflict),
            Some("rejected") => Some(Attention::Refused {
                code: row.try_get::<Option<String>, _>("local_server_code")?.unwrap_or_default(),
                message: row.try_get::<Option<String>, _>("local_server_message")?.unwrap_or_default(),
            }),
            _ => None,
        },
        deleted_on_server: row.try_get::<i64, _>("server_deleted")? != 0,
    })
}

/// The shop `id`.
pub(crate) async fn shop_by_id(conn: &mut sqlx::SqliteConnection, id: &str) -> Result<Shop, StoreError> {
    let row = sqlx::query(
        "SELECT id, name, country, languages, industries, arm_enabled, employee_names FROM shops WHERE id = ?1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| StoreError::NotFound(format!("shop {id}")))?;
    Ok(Shop {
        id: parse_id(row.try_get("id")?)?,
        name: row.try_get("name")?,
        country: parse_id(row.try_get("country")?)?,
        languages: serde_json::from_str(row.try_get("languages")?)?,
        industries: serde_json::from_str(row.try_get("industries")?)?,
        arm_enabled: row.try_get("arm_enabled")?,
        employee_names: serde_json::from_str(row.try_get("employee_names")?)?,
    })
}

//! The review queue's filters, search and sort, as one SQL builder so the page
//! and its counts always agree.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{QueryBuilder, Sqlite};

use crate::rows::time_key;

/// Kinds of signal a moderator filters on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagFilter {
    ShopFlagged,
    SuspectedFake,
    EvidenceReceived,
    /// Evidence was requested and its deadline has passed.
    DeadlinePassed,
    /// At least one ARM filter hit.
    ArmHit,
    /// A local decision the server did not apply (conflict or refusal).
    NeedsAttention,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    #[default]
    Newest,
    Oldest,
    StarsAscending,
    StarsDescending,
}

/// A filter and page over the review overlay. Empty fields do not filter.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ReviewQuery {
    /// Effective state name (`pending`, `published`, ...).
    pub state: Option<String>,
    pub shop_id: Option<String>,
    pub language: Option<String>,
    /// Any of these star values.
    pub stars: Vec<u8>,
    /// Source code, e.g. `imported`.
    pub source: Option<String>,
    pub flag: Option<FlagFilter>,
    /// ARM category code with at least one hit.
    pub category: Option<String>,
    /// Industry code of the review's shop (`insurance`, `e-cigarettes`, ...).
    pub industry: Option<String>,
    /// Only reviews submitted at least this many days ago (the oldest waiting).
    pub min_age_days: Option<u32>,
    /// Words to find in the text (all must occur; the last may be a prefix).
    pub search: Option<String>,
    pub sort: Sort,
    pub offset: u32,
    pub limit: u32,
}

/// Turns user input into a safe FTS5 query: every word quoted (so operators and
/// quotes in the input are plain text), the last one a prefix. `None` when
/// nothing searchable remains.
pub fn fts_query(input: &str) -> Option<String> {
    let words: Vec<String> = input
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
        .map(|w| format!("\"{w}\""))
        .collect();
    if words.is_empty() {
        return None;
    }
    Some(format!("{}*", words.join(" ")))
}

/// Appends ` WHERE ...` for `q` to a query over the overlay (aliases `r`,
/// `local_state`, `local_status` columns).
pub(crate) fn push_where(b: &mut QueryBuilder<'_, Sqlite>, q: &ReviewQuery, now: DateTime<Utc>) {
    b.push(" WHERE 1 = 1");
    if let Some(state) = &q.state {
        b.push(" AND COALESCE(r.local_state, r.state) = ").push_bind(state.clone());
    }
    if let Some(shop) = &q.shop_id {
        b.push(" AND r.shop_id = ").push_bind(shop.clone());
    }
    if let Some(lang) = &q.language {
        b.push(" AND r.language = ").push_bind(lang.to_ascii_lowercase());
    }
    if !q.stars.is_empty() {
        b.push(" AND r.stars IN (");
        let mut sep = b.separated(", ");
        for s in &q.stars {
            sep.push_bind(i64::from(*s));
        }
        b.push(")");
    }
    if let Some(source) = &q.source {
        b.push(" AND r.source = ").push_bind(source.clone());
    }
    match q.flag {
        None | Some(FlagFilter::ArmHit) => {}
        Some(FlagFilter::NeedsAttention) => {
            b.push(" AND EXISTS (SELECT 1 FROM outbox o2 WHERE o2.entity_id = r.id AND o2.delivery <> 'pending')");
        }
        Some(FlagFilter::ShopFlagged) => {
            b.push(" AND json_extract(r.flags, '$.shop_flag') IS NOT NULL");
        }
        Some(FlagFilter::SuspectedFake) => {
            b.push(" AND json_array_length(r.flags, '$.fake_signals') > 0");
        }
        Some(FlagFilter::EvidenceReceived) => {
            b.push(" AND COALESCE(r.local_state, r.state) = 'evidence_received'");
        }
        Some(FlagFilter::DeadlinePassed) => {
            b.push(
                " AND COALESCE(r.local_state, r.state) = 'evidence_requested' \
                 AND json_extract(COALESCE(r.local_status, r.status), '$.deadline') < ",
            )
            .push_bind(time_key(now));
        }
    }
    if let Some(industry) = &q.industry {
        b.push(
            " AND EXISTS (SELECT 1 FROM shops s2, json_each(s2.industries) i \
             WHERE s2.id = r.shop_id AND i.value = ",
        )
        .push_bind(industry.clone())
        .push(")");
    }
    if let Some(days) = q.min_age_days {
        b.push(" AND r.submitted_at <= ").push_bind(time_key(now - chrono::Duration::days(i64::from(days))));
    }
    if let Some(FlagFilter::ArmHit) = q.flag {
        b.push(" AND EXISTS (SELECT 1 FROM review_hits h WHERE h.review_id = r.id AND h.hits <> '[]')");
    }
    if let Some(category) = &q.category {
        b.push(
            " AND EXISTS (SELECT 1 FROM review_hits h, json_each(h.hits) j \
             WHERE h.review_id = r.id AND json_extract(j.value, '$.category') = ",
        )
        .push_bind(category.clone())
        .push(")");
    }
    if let Some(fts) = q.search.as_deref().and_then(fts_query) {
        b.push(" AND r.rowid IN (SELECT rowid FROM reviews_fts WHERE reviews_fts MATCH ")
            .push_bind(fts)
            .push(")");
    }
}

pub(crate) fn push_order(b: &mut QueryBuilder<'_, Sqlite>, sort: Sort) {
    b.push(match sort {
        Sort::Newest => " ORDER BY r.submitted_at DESC, r.id",
        Sort::Oldest => " ORDER BY r.submitted_at ASC, r.id",
        Sort::StarsAscending => " ORDER BY r.stars ASC, r.submitted_at DESC, r.id",
        Sort::StarsDescending => " ORDER BY r.stars DESC, r.submitted_at DESC, r.id",
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_input_cannot_inject_fts_syntax() {
        assert_eq!(fts_query("Lieferung kam"), Some("\"Lieferung\" \"kam\"*".into()));
        assert_eq!(fts_query("a\" OR b NEAR(c"), Some("\"a\" \"OR\" \"b\" \"NEAR\" \"c\"*".into()));
        assert_eq!(fts_query("  *** \"\" "), None);
        assert_eq!(fts_query("zażółć"), Some("\"zażółć\"*".into()));
    }
}

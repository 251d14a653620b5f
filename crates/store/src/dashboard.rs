//! The dashboard's local figures: what this workstation decided, how old its
//! queue is, what the filters found, and how close open cases are to their
//! deadlines. All of it comes from the local store, so it works offline.

use chrono::{DateTime, Datelike, Duration, DurationRound, Utc};
use serde::Serialize;
use sqlx::Row;

use crate::rows::{parse_time, time_key};
use crate::{Store, StoreError};

/// The moderation service level this dashboard measures against: a review
/// waits at most two days for its decision.
pub const MODERATION_SLA_HOURS: u32 = 48;

/// Days of filter hits the dashboard charts.
pub const HIT_DAYS: i64 = 14;

#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HourCount {
    /// Start of the hour (UTC).
    pub hour: DateTime<Utc>,
    pub decisions: u32,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct QueueAge {
    pub pending: u32,
    pub oldest_hours: Option<f64>,
    pub median_hours: Option<f64>,
    pub p95_hours: Option<f64>,
    pub sla_hours: u32,
    /// Pending reviews older than the SLA.
    pub over_sla: u32,
}

/// Decisions with one label, by the stars of the review (index 0 = 1 star).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DecisionStars {
    /// "publish", "reject:insult", "request_evidence", ...
    pub decision: String,
    pub by_stars: Vec<u32>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HitDay {
    /// YYYY-MM-DD (UTC) the reviews were submitted.
    pub day: String,
    pub category: String,
    pub hits: u32,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CaseAge {
    /// "audit" or "dispute".
    pub kind: String,
    pub id: String,
    /// Audit kind or dispute stage.
    pub stage: String,
    pub due: Option<DateTime<Utc>>,
    /// Negative once the deadline has passed.
    pub hours_left: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LocalFigures {
    pub generated_at: DateTime<Utc>,
    /// Decisions made on this workstation in each of the last 24 hours, oldest first.
    pub throughput: Vec<HourCount>,
    /// Decisions made on this workstation, ever (undone ones not counted).
    pub decided_total: u32,
    pub queue: QueueAge,
    pub decisions_by_stars: Vec<DecisionStars>,
    /// Days `hits_by_day` covers, today included (days without hits are absent).
    pub hit_days: u32,
    pub hits_by_day: Vec<HitDay>,
    /// Open audits and disputes, nearest deadline first.
    pub cases: Vec<CaseAge>,
}

fn hours_between(later: DateTime<Utc>, earlier: DateTime<Utc>) -> f64 {
    (later - earlier).num_seconds() as f64 / 3600.0
}

impl Store {
    pub async fn local_figures(&self, now: DateTime<Utc>) -> Result<LocalFigures, StoreError> {
        let db = &self.reader;
        let this_hour = now.duration_trunc(Duration::hours(1)).unwrap_or(now);
        let first_hour = this_hour - Duration::hours(23);
        let per_hour: Vec<(String, i64)> = sqlx::query_as(
            "SELECT substr(decided_at, 1, 13), count(*) FROM decision_facts
             WHERE withdrawn = 0 AND decided_at >= ?1 GROUP BY 1",
        )
        .bind(time_key(first_hour))
        .fetch_all(db)
        .await?;
        let throughput = (0..24)
            .map(|i| {
                let hour = first_hour + Duration::hours(i);
                let key = &time_key(hour)[..13];
                let decisions = per_hour.iter().find(|(k, _)| k == key).map_or(0, |(_, n)| *n as u32);
                HourCount { hour, decisions }
            })
            .collect();

        let mut decisions_by_stars: Vec<DecisionStars> = Vec::new();
        let mut decided_total = 0u32;
        for row in sqlx::query(
            "SELECT decision, stars, count(*) FROM decision_facts WHERE withdrawn = 0 GROUP BY 1, 2 ORDER BY 1",
        )
        .fetch_all(db)
        .await?
        {
            let decision: String = row.try_get(0)?;
            let stars: i64 = row.try_get(1)?;
            let n = row.try_get::<i64, _>(2)? as u32;
            decided_total += n;
            if decisions_by_stars.last().is_none_or(|d| d.decision != decision) {
                decisions_by_stars.push(DecisionStars { decision, by_stars: vec![0; 5] });
            }
            if let (Some(d), 1..=5) = (decisions_by_stars.last_mut(), stars) {
                d.by_stars[stars as usize - 1] = n;
            }
        }

        let queue = self.queue_age(now).await?;

        let since = (now - Duration::days(HIT_DAYS - 1)).date_naive().to_string();
        let hits_by_day = sqlx::query(
            "SELECT substr(r.submitted_at, 1, 10), json_extract(j.value, '$.category'), count(*)
             FROM reviews r JOIN review_hits h ON h.review_id = r.id, json_each(h.hits) j
             WHERE r.submitted_at >= ?1 GROUP BY 1, 2 ORDER BY 1, 2",
        )
        .bind(since)
        .fetch_all(db)
        .await?
        .into_iter()
        .map(|row| {
            Ok(HitDay {
                day: row.try_get(0)?,
                category: row.try_get(1)?,
                hits: row.try_get::<i64, _>(2)? as u32,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;

        let mut cases = Vec::new();
        for row in sqlx::query(
            "SELECT 'audit', id, kind, due FROM audits WHERE json_extract(local_copy, '$.confirmed') IS NULL
             UNION ALL
             SELECT 'dispute', id, kind, due FROM disputes WHERE kind <> 'closed'
             ORDER BY 4",
        )
        .fetch_all(db)
        .await?
        {
            let due: String = row.try_get(3)?;
            // Disputes without a deadline sort last with a far-future `due`.
            let due = parse_time(&due).ok().filter(|d| d.year() < 9000);
            cases.push(CaseAge {
                kind: row.try_get(0)?,
                id: row.try_get(1)?,
                stage: row.try_get(2)?,
                due,
                hours_left: due.map(|d| hours_between(d, now)),
            });
        }

        Ok(LocalFigures {
            generated_at: now,
            throughput,
            decided_total,
            queue,
            decisions_by_stars,
            hit_days: HIT_DAYS as u32,
            hits_by_day,
            cases,
        })
    }

    /// Ages of the pending queue, read through the effective-state index: the
    /// quantiles are single rows at an offset, not a sort of the whole queue.
    async fn queue_age(&self, now: DateTime<Utc>) -> Result<QueueAge, StoreError> {
        let db = &self.reader;
        const PENDING: &str = "FROM reviews WHERE COALESCE(local_state, state) = 'pending'";
        let pending: i64 = sqlx::query_scalar(&format!("SELECT count(*) {PENDING}")).fetch_one(db).await?;
        let sla_cut = time_key(now - Duration::hours(i64::from(MODERATION_SLA_HOURS)));
        let over_sla: i64 = sqlx::query_scalar(&format!("SELECT count(*) {PENDING} AND submitted_at < ?1"))
            .bind(sla_cut)
            .fetch_one(db)
            .await?;
        // Newest first in the index: the k-th oldest is at offset pending - 1 - k.
        let at_rank = |k: i64| async move {
            let t: Option<String> = sqlx::query_scalar(&format!(
                "SELECT submitted_at {PENDING} ORDER BY COALESCE(local_state, state), submitted_at DESC, id
                 LIMIT 1 OFFSET ?1"
            ))
            .bind(pending - 1 - k)
            .fetch_optional(db)
            .await?;
            Ok::<_, StoreError>(match t {
                Some(t) => Some(hours_between(now, parse_time(&t)?).max(0.0)),
                None => None,
            })
        };
        let (oldest, median, p95) = if pending == 0 {
            (None, None, None)
        } else {
            // Ages: the oldest is rank 0; the median age is the middle rank; the
            // 95th percentile of age is near the old end (5 % are older).
            let p95_rank = ((pending as f64) * 0.05).floor() as i64;
            (at_rank(0).await?, at_rank(pending / 2).await?, at_rank(p95_rank).await?)
        };
        Ok(QueueAge {
            pending: pending as u32,
            oldest_hours: oldest,
            median_hours: median,
            p95_hours: p95,
            sla_hours: MODERATION_SLA_HOURS,
            over_sla: over_sla as u32,
        })
    }

    /// Keeps the server's figures (JSON) for offline display.
    pub async fn put_cached_figures(
        &self,
        name: &str,
        body: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO figures_cache (name, fetched_at, body) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET fetched_at = excluded.fetched_at, body = excluded.body",
        )
        .bind(name)
        .bind(time_key(at))
        .bind(body)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn cached_figures(&self, name: &str) -> Result<Option<(String, DateTime<Utc>)>, StoreError> {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT body, fetched_at FROM figures_cache WHERE name = ?1")
                .bind(name)
                .fetch_optional(&self.reader)
                .await?;
        row.map(|(body, at)| Ok((body, parse_time(&at)?))).transpose()
    }
}

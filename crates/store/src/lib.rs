//! The workstation's local store: one SQLite file holding the server's copy of
//! each entity, a durable outbox of local decisions, an append-only journal and
//! the sync cursors.
//!
//! What the user sees is the *overlay*: the server copy with the newest pending
//! local decision applied, so a decision shows at once, offline.
//!
//! Invariant: [`Store::record_decision`] returns only after the outbox row and
//! its journal entry are committed together (WAL, `synchronous = FULL`).

pub mod demo;
mod error;
mod rows;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use trustdesk_domain::decision::{DecisionInput, Grounds};
use trustdesk_domain::{Review, ReviewAction, ReviewDecision, ReviewId, Shop};

pub use error::StoreError;
pub use rows::ReviewView;

/// Largest page a caller may ask for; bulk data is paged, never sent whole.
pub const MAX_PAGE: u32 = 500;

/// An open local store.
#[derive(Clone)]
pub struct Store {
    /// Exactly one connection: SQLite has one writer, and serialising writes in
    /// process avoids lock-upgrade deadlocks between our own transactions.
    writer: SqlitePool,
    reader: SqlitePool,
    path: PathBuf,
}

/// A filter and page over the review overlay.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ReviewQuery {
    /// Effective state name (`pending`, `published`, ...); `None` for all.
    pub state: Option<String>,
    pub offset: u32,
    pub limit: u32,
}

#[derive(Debug, Clone)]
pub struct ReviewPage {
    pub items: Vec<ReviewView>,
    /// Matching reviews in total, for the list's size and counts.
    pub total: u64,
}

/// A decision waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub seq: i64,
    pub decision: ReviewDecision,
    pub delivery: String,
}

/// What a moderator asks for; the store fills in the rest.
#[derive(Debug, Clone)]
pub struct NewDecision {
    pub review_id: ReviewId,
    pub action: ReviewAction,
    pub grounds: Grounds,
    pub decided_by: String,
}

impl Store {
    /// Opens (creating if needed) the store at `path` and applies migrations.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Io(dir.to_path_buf(), e))?;
        }
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a commit survives power loss, not only a process crash.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let writer = SqlitePoolOptions::new().max_connections(1).connect_with(opts.clone()).await?;
        sqlx::migrate!("./migrations").run(&writer).await?;
        let reader = SqlitePoolOptions::new().max_connections(4).connect_with(opts.read_only(true)).await?;
        Ok(Store { writer, reader, path: path.to_path_buf() })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Closes both pools, checkpointing the WAL.
    pub async fn close(self) {
        self.reader.close().await;
        self.writer.close().await;
    }

    /// Replaces the server copies of `shops`.
    pub async fn upsert_shops(&self, shops: &[Shop]) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        for s in shops {
            sqlx::query(
                "INSERT INTO shops (id, name, country, languages, industries, arm_enabled, employee_names)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, country = excluded.country,
                   languages = excluded.languages, industries = excluded.industries,
                   arm_enabled = excluded.arm_enabled, employee_names = excluded.employee_names",
            )
            .bind(s.id.to_string())
            .bind(&s.name)
            .bind(s.country.as_str())
            .bind(serde_json::to_string(&s.languages)?)
            .bind(serde_json::to_string(&s.industries)?)
            .bind(s.arm_enabled)
            .bind(serde_json::to_string(&s.employee_names)?)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Replaces the server copies of `reviews` in one transaction.
    pub async fn upsert_reviews(&self, reviews: &[Review]) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        for r in reviews {
            sqlx::query(
                "INSERT INTO reviews (id, shop_id, order_reference, reviewer_reference, stars, text, language,
                   experience_date, submitted_at, source, state, status, flags, version)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
                 ON CONFLICT (id) DO UPDATE SET shop_id = excluded.shop_id,
                   order_reference = excluded.order_reference, reviewer_reference = excluded.reviewer_reference,
                   stars = excluded.stars, text = excluded.text, language = excluded.language,
                   experience_date = excluded.experience_date, submitted_at = excluded.submitted_at,
                   source = excluded.source, state = excluded.state, status = excluded.status,
                   flags = excluded.flags, version = excluded.version",
            )
            .bind(r.id.to_string())
            .bind(r.shop_id.to_string())
            .bind(&r.order_reference)
            .bind(&r.reviewer_reference)
            .bind(i64::from(r.stars.get()))
            .bind(&r.text)
            .bind(r.language.as_str())
            .bind(r.experience_date.to_string())
            .bind(rows::time_key(r.submitted_at))
            .bind(rows::enum_code(&r.source)?)
            .bind(r.status.state_name())
            .bind(serde_json::to_string(&r.status)?)
            .bind(serde_json::to_string(&r.flags)?)
            .bind(r.version)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn review_count(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reviews").fetch_one(&self.reader).await?;
        Ok(n as u64)
    }

    /// One page of the overlay, newest submission first.
    pub async fn list_reviews(&self, q: &ReviewQuery) -> Result<ReviewPage, StoreError> {
        let limit = q.limit.clamp(1, MAX_PAGE);
        let items = sqlx::query(&format!(
            "{} WHERE (?1 IS NULL OR COALESCE(local_state, r.state) = ?1)
             ORDER BY r.submitted_at DESC, r.id LIMIT ?2 OFFSET ?3",
            rows::OVERLAY_SELECT
        ))
        .bind(q.state.as_deref())
        .bind(i64::from(limit))
        .bind(i64::from(q.offset))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(rows::review_view)
        .collect::<Result<Vec<_>, _>>()?;
        let total: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM ({}) WHERE (?1 IS NULL OR COALESCE(local_state, state) = ?1)",
            rows::OVERLAY_STATES
        ))
        .bind(q.state.as_deref())
        .fetch_one(&self.reader)
        .await?;
        Ok(ReviewPage { items, total: total as u64 })
    }

    pub async fn get_review(&self, id: ReviewId) -> Result<ReviewView, StoreError> {
        let row = sqlx::query(&format!("{} WHERE r.id = ?1", rows::OVERLAY_SELECT))
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await?
            .ok_or(StoreError::NotFound(id.to_string()))?;
        rows::review_view(&row)
    }

    /// Records a decision durably: the outbox row and its journal entry commit in
    /// one transaction before this returns. The decision applies to what the user
    /// sees (server copy plus earlier pending decisions).
    pub async fn record_decision(
        &self,
        new: NewDecision,
        now: DateTime<Utc>,
    ) -> Result<ReviewDecision, StoreError> {
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query(&format!("{} WHERE r.id = ?1", rows::OVERLAY_SELECT))
            .bind(new.review_id.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound(new.review_id.to_string()))?;
        let view = rows::review_view(&row)?;
        let decision = ReviewDecision::make(
            DecisionInput {
                review_id: new.review_id,
                current: view.effective_status,
                base_version: view.review.version,
                stars: view.review.stars,
                action: new.action,
                grounds: new.grounds,
                decided_by: new.decided_by,
            },
            now,
        )?;
        let payload = serde_json::to_string(&decision)?;
        sqlx::query(
            "INSERT INTO outbox (mutation_id, entity_kind, entity_id, base_version, payload, local_state, local_status, created_at)
             VALUES (?1, 'review', ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .bind(decision.id.to_string())
        .bind(decision.review_id.to_string())
        .bind(decision.base_version)
        .bind(&payload)
        .bind(decision.to.state_name())
        .bind(serde_json::to_string(&decision.to)?)
        .bind(rows::time_key(now))
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO journal (at, actor, entity_kind, entity_id, event, mutation_id, payload)
             VALUES (?1, ?2, 'review', ?3, 'decision_recorded', ?4, ?5)",
        )
        .bind(rows::time_key(now))
        .bind(&decision.decided_by)
        .bind(decision.review_id.to_string())
        .bind(decision.id.to_string())
        .bind(&payload)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(decision)
    }

    /// The outbox in the order decisions were made.
    pub async fn outbox(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        sqlx::query("SELECT seq, payload, delivery FROM outbox ORDER BY seq")
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(|r| {
                Ok(OutboxEntry {
                    seq: r.try_get("seq")?,
                    decision: serde_json::from_str(r.try_get::<&str, _>("payload")?)?,
                    delivery: r.try_get("delivery")?,
                })
            })
            .collect()
    }

    /// Number of journal entries naming `mutation_id` (0 or 1 when healthy).
    pub async fn journal_entries_for(&self, mutation_id: &str) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM journal WHERE mutation_id = ?1")
            .bind(mutation_id)
            .fetch_one(&self.reader)
            .await?;
        Ok(n as u64)
    }

    pub async fn cursor(&self, feed: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT cursor FROM sync_state WHERE feed = ?1")
            .bind(feed)
            .fetch_optional(&self.reader)
            .await?)
    }

    pub async fn set_cursor(&self, feed: &str, cursor: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sync_state (feed, cursor, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (feed) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
        )
        .bind(feed)
        .bind(cursor)
        .bind(rows::time_key(now))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// SQLite's own consistency check; "ok" when healthy.
    pub async fn integrity_check(&self) -> Result<String, StoreError> {
        Ok(sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&self.writer).await?)
    }
}

/// Parses a stored enum code back (helper shared by row decoding).
pub(crate) fn parse_code<T: for<'de> Deserialize<'de>>(code: &str) -> Result<T, StoreError> {
    Ok(serde_json::from_value(serde_json::Value::String(code.to_owned()))?)
}

pub(crate) fn parse_id<T: FromStr>(s: &str) -> Result<T, StoreError> {
    s.parse().map_err(|_| StoreError::Corrupt(format!("bad id {s:?}")))
}

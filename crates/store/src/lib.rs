//! The workstation's local store: one SQLite file holding the server's copy of
//! each entity, a durable outbox of local decisions, an append-only journal and
//! the sync cursors.
//!
//! What the user sees is the *overlay*: the server copy with the newest pending
//! local decision applied, so a decision shows at once, offline.
//!
//! Invariant: [`Store::record_decision`] returns only after the outbox row and
//! its journal entry are committed together (WAL, `synchronous = FULL`).

mod cases;
pub mod dashboard;
pub mod demo;
mod error;
mod query;
mod rows;
pub mod scan;
mod session;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, QueryBuilder, Row, Sqlite, SqliteConnection, SqlitePool};
use trustdesk_domain::arm::{supporting_rules, ArmHit};
use trustdesk_domain::decision::{DecisionError, DecisionInput, Grounds};
use trustdesk_domain::rating::RatingEntry;
use trustdesk_domain::{
    DecisionId, LanguageCode, Review, ReviewAction, ReviewDecision, ReviewId, Shop, ShopId, ShopRating, Stars,
};

pub use cases::{
    AuditChangeError, AuditView, CaseAttention, CaseChangeError, CaseOutboxEntry, CaseView, ComplaintView,
    DisputeView, LocalCase,
};
pub use error::StoreError;
pub use query::{fts_query, FlagFilter, ReviewQuery, Sort};
pub use rows::{Attention, ReviewView};
pub use session::{HeldClaim, Session};

/// A review as the ARM filter scan sees it.
#[derive(Debug, Clone)]
pub struct ScanItem {
    pub id: ReviewId,
    pub text: String,
    pub language: LanguageCode,
    pub shop: Arc<Shop>,
}

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

/// One entry of the journal (`Store::activity`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// Who: the user, or `sync` for the server's answers.
    pub actor: String,
    pub entity_kind: String,
    pub entity_id: String,
    /// `decision_recorded`, `decision_synced`, `case_conflict`, ...
    pub event: String,
    pub mutation_id: Option<String>,
    /// The decision or change as JSON.
    pub payload: String,
    /// The start of the review's text, for review events.
    pub review_excerpt: Option<String>,
}

/// One page of the server's change feed, as the store applies it.
#[derive(Debug, Clone, Default)]
pub struct ServerChanges {
    pub shops: Vec<Shop>,
    pub reviews: Vec<Review>,
    pub deleted_reviews: Vec<ReviewId>,
    pub audits: Vec<trustdesk_domain::AuditCase>,
    pub disputes: Vec<trustdesk_domain::DisputeCase>,
    pub complaints: Vec<trustdesk_domain::ComplaintCase>,
    /// The feed cursor after this page.
    pub cursor: String,
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
    /// What the reviewer is told; required for evidence requests.
    pub message: Option<String>,
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
        // A 64 MiB page cache for the one writer: an initial sync of 100,000
        // reviews otherwise spends most of its time re-reading index pages from
        // the OS (measured with perf: kernel copy routines on top). Checkpoints
        // at 64 MiB of WAL instead of 4 MiB: each one copies the pages changed
        // since the last back into the database, and index pages change on
        // every feed page (initial sync's apply about 5.8 s -> 4.7 s, A/B).
        // Closing checkpoints the rest.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(
                opts.clone()
                    .pragma("cache_size", "-65536")
                    .pragma("temp_store", "memory")
                    .pragma("wal_autocheckpoint", "16384"),
            )
            .await?;
        sqlx::migrate!("./migrations").run(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts.read_only(true).pragma("cache_size", "-4096"))
            .await?;
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
        write_shops(&mut tx, shops).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Replaces the server copies of `reviews` in one transaction.
    pub async fn upsert_reviews(&self, reviews: &[Review]) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        write_reviews(&mut tx, reviews).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Applies one page of the server's change feed and advances the feed's
    /// cursor in the same transaction, so an interrupted sync resumes exactly
    /// where it stopped.
    ///
    /// A deleted review goes with its hits, unless the outbox still holds a
    /// decision on it: then it stays, marked `server_deleted`, and its pending
    /// decisions become conflicts (server copy `null`), so the user sees what
    /// happened instead of losing the decision. Resolving the last of them
    /// removes the review.
    pub async fn apply_changes(
        &self,
        page: &ServerChanges,
        feed: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        write_shops(&mut tx, &page.shops).await?;
        write_reviews(&mut tx, &page.reviews).await?;
        cases::write_cases(&mut tx, &page.audits).await?;
        cases::write_cases(&mut tx, &page.disputes).await?;
        cases::write_cases(&mut tx, &page.complaints).await?;
        for id in &page.deleted_reviews {
            delete_review(&mut tx, &id.to_string(), now).await?;
        }
        sqlx::query(
            "INSERT INTO sync_state (feed, cursor, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (feed) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
        )
        .bind(feed)
        .bind(&page.cursor)
        .bind(rows::time_key(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The server applied (or had already applied) this decision: it leaves the
    /// outbox and the journal records the delivery. With the server's
    /// `new_version`, the server copy moves to the decided state at once, so the
    /// review does not show its old state (and invite a second, conflicting
    /// decision) until the next pull lands.
    pub async fn acknowledge(
        &self,
        id: DecisionId,
        new_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.settle_with(
            id,
            now,
            "decision_synced",
            "DELETE FROM outbox WHERE mutation_id = ?1",
            &[],
            new_version,
        )
        .await
    }

    /// The server holds a newer state: keep the local decision, store the
    /// server's copy next to it, and leave it for the user to resolve.
    pub async fn mark_conflict(
        &self,
        id: DecisionId,
        server_copy: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.settle(
            id,
            now,
            "decision_conflict",
            "UPDATE outbox SET delivery = 'conflict', server_copy = ?2 WHERE mutation_id = ?1",
            &[server_copy],
        )
        .await
    }

    /// The server refused the decision for good: keep it visible with the reason.
    pub async fn mark_rejected(
        &self,
        id: DecisionId,
        code: &str,
        message: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.settle(
            id,
            now,
            "decision_refused",
            "UPDATE outbox SET delivery = 'rejected', server_code = ?2, server_message = ?3 WHERE mutation_id = ?1",
            &[code, message],
        )
        .await
    }

    async fn settle(
        &self,
        id: DecisionId,
        now: DateTime<Utc>,
        event: &str,
        sql: &str,
        extra: &[&str],
    ) -> Result<(), StoreError> {
        self.settle_with(id, now, event, sql, extra, None).await
    }

    async fn settle_with(
        &self,
        id: DecisionId,
        now: DateTime<Utc>,
        event: &str,
        sql: &str,
        extra: &[&str],
        new_version: Option<i64>,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        settle_in(&mut tx, id, now, event, sql, extra, new_version).await?;
        tx.commit().await?;
        Ok(())
    }

    /// [`Store::acknowledge`] for a whole batch the server answered, in one
    /// durable commit instead of one per decision.
    pub async fn acknowledge_all(
        &self,
        applied: &[(DecisionId, Option<i64>)],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        for (id, new_version) in applied {
            settle_in(
                &mut tx,
                *id,
                now,
                "decision_synced",
                "DELETE FROM outbox WHERE mutation_id = ?1",
                &[],
                *new_version,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Stores the filter hits of scanned reviews, replacing earlier ones.
    pub async fn put_hits(
        &self,
        scanned: &[(ReviewId, Vec<ArmHit>)],
        rule_pack_version: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        for chunk in scanned.chunks(rows_per_statement(3)) {
            let mut encoded = Vec::with_capacity(chunk.len());
            for (id, hits) in chunk {
                encoded.push((id.to_string(), serde_json::to_string(hits)?));
            }
            let mut b =
                QueryBuilder::<Sqlite>::new("INSERT INTO review_hits (review_id, rule_pack_version, hits) ");
            b.push_values(encoded, |mut row, (id, hits)| {
                row.push_bind(id).push_bind(rule_pack_version).push_bind(hits);
            });
            b.push(
                " ON CONFLICT (review_id) DO UPDATE SET rule_pack_version = excluded.rule_pack_version, \
                 hits = excluded.hits",
            );
            b.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Reviews not yet scanned with `rule_pack_version` (new, edited, or scanned
    /// with an older pack), for the scanner to work through in batches. The
    /// queue is kept by triggers; a new pack version queues every review once.
    pub async fn reviews_to_scan(
        &self,
        rule_pack_version: &str,
        limit: u32,
    ) -> Result<Vec<ReviewView>, StoreError> {
        self.queue_for_scan(rule_pack_version).await?;
        sqlx::query(&format!(
            "{} WHERE r.id IN (SELECT review_id FROM scan_queue LIMIT ?1)",
            rows::OVERLAY_SELECT
        ))
        .bind(i64::from(limit))
        .fetch_all(&self.writer)
        .await?
        .iter()
        .map(rows::review_view)
        .collect()
    }

    /// Up to `limit` queued reviews as the scan needs them: text, language and
    /// shop, without decoding the rest (loading whole reviews was most of the
    /// scan's time). Read on the writer, whose cache holds the pages the pull
    /// just wrote (a reader, reading them again from the OS, was slower even
    /// when overlapped with writing the hits). `shops` caches the shops across
    /// batches.
    async fn scan_batch(
        &self,
        limit: u32,
        shops: &mut HashMap<String, Arc<Shop>>,
    ) -> Result<Vec<ScanItem>, StoreError> {
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT r.id, r.text, r.language, r.shop_id FROM scan_queue q JOIN reviews r ON r.id = q.review_id
             LIMIT ?1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.writer)
        .await?;
        let mut items = Vec::with_capacity(rows.len());
        for (id, text, language, shop_id) in rows {
            let shop = match shops.get(&shop_id) {
                Some(shop) => Arc::clone(shop),
                None => {
                    let mut conn = self.writer.acquire().await?;
                    let shop = Arc::new(rows::shop_by_id(&mut conn, &shop_id).await?);
                    shops.insert(shop_id, Arc::clone(&shop));
                    shop
                }
            };
            items.push(ScanItem { id: parse_id(&id)?, text, language: parse_id(&language)?, shop });
        }
        Ok(items)
    }

    /// Makes sure the scan queue was built for `rule_pack_version`; a new
    /// version queues whatever lacks hits of it.
    async fn queue_for_scan(&self, rule_pack_version: &str) -> Result<(), StoreError> {
        let queued_for: Option<String> = sqlx::query_scalar("SELECT version FROM scan_state WHERE id = 1")
            .fetch_optional(&self.reader)
            .await?;
        if queued_for.as_deref() != Some(rule_pack_version) {
            // Rebuilt for this version: whatever it lacks hits of.
            let mut tx = self.writer.begin().await?;
            sqlx::query("DELETE FROM scan_queue").execute(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO scan_queue (review_id)
                 SELECT r.id FROM reviews r LEFT JOIN review_hits h ON h.review_id = r.id
                 WHERE h.review_id IS NULL OR h.rule_pack_version <> ?1",
            )
            .bind(rule_pack_version)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO scan_state (id, version) VALUES (1, ?1)
                 ON CONFLICT (id) DO UPDATE SET version = excluded.version",
            )
            .bind(rule_pack_version)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// Records "nothing to report" under `rule_pack_version` for the queued
    /// reviews of shops without ARM, which are not filtered (seed 003), in one
    /// statement: only ARM shops' texts need the engine. Returns how many.
    pub async fn settle_unfiltered(&self, rule_pack_version: &str) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "INSERT INTO review_hits (review_id, rule_pack_version, hits)
             SELECT q.review_id, ?1, '[]' FROM scan_queue q
             JOIN reviews r ON r.id = q.review_id JOIN shops s ON s.id = r.shop_id
             WHERE s.arm_enabled = 0
             ON CONFLICT (review_id) DO UPDATE SET rule_pack_version = excluded.rule_pack_version,
               hits = excluded.hits",
        )
        .bind(rule_pack_version)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected())
    }

    /// Scans every review not yet scanned with `rule_pack_version`, in batches,
    /// storing the hits `scan` returns. Returns how many reviews were scanned.
    pub async fn scan_unscanned(
        &self,
        rule_pack_version: &str,
        scan: impl Fn(&ScanItem) -> Vec<ArmHit> + Sync,
    ) -> Result<usize, StoreError> {
        // Scanning is CPU work on texts already loaded, spread over the cores;
        // batches are large so the threads' start-up is paid rarely.
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(4);
        self.queue_for_scan(rule_pack_version).await?;
        let mut shops = HashMap::new();
        let mut total = 0;
        loop {
            let batch = self.scan_batch(5000, &mut shops).await?;
            if batch.is_empty() {
                return Ok(total);
            }
            let part = batch.len().div_ceil(threads);
            let scan = &scan;
            let scanned: Vec<_> = std::thread::scope(|s| {
                let handles: Vec<_> = batch
                    .chunks(part)
                    .map(|chunk| s.spawn(move || chunk.iter().map(|v| (v.id, scan(v))).collect::<Vec<_>>()))
                    .collect();
                handles.into_iter().flat_map(|h| h.join().expect("the filter scan panicked")).collect()
            });
            self.put_hits(&scanned, rule_pack_version).await?;
            total += scanned.len();
        }
    }

    /// SHA-256 of every evidence file sent for reviews awaiting a decision on
    /// their evidence: what the sync keeps in the local cache for offline use.
    pub async fn review_evidence_hashes(&self) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT json_extract(f.value, '$.sha256')
             FROM reviews r, json_each(r.flags, '$.evidence_files') f
             WHERE COALESCE(r.local_state, r.state) = 'evidence_received'",
        )
        .fetch_all(&self.reader)
        .await?)
    }

    /// All shops, by name.
    pub async fn shops(&self) -> Result<Vec<(ShopId, String)>, StoreError> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT id, name FROM shops ORDER BY name").fetch_all(&self.reader).await?;
        rows.into_iter().map(|(id, name)| Ok((parse_id(&id)?, name))).collect()
    }

    pub async fn review_count(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reviews").fetch_one(&self.reader).await?;
        Ok(n as u64)
    }

    /// One page of the overlay with the total that matches the same filters.
    pub async fn list_reviews(&self, q: &ReviewQuery, now: DateTime<Utc>) -> Result<ReviewPage, StoreError> {
        let limit = q.limit.clamp(1, MAX_PAGE);
        // Page through the index alone, then join the page's rows: skipping deep
        // into 100,000 rows must not join every skipped one.
        let mut b = QueryBuilder::<Sqlite>::new(rows::OVERLAY_SELECT);
        b.push(" WHERE r.rowid IN (SELECT r.rowid FROM reviews r");
        query::push_where(&mut b, q, now);
        query::push_order(&mut b, q.sort);
        b.push(" LIMIT ").push_bind(i64::from(limit)).push(" OFFSET ").push_bind(i64::from(q.offset));
        b.push(")");
        query::push_order(&mut b, q.sort);
        let items = b
            .build()
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(rows::review_view)
            .collect::<Result<_, _>>()?;
        let mut c = QueryBuilder::<Sqlite>::new(rows::OVERLAY_COUNT);
        query::push_where(&mut c, q, now);
        let total: i64 = c.build_query_scalar().fetch_one(&self.reader).await?;
        Ok(ReviewPage { items, total: total as u64 })
    }

    /// The shop's public rating by seed 003, from the server copies (what the
    /// profile shows), as of `now`.
    pub async fn shop_rating(&self, shop: ShopId, now: DateTime<Utc>) -> Result<ShopRating, StoreError> {
        let rows: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT stars, source, submitted_at FROM reviews WHERE shop_id = ?1 AND state = 'published'",
        )
        .bind(shop.to_string())
        .fetch_all(&self.reader)
        .await?;
        let entries = rows
            .into_iter()
            .map(|(stars, source, submitted)| {
                Ok(RatingEntry {
                    stars: Stars::try_from(stars).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    source: parse_code(&source)?,
                    published: true,
                    submitted_at: rows::parse_time(&submitted)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(ShopRating::from_entries(entries, now))
    }

    /// Other reviews by the same reviewer, newest first.
    pub async fn reviewer_history(
        &self,
        review: ReviewId,
        limit: u32,
    ) -> Result<Vec<ReviewView>, StoreError> {
        sqlx::query(&format!(
            "{} WHERE r.reviewer_reference = (SELECT reviewer_reference FROM reviews WHERE id = ?1) AND r.id <> ?1
             ORDER BY r.submitted_at DESC LIMIT ?2",
            rows::OVERLAY_SELECT
        ))
        .bind(review.to_string())
        .bind(i64::from(limit.min(MAX_PAGE)))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(rows::review_view)
        .collect()
    }

    /// Reviews per effective state, for the queue's tabs.
    pub async fn state_counts(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT COALESCE(local_state, state) AS s, COUNT(*) FROM reviews GROUP BY s ORDER BY s",
        )
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.into_iter().map(|(s, n)| (s, n as u64)).collect())
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
        let decision = insert_decision(&mut tx, new, now).await?;
        tx.commit().await?;
        Ok(decision)
    }

    /// Records several decisions (a bulk action) in one durable transaction. Each
    /// is checked on its own: an illegal one is reported and writes nothing, the
    /// others still land.
    pub async fn record_decisions(
        &self,
        batch: Vec<NewDecision>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Result<ReviewDecision, StoreError>>, StoreError> {
        let mut tx = self.writer.begin().await?;
        let mut results = Vec::with_capacity(batch.len());
        for new in batch {
            // A savepoint per item keeps a failed item's partial writes out.
            let mut item = tx.begin().await?;
            match insert_decision(&mut item, new, now).await {
                Ok(d) => {
                    item.commit().await?;
                    results.push(Ok(d));
                }
                Err(e @ (StoreError::Decision(_) | StoreError::NotFound(_))) => {
                    item.rollback().await?;
                    results.push(Err(e));
                }
                Err(e) => return Err(e),
            }
        }
        tx.commit().await?;
        Ok(results)
    }

    /// Takes back a decision the server has not received yet. Only the newest
    /// decision on a review can be undone, since later ones build on it.
    pub async fn undo_decision(
        &self,
        id: DecisionId,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<ReviewDecision, StoreError> {
        let mut tx = self.writer.begin().await?;
        let row: Option<(String, String, String)> =
            sqlx::query_as("SELECT payload, entity_id, delivery FROM outbox WHERE mutation_id = ?1")
                .bind(id.to_string())
                .fetch_optional(&mut *tx)
                .await?;
        let Some((payload, entity_id, delivery)) = row else {
            return Err(StoreError::NotUndoable(
                "the decision is no longer pending (already synced or undone)".into(),
            ));
        };
        if delivery != "pending" {
            return Err(StoreError::NotUndoable(format!(
                "the decision is marked {delivery}; resolve it instead"
            )));
        }
        let newest: String = sqlx::query_scalar(
            "SELECT mutation_id FROM outbox WHERE entity_id = ?1 ORDER BY seq DESC LIMIT 1",
        )
        .bind(&entity_id)
        .fetch_one(&mut *tx)
        .await?;
        if newest != id.to_string() {
            return Err(StoreError::NotUndoable(
                "a later decision on this review must be undone first".into(),
            ));
        }
        sqlx::query("DELETE FROM outbox WHERE mutation_id = ?1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        journal_review_event(&mut tx, now, actor, &entity_id, "decision_undone", &id.to_string(), &payload)
            .await?;
        tx.commit().await?;
        Ok(serde_json::from_str(&payload)?)
    }

    /// Resolves a decision the server did not apply. `keep_mine` records the
    /// same action again on the server's current copy (a new decision with a new
    /// id, which must be legal from that state); otherwise the server's state is
    /// accepted and the local decision is dropped. Either way the journal keeps it.
    pub async fn resolve(
        &self,
        id: DecisionId,
        keep_mine: bool,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<(ReviewId, Option<ReviewDecision>), StoreError> {
        let mut tx = self.writer.begin().await?;
        let row: Option<(String, String, String)> =
            sqlx::query_as("SELECT entity_id, payload, delivery FROM outbox WHERE mutation_id = ?1")
                .bind(id.to_string())
                .fetch_optional(&mut *tx)
                .await?;
        let Some((entity_id, payload, delivery)) = row else {
            return Err(StoreError::NotFound(format!("decision {id}")));
        };
        if delivery == "pending" {
            return Err(StoreError::NotUndoable(
                "the decision has not been answered by the server yet".into(),
            ));
        }
        let server_deleted: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(server_deleted), 0) FROM reviews WHERE id = ?1")
                .bind(&entity_id)
                .fetch_one(&mut *tx)
                .await?;
        if keep_mine && server_deleted != 0 {
            return Err(StoreError::NotUndoable(
                "the server deleted this review; the decision can only be dropped".into(),
            ));
        }
        sqlx::query("DELETE FROM outbox WHERE mutation_id = ?1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        let event = if keep_mine { "conflict_kept_mine" } else { "conflict_accepted_theirs" };
        journal_review_event(&mut tx, now, actor, &entity_id, event, &id.to_string(), &payload).await?;
        if server_deleted != 0 {
            // Once no decision on it is left, the server's deletion lands.
            delete_review(&mut tx, &entity_id, now).await?;
        }
        let old: ReviewDecision = serde_json::from_str(&payload)?;
        let again = if keep_mine {
            let new = NewDecision {
                review_id: old.review_id,
                action: old.action,
                grounds: old.grounds,
                decided_by: actor.to_owned(),
                message: old.message,
            };
            Some(insert_decision(&mut tx, new, now).await?)
        } else {
            None
        };
        tx.commit().await?;
        Ok((old.review_id, again))
    }

    /// The outbox in the order decisions were made.
    pub async fn outbox(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        self.outbox_where("1 = 1", i64::MAX).await
    }

    /// How many decisions wait for delivery.
    pub async fn pending_count(&self) -> Result<u64, StoreError> {
        // Review decisions and case changes alike: everything not yet sent.
        let n: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM outbox WHERE delivery = 'pending')
                  + (SELECT COUNT(*) FROM case_outbox WHERE delivery = 'pending')",
        )
        .fetch_one(&self.reader)
        .await?;
        Ok(n as u64)
    }

    /// The next `limit` decisions waiting for delivery, oldest first.
    pub async fn pending_outbox(&self, limit: u32) -> Result<Vec<OutboxEntry>, StoreError> {
        self.outbox_where("delivery = 'pending'", i64::from(limit)).await
    }

    async fn outbox_where(&self, condition: &str, limit: i64) -> Result<Vec<OutboxEntry>, StoreError> {
        sqlx::query(&format!(
            "SELECT seq, payload, delivery FROM outbox WHERE {condition} ORDER BY seq LIMIT ?1"
        ))
        .bind(limit)
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

    /// The journal, newest first, `limit` entries before `before` (a `seq`; none:
    /// from the newest): what this workstation did and what the server answered.
    pub async fn activity(&self, before: Option<i64>, limit: u32) -> Result<Vec<ActivityEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT j.seq, j.at, j.actor, j.entity_kind, j.entity_id, j.event, j.mutation_id, j.payload,
                    substr(r.text, 1, 160) AS excerpt
             FROM journal j LEFT JOIN reviews r ON j.entity_kind = 'review' AND r.id = j.entity_id
             WHERE j.seq < ?1 ORDER BY j.seq DESC LIMIT ?2",
        )
        .bind(before.unwrap_or(i64::MAX))
        .bind(i64::from(limit.min(MAX_PAGE)))
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ActivityEntry {
                    seq: r.try_get("seq")?,
                    at: rows::parse_time(r.try_get("at")?)?,
                    actor: r.try_get("actor")?,
                    entity_kind: r.try_get("entity_kind")?,
                    entity_id: r.try_get("entity_id")?,
                    event: r.try_get("event")?,
                    mutation_id: r.try_get("mutation_id")?,
                    payload: r.try_get("payload")?,
                    review_excerpt: r.try_get("excerpt")?,
                })
            })
            .collect()
    }

    /// Number of `event` journal entries naming `mutation_id`.
    pub async fn journal_entries_for(&self, mutation_id: &str, event: &str) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM journal WHERE mutation_id = ?1 AND event = ?2")
            .bind(mutation_id)
            .bind(event)
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

/// Settles one outbox entry on `conn` (the caller owns the transaction): runs
/// `sql`, moves the server copy to `new_version` when given, journals `event`.
async fn settle_in(
    conn: &mut SqliteConnection,
    id: DecisionId,
    now: DateTime<Utc>,
    event: &str,
    sql: &str,
    extra: &[&str],
    new_version: Option<i64>,
) -> Result<(), StoreError> {
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT entity_id, payload FROM outbox WHERE mutation_id = ?1")
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    // Already settled (a repeated acknowledgement): nothing to do.
    let Some((entity_id, payload)) = row else { return Ok(()) };
    let mut q = sqlx::query(sql).bind(id.to_string());
    for e in extra {
        q = q.bind(*e);
    }
    q.execute(&mut *conn).await?;
    if let Some(version) = new_version {
        // Never back: a pull may already have brought a newer copy.
        let decision: ReviewDecision = serde_json::from_str(&payload)?;
        sqlx::query(
            "UPDATE reviews SET state = ?2, status = ?3, version = ?4 WHERE id = ?1 AND version < ?4",
        )
        .bind(&entity_id)
        .bind(decision.to.state_name())
        .bind(serde_json::to_string(&decision.to)?)
        .bind(version)
        .execute(&mut *conn)
        .await?;
    }
    journal_review_event(conn, now, "sync", &entity_id, event, &id.to_string(), &payload).await?;
    Ok(())
}

/// Checks a decision against the overlay and writes its outbox row and journal
/// entry on `conn` (the caller owns the transaction).
async fn insert_decision(
    conn: &mut SqliteConnection,
    new: NewDecision,
    now: DateTime<Utc>,
) -> Result<ReviewDecision, StoreError> {
    let row = sqlx::query(&format!("{} WHERE r.id = ?1", rows::OVERLAY_SELECT))
        .bind(new.review_id.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound(new.review_id.to_string()))?;
    let view = rows::review_view(&row)?;
    let mut grounds = new.grounds;
    if let ReviewAction::Reject { reason } = new.action {
        if !view.shop.rejection_reasons().contains(&reason) {
            return Err(DecisionError::ReasonNotForShop(reason).into());
        }
        // The hits of the reason's category are the automated detection behind it.
        grounds.filter_rules = supporting_rules(&view.hits, reason);
        grounds.rule_pack_version =
            if grounds.filter_rules.is_empty() { None } else { view.rule_pack_version.clone() };
    }
    let decision = ReviewDecision::make(
        DecisionInput {
            review_id: new.review_id,
            current: view.effective_status,
            base_version: view.review.version,
            stars: view.review.stars,
            action: new.action,
            grounds,
            decided_by: new.decided_by,
            message: new.message,
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
    .execute(&mut *conn)
    .await?;
    journal_review_event(
        conn,
        now,
        &decision.decided_by,
        &decision.review_id.to_string(),
        "decision_recorded",
        &decision.id.to_string(),
        &payload,
    )
    .await?;
    Ok(decision)
}

/// Removes a review the server deleted, with its hits; or, while the outbox holds
/// decisions on it, keeps it marked and turns its pending decisions into conflicts.
async fn delete_review(conn: &mut SqliteConnection, id: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
    let outstanding: Vec<(String, String, String)> =
        sqlx::query_as("SELECT mutation_id, payload, delivery FROM outbox WHERE entity_id = ?1 ORDER BY seq")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
    if outstanding.is_empty() {
        sqlx::query("DELETE FROM review_hits WHERE review_id = ?1").bind(id).execute(&mut *conn).await?;
        sqlx::query("DELETE FROM reviews WHERE id = ?1").bind(id).execute(&mut *conn).await?;
        return Ok(());
    }
    sqlx::query("UPDATE reviews SET server_deleted = 1 WHERE id = ?1").bind(id).execute(&mut *conn).await?;
    for (mutation_id, payload, delivery) in outstanding {
        if delivery != "pending" {
            continue; // Already waiting for the user.
        }
        sqlx::query("UPDATE outbox SET delivery = 'conflict', server_copy = 'null' WHERE mutation_id = ?1")
            .bind(&mutation_id)
            .execute(&mut *conn)
            .await?;
        journal_review_event(conn, now, "sync", id, "decision_conflict", &mutation_id, &payload).await?;
    }
    Ok(())
}

/// Appends one event about a review's decision to the journal.
async fn journal_review_event(
    conn: &mut SqliteConnection,
    at: DateTime<Utc>,
    actor: &str,
    review_id: &str,
    event: &str,
    mutation_id: &str,
    payload: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO journal (at, actor, entity_kind, entity_id, event, mutation_id, payload)
         VALUES (?1, ?2, 'review', ?3, ?4, ?5, ?6)",
    )
    .bind(rows::time_key(at))
    .bind(actor)
    .bind(review_id)
    .bind(event)
    .bind(mutation_id)
    .bind(payload)
    .execute(conn)
    .await?;
    Ok(())
}

async fn write_shops(conn: &mut SqliteConnection, shops: &[Shop]) -> Result<(), StoreError> {
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
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Rows per multi-row statement of `cols` bound columns: as many as SQLite's
/// parameter limit (32,766) allows. Inside a transaction every statement keeps
/// a journal of the pages it changes, so that it alone can be rolled back;
/// about 2,300 reviews per statement instead of 256 copy each index page once
/// where they copied it up to nine times: an initial sync's apply went from
/// about 6 s to 3.5 s.
fn rows_per_statement(cols: usize) -> usize {
    32_000 / cols
}

async fn write_reviews(conn: &mut SqliteConnection, reviews: &[Review]) -> Result<(), StoreError> {
    for chunk in reviews.chunks(rows_per_statement(14)) {
        let mut encoded = Vec::with_capacity(chunk.len());
        for r in chunk {
            encoded.push((
                rows::enum_code(&r.source)?,
                serde_json::to_string(&r.status)?,
                serde_json::to_string(&r.flags)?,
            ));
        }
        let mut b = QueryBuilder::<Sqlite>::new(
            "INSERT INTO reviews (id, shop_id, order_reference, reviewer_reference, stars, text, language,
               experience_date, submitted_at, source, state, status, flags, version) ",
        );
        b.push_values(chunk.iter().zip(encoded), |mut row, (r, (source, status, flags))| {
            row.push_bind(r.id.to_string())
                .push_bind(r.shop_id.to_string())
                .push_bind(&r.order_reference)
                .push_bind(&r.reviewer_reference)
                .push_bind(i64::from(r.stars.get()))
                .push_bind(&r.text)
                .push_bind(r.language.as_str())
                .push_bind(r.experience_date.to_string())
                .push_bind(rows::time_key(r.submitted_at))
                .push_bind(source)
                .push_bind(r.status.state_name())
                .push_bind(status)
                .push_bind(flags)
                .push_bind(r.version);
        });
        b.push(
            " ON CONFLICT (id) DO UPDATE SET shop_id = excluded.shop_id,
               order_reference = excluded.order_reference, reviewer_reference = excluded.reviewer_reference,
               stars = excluded.stars, text = excluded.text, language = excluded.language,
               experience_date = excluded.experience_date, submitted_at = excluded.submitted_at,
               source = excluded.source, state = excluded.state, status = excluded.status,
               flags = excluded.flags, version = excluded.version, server_deleted = 0",
        );
        b.build().execute(&mut *conn).await?;
    }
    Ok(())
}

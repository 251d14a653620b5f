//! Admin operations on reviews: deletion (which the change feed carries as a
//! `delete` entry) and HTTP ingestion of new reviews.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use trustdesk_api::{
    codes, ArrivedFile, Entity, EntityKind, EvidenceArrived, EvidenceRecorded, IngestErrors, IngestOutcome,
    IngestResponse, IngestResult, ItemError, NewReview, MAX_EVIDENCE_FILES, MAX_INGEST_REVIEWS,
    MAX_REFERENCE_CHARS, MAX_REVIEW_TEXT_CHARS,
};
use trustdesk_domain::review::{EvidenceFile, ReviewFlags};
use trustdesk_domain::{LanguageCode, Review, ReviewAction, ReviewId, ReviewStatus, Shop, ShopId, Stars};

use crate::auth::User;
use crate::db::{self, rfc3339, Backend, Db};
use crate::entities::{self, NewEntity};
use crate::error::ApiError;
use crate::ingest::{self, Incoming, Scanner};

/// Deletes a review: the row stays (marked deleted, its document kept for the
/// record) and takes the next change sequence number, so the feed reports the
/// deletion in its total order. Open claims on it end; mutations find nothing.
pub async fn delete(db: &Db, user: &User, id: &str) -> Result<(), ApiError> {
    user.require_admin()?;
    // A path that is no UUID names no review: 404, as for an unknown id.
    let id = id.parse::<uuid::Uuid>().map_err(|_| ApiError::not_found("no review with this id"))?.to_string();
    let mut tx = db.write.begin().await?;
    // Lock the row before the counter, as mutation batches do, so the two never
    // wait on each other in opposite orders.
    let lock = if db.backend == Backend::Postgres { " FOR UPDATE" } else { "" };
    let row = sqlx::query(&format!(
        "SELECT version FROM entities WHERE kind = $1 AND id = $2 AND deleted = 0{lock}"
    ))
    .bind(EntityKind::Review.as_str())
    .bind(&id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| ApiError::not_found(format!("no review with id {id}")))?;
    let version: i64 = row.try_get(0)?;
    let seq = db::next_change_seq(&mut tx, 1).await?;
    sqlx::query(
        "UPDATE entities SET deleted = 1, open = 0, version = $1, change_seq = $2,
             claim_id = NULL, claimed_by = NULL, claim_until = NULL
         WHERE kind = $3 AND id = $4",
    )
    .bind(version + 1)
    .bind(seq)
    .bind(EntityKind::Review.as_str())
    .bind(&id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO audit_trail (at, user_id, action, entity_kind, entity_id, mutation_id, detail)
         VALUES ($1, $2, 'review.delete', $3, $4, NULL, $5)",
    )
    .bind(rfc3339(db::now()))
    .bind(&user.id)
    .bind(EntityKind::Review.as_str())
    .bind(&id)
    .bind(json!({ "from_version": version, "new_version": version + 1 }).to_string())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The reviewer's reply to an evidence request: the review moves to
/// "evidence received" with the files, by the domain's rule (only while the
/// deadline runs). Sent again after a lost answer, the same files find the
/// review already holding them and get the same answer.
pub async fn evidence_arrived(
    db: &Db,
    user: &User,
    id: &str,
    req: EvidenceArrived,
) -> Result<EvidenceRecorded, ApiError> {
    user.require_admin()?;
    let id = id.parse::<uuid::Uuid>().map_err(|_| ApiError::not_found("no review with this id"))?.to_string();
    // The review first: an unknown one is 404 whatever the reply holds.
    let mut tx = db.write.begin().await?;
    if db.backend == Backend::Postgres {
        sqlx::query("SELECT id FROM entities WHERE kind = $1 AND id = $2 FOR UPDATE")
            .bind(EntityKind::Review.as_str())
            .bind(&id)
            .fetch_optional(&mut *tx)
            .await?;
    }
    let stored = entities::load(&mut tx, EntityKind::Review, &id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no review with id {id}")))?;
    let Entity::Review(mut review) = stored.entity else {
        return Err(ApiError::not_found(format!("no review with id {id}")));
    };
    if req.files.is_empty() || req.files.len() > MAX_EVIDENCE_FILES {
        return Err(ApiError::bad_request(format!("send 1 to {MAX_EVIDENCE_FILES} files")));
    }
    for f in &req.files {
        if !crate::evidence::valid_sha(&f.sha256) {
            return Err(ApiError::bad_request("sha256 must be 64 lower-case hex digits"));
        }
        let chars = f.name.chars().count();
        if chars == 0 || chars > 200 || f.name.chars().any(char::is_control) {
            return Err(ApiError::bad_request(
                "a file name has 1 to 200 characters and no control characters",
            ));
        }
    }
    for f in &req.files {
        let known = sqlx::query("SELECT 1 FROM evidence WHERE sha256 = $1")
            .bind(&f.sha256)
            .fetch_optional(&mut *tx)
            .await?;
        if known.is_none() {
            return Err(ApiError::bad_request(format!(
                "file {} was not uploaded (POST /v1/evidence first)",
                f.sha256
            )));
        }
    }
    let recorded = |r: &Review| EvidenceRecorded {
        review_id: id.clone(),
        version: r.version,
        files: r.flags.evidence_files.len() as u32,
    };
    let held = |f: &ArrivedFile| {
        review.flags.evidence_files.iter().any(|e| e.sha256 == f.sha256 && e.name == f.name)
    };
    if review.status == ReviewStatus::EvidenceReceived && req.files.iter().all(held) {
        return Ok(recorded(&review));
    }
    let now = db::now();
    review.status = review.status.apply(ReviewAction::ReceiveEvidence, now).map_err(|e| {
        ApiError::new(axum::http::StatusCode::CONFLICT, codes::ILLEGAL_TRANSITION, e.to_string())
    })?;
    review.flags.evidence_files.extend(req.files.iter().map(|f| EvidenceFile {
        sha256: f.sha256.clone(),
        name: f.name.clone(),
        received_at: now,
    }));
    review.version = stored.version + 1;
    let entity = Entity::Review(review.clone());
    let ix = entities::index_of(&entity);
    let seq = db::next_change_seq(&mut tx, 1).await?;
    sqlx::query(
        "UPDATE entities SET state = $1, open = $2, version = $3, change_seq = $4, doc = $5
         WHERE kind = $6 AND id = $7 AND deleted = 0",
    )
    .bind(ix.state)
    .bind(i64::from(ix.open))
    .bind(review.version)
    .bind(seq)
    .bind(entities::doc_of(&entity))
    .bind(EntityKind::Review.as_str())
    .bind(&id)
    .execute(&mut *tx)
    .await?;
    crate::complaints::trail(
        &mut tx,
        user,
        "review.evidence_received",
        EntityKind::Review,
        &id,
        json!({ "files": req.files.iter().map(|f| &f.sha256).collect::<Vec<_>>(), "new_version": review.version }),
    )
    .await?;
    tx.commit().await?;
    Ok(recorded(&review))
}

/// What a well-formed item turned into before the database is consulted.
struct Checked {
    index: usize,
    id_given: bool,
    incoming: Incoming,
}

/// Checks each item's form; every malformed field of every item is reported.
fn check_form(batch: &[NewReview]) -> Result<Vec<Checked>, Vec<ItemError>> {
    let mut errors = Vec::new();
    let mut out = Vec::with_capacity(batch.len());
    for (index, r) in batch.iter().enumerate() {
        let mut bad = |field: &str, message: String| {
            errors.push(ItemError { index: index as u32, field: field.into(), message });
        };
        let id = match &r.id {
            None => Some(ReviewId::new()),
            Some(s) => match s.parse::<uuid::Uuid>() {
                Ok(u) if u.get_version_num() == 7 => Some(ReviewId(u)),
                _ => {
                    bad("id", "must be a UUIDv7".into());
                    None
                }
            },
        };
        let shop = r.shop_id.parse::<uuid::Uuid>().ok().map(ShopId);
        if shop.is_none() {
            bad("shop_id", "must be a UUID".into());
        }
        let stars = u8::try_from(r.stars).ok().and_then(|n| Stars::new(n).ok());
        if stars.is_none() {
            bad("stars", "must be a whole number from 1 to 5".into());
        }
        let chars = r.text.chars().count();
        if chars == 0 || chars > MAX_REVIEW_TEXT_CHARS {
            bad("text", format!("must be 1 to {MAX_REVIEW_TEXT_CHARS} characters, got {chars}"));
        }
        let language = r.language.parse::<LanguageCode>().ok();
        if language.is_none() {
            bad("language", "must be a two-letter ISO 639-1 code".into());
        }
        let submitted = DateTime::parse_from_rfc3339(&r.submitted_at).ok().map(|t| t.with_timezone(&Utc));
        if submitted.is_none() {
            bad("submitted_at", "must be an RFC 3339 date-time".into());
        }
        let experience = match &r.experience_date {
            None => submitted.map(|t| t.date_naive()),
            Some(d) => {
                let parsed = NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
                if parsed.is_none() {
                    bad("experience_date", "must be a date (YYYY-MM-DD)".into());
                }
                parsed
            }
        };
        if r.order_reference.chars().count() > MAX_REFERENCE_CHARS {
            bad("order_reference", format!("must be at most {MAX_REFERENCE_CHARS} characters"));
        }
        let reviewer = r.reviewer_reference.chars().count();
        if reviewer == 0 || reviewer > MAX_REFERENCE_CHARS {
            bad("reviewer_reference", format!("must be 1 to {MAX_REFERENCE_CHARS} characters"));
        }
        let ip_ok = |ip: &str| {
            (2..=45).contains(&ip.len())
                && ip.bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        };
        if r.ip.as_deref().is_some_and(|ip| !ip_ok(ip)) {
            bad("ip", "must be an IPv4 or IPv6 address".into());
        }
        let email_ok = |e: &str| {
            e.chars().count() <= 254
                && e.split_once('@').is_some_and(|(a, b)| !a.is_empty() && !b.is_empty() && !b.contains('@'))
        };
        if r.email.as_deref().is_some_and(|e| !email_ok(e)) {
            bad("email", "must be an e-mail address (at most 254 characters)".into());
        }
        let (Some(id), Some(shop_id), Some(stars), Some(language), Some(submitted_at), Some(experience_date)) =
            (id, shop, stars, language, submitted, experience)
        else {
            continue;
        };
        out.push(Checked {
            index,
            id_given: r.id.is_some(),
            incoming: Incoming {
                review: Review {
                    id,
                    shop_id,
                    order_reference: r.order_reference.clone(),
                    reviewer_reference: r.reviewer_reference.clone(),
                    stars,
                    text: r.text.clone(),
                    language,
                    experience_date,
                    submitted_at: submitted_at.trunc_subsecs(6),
                    source: r.source,
                    status: ReviewStatus::Pending,
                    flags: ReviewFlags::default(),
                    version: 1,
                },
                ip: r.ip.clone(),
                email: r.email.clone(),
            },
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The answer to an ingestion request: per-item results, or the malformed items.
pub enum Ingested {
    Done(IngestResponse),
    Malformed(IngestErrors),
}

/// Ingests a batch: form checks (all-or-nothing, 422), then per item the facts
/// (known shop, dates not in the future, new id), the ARM scan and the fake
/// signals, and one transaction for everything accepted.
pub async fn ingest(
    db: &Db,
    user: &User,
    scanner: &dyn Scanner,
    batch: &[NewReview],
) -> Result<Ingested, ApiError> {
    user.require_admin()?;
    if batch.len() > MAX_INGEST_REVIEWS {
        return Err(ApiError::bad_request(format!("at most {MAX_INGEST_REVIEWS} reviews per batch")));
    }
    let now = db::now();
    let checked = match check_form(batch) {
        Ok(c) => c,
        Err(errors) => {
            return Ok(Ingested::Malformed(IngestErrors {
                code: codes::INVALID.into(),
                message: format!("{} malformed field(s); nothing was stored", errors.len()),
                errors,
            }))
        }
    };
    let mut results: Vec<Option<IngestResult>> = vec![None; batch.len()];
    let reject = |c: &Checked, code: &str, message: String| IngestResult {
        index: c.index as u32,
        id: c.id_given.then(|| c.incoming.review.id.to_string()),
        outcome: IngestOutcome::Rejected { code: code.into(), message },
    };

    let mut tx = db.write.begin().await?;
    let shop_ids: Vec<String> = {
        let mut v: Vec<String> = checked.iter().map(|c| c.incoming.review.shop_id.to_string()).collect();
        v.sort();
        v.dedup();
        v
    };
    let mut shops: HashMap<String, Shop> = HashMap::new();
    for row in
        select_in(&mut tx, "SELECT id, doc FROM entities WHERE kind = 'shop' AND deleted = 0", &shop_ids)
            .await?
    {
        let doc: String = row.try_get(1)?;
        if let Ok(shop) = serde_json::from_str::<Shop>(&doc) {
            shops.insert(row.try_get(0)?, shop);
        }
    }
    let review_ids: Vec<String> = checked.iter().map(|c| c.incoming.review.id.to_string()).collect();
    let mut known: HashSet<String> = HashSet::new();
    for row in select_in(&mut tx, "SELECT id, '' FROM entities WHERE kind = 'review'", &review_ids).await? {
        known.insert(row.try_get(0)?);
    }

    let mut accepted: Vec<Checked> = Vec::new();
    let latest = now + chrono::Duration::minutes(5); // clock skew between servers
    for c in checked {
        let r = &c.incoming.review;
        let id = r.id.to_string();
        if known.contains(&id) {
            results[c.index] =
                Some(IngestResult { index: c.index as u32, id: Some(id), outcome: IngestOutcome::Duplicate });
        } else if !shops.contains_key(&r.shop_id.to_string()) {
            results[c.index] = Some(reject(&c, codes::NOT_FOUND, format!("no shop with id {}", r.shop_id)));
        } else if r.submitted_at > latest {
            results[c.index] = Some(reject(&c, codes::INVALID, "submitted_at lies in the future".into()));
        } else if r.experience_date > r.submitted_at.date_naive() {
            results[c.index] =
                Some(reject(&c, codes::INVALID, "experience_date lies after submitted_at".into()));
        } else {
            // The same id twice in one batch: the first one counts.
            known.insert(id);
            accepted.push(c);
        }
    }

    let mut incoming: Vec<Incoming> = Vec::with_capacity(accepted.len());
    let mut places: Vec<(usize, bool)> = Vec::with_capacity(accepted.len());
    for c in accepted {
        places.push((c.index, c.id_given));
        incoming.push(c.incoming);
    }
    let history = ingest::load_history(&mut tx, &incoming).await?;
    ingest::add_signals(&mut incoming, &history);
    let mut items: Vec<NewEntity> = Vec::with_capacity(incoming.len());
    for ((index, _), inc) in places.iter().zip(incoming) {
        let shop = &shops[&inc.review.shop_id.to_string()];
        let cats = scanner.scan(shop, &inc.review);
        results[*index] = Some(IngestResult {
            index: *index as u32,
            id: Some(inc.review.id.to_string()),
            outcome: IngestOutcome::Created {
                categories: cats.clone(),
                fake_signals: inc.review.flags.fake_signals.clone(),
            },
        });
        let categories = cats.iter().map(|c| c.code().to_owned()).collect();
        items.push(NewEntity { entity: Entity::Review(inc.review), categories });
    }
    entities::insert_all(&mut tx, &items).await?;
    if !items.is_empty() {
        // One trail row for the batch: who brought which reviews in.
        let ids: Vec<String> = items.iter().map(|i| entities::id_of(&i.entity)).collect();
        sqlx::query(
            "INSERT INTO audit_trail (at, user_id, action, entity_kind, entity_id, mutation_id, detail)
             VALUES ($1, $2, 'review.ingest', 'review', $3, NULL, $4)",
        )
        .bind(rfc3339(now))
        .bind(&user.id)
        .bind(&ids[0])
        .bind(json!({ "reviews": ids }).to_string())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(Ingested::Done(IngestResponse {
        results: results.into_iter().map(|r| r.expect("every item answered")).collect(),
    }))
}

/// `SELECT ... AND id IN (...)` over `ids` in chunks the databases accept.
async fn select_in(conn: &mut AnyConnection, head: &str, ids: &[String]) -> Result<Vec<AnyRow>, sqlx::Error> {
    let mut rows = Vec::new();
    for chunk in ids.chunks(500) {
        let list: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!("{head} AND id IN ({})", list.join(", "));
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(id);
        }
        rows.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(rows)
}

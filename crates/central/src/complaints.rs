//! Reviewer complaints against decisions that kept a review off the profile
//! (DSA Art. 20): staff enter them, a moderator other than the one who decided
//! decides them.
//!
//! A case is an entity of kind `complaint` (so it travels the change feed and
//! can be claimed) whose row carries `excluded_user` = the original decider: the
//! claim query skips it for them, and deciding refuses them. The complaint as
//! entered and its outcome are also written to append-only tables keyed by the
//! contested decision, next to its statement.

use axum::http::StatusCode;
use sqlx::{AnyConnection, Row};
use trustdesk_api::{
    codes, ComplaintCase, ComplaintOutcome, ComplaintStatus, DecideComplaint, Entity, EntityKind,
    MutationOutcome, NewComplaint, Role, MAX_COMPLAINT_TEXT_CHARS,
};
use trustdesk_domain::complaint::{clean_reasons, ComplaintError};
use trustdesk_domain::{DecisionId, Grounds, ReviewAction, ReviewDecision, ReviewStatus};

use crate::auth::User;
use crate::db::{self, micros, rfc3339, Backend, Db};
use crate::entities::{self, Stored};
use crate::error::ApiError;

fn require_staff(user: &User) -> Result<(), ApiError> {
    match user.role {
        Role::Admin | Role::Moderator => Ok(()),
        _ => Err(ApiError::forbidden("only moderators and admins handle complaints")),
    }
}

fn bounded(field: &str, text: &str, max: usize) -> Result<(), ApiError> {
    if text.contains('\0') {
        // PostgreSQL cannot store a NUL in text.
        return Err(ApiError::bad_request(format!("{field} must not contain NUL characters")));
    }
    let got = text.chars().count();
    if got > max {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            codes::TEXT_TOO_LONG,
            format!("{field} has {got} characters; at most {max} are allowed"),
        ));
    }
    Ok(())
}

fn conflict(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, code, message)
}

fn rule_error(e: ComplaintError) -> ApiError {
    match e {
        ComplaintError::OwnDecision => {
            ApiError::new(StatusCode::FORBIDDEN, codes::OWN_DECISION, e.to_string())
        }
        ComplaintError::NotOpen(_) => conflict(codes::ILLEGAL_STATE, e.to_string()),
        ComplaintError::ReasonsTooLong { .. } => {
            ApiError::new(StatusCode::BAD_REQUEST, codes::TEXT_TOO_LONG, e.to_string())
        }
        ComplaintError::ReasonsRequired | ComplaintError::Nul => ApiError::bad_request(e.to_string()),
    }
}

/// `POST /v1/complaints`.
pub async fn open(db: &Db, user: &User, req: NewComplaint) -> Result<ComplaintCase, ApiError> {
    require_staff(user)?;
    let text = req.text.trim();
    if text.is_empty() {
        return Err(ApiError::bad_request("text (the reviewer's complaint) is required"));
    }
    bounded("text", text, MAX_COMPLAINT_TEXT_CHARS)?;
    let now = db::now();
    // A clock ahead of ours is taken as now: the complaint is still owed a hearing.
    let received_at = req.received_at.unwrap_or(now).min(now);
    // The decision, when named, wins over the review.
    let (column, key) = match (&req.decision_id, &req.review_id) {
        (Some(d), _) => ("s.decision_id", d),
        (None, Some(r)) => ("s.review_id", r),
        (None, None) => {
            return Err(ApiError::not_found("the complaint names no decision (decision_id or review_id)"))
        }
    };
    let sql = format!(
        "SELECT s.decision_id, s.review_id, d.decided_by FROM statements s JOIN decisions d ON d.id = s.decision_id
         WHERE {column} = $1 ORDER BY s.seq DESC LIMIT 1"
    );
    let row = sqlx::query(&sql)
        .bind(key)
        .fetch_optional(&db.read)
        .await?
        .ok_or_else(|| ApiError::not_found("no decision with a statement of reasons matches"))?;
    let decision_id: String = row.try_get(0)?;
    let review_id: String = row.try_get(1)?;
    let decision_by: String = row.try_get(2)?;

    let mut tx = db.write.begin().await?;
    let review = match entities::load(&mut tx, EntityKind::Review, &review_id).await? {
        Some(Stored { entity: Entity::Review(r), .. }) => r,
        _ => return Err(ApiError::not_found("the review of that decision no longer exists")),
    };
    // Route to the moderator (not the decider) with the fewest open complaints.
    let assigned_to: Option<String> = sqlx::query(
        "SELECT u.id, (SELECT COUNT(*) FROM complaints c WHERE c.assigned_to = u.id
             AND NOT EXISTS (SELECT 1 FROM complaint_outcomes o WHERE o.complaint_id = c.id)) AS n
         FROM users u WHERE u.role = 'moderator' AND u.id <> $1 ORDER BY n, u.id LIMIT 1",
    )
    .bind(&decision_by)
    .fetch_optional(&mut *tx)
    .await?
    .map(|r| r.try_get(0))
    .transpose()?;
    let id = uuid::Uuid::now_v7().to_string();
    let inserted = sqlx::query(
        "INSERT INTO complaints (id, decision_id, review_id, decision_by, assigned_to, entered_by, received_at, text)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (decision_id) DO NOTHING RETURNING id",
    )
    .bind(&id)
    .bind(&decision_id)
    .bind(&review_id)
    .bind(&decision_by)
    .bind(assigned_to.as_deref())
    .bind(&user.id)
    .bind(rfc3339(received_at))
    .bind(text)
    .fetch_optional(&mut *tx)
    .await?;
    if inserted.is_none() {
        return Err(conflict(codes::COMPLAINT_EXISTS, "a complaint against this decision exists already"));
    }
    let case = ComplaintCase {
        id: id.clone(),
        decision_id: decision_id.parse::<uuid::Uuid>().map(DecisionId).map_err(|_| {
            ApiError::from(sqlx::Error::Protocol("a stored decision id is not a UUID".into()))
        })?,
        review_id: review.id,
        shop_id: review.shop_id,
        language: review.language,
        decision_by: decision_by.clone(),
        assigned_to,
        text: text.to_owned(),
        received_at,
        entered_by: user.id.clone(),
        status: ComplaintStatus::Open,
        decided_by: None,
        decided_at: None,
        reasons: None,
        publish_decision_id: None,
        version: 1,
    };
    trail(
        &mut tx,
        user,
        "complaint.open",
        EntityKind::Complaint,
        &id,
        serde_json::json!({ "decision_id": decision_id, "assigned_to": case.assigned_to }),
    )
    .await?;
    let entity = Entity::Complaint(case.clone());
    let ix = entities::index_of(&entity);
    // Taken last: the counter row stays locked until commit.
    let seq = db::next_change_seq(&mut tx, 1).await?;
    sqlx::query(
        "INSERT INTO entities (kind, id, shop_id, state, open, language, queue_at, version, change_seq, doc, excluded_user)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(EntityKind::Complaint.as_str())
    .bind(&id)
    .bind(ix.shop_id)
    .bind(ix.state)
    .bind(i64::from(ix.open))
    .bind(ix.language)
    .bind(ix.queue_at)
    .bind(case.version)
    .bind(seq)
    .bind(entities::doc_of(&entity))
    .bind(&decision_by)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(case)
}

/// `POST /v1/complaints/{id}/decide`. With a `mutation_id` the decision is
/// applied once: a repeat (the first answer was lost) gets the case as it stands.
pub async fn decide(db: &Db, user: &User, id: &str, req: DecideComplaint) -> Result<ComplaintCase, ApiError> {
    require_staff(user)?;
    let reasons = clean_reasons(&req.reasons).map_err(rule_error)?;
    let mutation_id = match &req.mutation_id {
        Some(m) => match uuid::Uuid::parse_str(m) {
            Ok(u) => Some(u.to_string()),
            Err(_) => return Err(ApiError::bad_request("mutation_id must be a UUID")),
        },
        None => None,
    };
    let now = db::now();
    let mut tx = db.write.begin().await?;
    // The case first: a request about no complaint is a 404 whatever it says.
    let Some(stored) = load_locked(&mut tx, db.backend, EntityKind::Complaint, id).await? else {
        return Err(ApiError::not_found("no such complaint"));
    };
    let Entity::Complaint(mut case) = stored.entity else {
        return Err(ApiError::not_found("no such complaint"));
    };
    if let Some(mid) = &mutation_id {
        // Recorded in the decision's transaction: it exists only if the decision does.
        let fresh = sqlx::query(
            "INSERT INTO mutations (id, user_id, entity_kind, entity_id, received_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO NOTHING RETURNING id",
        )
        .bind(mid)
        .bind(&user.id)
        .bind(EntityKind::Complaint.as_str())
        .bind(id)
        .bind(rfc3339(now))
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
        if !fresh {
            let row = sqlx::query("SELECT user_id, entity_id FROM mutations WHERE id = $1")
                .bind(mid)
                .fetch_one(&mut *tx)
                .await?;
            let (owner, target): (String, String) = (row.try_get(0)?, row.try_get(1)?);
            if owner != user.id || target != id {
                return Err(conflict(
                    codes::MUTATION_ID_IN_USE,
                    "this mutation id was used for something else",
                ));
            }
            return Ok(case);
        }
    }
    case.decide(req.outcome, &reasons, &user.id, now).map_err(rule_error)?;
    if let (Some(holder), Some(until)) = (&stored.claimed_by, stored.claim_until) {
        if *holder != user.id && until > micros(now) {
            return Err(conflict(
                codes::CLAIMED_BY_OTHER,
                "another user holds a live claim on this complaint",
            ));
        }
    }

    let mut changed: Vec<(Entity, i64)> = Vec::new();
    let mut publish: Option<ReviewDecision> = None;
    if req.outcome == ComplaintOutcome::Upheld {
        let rid = case.review_id.to_string();
        let Some(Stored { entity: Entity::Review(mut review), .. }) =
            load_locked(&mut tx, db.backend, EntityKind::Review, &rid).await?
        else {
            return Err(conflict(
                codes::ILLEGAL_STATE,
                "the review no longer exists and cannot be published",
            ));
        };
        if !review.status.is_withheld() {
            return Err(conflict(
                codes::ILLEGAL_STATE,
                format!(
                    "the review is {} now and cannot be published by this complaint",
                    review.status.state_name()
                ),
            ));
        }
        // Publishing a withheld review is no ordinary transition: it is the
        // complaint's remedy, recorded as its own decision.
        let decision = ReviewDecision {
            id: DecisionId(uuid::Uuid::now_v7()),
            review_id: review.id,
            action: ReviewAction::Publish,
            grounds: Grounds { facts: format!("Complaint {id} upheld."), ..Grounds::default() },
            decided_by: user.id.clone(),
            decided_at: now,
            base_version: review.version,
            from: review.status,
            to: ReviewStatus::Published,
            stars: review.stars,
            message: None,
        };
        review.status = ReviewStatus::Published;
        review.version += 1;
        sqlx::query(
            "INSERT INTO decisions (id, review_id, decided_by, decided_at, message, record) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(decision.id.to_string())
        .bind(&rid)
        .bind(&user.id)
        .bind(rfc3339(now))
        .bind(None::<String>)
        .bind(serde_json::to_string(&decision).expect("decisions serialise"))
        .execute(&mut *tx)
        .await?;
        trail(
            &mut tx,
            user,
            "review.publish_on_complaint",
            EntityKind::Review,
            &rid,
            serde_json::json!({
                "from": decision.from.state_name(), "to": "published", "new_version": review.version,
                "complaint_id": id, "decision_id": decision.id,
            }),
        )
        .await?;
        changed.push((Entity::Review(review.clone()), review.version));
        publish = Some(decision);
    }

    case.publish_decision_id = publish.as_ref().map(|d| d.id);
    case.version += 1;
    sqlx::query(
        "INSERT INTO complaint_outcomes (complaint_id, decision_id, outcome, reasons, decided_by, decided_at, publish_decision_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(case.decision_id.to_string())
    .bind(case.status.as_str())
    .bind(&reasons)
    .bind(&user.id)
    .bind(rfc3339(now))
    .bind(case.publish_decision_id.map(|d| d.to_string()))
    .execute(&mut *tx)
    .await?;
    trail(
        &mut tx,
        user,
        "complaint.decide",
        EntityKind::Complaint,
        id,
        serde_json::json!({
            "outcome": case.status.as_str(), "decision_id": case.decision_id,
            "publish_decision_id": case.publish_decision_id, "new_version": case.version,
        }),
    )
    .await?;
    changed.push((Entity::Complaint(case.clone()), case.version));
    if let Some(mid) = &mutation_id {
        let outcome = MutationOutcome::Applied { new_version: case.version };
        sqlx::query("UPDATE mutations SET outcome = $1 WHERE id = $2")
            .bind(serde_json::to_string(&outcome).expect("outcomes serialise"))
            .bind(mid)
            .execute(&mut *tx)
            .await?;
    }

    let last = db::next_change_seq(&mut tx, changed.len() as i64).await?;
    let mut seq = last - changed.len() as i64;
    for (entity, version) in &changed {
        seq += 1;
        let ix = entities::index_of(entity);
        sqlx::query(
            "UPDATE entities SET state = $1, open = $2, version = $3, change_seq = $4, doc = $5,
                claim_id = NULL, claimed_by = NULL, claim_until = NULL
             WHERE kind = $6 AND id = $7 AND deleted = 0",
        )
        .bind(ix.state)
        .bind(i64::from(ix.open))
        .bind(*version)
        .bind(seq)
        .bind(entities::doc_of(entity))
        .bind(entity.kind().as_str())
        .bind(entities::id_of(entity))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(case)
}

async fn load_locked(
    conn: &mut AnyConnection,
    backend: Backend,
    kind: EntityKind,
    id: &str,
) -> Result<Option<Stored>, sqlx::Error> {
    if backend == Backend::Postgres {
        // Lock the row for the rest of the transaction; SQLite has one writer.
        sqlx::query("SELECT id FROM entities WHERE kind = $1 AND id = $2 FOR UPDATE")
            .bind(kind.as_str())
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    }
    entities::load(conn, kind, id).await
}

pub(crate) async fn trail(
    conn: &mut AnyConnection,
    user: &User,
    action: &str,
    kind: EntityKind,
    id: &str,
    detail: serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_trail (at, user_id, action, entity_kind, entity_id, mutation_id, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(rfc3339(db::now()))
    .bind(&user.id)
    .bind(action)
    .bind(kind.as_str())
    .bind(id)
    .bind(None::<String>)
    .bind(detail.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

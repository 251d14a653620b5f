//! `POST /v1/mutations`: a batch in one transaction (one commit), each
//! mutation applied at most once per id.
//!
//! Idempotency rests on the primary key of `mutations`: the batch starts by
//! inserting all its ids with `ON CONFLICT DO NOTHING RETURNING id`; ids that come
//! back are new, the others get their stored outcome. A request racing another
//! with the same id waits on PostgreSQL for the other's transaction and then sees
//! its row; on SQLite writes are serialised anyway. Every outcome is stored, so a
//! repeat always gets the original answer.
//!
//! Per mutation only the entity is read and written; the decision records, trail
//! entries and outcomes are written in bulk before commit (each statement is a
//! round trip, and those dominate). No statement is expected to fail, so one
//! database error rolls back the whole batch and the client resends it.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};
use trustdesk_api::{
    codes, Entity, EntityKind, Mutation, MutationOp, MutationOutcome, MutationResult, WorkKind,
};
use trustdesk_domain::audit::{AuditChange, AuditError};
use trustdesk_domain::dispute::{default_arbitration_fee, DisputeError, DisputeMessage};
use trustdesk_domain::{DecisionError, DecisionInput, DisputeStage, MessageId, ReviewDecision, ReviewStatus};

use crate::auth::User;
use crate::db::{self, micros, rfc3339, Db};
use crate::entities;
use crate::error::ApiError;

/// Longest dispute message or reasoning kept.
const MAX_TEXT_CHARS: usize = 20_000;

/// Tries of a batch that PostgreSQL aborted to break a deadlock.
const DEADLOCK_TRIES: usize = 4;

/// Rows per multi-row statement (keeps bind parameters under both databases' limits).
const ROWS_PER_STATEMENT: usize = 300;

fn rejected(code: &str, message: impl Into<String>) -> MutationOutcome {
    MutationOutcome::Rejected { code: code.into(), message: message.into() }
}

pub async fn apply_batch(db: &Db, user: &User, batch: &[Mutation]) -> Result<Vec<MutationResult>, ApiError> {
    let mut tries = 0;
    loop {
        tries += 1;
        match try_batch(db, user, batch).await {
            Err(sqlx::Error::Database(e))
                if tries < DEADLOCK_TRIES && matches!(e.code().as_deref(), Some("40P01" | "40001")) =>
            {
                tracing::warn!(tries, "mutation batch retried after a deadlock");
            }
            other => return other.map_err(ApiError::from),
        }
    }
}

/// `INSERT ... VALUES ($1, $2), ($3, $4) ...` for `rows` rows of `cols` columns.
fn values_sql(head: &str, cols: usize, rows: usize, tail: &str) -> String {
    let mut sql = String::with_capacity(head.len() + rows * cols * 6 + tail.len());
    sql.push_str(head);
    for r in 0..rows {
        sql.push_str(if r == 0 { " (" } else { ", (" });
        for c in 0..cols {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", r * cols + c + 1));
        }
        sql.push(')');
    }
    sql.push_str(tail);
    sql
}

/// Change sequence numbers for one batch: the counter row is incremented (and so
/// locked until commit) when the first entity changes; later changes count on
/// locally and the counter is set to the last one used before commit.
#[derive(Default)]
struct Seqs {
    taken: Option<i64>,
    next: Option<i64>,
    last_used: Option<i64>,
}

impl Seqs {
    async fn peek(&mut self, conn: &mut AnyConnection) -> Result<i64, sqlx::Error> {
        if let Some(n) = self.next {
            return Ok(n);
        }
        let n = db::next_change_seq(conn, 1).await?;
        self.taken = Some(n);
        self.next = Some(n);
        Ok(n)
    }

    fn used(&mut self) {
        self.last_used = self.next;
        self.next = self.next.map(|n| n + 1);
    }

    async fn finish(&self, conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
        if let (Some(taken), Some(last)) = (self.taken, self.last_used) {
            if last > taken {
                sqlx::query("UPDATE counters SET value = $1 WHERE name = 'change'")
                    .bind(last)
                    .execute(&mut *conn)
                    .await?;
            }
        }
        Ok(())
    }
}

/// What an applied mutation leaves to be written in bulk.
struct Written {
    decision: Option<ReviewDecision>,
    action: String,
    kind: EntityKind,
    entity_id: String,
    mutation_id: String,
    trail: String,
}

async fn try_batch(db: &Db, user: &User, batch: &[Mutation]) -> Result<Vec<MutationResult>, sqlx::Error> {
    let now = db::now();
    let at = rfc3339(now);
    let mut tx = db.write.begin().await?;

    // Claim every id at once; the ones returned are new.
    let mut fresh: HashSet<String> = HashSet::new();
    for chunk in batch.chunks(ROWS_PER_STATEMENT) {
        let sql = values_sql(
            "INSERT INTO mutations (id, user_id, entity_kind, entity_id, received_at) VALUES",
            5,
            chunk.len(),
            " ON CONFLICT (id) DO NOTHING RETURNING id",
        );
        let mut q = sqlx::query(&sql);
        for m in chunk {
            let (kind, target) = m.op.target();
            q = q
                .bind(m.id.to_string())
                .bind(&user.id)
                .bind(kind.as_str())
                .bind(target.to_string())
                .bind(&at);
        }
        for row in q.fetch_all(&mut *tx).await? {
            fresh.insert(row.try_get::<String, _>(0)?);
        }
    }

    let mut seqs = Seqs::default();
    let mut outcomes: HashMap<String, MutationOutcome> = HashMap::new();
    let mut written: Vec<Written> = Vec::new();
    let mut results = Vec::with_capacity(batch.len());
    for m in batch {
        let id = m.id.to_string();
        let outcome = if let Some(first) = outcomes.get(&id) {
            // The same id twice in one batch.
            MutationOutcome::Duplicate { original: Box::new(first.clone()) }
        } else if !fresh.contains(&id) {
            earlier_outcome(&mut tx, user, &id).await?
        } else {
            let (outcome, w) = decide(&mut tx, &mut seqs, user, m, now).await?;
            written.extend(w);
            outcomes.insert(id, outcome.clone());
            outcome
        };
        results.push(MutationResult { id: m.id, outcome });
    }

    seqs.finish(&mut tx).await?;
    let decisions: Vec<&ReviewDecision> = written.iter().filter_map(|w| w.decision.as_ref()).collect();
    for chunk in decisions.chunks(ROWS_PER_STATEMENT) {
        let sql = values_sql(
            "INSERT INTO decisions (id, review_id, decided_by, decided_at, message, record) VALUES",
            6,
            chunk.len(),
            "",
        );
        let mut q = sqlx::query(&sql);
        for d in chunk {
            q = q
                .bind(d.id.to_string())
                .bind(d.review_id.to_string())
                .bind(&d.decided_by)
                .bind(rfc3339(d.decided_at))
                .bind(d.message.as_deref())
                .bind(serde_json::to_string(d).expect("decisions serialise"));
        }
        q.execute(&mut *tx).await?;
    }
    for chunk in written.chunks(ROWS_PER_STATEMENT) {
        let sql = values_sql(
            "INSERT INTO audit_trail (at, user_id, action, entity_kind, entity_id, mutation_id, detail) VALUES",
            7,
            chunk.len(),
            "",
        );
        let mut q = sqlx::query(&sql);
        for w in chunk {
            q = q
                .bind(&at)
                .bind(&user.id)
                .bind(&w.action)
                .bind(w.kind.as_str())
                .bind(&w.entity_id)
                .bind(&w.mutation_id)
                .bind(&w.trail);
        }
        q.execute(&mut *tx).await?;
    }
    let stored: Vec<(&String, String)> =
        outcomes.iter().map(|(id, o)| (id, serde_json::to_string(o).expect("outcomes serialise"))).collect();
    for chunk in stored.chunks(ROWS_PER_STATEMENT) {
        // UPDATE ... FROM (VALUES ...) differs between the two databases; a CASE does not.
        let mut sql = String::from("UPDATE mutations SET outcome = CASE id");
        for i in 0..chunk.len() {
            sql.push_str(&format!(" WHEN ${} THEN ${}", 2 * i + 1, 2 * i + 2));
        }
        sql.push_str(" END WHERE id IN (");
        for i in 0..chunk.len() {
            sql.push_str(&format!("{}${}", if i == 0 { "" } else { ", " }, 2 * i + 1));
        }
        sql.push(')');
        let mut q = sqlx::query(&sql);
        for (id, o) in chunk {
            q = q.bind(id.as_str()).bind(o.as_str());
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(results)
}

async fn earlier_outcome(
    conn: &mut AnyConnection,
    user: &User,
    id: &str,
) -> Result<MutationOutcome, sqlx::Error> {
    let row = sqlx::query("SELECT user_id, outcome FROM mutations WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    let owner: String = row.try_get("user_id")?;
    if owner != user.id {
        return Ok(rejected(codes::MUTATION_ID_IN_USE, "this mutation id was used by another user"));
    }
    let outcome: Option<String> = row.try_get("outcome")?;
    let original = outcome
        .and_then(|o| serde_json::from_str::<MutationOutcome>(&o).ok())
        .ok_or_else(|| sqlx::Error::Protocol("a stored mutation has no outcome".into()))?;
    Ok(MutationOutcome::Duplicate { original: Box::new(original) })
}

fn work_kind(kind: EntityKind) -> WorkKind {
    match kind {
        EntityKind::Audit => WorkKind::Audit,
        EntityKind::Dispute => WorkKind::Dispute,
        EntityKind::Review | EntityKind::Shop => WorkKind::Review,
    }
}

async fn decide(
    conn: &mut AnyConnection,
    seqs: &mut Seqs,
    user: &User,
    m: &Mutation,
    now: DateTime<Utc>,
) -> Result<(MutationOutcome, Option<Written>), sqlx::Error> {
    let (kind, entity_uuid) = m.op.target();
    let entity_id = &entity_uuid.to_string();
    let done = |o: MutationOutcome| Ok((o, None));
    if !user.works_on(work_kind(kind)) {
        return done(rejected(
            codes::FORBIDDEN,
            format!("a {} may not change a {}", user.role.as_str(), kind.as_str()),
        ));
    }
    if m.id.0.get_version_num() != 7 {
        return done(rejected(codes::INVALID, "the mutation id must be a UUIDv7"));
    }
    let Some(stored) = entities::load(conn, kind, entity_id).await? else {
        return done(rejected(codes::NOT_FOUND, format!("no {} with id {entity_id}", kind.as_str())));
    };
    if let (Some(holder), Some(until)) = (&stored.claimed_by, stored.claim_until) {
        if *holder != user.id && until > micros(now) {
            return done(rejected(codes::CLAIMED_BY_OTHER, "another user holds a live claim on this item"));
        }
    }
    if stored.version != m.base_version {
        return done(MutationOutcome::Conflict {
            current_version: stored.version,
            current: Some(Box::new(stored.entity)),
        });
    }
    let new_version = stored.version + 1;
    let (next, action, detail) = match transform(user, m, stored.entity, new_version, now) {
        Ok(t) => t,
        Err(outcome) => return done(outcome),
    };
    let seq = seqs.peek(conn).await?;
    if !entities::update(conn, &next, m.base_version, seq, &user.id, micros(now)).await? {
        // Changed or claimed between our read and write: report what won.
        let current = entities::load(conn, kind, entity_id).await?;
        if current.as_ref().is_some_and(|c| c.version == m.base_version) {
            return done(rejected(codes::CLAIMED_BY_OTHER, "another user claimed this item meanwhile"));
        }
        return done(MutationOutcome::Conflict {
            current_version: current.as_ref().map_or(0, |c| c.version),
            current: current.map(|c| Box::new(c.entity)),
        });
    }
    seqs.used();
    let written = Written {
        decision: detail.decision,
        action,
        kind,
        entity_id: entity_id.clone(),
        mutation_id: m.id.to_string(),
        trail: detail.trail.to_string(),
    };
    Ok((MutationOutcome::Applied { new_version }, Some(written)))
}

#[derive(Default)]
struct Detail {
    /// The decision record, for review decisions.
    decision: Option<ReviewDecision>,
    /// What the audit trail keeps: states and ids, never free text.
    trail: serde_json::Value,
}

type Transformed = (Entity, String, Detail);

/// Applies the domain rules; `Err` is the rejection to report.
fn transform(
    user: &User,
    m: &Mutation,
    entity: Entity,
    new_version: i64,
    now: DateTime<Utc>,
) -> Result<Transformed, MutationOutcome> {
    let text_ok = |s: &str, what: &str| {
        if s.chars().count() > MAX_TEXT_CHARS {
            Err(rejected(codes::INVALID, format!("the {what} exceeds {MAX_TEXT_CHARS} characters")))
        } else {
            Ok(())
        }
    };
    match (&m.op, entity) {
        (MutationOp::ReviewDecision { action, grounds, message, .. }, Entity::Review(mut review)) => {
            let mut decision = ReviewDecision::make(
                DecisionInput {
                    review_id: review.id,
                    current: review.status,
                    base_version: m.base_version,
                    stars: review.stars,
                    action: *action,
                    grounds: grounds.clone(),
                    decided_by: user.id.clone(),
                    message: message.clone(),
                },
                now,
            )
            .map_err(|e| match e {
                DecisionError::Transition(t) => rejected(codes::ILLEGAL_TRANSITION, t.to_string()),
                other => rejected(codes::INVALID, other.to_string()),
            })?;
            decision.id = m.id;
            let from: ReviewStatus = review.status;
            review.status = decision.to;
            review.version = new_version;
            let trail = serde_json::json!({
                "from": from.state_name(),
                "to": decision.to.state_name(),
                "new_version": new_version,
            });
            let action = format!("review.{}", action.name());
            Ok((Entity::Review(review), action, Detail { decision: Some(decision), trail }))
        }
        (MutationOp::AuditItem { criterion_id, status, note, evidence, .. }, Entity::Audit(mut audit)) => {
            text_ok(note, "note")?;
            let before = audit.items.iter().find(|i| i.criterion_id == *criterion_id).map(|i| i.status);
            let change = AuditChange::Item {
                criterion_id: criterion_id.clone(),
                status: *status,
                note: note.clone(),
                evidence: evidence.clone(),
            };
            audit.apply(&change, &user.id, now).map_err(audit_rejection)?;
            audit.validate().map_err(audit_rejection)?;
            audit.version = new_version;
            let trail = serde_json::json!({
                "criterion_id": criterion_id, "from": before, "to": status,
                "evidence": evidence.len(), "new_version": new_version,
            });
            Ok((Entity::Audit(audit), "audit.item".into(), Detail { decision: None, trail }))
        }
        (MutationOp::AuditConfirm { outcome, recommendation, .. }, Entity::Audit(mut audit)) => {
            let change =
                AuditChange::Confirm { outcome: outcome.clone(), recommendation: recommendation.clone() };
            audit.apply(&change, &user.id, now).map_err(audit_rejection)?;
            audit.version = new_version;
            let trail = serde_json::json!({ "outcome": outcome, "new_version": new_version });
            Ok((Entity::Audit(audit), "audit.confirm".into(), Detail { decision: None, trail }))
        }
        (MutationOp::DisputeMessage { author, body, .. }, Entity::Dispute(mut case)) => {
            if case.stage == DisputeStage::Closed {
                return Err(rejected(codes::ILLEGAL_TRANSITION, "the case is closed"));
            }
            if body.trim().is_empty() {
                return Err(rejected(codes::INVALID, "a message needs a body"));
            }
            text_ok(body, "message")?;
            let id = MessageId(m.id.0);
            case.messages.push(DisputeMessage { id, author: *author, sent_at: now, body: body.clone() });
            case.version = new_version;
            let trail = serde_json::json!({ "message_id": id, "author": author, "new_version": new_version });
            Ok((Entity::Dispute(case), "dispute.message".into(), Detail { decision: None, trail }))
        }
        (MutationOp::DisputeEscalate { .. }, Entity::Dispute(mut case)) => {
            let from = case.stage;
            let to = case.escalate().map_err(dispute_rejection)?;
            case.version = new_version;
            let trail = serde_json::json!({ "from": from, "to": to, "new_version": new_version });
            Ok((Entity::Dispute(case), "dispute.escalate".into(), Detail { decision: None, trail }))
        }
        (
            MutationOp::DisputeDecide { outcome, reasoning, remedy, remedy_amount, .. },
            Entity::Dispute(mut case),
        ) => {
            text_ok(reasoning, "reasoning")?;
            if let Some(r) = remedy {
                text_ok(r, "remedy")?;
            }
            let from = case.stage;
            case.decide(
                *outcome,
                reasoning.clone(),
                remedy.clone(),
                *remedy_amount,
                default_arbitration_fee(),
                now,
            )
            .map_err(dispute_rejection)?;
            case.version = new_version;
            let trail = serde_json::json!({ "from": from, "outcome": outcome, "new_version": new_version });
            Ok((Entity::Dispute(case), "dispute.decide".into(), Detail { decision: None, trail }))
        }
        // target() names the kind that load() fetched, so the pairs above are exhaustive.
        (_, other) => {
            Err(rejected(codes::INVALID, format!("operation does not apply to a {}", other.kind().as_str())))
        }
    }
}

fn audit_rejection(e: AuditError) -> MutationOutcome {
    match e {
        AuditError::UnknownCriterion(_) => rejected(codes::NOT_FOUND, e.to_string()),
        AuditError::AlreadyConfirmed => rejected(codes::ILLEGAL_TRANSITION, e.to_string()),
        _ => rejected(codes::INVALID, e.to_string()),
    }
}

fn dispute_rejection(e: DisputeError) -> MutationOutcome {
    match e {
        DisputeError::IllegalStage { .. } | DisputeError::Closed => {
            rejected(codes::ILLEGAL_TRANSITION, e.to_string())
        }
        DisputeError::NoReasoning | DisputeError::BadAmount => rejected(codes::INVALID, e.to_string()),
    }
}

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
//! Nothing is done per mutation in the database: the batch reads all its target
//! entities in one statement per kind (locking them on PostgreSQL), applies the
//! mutations in memory in order, and writes the changed entities, decision
//! records, trail entries and outcomes as multi-row statements before commit
//! (each statement is a round trip, and those dominate). No statement is
//! expected to fail, so one database error rolls back the whole batch and the
//! client resends it.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};
use trustdesk_api::Role;
use trustdesk_api::{
    codes, Entity, EntityKind, Mutation, MutationOp, MutationOutcome, MutationResult, WorkKind,
};
use trustdesk_domain::audit::{AuditChange, AuditError};
use trustdesk_domain::dispute::{default_arbitration_fee, DisputeError, DisputeMessage};
use trustdesk_domain::fairness::{outcome_label, sampled};
use trustdesk_domain::statement::owes_statement;
use trustdesk_domain::{
    DecisionError, DecisionId, DecisionInput, DisputeStage, MessageId, ReviewAction, ReviewDecision,
    ReviewId, ReviewStatus, Shop,
};

use crate::auth::User;
use crate::db::{self, micros, rfc3339, rows_per_statement, Backend, Db, SQLITE_PARAMS};
use crate::entities;
use crate::error::ApiError;
use crate::ingest::Scanner;
use crate::statements::{self, Prepared};

/// Longest dispute message or reasoning kept.
const MAX_TEXT_CHARS: usize = 20_000;

/// Tries of a batch that PostgreSQL aborted to break a deadlock.
const DEADLOCK_TRIES: usize = 4;

fn rejected(code: &str, message: impl Into<String>) -> MutationOutcome {
    MutationOutcome::Rejected { code: code.into(), message: message.into() }
}

/// `builtin` scans with the release's rule packs when none were published.
pub async fn apply_batch(
    db: &Db,
    user: &User,
    builtin: &dyn Scanner,
    sample_share: f64,
    batch: &[Mutation],
) -> Result<Vec<MutationResult>, ApiError> {
    let mut tries = 0;
    loop {
        tries += 1;
        match try_batch(db, user, builtin, sample_share, batch).await {
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

/// What an applied mutation leaves to be written in bulk.
struct Written {
    decision: Option<ReviewDecision>,
    statement: Option<Prepared>,
    action: String,
    kind: EntityKind,
    entity_id: String,
    mutation_id: String,
    trail: String,
    /// A decision drawn for a blind second opinion.
    sample: Option<NewSample>,
    /// A second opinion given on a sample: (sample id, decision label).
    second_opinion: Option<(String, String)>,
}

/// A second-opinion sample to create: the blind copy another moderator decides.
struct NewSample {
    id: String,
    review: trustdesk_domain::Review,
    first_decision: String,
    first_outcome: String,
}

/// An open sample a mutation in the batch names (its id is the sample's).
struct Sample {
    assigned_to: Option<String>,
    decided: bool,
    review: trustdesk_domain::Review,
}

/// What a batch decides with besides the entities: shops and the scanner for
/// statements, the share of decisions drawn for a second opinion.
struct StatementContext<'a> {
    shops: HashMap<String, Shop>,
    scanner: &'a dyn Scanner,
    sample_share: f64,
    templates: crate::packs::TemplateSet,
}

async fn try_batch(
    db: &Db,
    user: &User,
    builtin: &dyn Scanner,
    sample_share: f64,
    batch: &[Mutation],
) -> Result<Vec<MutationResult>, sqlx::Error> {
    let now = db::now();
    let at = rfc3339(now);
    let mut tx = db.write.begin().await?;

    // Claim every id at once; the ones returned are new.
    let mut fresh: HashSet<String> = HashSet::new();
    for chunk in batch.chunks(rows_per_statement(db.backend, 5)) {
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

    // Every target in one read (locked on PostgreSQL, in key order so that
    // concurrent batches cannot deadlock); the mutations then run in memory.
    let targets: Vec<(EntityKind, String)> = batch
        .iter()
        .filter(|m| fresh.contains(&m.id.to_string()))
        .map(|m| {
            let (kind, id) = m.op.target();
            (kind, id.to_string())
        })
        .collect();
    let mut states = load_many(&mut tx, db.backend, &targets).await?;
    let mut samples = load_samples(&mut tx, &states, &targets).await?;
    // Statements are checked against the templates they were made with and
    // point at the hits of the rule packs in force; a batch without review
    // decisions (audits, disputes) needs neither.
    let decides_reviews = batch.iter().any(|m| matches!(m.op, MutationOp::ReviewDecision { .. }));
    let published = if decides_reviews { crate::packs::published_rules(&mut tx).await? } else { None };
    let templates = if decides_reviews {
        let named: Vec<String> = batch
            .iter()
            .filter_map(|m| match &m.op {
                MutationOp::ReviewDecision { statement: Some(st), .. } => {
                    st["template_version"].as_str().map(str::to_owned)
                }
                _ => None,
            })
            .collect();
        crate::packs::templates(&mut tx, &named).await?
    } else {
        crate::packs::TemplateSet::shipped()
    };
    let ctx = StatementContext {
        shops: load_shops(&mut tx, &states, batch).await?,
        scanner: published.as_deref().unwrap_or(builtin),
        sample_share,
        templates,
    };
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
            let (outcome, w) = decide(&mut states, &mut samples, &ctx, user, m, now);
            written.extend(w);
            outcomes.insert(id, outcome.clone());
            outcome
        };
        results.push(MutationResult { id: m.id, outcome });
    }
    write_changed(&mut tx, db.backend, &mut states).await?;
    let decisions: Vec<&ReviewDecision> = written.iter().filter_map(|w| w.decision.as_ref()).collect();
    for chunk in decisions.chunks(rows_per_statement(db.backend, 6)) {
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
    write_samples(&mut tx, &written, user, &at).await?;
    let prepared: Vec<&Prepared> = written.iter().filter_map(|w| w.statement.as_ref()).collect();
    for chunk in prepared.chunks(rows_per_statement(db.backend, 9)) {
        let sql = values_sql(
            "INSERT INTO statements (decision_id, review_id, decided_at, reason, language, template_version,
                rendered, statement, dsa_record) VALUES",
            9,
            chunk.len(),
            "",
        );
        let mut q = sqlx::query(&sql);
        for p in chunk {
            let s = &p.statement;
            q = q
                .bind(s.decision_id.to_string())
                .bind(s.review_id.to_string())
                .bind(rfc3339(s.decided_at))
                .bind(s.reason.code())
                .bind(s.language.to_string())
                .bind(&s.template_version)
                .bind(&p.rendered)
                .bind(serde_json::to_string(s).expect("statements serialise"))
                .bind(serde_json::to_string(&p.record).expect("records serialise"));
        }
        q.execute(&mut *tx).await?;
    }
    for chunk in written.chunks(rows_per_statement(db.backend, 7)) {
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
    for chunk in stored.chunks(rows_per_statement(db.backend, 2)) {
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
        EntityKind::Complaint => WorkKind::Complaint,
        EntityKind::Review | EntityKind::Shop => WorkKind::Review,
    }
}

/// An entity as the batch sees it: loaded once, changed in memory, written once.
struct State {
    stored: entities::Stored,
    changed: bool,
}

type States = HashMap<(EntityKind, String), State>;

/// Rows per multi-row read of entities on PostgreSQL (writes use `rows_per_statement`).
const ENTITY_ROWS: usize = 250;

fn ids_per_read(backend: Backend) -> usize {
    match backend {
        Backend::Postgres => ENTITY_ROWS,
        Backend::Sqlite => SQLITE_PARAMS,
    }
}

async fn load_many(
    conn: &mut AnyConnection,
    backend: Backend,
    targets: &[(EntityKind, String)],
) -> Result<States, sqlx::Error> {
    let mut by_kind: HashMap<EntityKind, Vec<&str>> = HashMap::new();
    for (kind, id) in targets {
        by_kind.entry(*kind).or_default().push(id);
    }
    let mut kinds: Vec<_> = by_kind.into_iter().collect();
    kinds.sort_by_key(|(k, _)| k.as_str());
    let lock = if backend == Backend::Postgres { " FOR UPDATE" } else { "" };
    let mut states = States::new();
    for (kind, mut ids) in kinds {
        ids.sort_unstable();
        ids.dedup();
        for chunk in ids.chunks(ids_per_read(backend)) {
            let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "SELECT id, version, claimed_by, claim_until, doc FROM entities
                 WHERE kind = $1 AND deleted = 0 AND id IN ({}) ORDER BY id{lock}",
                list.join(", ")
            );
            let mut q = sqlx::query(&sql).bind(kind.as_str());
            for id in chunk {
                q = q.bind(*id);
            }
            for row in q.fetch_all(&mut *conn).await? {
                let doc: String = row.try_get("doc")?;
                let entity = entities::parse_doc(kind, &doc).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
                let stored = entities::Stored {
                    entity,
                    version: row.try_get("version")?,
                    claimed_by: row.try_get("claimed_by")?,
                    claim_until: row.try_get("claim_until")?,
                };
                states.insert((kind, row.try_get("id")?), State { stored, changed: false });
            }
        }
    }
    Ok(states)
}

/// Writes every changed entity with one multi-row upsert per chunk, each at its
/// own new change sequence number. The rows were read in this transaction (and
/// locked on PostgreSQL; SQLite has one writer), so the update always finds them.
async fn write_changed(
    conn: &mut AnyConnection,
    backend: Backend,
    states: &mut States,
) -> Result<(), sqlx::Error> {
    let mut changed: Vec<&entities::Stored> =
        states.values().filter(|s| s.changed).map(|s| &s.stored).collect();
    if changed.is_empty() {
        return Ok(());
    }
    // A stable order, so that sequence numbers do not depend on hashing.
    changed.sort_by_key(|s| (s.entity.kind().as_str(), entities::id_of(&s.entity)));
    // Taken last: the counter row stays locked until commit.
    let last = db::next_change_seq(conn, changed.len() as i64).await?;
    let mut seq = last - changed.len() as i64;
    for chunk in changed.chunks(rows_per_statement(backend, 10)) {
        let sql = values_sql(
            "INSERT INTO entities (kind, id, shop_id, state, open, language, queue_at, version, change_seq, doc) VALUES",
            10,
            chunk.len(),
            " ON CONFLICT (kind, id) DO UPDATE SET shop_id = excluded.shop_id, state = excluded.state,
                open = excluded.open, language = excluded.language, queue_at = excluded.queue_at,
                version = excluded.version, change_seq = excluded.change_seq, doc = excluded.doc
              WHERE entities.deleted = 0 RETURNING id",
        );
        let mut q = sqlx::query(&sql);
        for s in chunk {
            seq += 1;
            let ix = entities::index_of(&s.entity);
            q = q
                .bind(s.entity.kind().as_str())
                .bind(entities::id_of(&s.entity))
                .bind(ix.shop_id)
                .bind(ix.state)
                .bind(i64::from(ix.open))
                .bind(ix.language)
                .bind(ix.queue_at)
                .bind(s.version)
                .bind(seq)
                .bind(entities::doc_of(&s.entity));
        }
        let done = q.fetch_all(&mut *conn).await?;
        if done.len() != chunk.len() {
            // Cannot happen while the rows are locked; refuse rather than guess.
            return Err(sqlx::Error::Protocol("an entity changed while its batch was applied".into()));
        }
    }
    Ok(())
}

/// The shops of the reviews whose decisions owe a statement (for its shop name
/// and the ARM scan); read without locking, shops do not change here.
async fn load_shops(
    conn: &mut AnyConnection,
    states: &States,
    batch: &[Mutation],
) -> Result<HashMap<String, Shop>, sqlx::Error> {
    let mut ids: Vec<String> = batch
        .iter()
        .filter_map(|m| match &m.op {
            MutationOp::ReviewDecision { review_id, action, statement, .. }
                if owes_statement(*action) || statement.is_some() =>
            {
                match &states.get(&(EntityKind::Review, review_id.to_string()))?.stored.entity {
                    Entity::Review(r) => Some(r.shop_id.to_string()),
                    _ => None,
                }
            }
            _ => None,
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut shops = HashMap::new();
    for chunk in ids.chunks(ENTITY_ROWS) {
        let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 1)).collect();
        let sql = format!(
            "SELECT id, doc FROM entities WHERE kind = 'shop' AND deleted = 0 AND id IN ({})",
            list.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(id.as_str());
        }
        for row in q.fetch_all(&mut *conn).await? {
            let doc: String = row.try_get(1)?;
            let shop: Shop = serde_json::from_str(&doc).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
            shops.insert(row.try_get(0)?, shop);
        }
    }
    Ok(shops)
}

/// Open samples among the review targets that are not reviews.
async fn load_samples(
    conn: &mut AnyConnection,
    states: &States,
    targets: &[(EntityKind, String)],
) -> Result<HashMap<String, Sample>, sqlx::Error> {
    let mut ids: Vec<&str> = targets
        .iter()
        .filter(|(k, id)| *k == EntityKind::Review && !states.contains_key(&(*k, id.clone())))
        .map(|(_, id)| id.as_str())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut out = HashMap::new();
    for chunk in ids.chunks(ENTITY_ROWS) {
        let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 1)).collect();
        let sql = format!(
            "SELECT id, assigned_to, second_outcome, doc FROM second_opinions WHERE id IN ({})",
            list.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        for row in q.fetch_all(&mut *conn).await? {
            let doc: String = row.try_get(3)?;
            let review = serde_json::from_str(&doc).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
            let second: Option<String> = row.try_get(2)?;
            out.insert(
                row.try_get(0)?,
                Sample { assigned_to: row.try_get(1)?, decided: second.is_some(), review },
            );
        }
    }
    Ok(out)
}

/// New samples and given second opinions; few per batch (a 3 % draw), so one
/// statement each.
async fn write_samples(
    conn: &mut AnyConnection,
    written: &[Written],
    user: &User,
    at: &str,
) -> Result<(), sqlx::Error> {
    for w in written {
        if let Some(s) = &w.sample {
            sqlx::query(
                "INSERT INTO second_opinions (id, review_id, language, stars, first_decision, first_by,
                    first_outcome, created_at, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&s.id)
            .bind(&w.entity_id)
            .bind(s.review.language.to_string())
            .bind(i64::from(s.review.stars.get()))
            .bind(&s.first_decision)
            .bind(&user.id)
            .bind(&s.first_outcome)
            .bind(at)
            .bind(serde_json::to_string(&s.review).expect("reviews serialise"))
            .execute(&mut *conn)
            .await?;
        }
        if let Some((id, outcome)) = &w.second_opinion {
            sqlx::query(
                "UPDATE second_opinions SET second_by = $1, second_outcome = $2, second_at = $3,
                    second_mutation = $4 WHERE id = $5 AND second_outcome IS NULL",
            )
            .bind(&user.id)
            .bind(outcome)
            .bind(at)
            .bind(&w.mutation_id)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// A decision on a sample: recorded as the second opinion; the review is untouched.
fn decide_sample(
    sample: &mut Sample,
    user: &User,
    m: &Mutation,
    now: DateTime<Utc>,
) -> (MutationOutcome, Option<Written>) {
    let done = |o: MutationOutcome| (o, None);
    let sample_id = sample.review.id.to_string();
    // Anyone but its assignee is told it does not exist: a sample stays blind.
    if sample.assigned_to.as_deref() != Some(user.id.as_str()) {
        return done(rejected(codes::NOT_FOUND, format!("no review with id {sample_id}")));
    }
    if sample.decided {
        return done(rejected(codes::ILLEGAL_TRANSITION, "this review was decided already"));
    }
    if m.base_version != sample.review.version {
        return done(MutationOutcome::Conflict {
            current_version: sample.review.version,
            current: Some(Box::new(Entity::Review(sample.review.clone()))),
        });
    }
    let MutationOp::ReviewDecision { action, grounds, message, .. } = &m.op else {
        return done(rejected(codes::INVALID, "operation does not apply to a review"));
    };
    let decision = ReviewDecision::make(
        DecisionInput {
            review_id: sample.review.id,
            current: sample.review.status,
            base_version: m.base_version,
            stars: sample.review.stars,
            action: *action,
            grounds: grounds.clone(),
            decided_by: user.id.clone(),
            message: message.clone(),
        },
        now,
    );
    let label = match decision {
        Ok(d) => outcome_label(&d.action),
        Err(DecisionError::Transition(t)) => return done(rejected(codes::ILLEGAL_TRANSITION, t.to_string())),
        Err(other) => return done(rejected(codes::INVALID, other.to_string())),
    };
    let Some(label) = label else {
        return done(rejected(
            codes::ILLEGAL_TRANSITION,
            "only publish, reject or request evidence apply here",
        ));
    };
    sample.decided = true;
    let new_version = sample.review.version + 1;
    let written = Written {
        decision: None,
        statement: None,
        action: "review.second_opinion".into(),
        kind: EntityKind::Review,
        entity_id: sample_id.clone(),
        mutation_id: m.id.to_string(),
        trail: serde_json::json!({ "sample": sample_id, "outcome": label, "new_version": new_version })
            .to_string(),
        sample: None,
        second_opinion: Some((sample_id, label)),
    };
    (MutationOutcome::Applied { new_version }, Some(written))
}

fn decide(
    states: &mut States,
    samples: &mut HashMap<String, Sample>,
    ctx: &StatementContext<'_>,
    user: &User,
    m: &Mutation,
    now: DateTime<Utc>,
) -> (MutationOutcome, Option<Written>) {
    let (kind, entity_uuid) = m.op.target();
    let entity_id = entity_uuid.to_string();
    let done = |o: MutationOutcome| (o, None);
    if !user.works_on(work_kind(kind)) {
        return done(rejected(
            codes::FORBIDDEN,
            format!("a {} may not change a {}", user.role.as_str(), kind.as_str()),
        ));
    }
    if m.id.0.get_version_num() != 7 {
        return done(rejected(codes::INVALID, "the mutation id must be a UUIDv7"));
    }
    let Some(state) = states.get_mut(&(kind, entity_id.clone())) else {
        if let Some(sample) = samples.get_mut(&entity_id).filter(|_| kind == EntityKind::Review) {
            return decide_sample(sample, user, m, now);
        }
        return done(rejected(codes::NOT_FOUND, format!("no {} with id {entity_id}", kind.as_str())));
    };
    let stored = &mut state.stored;
    if let (Some(holder), Some(until)) = (&stored.claimed_by, stored.claim_until) {
        if *holder != user.id && until > micros(now) {
            return done(rejected(codes::CLAIMED_BY_OTHER, "another user holds a live claim on this item"));
        }
    }
    if stored.version != m.base_version {
        return done(MutationOutcome::Conflict {
            current_version: stored.version,
            current: Some(Box::new(stored.entity.clone())),
        });
    }
    let new_version = stored.version + 1;
    let (next, action, detail) = match transform(ctx, user, m, stored.entity.clone(), new_version, now) {
        Ok(t) => t,
        Err(outcome) => return done(outcome),
    };
    let sample = match (&detail.decision, &next) {
        (Some(d), Entity::Review(review)) => draw_sample(d, review, user, ctx.sample_share),
        _ => None,
    };
    stored.entity = next;
    stored.version = new_version;
    state.changed = true;
    let written = Written {
        decision: detail.decision,
        statement: detail.statement,
        action,
        kind,
        entity_id,
        mutation_id: m.id.to_string(),
        trail: detail.trail.to_string(),
        sample,
        second_opinion: None,
    };
    (MutationOutcome::Applied { new_version }, Some(written))
}

/// 64 random bits from a v4 UUID (its 122 random bits, without the fixed
/// version and variant bits).
fn draw() -> u64 {
    let (hi, lo) = uuid::Uuid::new_v4().as_u64_pair();
    // The variant sits in the top two bits of `lo`, the version in bits 12-15 of `hi`.
    (lo << 2) ^ (hi >> 16)
}

/// Draws a moderator's publish or reject for a second opinion, at the
/// configured share, with the server's randomness (never the client's ids).
fn draw_sample(
    d: &ReviewDecision,
    review: &trustdesk_domain::Review,
    user: &User,
    share: f64,
) -> Option<NewSample> {
    let first = matches!(d.action, ReviewAction::Publish | ReviewAction::Reject { .. });
    if user.role != Role::Moderator || !first || !sampled(draw(), share) {
        return None;
    }
    let id = DecisionId::new();
    // The blind copy: pending, first version, nothing of the first decision.
    let mut blind = review.clone();
    blind.id = ReviewId(id.0);
    blind.status = ReviewStatus::Pending;
    blind.version = 1;
    Some(NewSample {
        id: id.to_string(),
        review: blind,
        first_decision: d.id.to_string(),
        first_outcome: outcome_label(&d.action)?,
    })
}

#[derive(Default)]
struct Detail {
    /// The decision record, for review decisions.
    decision: Option<ReviewDecision>,
    /// The statement of reasons the decision owes.
    statement: Option<Prepared>,
    /// What the audit trail keeps: states and ids, never free text.
    trail: serde_json::Value,
}

type Transformed = (Entity, String, Detail);

/// Applies the domain rules; `Err` is the rejection to report.
fn transform(
    ctx: &StatementContext<'_>,
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
        (
            MutationOp::ReviewDecision { action, grounds, message, statement, .. },
            Entity::Review(mut review),
        ) => {
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
            let statement: Option<trustdesk_domain::StatementOfReasons> =
                statement.as_ref().map(|v| serde_json::from_value(v.clone())).transpose().map_err(|e| {
                    rejected(codes::STATEMENT_INVALID, format!("the statement of reasons is malformed: {e}"))
                })?;
            let prepared = if owes_statement(decision.action)
                || statement.is_some()
                || decision.grounds.illegal.is_some()
            {
                let shop = ctx.shops.get(&review.shop_id.to_string());
                let hits = shop.map(|s| ctx.scanner.hits(s, &review)).unwrap_or_default();
                statements::prepare(
                    &decision,
                    &review,
                    shop.map(|s| s.name.as_str()),
                    &hits,
                    statement.as_ref(),
                    &ctx.templates,
                )?
            } else {
                None
            };
            let from: ReviewStatus = review.status;
            review.status = decision.to;
            review.version = new_version;
            let trail = serde_json::json!({
                "from": from.state_name(),
                "to": decision.to.state_name(),
                "new_version": new_version,
                "statement": prepared.as_ref().map(|p| p.statement.reason.code()),
            });
            let action = format!("review.{}", action.name());
            Ok((
                Entity::Review(review),
                action,
                Detail { decision: Some(decision), statement: prepared, trail },
            ))
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
            // Names, not ids: these records are read by people (reports, timelines);
            // the audit trail keeps the user id.
            audit.apply(&change, &user.name, now).map_err(audit_rejection)?;
            audit.validate().map_err(audit_rejection)?;
            audit.version = new_version;
            let trail = serde_json::json!({
                "criterion_id": criterion_id, "from": before, "to": status,
                "evidence": evidence.len(), "new_version": new_version,
            });
            Ok((Entity::Audit(audit), "audit.item".into(), Detail { decision: None, statement: None, trail }))
        }
        (MutationOp::AuditConfirm { outcome, recommendation, .. }, Entity::Audit(mut audit)) => {
            let change =
                AuditChange::Confirm { outcome: outcome.clone(), recommendation: recommendation.clone() };
            audit.apply(&change, &user.name, now).map_err(audit_rejection)?;
            audit.version = new_version;
            let trail = serde_json::json!({ "outcome": outcome, "new_version": new_version });
            Ok((
                Entity::Audit(audit),
                "audit.confirm".into(),
                Detail { decision: None, statement: None, trail },
            ))
        }
        (MutationOp::Dispute { change, .. }, Entity::Dispute(mut case)) => {
            let from = case.stage;
            case.apply(change, &user.name, now).map_err(dispute_rejection)?;
            case.version = new_version;
            let what =
                serde_json::to_value(change).ok().and_then(|v| v["change"].as_str().map(str::to_owned));
            // States and ids only: message and reasoning texts stay out of the trail.
            let trail = serde_json::json!({
                "change": what, "from": from, "to": case.stage, "new_version": new_version,
            });
            Ok((Entity::Dispute(case), "dispute.change".into(), Detail { trail, ..Detail::default() }))
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
            Ok((
                Entity::Dispute(case),
                "dispute.message".into(),
                Detail { decision: None, statement: None, trail },
            ))
        }
        (MutationOp::DisputeEscalate { .. }, Entity::Dispute(mut case)) => {
            let from = case.stage;
            let to = case.escalate().map_err(dispute_rejection)?;
            case.version = new_version;
            let trail = serde_json::json!({ "from": from, "to": to, "new_version": new_version });
            Ok((
                Entity::Dispute(case),
                "dispute.escalate".into(),
                Detail { decision: None, statement: None, trail },
            ))
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
            Ok((
                Entity::Dispute(case),
                "dispute.decide".into(),
                Detail { decision: None, statement: None, trail },
            ))
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
        DisputeError::IllegalStage { .. }
        | DisputeError::Closed
        | DisputeError::CloseOnlyByDecision
        | DisputeError::SettlementAgreed
        | DisputeError::ProposalSuperseded => rejected(codes::ILLEGAL_TRANSITION, e.to_string()),
        DisputeError::UnknownProposal(_) => rejected(codes::NOT_FOUND, e.to_string()),
        _ => rejected(codes::INVALID, e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_uniform_enough_for_the_share() {
        for share in [0.03, 0.5] {
            let n = 40_000;
            let hits = (0..n).filter(|_| sampled(draw(), share)).count() as f64 / f64::from(n);
            assert!((hits - share).abs() < 0.01, "share {share}: drew {hits}");
        }
    }
}

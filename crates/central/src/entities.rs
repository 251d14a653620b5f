//! The `entities` table: each domain value as JSON plus the columns that
//! queues, claims and the change feed select on.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use trustdesk_api::{ComplaintStatus, Entity, EntityKind};
use trustdesk_domain::{AuditOutcome, DisputeStage, ReviewStatus};

use crate::db::{self, rfc3339};

/// Columns derived from an entity's value; recomputed on every write.
pub struct Index {
    pub shop_id: Option<String>,
    pub state: String,
    pub open: bool,
    pub language: Option<String>,
    pub queue_at: String,
}

pub fn id_of(e: &Entity) -> String {
    match e {
        Entity::Shop(s) => s.id.to_string(),
        Entity::Review(r) => r.id.to_string(),
        Entity::Audit(a) => a.id.to_string(),
        Entity::Dispute(d) => d.id.to_string(),
        Entity::Complaint(c) => c.id.clone(),
    }
}

pub fn version_of(e: &Entity) -> i64 {
    match e {
        Entity::Shop(_) => 1,
        Entity::Review(r) => r.version,
        Entity::Audit(a) => a.version,
        Entity::Dispute(d) => d.version,
        Entity::Complaint(c) => c.version,
    }
}

pub fn index_of(e: &Entity) -> Index {
    match e {
        Entity::Shop(s) => Index {
            shop_id: Some(s.id.to_string()),
            state: "active".into(),
            open: false,
            language: None,
            queue_at: s.id.to_string(),
        },
        Entity::Review(r) => Index {
            shop_id: Some(r.shop_id.to_string()),
            state: r.status.state_name().into(),
            open: matches!(r.status, ReviewStatus::Pending | ReviewStatus::EvidenceReceived),
            language: Some(r.language.to_string()),
            queue_at: rfc3339(r.submitted_at),
        },
        Entity::Audit(a) => {
            let outcome = a.outcome();
            Index {
                shop_id: Some(a.shop_id.to_string()),
                state: match outcome {
                    AuditOutcome::Incomplete { .. } => "incomplete",
                    AuditOutcome::ImprovementsRequired { .. } => "improvements_required",
                    AuditOutcome::Certified => "certified",
                }
                .into(),
                open: matches!(outcome, AuditOutcome::Incomplete { .. }),
                language: None,
                queue_at: rfc3339(a.due),
            }
        }
        Entity::Dispute(d) => Index {
            shop_id: Some(d.shop_id.to_string()),
            state: serde_json::to_value(d.stage)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            open: d.stage != DisputeStage::Closed,
            language: Some(d.language.to_string()),
            // UUIDv7 ids sort by creation: oldest case first.
            queue_at: d.id.to_string(),
        },
        Entity::Complaint(c) => Index {
            shop_id: Some(c.shop_id.to_string()),
            state: c.status.as_str().into(),
            open: c.status == ComplaintStatus::Open,
            language: Some(c.language.to_string()),
            queue_at: c.id.clone(),
        },
    }
}

/// The entity's value without the kind tag, as stored in `doc`.
pub fn doc_of(e: &Entity) -> String {
    let r = match e {
        Entity::Shop(s) => serde_json::to_string(s),
        Entity::Review(r) => serde_json::to_string(r),
        Entity::Audit(a) => serde_json::to_string(a),
        Entity::Dispute(d) => serde_json::to_string(d),
        Entity::Complaint(c) => serde_json::to_string(c),
    };
    r.expect("domain values serialise")
}

pub fn parse_doc(kind: EntityKind, doc: &str) -> Result<Entity, serde_json::Error> {
    Ok(match kind {
        EntityKind::Shop => Entity::Shop(serde_json::from_str(doc)?),
        EntityKind::Review => Entity::Review(serde_json::from_str(doc)?),
        EntityKind::Audit => Entity::Audit(serde_json::from_str(doc)?),
        EntityKind::Dispute => Entity::Dispute(serde_json::from_str(doc)?),
        EntityKind::Complaint => Entity::Complaint(serde_json::from_str(doc)?),
    })
}

/// A new entity together with what ingestion found about it.
pub struct NewEntity {
    pub entity: Entity,
    /// ARM categories from the ingestion scan (reviews only).
    pub categories: Vec<String>,
}

/// Inserts new entities in one go, taking consecutive change sequence numbers.
/// The caller owns the transaction.
pub async fn insert_all(conn: &mut AnyConnection, items: &[NewEntity]) -> Result<(), sqlx::Error> {
    if items.is_empty() {
        return Ok(());
    }
    let last = db::next_change_seq(conn, items.len() as i64).await?;
    let mut seq = last - items.len() as i64;
    for chunk in items.chunks(db::rows_per_statement(db::backend_of(conn), 11)) {
        let mut sql = String::from(
            "INSERT INTO entities (kind, id, shop_id, state, open, language, categories, queue_at, version, change_seq, doc) VALUES ",
        );
        const COLS: usize = 11;
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push(',');
            }
            sql.push('(');
            for c in 0..COLS {
                if c > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!("${}", i * COLS + c + 1));
            }
            sql.push(')');
        }
        let mut q = sqlx::query(&sql);
        for item in chunk {
            seq += 1;
            let ix = index_of(&item.entity);
            let cats = if item.categories.is_empty() {
                String::new()
            } else {
                format!(",{},", item.categories.join(","))
            };
            q = q
                .bind(item.entity.kind().as_str())
                .bind(id_of(&item.entity))
                .bind(ix.shop_id)
                .bind(ix.state)
                .bind(i64::from(ix.open))
                .bind(ix.language)
                .bind(cats)
                .bind(ix.queue_at)
                .bind(version_of(&item.entity))
                .bind(seq)
                .bind(doc_of(&item.entity));
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The stored state of one entity, with its claim.
#[derive(Debug, Clone)]
pub struct Stored {
    pub entity: Entity,
    pub version: i64,
    pub claimed_by: Option<String>,
    pub claim_until: Option<i64>,
}

pub async fn load(
    conn: &mut AnyConnection,
    kind: EntityKind,
    id: &str,
) -> Result<Option<Stored>, sqlx::Error> {
    let row: Option<AnyRow> = sqlx::query(
        "SELECT version, claimed_by, claim_until, doc FROM entities WHERE kind = $1 AND id = $2 AND deleted = 0",
    )
    .bind(kind.as_str())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let doc: String = row.try_get("doc")?;
    let entity = parse_doc(kind, &doc).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    Ok(Some(Stored {
        entity,
        version: row.try_get("version")?,
        claimed_by: row.try_get("claimed_by")?,
        claim_until: row.try_get("claim_until")?,
    }))
}

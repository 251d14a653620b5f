//! Cases on the workstation (audits, disputes): the server's copy, the local
//! copy with the user's pending changes applied (autosave), and the case outbox
//! that carries those changes to the server in order. One implementation for
//! every kind, through [`LocalCase`].

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::{Row, SqliteConnection};
use trustdesk_domain::audit::AuditChange;
use trustdesk_domain::complaint::{ComplaintCase, ComplaintChange};
use trustdesk_domain::dispute::DisputeChange;
use trustdesk_domain::{AuditCase, AuditId, DecisionId, DisputeCase, DisputeId, ReviewId, Shop, ShopId};

use crate::{parse_id, rows, Store, StoreError};

/// A kind of case kept locally with its own change type and rules.
pub trait LocalCase: Clone + Serialize + DeserializeOwned {
    type Change: Serialize + DeserializeOwned;
    /// Entity kind as the server names it (`audit`, `dispute`).
    const KIND: &'static str;
    /// Its table (the same columns for every kind).
    const TABLE: &'static str;
    fn id_string(&self) -> String;
    fn shop(&self) -> ShopId;
    fn version(&self) -> i64;
    /// Short label stored for listing (audit kind, dispute stage).
    fn label(&self) -> String;
    /// What the list sorts by.
    fn due(&self) -> DateTime<Utc>;
    /// The domain's rules; the error's text is what the user is told.
    fn apply_change(&mut self, change: &Self::Change, by: &str, now: DateTime<Utc>) -> Result<(), String>;
}

impl LocalCase for AuditCase {
    type Change = AuditChange;
    const KIND: &'static str = "audit";
    const TABLE: &'static str = "audits";
    fn id_string(&self) -> String {
        self.id.to_string()
    }
    fn shop(&self) -> ShopId {
        self.shop_id
    }
    fn version(&self) -> i64 {
        self.version
    }
    fn label(&self) -> String {
        rows::enum_code(&self.kind).unwrap_or_default()
    }
    fn due(&self) -> DateTime<Utc> {
        self.due
    }
    fn apply_change(&mut self, change: &AuditChange, by: &str, now: DateTime<Utc>) -> Result<(), String> {
        self.apply(change, by, now).map_err(|e| e.to_string())
    }
}

impl LocalCase for DisputeCase {
    type Change = DisputeChange;
    const KIND: &'static str = "dispute";
    const TABLE: &'static str = "disputes";
    fn id_string(&self) -> String {
        self.id.to_string()
    }
    fn shop(&self) -> ShopId {
        self.shop_id
    }
    fn version(&self) -> i64 {
        self.version
    }
    fn label(&self) -> String {
        rows::enum_code(&self.stage).unwrap_or_default()
    }
    fn due(&self) -> DateTime<Utc> {
        self.next_deadline().unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
    fn apply_change(&mut self, change: &DisputeChange, by: &str, now: DateTime<Utc>) -> Result<(), String> {
        self.apply(change, by, now).map_err(|e| e.to_string())
    }
}

impl LocalCase for ComplaintCase {
    type Change = ComplaintChange;
    const KIND: &'static str = "complaint";
    const TABLE: &'static str = "complaints";
    fn id_string(&self) -> String {
        self.id.clone()
    }
    fn shop(&self) -> ShopId {
        self.shop_id
    }
    fn version(&self) -> i64 {
        self.version
    }
    fn label(&self) -> String {
        self.status.as_str().to_owned()
    }
    fn due(&self) -> DateTime<Utc> {
        self.received_at
    }
    /// `by` is the user's id: the contested decision names its maker by id.
    fn apply_change(&mut self, change: &ComplaintChange, by: &str, now: DateTime<Utc>) -> Result<(), String> {
        self.apply(change, by, now).map_err(|e| e.to_string())
    }
}

/// An audit as the auditor sees it.
pub type AuditView = CaseView<AuditCase>;
/// A dispute as the mediator sees it.
pub type DisputeView = CaseView<DisputeCase>;
/// A reviewer's complaint as the moderator sees it.
pub type ComplaintView = CaseView<ComplaintCase>;

/// A case as its user sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseView<C> {
    /// With every pending local change applied.
    pub case: C,
    pub shop: Shop,
    /// The server's version this copy is based on.
    pub server_version: i64,
    /// Local changes not yet acknowledged by the server.
    pub pending_changes: u32,
    /// Local changes the server answered with a conflict or refusal.
    pub unresolved: Vec<CaseAttention>,
}

/// A local change the server did not apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseAttention {
    pub mutation_id: String,
    pub delivery: String,
    pub code: Option<String>,
    pub message: Option<String>,
    pub change: String,
}

/// A change waiting in the case outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseOutboxEntry {
    pub seq: i64,
    pub mutation_id: DecisionId,
    pub entity_kind: String,
    pub entity_id: String,
    pub base_version: i64,
    /// The domain change as JSON (an `AuditChange`, a `DisputeChange`).
    pub change: String,
}

/// Why a case change was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum CaseChangeError {
    /// The domain's rules refuse it.
    #[error("{0}")]
    Rule(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The name audits used before disputes joined them.
pub type AuditChangeError = CaseChangeError;

impl From<sqlx::Error> for CaseChangeError {
    fn from(e: sqlx::Error) -> Self {
        CaseChangeError::Store(e.into())
    }
}

pub(crate) async fn write_cases<C: LocalCase>(
    conn: &mut SqliteConnection,
    cases: &[C],
) -> Result<(), StoreError> {
    for a in cases {
        let server = serde_json::to_string(a)?;
        // Rebase: the server's copy plus the changes still waiting to go out.
        let mut local = a.clone();
        let pending: Vec<(String, String)> = sqlx::query_as(
            "SELECT change, created_at FROM case_outbox WHERE entity_id = ?1 AND delivery = 'pending' ORDER BY seq",
        )
        .bind(a.id_string())
        .fetch_all(&mut *conn)
        .await?;
        for (change, at) in pending {
            let change: C::Change = serde_json::from_str(&change)?;
            // A change that no longer applies stays in the outbox; the server
            // answers it and the user sees that answer.
            let _ = local.apply_change(&change, "local", rows::parse_time(&at)?);
        }
        sqlx::query(&format!(
            "INSERT INTO {} (id, shop_id, kind, due, version, server_copy, local_copy, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (id) DO UPDATE SET shop_id = excluded.shop_id, kind = excluded.kind, due = excluded.due,
               version = excluded.version, server_copy = excluded.server_copy, local_copy = excluded.local_copy,
               updated_at = excluded.updated_at",
            C::TABLE
        ))
        .bind(a.id_string())
        .bind(a.shop().to_string())
        .bind(local.label())
        .bind(rows::time_key(local.due()))
        .bind(a.version())
        .bind(server)
        .bind(serde_json::to_string(&local)?)
        .bind(rows::time_key(Utc::now()))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

impl Store {
    /// Every audit on the workstation, soonest due first.
    pub async fn audits(&self) -> Result<Vec<AuditView>, StoreError> {
        self.cases::<AuditCase>().await
    }

    pub async fn audit(&self, id: AuditId) -> Result<AuditView, StoreError> {
        self.case::<AuditCase>(&id.to_string()).await
    }

    /// Every dispute on the workstation, next deadline first.
    pub async fn disputes(&self) -> Result<Vec<DisputeView>, StoreError> {
        self.cases::<DisputeCase>().await
    }

    pub async fn dispute(&self, id: DisputeId) -> Result<DisputeView, StoreError> {
        self.case::<DisputeCase>(&id.to_string()).await
    }

    pub async fn record_audit_change(
        &self,
        id: AuditId,
        change: &AuditChange,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<DecisionId, CaseChangeError> {
        self.record_case_change::<AuditCase>(&id.to_string(), change, by, now).await
    }

    pub async fn record_dispute_change(
        &self,
        id: DisputeId,
        change: &DisputeChange,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<DecisionId, CaseChangeError> {
        self.record_case_change::<DisputeCase>(&id.to_string(), change, by, now).await
    }

    /// Every complaint on the workstation, oldest first.
    pub async fn complaints(&self) -> Result<Vec<ComplaintView>, StoreError> {
        self.cases::<ComplaintCase>().await
    }

    /// The complaints against decisions on one review (its history).
    pub async fn complaints_on_review(&self, review: ReviewId) -> Result<Vec<ComplaintView>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM complaints WHERE json_extract(server_copy, '$.review_id') = ?1 ORDER BY due, id",
        )
        .bind(review.to_string())
        .fetch_all(&self.reader)
        .await?;
        self.views(ids).await
    }

    /// Decides a complaint locally (queued for the server). `by` is the user's id.
    pub async fn record_complaint_change(
        &self,
        id: &str,
        change: &ComplaintChange,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<DecisionId, CaseChangeError> {
        self.record_case_change::<ComplaintCase>(id, change, by, now).await
    }

    pub async fn cases<C: LocalCase>(&self) -> Result<Vec<CaseView<C>>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar(&format!("SELECT id FROM {} ORDER BY due, id", C::TABLE))
            .fetch_all(&self.reader)
            .await?;
        self.views(ids).await
    }

    async fn views<C: LocalCase>(&self, ids: Vec<String>) -> Result<Vec<CaseView<C>>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.case::<C>(&id).await?);
        }
        Ok(out)
    }

    pub async fn case<C: LocalCase>(&self, id: &str) -> Result<CaseView<C>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        let row =
            sqlx::query(&format!("SELECT local_copy, version, shop_id FROM {} WHERE id = ?1", C::TABLE))
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("{} {id}", C::KIND)))?;
        let case: C = serde_json::from_str(row.try_get("local_copy")?)?;
        let shop = rows::shop_by_id(&mut conn, row.try_get("shop_id")?).await?;
        let pending: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM case_outbox WHERE entity_id = ?1 AND delivery = 'pending'",
        )
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
        let unresolved = sqlx::query(
            "SELECT mutation_id, delivery, server_code, server_message, change FROM case_outbox
             WHERE entity_id = ?1 AND delivery <> 'pending' ORDER BY seq",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| {
            Ok(CaseAttention {
                mutation_id: r.try_get("mutation_id")?,
                delivery: r.try_get("delivery")?,
                code: r.try_get("server_code")?,
                message: r.try_get("server_message")?,
                change: r.try_get("change")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok(CaseView {
            case,
            shop,
            server_version: row.try_get("version")?,
            pending_changes: pending as u32,
            unresolved,
        })
    }

    /// Applies a user's change to the local copy and queues it for the server,
    /// in one transaction. Rules are the domain's, so a change the server would
    /// refuse is refused here first.
    pub async fn record_case_change<C: LocalCase>(
        &self,
        id: &str,
        change: &C::Change,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<DecisionId, CaseChangeError> {
        let mut tx = self.writer.begin().await?;
        let row: Option<(String, i64)> =
            sqlx::query_as(&format!("SELECT local_copy, version FROM {} WHERE id = ?1", C::TABLE))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let (local, version) = row.ok_or_else(|| StoreError::NotFound(format!("{} {id}", C::KIND)))?;
        let mut case: C = serde_json::from_str(&local).map_err(StoreError::from)?;
        case.apply_change(change, by, now).map_err(CaseChangeError::Rule)?;
        // Each applied change raises the server's version by one: the change is
        // based on the version after those queued before it.
        let queued: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM case_outbox WHERE entity_id = ?1 AND delivery = 'pending'",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        let mutation_id = DecisionId::new();
        let change_json = serde_json::to_string(change).map_err(StoreError::from)?;
        sqlx::query(
            "INSERT INTO case_outbox (mutation_id, entity_kind, entity_id, base_version, change, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(mutation_id.to_string())
        .bind(C::KIND)
        .bind(id)
        .bind(version + queued)
        .bind(&change_json)
        .bind(rows::time_key(now))
        .execute(&mut *tx)
        .await?;
        sqlx::query(&format!("UPDATE {} SET local_copy = ?2, kind = ?3, due = ?4 WHERE id = ?1", C::TABLE))
            .bind(id)
            .bind(serde_json::to_string(&case).map_err(StoreError::from)?)
            .bind(case.label())
            .bind(rows::time_key(case.due()))
            .execute(&mut *tx)
            .await?;
        let event = format!("{}_change", C::KIND);
        journal(&mut tx, now, by, C::KIND, id, &event, &mutation_id.to_string(), &change_json).await?;
        tx.commit().await?;
        Ok(mutation_id)
    }

    /// Case changes waiting to go out, oldest first.
    pub async fn pending_case_outbox(&self, limit: u32) -> Result<Vec<CaseOutboxEntry>, StoreError> {
        sqlx::query(
            "SELECT seq, mutation_id, entity_kind, entity_id, base_version, change FROM case_outbox
             WHERE delivery = 'pending' ORDER BY seq LIMIT ?1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(|r| {
            Ok(CaseOutboxEntry {
                seq: r.try_get("seq")?,
                mutation_id: parse_id(r.try_get("mutation_id")?)?,
                entity_kind: r.try_get("entity_kind")?,
                entity_id: r.try_get("entity_id")?,
                base_version: r.try_get("base_version")?,
                change: r.try_get("change")?,
            })
        })
        .collect()
    }

    pub async fn pending_case_count(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM case_outbox WHERE delivery = 'pending'")
            .fetch_one(&self.reader)
            .await?;
        Ok(n as u64)
    }

    /// Applied (or a duplicate of an applied one): leaves the outbox; the local
    /// version follows the server's so later changes are based on it.
    pub async fn acknowledge_case(
        &self,
        mutation_id: DecisionId,
        new_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.settle_case(
            mutation_id,
            now,
            "case_synced",
            "DELETE FROM case_outbox WHERE mutation_id = ?1",
            &[],
            new_version,
        )
        .await
    }

    pub async fn mark_case_conflict(
        &self,
        mutation_id: DecisionId,
        server_copy: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.settle_case(
            mutation_id,
            now,
            "case_conflict",
            "UPDATE case_outbox SET delivery = 'conflict', server_copy = ?2 WHERE mutation_id = ?1",
            &[server_copy],
            None,
        )
        .await
    }

    pub async fn mark_case_rejected(
        &self,
        mutation_id: DecisionId,
        code: &str,
        message: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.settle_case(
            mutation_id,
            now,
            "case_refused",
            "UPDATE case_outbox SET delivery = 'rejected', server_code = ?2, server_message = ?3
             WHERE mutation_id = ?1",
            &[code, message],
            None,
        )
        .await
    }

    async fn settle_case(
        &self,
        mutation_id: DecisionId,
        now: DateTime<Utc>,
        event: &str,
        sql: &str,
        extra: &[&str],
        new_version: Option<i64>,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let row: Option<(String, String, String)> =
            sqlx::query_as("SELECT entity_kind, entity_id, change FROM case_outbox WHERE mutation_id = ?1")
                .bind(mutation_id.to_string())
                .fetch_optional(&mut *tx)
                .await?;
        let Some((kind, entity_id, change)) = row else { return Ok(()) };
        let mut q = sqlx::query(sql).bind(mutation_id.to_string());
        for e in extra {
            q = q.bind(*e);
        }
        q.execute(&mut *tx).await?;
        if let (Some(v), Some(table)) = (new_version, table_of(&kind)) {
            sqlx::query(&format!("UPDATE {table} SET version = MAX(version, ?2) WHERE id = ?1"))
                .bind(&entity_id)
                .bind(v)
                .execute(&mut *tx)
                .await?;
        }
        journal(&mut tx, now, "sync", &kind, &entity_id, event, &mutation_id.to_string(), &change).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Settles a change the server did not apply: keep mine queues it again on
    /// the server's current version; otherwise it is dropped and the local copy
    /// is the server's plus the other pending changes.
    pub async fn resolve_case(
        &self,
        mutation_id: DecisionId,
        keep_mine: bool,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<DecisionId>, StoreError> {
        let mut tx = self.writer.begin().await?;
        let row: Option<(String, String, String, String)> = sqlx::query_as(
            "SELECT entity_kind, entity_id, change, delivery FROM case_outbox WHERE mutation_id = ?1",
        )
        .bind(mutation_id.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let Some((kind, entity_id, change, delivery)) = row else {
            return Err(StoreError::NotFound(format!("change {mutation_id}")));
        };
        if delivery == "pending" {
            return Err(StoreError::Corrupt("only a change the server did not apply is resolved".into()));
        }
        sqlx::query("DELETE FROM case_outbox WHERE mutation_id = ?1")
            .bind(mutation_id.to_string())
            .execute(&mut *tx)
            .await?;
        let event = if keep_mine { "case_kept_mine" } else { "case_accepted_theirs" };
        journal(&mut tx, now, by, &kind, &entity_id, event, &mutation_id.to_string(), &change).await?;
        let table =
            table_of(&kind).ok_or_else(|| StoreError::Corrupt(format!("unknown case kind {kind}")))?;
        let mut again = None;
        if keep_mine {
            let version: i64 = sqlx::query_scalar(&format!("SELECT version FROM {table} WHERE id = ?1"))
                .bind(&entity_id)
                .fetch_one(&mut *tx)
                .await?;
            let queued: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM case_outbox WHERE entity_id = ?1 AND delivery = 'pending'",
            )
            .bind(&entity_id)
            .fetch_one(&mut *tx)
            .await?;
            let id = DecisionId::new();
            sqlx::query(
                "INSERT INTO case_outbox (mutation_id, entity_kind, entity_id, base_version, change, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .bind(id.to_string())
            .bind(&kind)
            .bind(&entity_id)
            .bind(version + queued)
            .bind(&change)
            .bind(rows::time_key(now))
            .execute(&mut *tx)
            .await?;
            again = Some(id);
        }
        // Rebuild the local copy from the server's and what is still queued.
        let server: Option<String> =
            sqlx::query_scalar(&format!("SELECT server_copy FROM {table} WHERE id = ?1"))
                .bind(&entity_id)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(server) = server {
            match kind.as_str() {
                "audit" => write_cases::<AuditCase>(&mut tx, &[serde_json::from_str(&server)?]).await?,
                _ => write_cases::<DisputeCase>(&mut tx, &[serde_json::from_str(&server)?]).await?,
            }
        }
        tx.commit().await?;
        Ok(again)
    }
}

fn table_of(kind: &str) -> Option<&'static str> {
    match kind {
        "audit" => Some(AuditCase::TABLE),
        "dispute" => Some(DisputeCase::TABLE),
        _ => None,
    }
}

#[allow(clippy::too_many_arguments)]
async fn journal(
    conn: &mut SqliteConnection,
    at: DateTime<Utc>,
    actor: &str,
    kind: &str,
    entity_id: &str,
    event: &str,
    mutation_id: &str,
    payload: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO journal (at, actor, entity_kind, entity_id, event, mutation_id, payload)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .bind(rows::time_key(at))
    .bind(actor)
    .bind(kind)
    .bind(entity_id)
    .bind(event)
    .bind(mutation_id)
    .bind(payload)
    .execute(conn)
    .await?;
    Ok(())
}

//! Audit cases on the workstation: the server's copy, the local copy with the
//! auditor's pending changes applied (autosave), and the case outbox that
//! carries those changes to the server in order.

use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};
use trustdesk_domain::audit::{AuditChange, AuditError};
use trustdesk_domain::{AuditCase, AuditId, DecisionId, Shop};

use crate::{parse_id, rows, Store, StoreError};

/// An audit as the auditor sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditView {
    /// With every pending local change applied.
    pub case: AuditCase,
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
    /// The domain change as JSON (e.g. an [`AuditChange`]).
    pub change: String,
}

/// Why an audit change was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum AuditChangeError {
    #[error(transparent)]
    Rule(#[from] AuditError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for AuditChangeError {
    fn from(e: sqlx::Error) -> Self {
        AuditChangeError::Store(e.into())
    }
}

pub(crate) async fn write_audits(
    conn: &mut SqliteConnection,
    audits: &[AuditCase],
) -> Result<(), StoreError> {
    for a in audits {
        let server = serde_json::to_string(a)?;
        // Rebase: the server's copy plus the changes still waiting to go out.
        let mut local = a.clone();
        let pending: Vec<(String, String)> = sqlx::query_as(
            "SELECT change, created_at FROM case_outbox WHERE entity_id = ?1 AND delivery = 'pending' ORDER BY seq",
        )
        .bind(a.id.to_string())
        .fetch_all(&mut *conn)
        .await?;
        for (change, at) in pending {
            let change: AuditChange = serde_json::from_str(&change)?;
            // A change that no longer applies stays in the outbox; the server
            // answers it and the auditor sees that answer.
            let _ = local.apply(&change, "local", rows::parse_time(&at)?);
        }
        sqlx::query(
            "INSERT INTO audits (id, shop_id, kind, due, version, server_copy, local_copy, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (id) DO UPDATE SET shop_id = excluded.shop_id, kind = excluded.kind, due = excluded.due,
               version = excluded.version, server_copy = excluded.server_copy, local_copy = excluded.local_copy,
               updated_at = excluded.updated_at",
        )
        .bind(a.id.to_string())
        .bind(a.shop_id.to_string())
        .bind(rows::enum_code(&a.kind)?)
        .bind(rows::time_key(a.due))
        .bind(a.version)
        .bind(server)
        .bind(serde_json::to_string(&local)?)
        .bind(rows::time_key(Utc::now()))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn shop(conn: &mut SqliteConnection, id: &str) -> Result<Shop, StoreError> {
    let row = sqlx::query(
        "SELECT id, name, country, languages, industries, arm_enabled, employee_names FROM shops WHERE id = ?1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| StoreError::NotFound(format!("shop {id}")))?;
    Ok(Shop {
        id: parse_id(row.try_get("id")?)?,
        name: row.try_get("name")?,
        country: parse_id(row.try_get("country")?)?,
        languages: serde_json::from_str(row.try_get("languages")?)?,
        industries: serde_json::from_str(row.try_get("industries")?)?,
        arm_enabled: row.try_get("arm_enabled")?,
        employee_names: serde_json::from_str(row.try_get("employee_names")?)?,
    })
}

impl Store {
    /// Every audit on the workstation, soonest due first.
    pub async fn audits(&self) -> Result<Vec<AuditView>, StoreError> {
        let ids: Vec<String> =
            sqlx::query_scalar("SELECT id FROM audits ORDER BY due, id").fetch_all(&self.reader).await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.audit(parse_id(&id)?).await?);
        }
        Ok(out)
    }

    pub async fn audit(&self, id: AuditId) -> Result<AuditView, StoreError> {
        let mut conn = self.reader.acquire().await?;
        let row = sqlx::query("SELECT local_copy, version, shop_id FROM audits WHERE id = ?1")
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("audit {id}")))?;
        let case: AuditCase = serde_json::from_str(row.try_get("local_copy")?)?;
        let shop = shop(&mut conn, row.try_get("shop_id")?).await?;
        let pending: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM case_outbox WHERE entity_id = ?1 AND delivery = 'pending'",
        )
        .bind(id.to_string())
        .fetch_one(&mut *conn)
        .await?;
        let unresolved = sqlx::query(
            "SELECT mutation_id, delivery, server_code, server_message, change FROM case_outbox
             WHERE entity_id = ?1 AND delivery <> 'pending' ORDER BY seq",
        )
        .bind(id.to_string())
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
        Ok(AuditView {
            case,
            shop,
            server_version: row.try_get("version")?,
            pending_changes: pending as u32,
            unresolved,
        })
    }

    /// Applies an auditor's change to the local copy and queues it for the
    /// server, in one transaction. Rules are the domain's, so a change the
    /// server would refuse is refused here first.
    pub async fn record_audit_change(
        &self,
        id: AuditId,
        change: &AuditChange,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<DecisionId, AuditChangeError> {
        let mut tx = self.writer.begin().await?;
        let row: Option<(String, i64)> =
            sqlx::query_as("SELECT local_copy, version FROM audits WHERE id = ?1")
                .bind(id.to_string())
                .fetch_optional(&mut *tx)
                .await?;
        let (local, version) = row.ok_or_else(|| StoreError::NotFound(format!("audit {id}")))?;
        let mut case: AuditCase = serde_json::from_str(&local).map_err(StoreError::from)?;
        case.apply(change, by, now)?;
        // Each applied change raises the server's version by one: the change is
        // based on the version after those queued before it.
        let queued: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM case_outbox WHERE entity_id = ?1 AND delivery = 'pending'",
        )
        .bind(id.to_string())
        .fetch_one(&mut *tx)
        .await?;
        let mutation_id = DecisionId::new();
        let change_json = serde_json::to_string(change).map_err(StoreError::from)?;
        sqlx::query(
            "INSERT INTO case_outbox (mutation_id, entity_kind, entity_id, base_version, change, created_at)
             VALUES (?1, 'audit', ?2, ?3, ?4, ?5)",
        )
        .bind(mutation_id.to_string())
        .bind(id.to_string())
        .bind(version + queued)
        .bind(&change_json)
        .bind(rows::time_key(now))
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE audits SET local_copy = ?2 WHERE id = ?1")
            .bind(id.to_string())
            .bind(serde_json::to_string(&case).map_err(StoreError::from)?)
            .execute(&mut *tx)
            .await?;
        journal(
            &mut tx,
            now,
            by,
            "audit",
            &id.to_string(),
            "audit_change",
            &mutation_id.to_string(),
            &change_json,
        )
        .await?;
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
        if let (Some(v), "audit") = (new_version, kind.as_str()) {
            sqlx::query("UPDATE audits SET version = MAX(version, ?2) WHERE id = ?1")
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
        let mut again = None;
        if keep_mine {
            let version: i64 = sqlx::query_scalar("SELECT version FROM audits WHERE id = ?1")
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
        let server: Option<String> = sqlx::query_scalar("SELECT server_copy FROM audits WHERE id = ?1")
            .bind(&entity_id)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(server) = server {
            let case: AuditCase = serde_json::from_str(&server)?;
            write_audits(&mut tx, &[case]).await?;
        }
        tx.commit().await?;
        Ok(again)
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

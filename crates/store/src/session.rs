//! The signed-in session: server and user, never the token.

use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::{rows, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub server: String,
    pub user_id: String,
    pub user_name: String,
    pub role: String,
    pub signed_in_at: DateTime<Utc>,
    pub last_sync_at: Option<DateTime<Utc>>,
}

impl Store {
    pub async fn session(&self) -> Result<Option<Session>, StoreError> {
        let Some(row) = sqlx::query(
            "SELECT server, user_id, user_name, role, signed_in_at, last_sync_at FROM session WHERE id = 1",
        )
        .fetch_optional(&self.reader)
        .await?
        else {
            return Ok(None);
        };
        let last: Option<String> = row.get(5);
        Ok(Some(Session {
            server: row.get(0),
            user_id: row.get(1),
            user_name: row.get(2),
            role: row.get(3),
            signed_in_at: rows::parse_time(&row.get::<String, _>(4))?,
            last_sync_at: last.as_deref().map(rows::parse_time).transpose()?,
        }))
    }

    /// Records a sign-in, replacing any earlier session.
    pub async fn set_session(&self, s: &Session) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO session (id, server, user_id, user_name, role, signed_in_at, last_sync_at)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (id) DO UPDATE SET server = excluded.server, user_id = excluded.user_id,
               user_name = excluded.user_name, role = excluded.role,
               signed_in_at = excluded.signed_in_at, last_sync_at = excluded.last_sync_at",
        )
        .bind(&s.server)
        .bind(&s.user_id)
        .bind(&s.user_name)
        .bind(&s.role)
        .bind(rows::time_key(s.signed_in_at))
        .bind(s.last_sync_at.map(rows::time_key))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Forgets the session; local data and the outbox stay.
    pub async fn clear_session(&self) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM session").execute(&self.writer).await?;
        Ok(())
    }

    /// Notes a complete push + pull.
    pub async fn record_sync(&self, now: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query("UPDATE session SET last_sync_at = ?1 WHERE id = 1")
            .bind(rows::time_key(now))
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Local decisions the server answered with a conflict or refusal and the
    /// user has not resolved yet.
    pub async fn unresolved_count(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM outbox WHERE delivery IN ('conflict', 'rejected'))
                  + (SELECT COUNT(*) FROM case_outbox WHERE delivery IN ('conflict', 'rejected'))",
        )
        .fetch_one(&self.reader)
        .await?;
        Ok(n as u64)
    }
}

/// A claim held on the server for one kind of work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldClaim {
    pub kind: String,
    pub claim_id: String,
    pub ids: Vec<String>,
    pub expires_at: DateTime<Utc>,
}

impl Store {
    /// Records the claim the server granted (one per kind; a new one replaces it).
    pub async fn set_claim(&self, c: &HeldClaim) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO claims (kind, claim_id, ids, expires_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (kind) DO UPDATE SET claim_id = excluded.claim_id, ids = excluded.ids,
               expires_at = excluded.expires_at",
        )
        .bind(&c.kind)
        .bind(&c.claim_id)
        .bind(serde_json::to_string(&c.ids)?)
        .bind(rows::time_key(c.expires_at))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Forgets a claim (released on the server, or known to be gone).
    pub async fn drop_claim(&self, kind: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM claims WHERE kind = ?1").bind(kind).execute(&self.writer).await?;
        Ok(())
    }

    pub async fn claim(&self, kind: &str) -> Result<Option<HeldClaim>, StoreError> {
        let Some((claim_id, ids, expires)) = sqlx::query_as::<_, (String, String, String)>(
            "SELECT claim_id, ids, expires_at FROM claims WHERE kind = ?1",
        )
        .bind(kind)
        .fetch_optional(&self.reader)
        .await?
        else {
            return Ok(None);
        };
        Ok(Some(HeldClaim {
            kind: kind.to_owned(),
            claim_id,
            ids: serde_json::from_str(&ids)?,
            expires_at: rows::parse_time(&expires)?,
        }))
    }

    /// Ids of `kind` this workstation holds a live claim on at `now`.
    pub async fn claimed_ids(
        &self,
        kind: &str,
        now: DateTime<Utc>,
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        Ok(match self.claim(kind).await? {
            Some(c) if c.expires_at > now => c.ids.into_iter().collect(),
            _ => Default::default(),
        })
    }

    /// Replaces the local copy of a data pack (checked by the caller).
    pub async fn put_pack(
        &self,
        kind: &str,
        version: &str,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO packs (kind, version, source, fetched_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (kind) DO UPDATE SET version = excluded.version, source = excluded.source,
               fetched_at = excluded.fetched_at",
        )
        .bind(kind)
        .bind(version)
        .bind(source)
        .bind(crate::rows::time_key(now))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// The version of a data pack held locally, if one was fetched.
    pub async fn pack_version(&self, kind: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT version FROM packs WHERE kind = ?1")
            .bind(kind)
            .fetch_optional(&self.reader)
            .await?)
    }

    /// (version, source) of a data pack held locally.
    pub async fn pack(&self, kind: &str) -> Result<Option<(String, String)>, StoreError> {
        Ok(sqlx::query_as("SELECT version, source FROM packs WHERE kind = ?1")
            .bind(kind)
            .fetch_optional(&self.reader)
            .await?)
    }
}

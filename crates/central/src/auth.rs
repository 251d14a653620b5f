//! Bearer tokens and the role matrix. Only the SHA-256 of a token is stored;
//! tokens are never logged.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use sha2::{Digest, Sha256};
use sqlx::Row;
use trustdesk_api::{EntityKind, Role, WorkKind};

use crate::db::{self, Db};
use crate::error::ApiError;
use crate::AppState;

#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub name: String,
    pub role: Role,
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// 244 random bits from the OS generator (two v4 UUIDs), prefixed for
/// recognisability in secret scanners.
fn new_token() -> String {
    format!("tdc_{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

/// Creates a user and returns its token, which exists nowhere else afterwards.
pub async fn add_user(db: &Db, name: &str, role: Role) -> anyhow::Result<String> {
    let name = name.trim();
    anyhow::ensure!(!name.is_empty() && name.chars().count() <= 200, "the name must be 1 to 200 characters");
    let token = new_token();
    sqlx::query("INSERT INTO users (id, name, role, token_sha256, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(name)
        .bind(role.as_str())
        .bind(token_hash(&token))
        .bind(db::rfc3339(db::now()))
        .execute(&db.write)
        .await?;
    Ok(token)
}

impl FromRequestParts<AppState> for User {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<User, ApiError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| ApiError::unauthorized("an Authorization: Bearer token is required"))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::unauthorized("the Authorization header must be 'Bearer TOKEN'"))?;
        let row = sqlx::query("SELECT id, name, role FROM users WHERE token_sha256 = $1")
            .bind(token_hash(token))
            .fetch_optional(&state.db.read)
            .await?
            .ok_or_else(|| ApiError::unauthorized("unknown token"))?;
        let role: String = row.try_get("role")?;
        Ok(User {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            role: role.parse().map_err(|_| ApiError::unauthorized("the user's role is unknown"))?,
        })
    }
}

/// The role matrix. Admins may do everything; each other role owns its kind of
/// work and sees shops for context.
impl User {
    pub fn sees(&self, kind: EntityKind) -> bool {
        match (self.role, kind) {
            (Role::Admin, _) | (_, EntityKind::Shop) => true,
            (Role::Moderator, k) => matches!(k, EntityKind::Review | EntityKind::Complaint),
            (Role::Auditor, k) => k == EntityKind::Audit,
            (Role::Mediator, k) => k == EntityKind::Dispute,
        }
    }

    /// Who may change (and claim) each kind of work.
    pub fn works_on(&self, kind: WorkKind) -> bool {
        matches!(
            (self.role, kind),
            (Role::Admin, _)
                | (Role::Moderator, WorkKind::Review | WorkKind::Complaint)
                | (Role::Auditor, WorkKind::Audit)
                | (Role::Mediator, WorkKind::Dispute)
        )
    }

    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(ApiError::forbidden("only an admin may do this"))
        }
    }
}

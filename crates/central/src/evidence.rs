//! Evidence files: content-addressed by SHA-256, typed by their bytes.

use std::path::{Path, PathBuf};

use axum::http::StatusCode;
use sha2::{Digest, Sha256};
use sqlx::Row;
use trustdesk_api::{codes, EvidenceInfo};

use crate::auth::User;
use crate::db::{self, Db};
use crate::error::ApiError;

/// The file types kept: what consumers send as proof of purchase. Decided from the
/// leading bytes only; names and Content-Type headers are ignored.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    let starts = |p: &[u8]| bytes.starts_with(p);
    if starts(b"%PDF-") {
        Some("application/pdf")
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if starts(b"\xff\xd8\xff") {
        Some("image/jpeg")
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && starts(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if is_plain_text(bytes) {
        Some("text/plain; charset=utf-8")
    } else {
        None
    }
}

/// UTF-8 without control characters other than tab, CR and LF; and not markup,
/// which a browser could be talked into rendering.
fn is_plain_text(bytes: &[u8]) -> bool {
    let Ok(s) = std::str::from_utf8(bytes) else { return false };
    let head = s.trim_start().get(..5).unwrap_or("").to_ascii_lowercase();
    !s.is_empty()
        && !head.starts_with('<')
        && s.chars().all(|c| !c.is_control() || matches!(c, '\t' | '\r' | '\n'))
}

fn path_for(data_dir: &Path, sha: &str) -> PathBuf {
    data_dir.join("evidence").join(&sha[..2]).join(sha)
}

pub fn valid_sha(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

pub async fn store(
    db: &Db,
    data_dir: &Path,
    user: &User,
    bytes: &[u8],
) -> Result<(EvidenceInfo, bool), ApiError> {
    store_as(db, data_dir, &user.id, bytes).await
}

/// [`store`] on behalf of `uploaded_by` (a user id, or `seed`).
pub async fn store_as(
    db: &Db,
    data_dir: &Path,
    uploaded_by: &str,
    bytes: &[u8],
) -> Result<(EvidenceInfo, bool), ApiError> {
    if bytes.is_empty() {
        return Err(ApiError::bad_request("the file is empty"));
    }
    let content_type = sniff(bytes).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            codes::UNSUPPORTED_MEDIA_TYPE,
            "accepted files are PDF, PNG, JPEG, GIF, WebP and plain UTF-8 text",
        )
    })?;
    let sha = hex::encode(Sha256::digest(bytes));
    let path = path_for(data_dir, &sha);
    if !tokio::fs::try_exists(&path).await? {
        let dir = path.parent().expect("evidence paths have a parent");
        tokio::fs::create_dir_all(dir).await?;
        // Write under a unique name, then rename: readers never see half a file.
        let tmp = dir.join(format!(".{sha}.{}", uuid::Uuid::new_v4().simple()));
        tokio::fs::write(&tmp, bytes).await?;
        tokio::fs::rename(&tmp, &path).await?;
    }
    let inserted = sqlx::query(
        "INSERT INTO evidence (sha256, size, content_type, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(&sha)
    .bind(bytes.len() as i64)
    .bind(content_type)
    .bind(uploaded_by)
    .bind(db::rfc3339(db::now()))
    .execute(&db.write)
    .await?
    .rows_affected()
        == 1;
    Ok((EvidenceInfo { sha256: sha, size: bytes.len() as u64, content_type: content_type.into() }, inserted))
}

pub async fn load(db: &Db, data_dir: &Path, sha: &str) -> Result<(String, Vec<u8>), ApiError> {
    if !valid_sha(sha) {
        return Err(ApiError::bad_request("the address must be 64 lower-case hex digits (SHA-256)"));
    }
    let row = sqlx::query("SELECT content_type FROM evidence WHERE sha256 = $1")
        .bind(sha)
        .fetch_optional(&db.read)
        .await?
        .ok_or_else(|| ApiError::not_found("no file with this SHA-256"))?;
    let content_type: String = row.try_get(0)?;
    let bytes = tokio::fs::read(path_for(data_dir, sha)).await?;
    Ok((content_type, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_content() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Some("application/pdf"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0"), Some("image/png"));
        assert_eq!(sniff(b"\xff\xd8\xff\xe0"), Some("image/jpeg"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(
            sniff("Rechnung Nr. 4711, bezahlt am 3.11.".as_bytes()),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(sniff(b"<html><script>"), None);
        assert_eq!(sniff(b"MZ\x90\0\x03\0"), None);
        assert_eq!(sniff(b"PK\x03\x04"), None);
    }
}

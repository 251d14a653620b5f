//! Content-addressed cache of evidence files next to the local store, so files
//! can be viewed offline: `<data dir>/evidence/<sha256>`. Every file is checked
//! against its name before it is kept or used.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::SyncError;

/// Largest file the workstation accepts as evidence (the server has its own limit).
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct EvidenceCache {
    dir: PathBuf,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn valid_sha(sha: &str) -> bool {
    sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl EvidenceCache {
    /// The cache beside the store file at `store_path`.
    pub fn beside(store_path: &Path) -> EvidenceCache {
        EvidenceCache { dir: store_path.parent().unwrap_or(Path::new(".")).join("evidence") }
    }

    fn io(&self, e: std::io::Error) -> SyncError {
        SyncError::Refused(format!("evidence cache {}: {e}", self.dir.display()))
    }

    /// Keeps `bytes` (idempotent) and returns their SHA-256. Written to a
    /// temporary name and renamed, so a crash never leaves a partial file.
    pub fn put(&self, bytes: &[u8]) -> Result<String, SyncError> {
        if bytes.is_empty() {
            return Err(SyncError::Refused("an evidence file is empty".into()));
        }
        if bytes.len() > MAX_FILE_BYTES {
            return Err(SyncError::Refused(format!(
                "an evidence file may hold at most {} MiB",
                MAX_FILE_BYTES >> 20
            )));
        }
        let sha = sha256_hex(bytes);
        let path = self.dir.join(&sha);
        if !path.exists() {
            std::fs::create_dir_all(&self.dir).map_err(|e| self.io(e))?;
            let tmp = self.dir.join(format!("{sha}.part"));
            std::fs::write(&tmp, bytes).map_err(|e| self.io(e))?;
            std::fs::rename(&tmp, &path).map_err(|e| self.io(e))?;
        }
        Ok(sha)
    }

    /// The file, if cached and intact.
    pub fn get(&self, sha: &str) -> Result<Option<Vec<u8>>, SyncError> {
        if !valid_sha(sha) {
            return Err(SyncError::Refused(format!("{sha:?} is not a SHA-256")));
        }
        match std::fs::read(self.dir.join(sha)) {
            Ok(b) if sha256_hex(&b) == sha => Ok(Some(b)),
            // A damaged copy is as good as none: fetch it again.
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.io(e)),
        }
    }

    pub fn contains(&self, sha: &str) -> bool {
        matches!(self.get(sha), Ok(Some(_)))
    }
}

/// What a file is, by its first bytes (never by its name).
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_kept_by_content_and_damage_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let cache = EvidenceCache::beside(&dir.path().join("trustdesk.db"));
        let sha = cache.put(b"%PDF-1.4 invoice").unwrap();
        assert_eq!(sha, sha256_hex(b"%PDF-1.4 invoice"));
        assert_eq!(cache.put(b"%PDF-1.4 invoice").unwrap(), sha, "idempotent");
        assert_eq!(cache.get(&sha).unwrap().as_deref(), Some(&b"%PDF-1.4 invoice"[..]));
        std::fs::write(dir.path().join("evidence").join(&sha), b"tampered").unwrap();
        assert_eq!(cache.get(&sha).unwrap(), None);
        assert!(cache.get("../../etc/passwd").is_err());
        assert!(cache.put(b"").is_err());
        assert_eq!(sniff(b"%PDF-1.7"), Some("application/pdf"));
        assert_eq!(sniff(b"<html>"), None);
    }
}

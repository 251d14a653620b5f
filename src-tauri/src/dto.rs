//! Transport types of the IPC boundary. The UI's TypeScript declarations are
//! generated from these (see `bindings` test); ids cross as strings.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use trustdesk_domain::review::{ExperienceCheck, ReviewFlags};
use trustdesk_domain::{ReviewSource, ReviewStatus};
use trustdesk_store::ReviewView;
use ts_rs::TS;

#[derive(Debug, Clone, Serialize, TS)]
pub struct StoreInfo {
    pub path: String,
    #[ts(type = "number")]
    pub review_count: u64,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct ReviewListQuery {
    /// Effective state to show (`pending`, `published`, ...); all when absent.
    #[ts(optional)]
    pub state: Option<String>,
    pub offset: u32,
    pub limit: u32,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ReviewRow {
    pub id: String,
    pub shop_id: String,
    pub shop_name: String,
    pub stars: u8,
    pub text: String,
    pub language: String,
    pub source: ReviewSource,
    pub submitted_at: DateTime<Utc>,
    pub experience_date: NaiveDate,
    pub experience_check: ExperienceCheck,
    /// The server's status.
    pub server_status: ReviewStatus,
    /// What the user sees: server status with pending local decisions applied.
    pub status: ReviewStatus,
    pub pending_decisions: u32,
    pub flags: ReviewFlags,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ReviewPage {
    pub items: Vec<ReviewRow>,
    #[ts(type = "number")]
    pub total: u64,
}

impl From<ReviewView> for ReviewRow {
    fn from(v: ReviewView) -> Self {
        let experience_check = v.review.experience_check();
        let r = v.review;
        ReviewRow {
            id: r.id.to_string(),
            shop_id: r.shop_id.to_string(),
            shop_name: v.shop_name,
            stars: r.stars.get(),
            text: r.text,
            language: r.language.to_string(),
            source: r.source,
            submitted_at: r.submitted_at,
            experience_date: r.experience_date,
            experience_check,
            server_status: r.status,
            status: v.effective_status,
            pending_decisions: v.pending_decisions,
            flags: r.flags,
        }
    }
}

#[cfg(test)]
mod bindings {
    //! Fails when the committed TypeScript declarations drift from the Rust types.
    //! Regenerate with `cargo xtask bindings`.
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::IpcError;

    fn export(dir: &Path) {
        StoreInfo::export_all_to(dir).unwrap();
        ReviewListQuery::export_all_to(dir).unwrap();
        ReviewPage::export_all_to(dir).unwrap();
        IpcError::export_all_to(dir).unwrap();
    }

    fn files(dir: &Path) -> Vec<(String, String)> {
        let mut v: Vec<_> = std::fs::read_dir(dir)
            .map(|rd| {
                rd.map(|e| {
                    let p = e.unwrap().path();
                    (
                        p.file_name().unwrap().to_string_lossy().into_owned(),
                        std::fs::read_to_string(&p).unwrap(),
                    )
                })
                .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    #[test]
    fn typescript_bindings_are_current() {
        let committed = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/bindings");
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            let _ = std::fs::remove_dir_all(&committed);
            export(&committed);
        }
        let fresh = tempfile::tempdir().unwrap();
        export(fresh.path());
        let (want, have) = (files(fresh.path()), files(&committed));
        assert!(!want.is_empty());
        assert_eq!(
            want.iter().map(|f| &f.0).collect::<Vec<_>>(),
            have.iter().map(|f| &f.0).collect::<Vec<_>>(),
            "binding files differ; run `cargo xtask bindings`"
        );
        for (w, h) in want.iter().zip(&have) {
            assert_eq!(w.1, h.1, "{} is out of date; run `cargo xtask bindings`", w.0);
        }
    }
}

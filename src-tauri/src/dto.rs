//! Transport types of the IPC boundary. The UI's TypeScript declarations are
//! generated from these (see the `bindings` test); ids cross as strings.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use trustdesk_domain::arm::{suggested_reason, ArmHit};
use trustdesk_domain::review::{ExperienceCheck, ReviewFlags};
use trustdesk_domain::statement::{may_be_illegal, IllegalMarking};
use trustdesk_domain::{
    ArmCategory, Industry, RejectionReason, ReviewAction, ReviewSource, ReviewStatus, ShopRating,
};
use trustdesk_store::{Attention, FlagFilter, ReviewView, Sort};

use crate::IpcError;
use ts_rs::TS;

#[derive(Debug, Clone, Serialize, TS)]
pub struct StoreInfo {
    pub path: String,
    #[ts(type = "number")]
    pub review_count: u64,
    /// Who local decisions are recorded as: the signed-in user, else `local:<OS user>`.
    pub user: String,
}

/// Mirrors the store's queue filter; absent fields do not filter.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct ReviewListQuery {
    #[ts(optional)]
    pub state: Option<String>,
    #[ts(optional)]
    pub shop_id: Option<String>,
    #[ts(optional)]
    pub language: Option<String>,
    #[ts(optional)]
    pub stars: Option<Vec<u8>>,
    #[ts(optional)]
    pub source: Option<String>,
    #[ts(optional, as = "Option<QueueFlag>")]
    pub flag: Option<FlagFilter>,
    /// ARM category code with at least one hit.
    #[ts(optional, as = "Option<ArmCategory>")]
    pub category: Option<String>,
    #[ts(optional, as = "Option<Industry>")]
    pub industry: Option<String>,
    /// Only reviews waiting at least this many days.
    #[ts(optional)]
    pub min_age_days: Option<u32>,
    #[ts(optional)]
    pub search: Option<String>,
    #[ts(optional, as = "Option<QueueSort>")]
    pub sort: Option<Sort>,
    pub offset: u32,
    pub limit: u32,
}

/// TypeScript mirror of [`FlagFilter`] (the store crate stays free of ts-rs).
#[derive(TS)]
#[allow(dead_code)]
#[ts(rename_all = "snake_case")]
pub enum QueueFlag {
    ShopFlagged,
    SuspectedFake,
    EvidenceReceived,
    DeadlinePassed,
    ArmHit,
    NeedsAttention,
}

/// TypeScript mirror of [`Sort`].
#[derive(TS)]
#[allow(dead_code)]
#[ts(rename_all = "snake_case")]
pub enum QueueSort {
    Newest,
    Oldest,
    StarsAscending,
    StarsDescending,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ReviewRow {
    pub id: String,
    /// This workstation holds the server's claim on it: no colleague gets it.
    pub claimed: bool,
    pub shop_id: String,
    pub shop_name: String,
    pub shop_industries: Vec<Industry>,
    pub shop_arm_enabled: bool,
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
    /// The decision an undo would take back, while it is not synced.
    pub undoable_decision: Option<String>,
    /// Reasons that may be chosen for this review's shop, in display order.
    pub allowed_reasons: Vec<RejectionReason>,
    /// ARM filter hits with UTF-16 spans for highlighting.
    pub hits: Vec<ArmHit>,
    /// The reason the hits point to, preselected in the reject dialog.
    pub suggested_reason: Option<RejectionReason>,
    /// The allowed reasons a rejection may also mark as illegal content (those
    /// the DSA database has an illegal-content category for).
    pub illegal_reasons: Vec<RejectionReason>,
    /// The server did not apply the newest local decision: resolve it.
    pub attention: Option<AttentionDto>,
    pub flags: ReviewFlags,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ReviewPage {
    pub items: Vec<ReviewRow>,
    #[ts(type = "number")]
    pub total: u64,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ShopOption {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct StateCount {
    pub state: String,
    #[ts(type = "number")]
    pub count: u64,
}

/// Everything around one review the detail pane shows.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ReviewContext {
    /// The shop's public rating by the seed's rules.
    pub shop_rating: ShopRating,
    /// The same reviewer's other reviews, newest first.
    pub reviewer_history: Vec<ReviewRow>,
    /// Complaints against decisions on this review (its history), oldest first.
    pub complaints: Vec<trustdesk_domain::ComplaintCase>,
}

/// A moderator's decision on one review.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct DecideRequest {
    pub review_id: String,
    pub action: ReviewAction,
    /// Facts in the moderator's words; required when refusing evidence.
    #[serde(default)]
    #[ts(optional)]
    pub facts: Option<String>,
    /// The text sent to the reviewer; required when requesting evidence.
    #[serde(default)]
    #[ts(optional)]
    pub message: Option<String>,
    /// A rejection marking the content illegal: the provision and why.
    #[serde(default)]
    #[ts(optional)]
    pub illegal: Option<IllegalMarking>,
}

/// A local decision the server did not apply.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(rename = "Attention")]
pub enum AttentionDto {
    /// Someone else decided first; `server_status` on the row is theirs.
    Conflict,
    /// The server refused it for good.
    Refused { code: String, message: String },
}

/// One action applied to several reviews (publish or reject).
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct BulkDecideRequest {
    pub review_ids: Vec<String>,
    pub action: ReviewAction,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct BulkFailure {
    pub review_id: String,
    pub error: IpcError,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct BulkDecideResult {
    /// The reviews as the user now sees them.
    pub updated: Vec<ReviewRow>,
    pub failed: Vec<BulkFailure>,
}

impl From<ReviewView> for ReviewRow {
    fn from(v: ReviewView) -> Self {
        let experience_check = v.review.experience_check();
        let allowed_reasons = v.shop.rejection_reasons();
        let suggested_reason = suggested_reason(&v.hits, &allowed_reasons);
        let r = v.review;
        ReviewRow {
            claimed: false,
            id: r.id.to_string(),
            shop_id: r.shop_id.to_string(),
            shop_name: v.shop.name,
            shop_industries: v.shop.industries,
            shop_arm_enabled: v.shop.arm_enabled,
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
            undoable_decision: v.newest_local_decision.map(|d| d.to_string()),
            illegal_reasons: allowed_reasons.iter().copied().filter(|r| may_be_illegal(*r)).collect(),
            allowed_reasons,
            hits: v.hits,
            suggested_reason,
            attention: v.attention.map(|a| match a {
                Attention::Conflict => AttentionDto::Conflict,
                Attention::Refused { code, message } => AttentionDto::Refused { code, message },
            }),
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

    fn export(dir: &Path) {
        StoreInfo::export_all_to(dir).unwrap();
        ReviewListQuery::export_all_to(dir).unwrap();
        ReviewPage::export_all_to(dir).unwrap();
        StateCount::export_all_to(dir).unwrap();
        ShopOption::export_all_to(dir).unwrap();
        DecideRequest::export_all_to(dir).unwrap();
        ReviewContext::export_all_to(dir).unwrap();
        BulkDecideRequest::export_all_to(dir).unwrap();
        BulkDecideResult::export_all_to(dir).unwrap();
        crate::sync::SyncStatus::export_all_to(dir).unwrap();
        crate::sync::SessionInfo::export_all_to(dir).unwrap();
        crate::audits::AuditRow::export_all_to(dir).unwrap();
        crate::audits::AuditDetail::export_all_to(dir).unwrap();
        crate::audits::ExportedReport::export_all_to(dir).unwrap();
        crate::disputes::DisputeRow::export_all_to(dir).unwrap();
        crate::disputes::DisputeDetail::export_all_to(dir).unwrap();
        crate::disputes::DisputeAction::export_all_to(dir).unwrap();
        trustdesk_domain::dispute_templates::MessageTemplateId::export_all_to(dir).unwrap();
        crate::dashboard::Dashboard::export_all_to(dir).unwrap();
        crate::activity::ActivityRow::export_all_to(dir).unwrap();
        crate::complaints::ComplaintRow::export_all_to(dir).unwrap();
        crate::complaints::ComplaintDetail::export_all_to(dir).unwrap();
        trustdesk_domain::complaint::ComplaintOutcome::export_all_to(dir).unwrap();
        trustdesk_api::fairness::CalibrationItem::export_all_to(dir).unwrap();
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

    #[test]
    fn queue_mirrors_match_the_store_enums() {
        // The TS mirrors must name exactly the store's serde codes.
        let flags = [
            FlagFilter::ShopFlagged,
            FlagFilter::SuspectedFake,
            FlagFilter::EvidenceReceived,
            FlagFilter::DeadlinePassed,
            FlagFilter::ArmHit,
            FlagFilter::NeedsAttention,
        ];
        let decl = QueueFlag::decl();
        for f in flags {
            let code = serde_json::to_string(&f).unwrap();
            assert!(decl.contains(&code), "{decl} lacks {code}");
        }
        let decl = QueueSort::decl();
        for s in [Sort::Newest, Sort::Oldest, Sort::StarsAscending, Sort::StarsDescending] {
            let code = serde_json::to_string(&s).unwrap();
            assert!(decl.contains(&code), "{decl} lacks {code}");
        }
    }
}

//! Wire types of measured fairness: second opinions, agreement, the bias guard
//! and the per-shop removal check (`GET /v1/fairness`, `GET /v1/samples`,
//! `/v1/calibration`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// Agreement between first and second opinions for one slice of the samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AgreementFigure {
    /// The slice: "team", a moderator's name, a decision label or a language code.
    pub label: String,
    /// Second opinions in the slice (for a reason: those where either side chose it).
    pub samples: u32,
    pub agreed: u32,
    /// Absent when there are too few samples to say anything (see `note`).
    pub raw_agreement: Option<f64>,
    pub kappa: Option<f64>,
    /// 95 % interval of kappa.
    pub kappa_low: Option<f64>,
    pub kappa_high: Option<f64>,
    /// Why a figure is missing ("12 second opinions; 30 are needed").
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AgreementReport {
    pub team: AgreementFigure,
    /// Per moderator (a moderator sees only their own row).
    pub moderators: Vec<AgreementFigure>,
    /// Per decision ("publish", "reject:insult", ...), as one-against-the-rest kappa.
    pub reasons: Vec<AgreementFigure>,
    pub languages: Vec<AgreementFigure>,
    /// Samples drawn but not yet decided a second time.
    pub open_samples: u32,
    /// Disagreements waiting in the calibration queue.
    pub calibration_open: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum BiasState {
    /// Fewer decided reviews than the minimum in a star group.
    TooFew,
    Fair,
    /// Negative reviews removed significantly more often than positive ones.
    Warning,
}

/// A removed negative review, shown with a warning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BiasExample {
    pub review_id: String,
    pub stars: u8,
    /// "reject:insult", "refuse_evidence", ...
    pub decision: String,
    pub decided_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BiasFigure {
    /// "team" or a moderator's name.
    pub label: String,
    pub negative_decided: u32,
    pub negative_removed: u32,
    pub positive_decided: u32,
    pub positive_removed: u32,
    pub z: Option<f64>,
    /// One-sided p-value of "negative reviews are removed more often".
    pub p_value: Option<f64>,
    pub state: BiasState,
    /// Up to five recent removals of 1-2 star reviews, with a warning.
    pub examples: Vec<BiasExample>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BiasReport {
    pub window_days: u32,
    pub alpha: f64,
    pub min_per_group: u32,
    pub team: BiasFigure,
    /// Per moderator (a moderator sees only their own row).
    pub moderators: Vec<BiasFigure>,
}

/// A shop whose negative reviews are removed more often than its industry's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ShopRemovalFigure {
    pub shop_id: String,
    pub shop_name: String,
    /// The shop's first industry, which it is compared within.
    pub industry: String,
    pub negative_decided: u32,
    pub negative_removed: u32,
    /// Removal rate of 1-2 star reviews at the other shops of the industry.
    pub industry_rate: f64,
    pub p_value: f64,
    /// Significant at the guard's alpha: an auditor should look.
    pub flagged: bool,
}

/// One team member's recent work (admins only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MemberFigure {
    pub name: String,
    pub role: String,
    /// Decisions in each of the last 24 hours, oldest first.
    pub per_hour: Vec<u32>,
    pub decisions_in_window: u32,
    /// Final decisions in the window by label, against the reviews' stars.
    pub decisions: Vec<LabelStars>,
}

/// Decisions with one label by the reviews' stars (index 0 = 1 star).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LabelStars {
    /// "publish", "reject:insult", "refuse_evidence", ...
    pub decision: String,
    pub by_stars: Vec<u32>,
}

/// `GET /v1/fairness`: what the caller may see of the team's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FairnessReport {
    pub generated_at: DateTime<Utc>,
    /// Share of each moderator's decisions sampled for a second opinion.
    pub sample_share: f64,
    /// Moderators and admins.
    pub agreement: Option<AgreementReport>,
    /// Moderators and admins.
    pub bias: Option<BiasReport>,
    /// Shops flagged by the removal check (admins and auditors).
    pub shops: Vec<ShopRemovalFigure>,
    /// Admins only.
    pub members: Vec<MemberFigure>,
}

/// `GET /v1/samples`: reviews to decide again, blind (moderators). They look
/// like any pending review; their ids are the samples' own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SamplesPage {
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub reviews: Vec<trustdesk_domain::Review>,
}

/// A disagreement in the calibration queue (`GET /v1/calibration`, admins).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CalibrationItem {
    pub sample_id: String,
    pub review_id: String,
    pub language: String,
    pub stars: u8,
    pub text: String,
    pub first_decision: String,
    pub first_by: String,
    pub second_decision: String,
    pub second_by: String,
    pub second_at: DateTime<Utc>,
    pub settled: Option<String>,
    pub settled_by: Option<String>,
}

/// `POST /v1/calibration/{sample_id}`: the settled answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SettleCalibration {
    /// A decision label: "publish", "request_evidence" or "reject:<reason>".
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 64,
            pattern = "^(publish|request_evidence|reject:(insult|personal_data|bank_details|insurance_number|product_reference|tobacco_use|drug_effect|before_after|mode_of_action|alcohol_advertising|experience_too_old|not_real_experience|spam_duplicate))$"
        )
    )]
    pub decision: String,
}

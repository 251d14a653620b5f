//! The review lifecycle as an explicit state machine.
//!
//! ```text
//! pending ──publish──────────────▶ published
//!    │────reject(reason)─────────▶ rejected(reason)
//!    └────request evidence──────▶ evidence requested ──deadline passes──▶ deleted
//!                                      │
//!                                      └─evidence arrives─▶ evidence received ─accept─▶ published
//!                                                                 └──────────refuse─▶ deleted
//! ```
//! Every other combination is a [`TransitionError`], never a panic.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::shop::Industry;

/// ARM filter categories (seed 003), the same codes the filter engine emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ArmCategory {
    Insult,
    PersonalData,
    BankDetails,
    InsuranceNumber,
    ProductReference,
    TobaccoUse,
    DrugEffect,
    BeforeAfter,
    ModeOfAction,
    AlcoholAdvertising,
}

impl ArmCategory {
    /// Seed 003: which industries' shops are filtered for this category.
    pub fn applies_to(self, industry: Industry) -> bool {
        use ArmCategory as C;
        use Industry as I;
        match industry {
            I::General => matches!(self, C::Insult | C::PersonalData),
            I::Insurance => matches!(self, C::BankDetails | C::InsuranceNumber),
            I::ECigarettes => matches!(self, C::ProductReference | C::TobaccoUse),
            I::MedicinalProducts => matches!(self, C::DrugEffect | C::BeforeAfter | C::ProductReference),
            I::DietarySupplements => matches!(self, C::ModeOfAction | C::BeforeAfter),
            I::AlcoholicBeverages => matches!(self, C::AlcoholAdvertising),
        }
    }

    /// Wire code, identical to the serde name ("personal_data").
    pub fn code(self) -> &'static str {
        match self {
            ArmCategory::Insult => "insult",
            ArmCategory::PersonalData => "personal_data",
            ArmCategory::BankDetails => "bank_details",
            ArmCategory::InsuranceNumber => "insurance_number",
            ArmCategory::ProductReference => "product_reference",
            ArmCategory::TobaccoUse => "tobacco_use",
            ArmCategory::DrugEffect => "drug_effect",
            ArmCategory::BeforeAfter => "before_after",
            ArmCategory::ModeOfAction => "mode_of_action",
            ArmCategory::AlcoholAdvertising => "alcohol_advertising",
        }
    }

    pub fn from_code(code: &str) -> Option<ArmCategory> {
        ArmCategory::ALL.into_iter().find(|c| c.code() == code)
    }

    pub const ALL: [ArmCategory; 10] = [
        ArmCategory::Insult,
        ArmCategory::PersonalData,
        ArmCategory::BankDetails,
        ArmCategory::InsuranceNumber,
        ArmCategory::ProductReference,
        ArmCategory::TobaccoUse,
        ArmCategory::DrugEffect,
        ArmCategory::BeforeAfter,
        ArmCategory::ModeOfAction,
        ArmCategory::AlcoholAdvertising,
    ];
}

/// Why a review is withheld. A closed list: one reason per ARM category plus the
/// verification rules. Being negative is deliberately not a reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum RejectionReason {
    Insult,
    PersonalData,
    BankDetails,
    InsuranceNumber,
    ProductReference,
    TobaccoUse,
    DrugEffect,
    BeforeAfter,
    ModeOfAction,
    AlcoholAdvertising,
    /// The experience lies more than 6 months before submission.
    ExperienceTooOld,
    /// Evidence was requested and did not show a real purchase or use.
    NotRealExperience,
    /// Spam, or a duplicate of another review.
    SpamDuplicate,
}

impl RejectionReason {
    pub const ALL: [RejectionReason; 13] = [
        RejectionReason::Insult,
        RejectionReason::PersonalData,
        RejectionReason::BankDetails,
        RejectionReason::InsuranceNumber,
        RejectionReason::ProductReference,
        RejectionReason::TobaccoUse,
        RejectionReason::DrugEffect,
        RejectionReason::BeforeAfter,
        RejectionReason::ModeOfAction,
        RejectionReason::AlcoholAdvertising,
        RejectionReason::ExperienceTooOld,
        RejectionReason::NotRealExperience,
        RejectionReason::SpamDuplicate,
    ];

    /// The ARM category this reason enforces, if it is a filter reason.
    pub fn arm_category(self) -> Option<ArmCategory> {
        ArmCategory::ALL.into_iter().find(|c| RejectionReason::from(*c) == self)
    }

    /// Wire code, identical to the serde name ("spam_duplicate").
    pub fn code(self) -> &'static str {
        match self {
            RejectionReason::ExperienceTooOld => "experience_too_old",
            RejectionReason::NotRealExperience => "not_real_experience",
            RejectionReason::SpamDuplicate => "spam_duplicate",
            other => other.arm_category().map_or("", ArmCategory::code),
        }
    }

    /// Whether a moderator may pick this reason on a pending review. Refusing a
    /// review as "not a real experience" is only possible after evidence was asked.
    pub fn allowed_on_pending(self) -> bool {
        self != RejectionReason::NotRealExperience
    }
}

impl From<ArmCategory> for RejectionReason {
    fn from(c: ArmCategory) -> Self {
        match c {
            ArmCategory::Insult => RejectionReason::Insult,
            ArmCategory::PersonalData => RejectionReason::PersonalData,
            ArmCategory::BankDetails => RejectionReason::BankDetails,
            ArmCategory::InsuranceNumber => RejectionReason::InsuranceNumber,
            ArmCategory::ProductReference => RejectionReason::ProductReference,
            ArmCategory::TobaccoUse => RejectionReason::TobaccoUse,
            ArmCategory::DrugEffect => RejectionReason::DrugEffect,
            ArmCategory::BeforeAfter => RejectionReason::BeforeAfter,
            ArmCategory::ModeOfAction => RejectionReason::ModeOfAction,
            ArmCategory::AlcoholAdvertising => RejectionReason::AlcoholAdvertising,
        }
    }
}

/// Why a review was deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum DeletionCause {
    /// The evidence received did not show a real experience.
    EvidenceRefused,
    /// No evidence arrived before the deadline.
    DeadlinePassed,
}

/// Where a review stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ReviewStatus {
    Pending,
    Published,
    Rejected { reason: RejectionReason },
    EvidenceRequested { deadline: DateTime<Utc> },
    EvidenceReceived,
    Deleted { cause: DeletionCause },
}

impl ReviewStatus {
    /// Short name of the state, used for indexing and filtering.
    pub fn state_name(&self) -> &'static str {
        match self {
            ReviewStatus::Pending => "pending",
            ReviewStatus::Published => "published",
            ReviewStatus::Rejected { .. } => "rejected",
            ReviewStatus::EvidenceRequested { .. } => "evidence_requested",
            ReviewStatus::EvidenceReceived => "evidence_received",
            ReviewStatus::Deleted { .. } => "deleted",
        }
    }

    /// No further transition leads out of this state.
    pub fn is_final(&self) -> bool {
        matches!(self, ReviewStatus::Published | ReviewStatus::Rejected { .. } | ReviewStatus::Deleted { .. })
    }

    /// Whether the review keeps off the public profile in this state for good
    /// (the decisions that owe the reviewer a statement of reasons).
    pub fn is_withheld(&self) -> bool {
        matches!(self, ReviewStatus::Rejected { .. } | ReviewStatus::Deleted { .. })
    }

    /// Applies `action` at time `now`.
    pub fn apply(self, action: ReviewAction, now: DateTime<Utc>) -> Result<ReviewStatus, TransitionError> {
        use ReviewAction as A;
        use ReviewStatus as S;
        match (self, action) {
            (S::Pending, A::Publish) => Ok(S::Published),
            (S::Pending, A::Reject { reason }) => {
                if reason.allowed_on_pending() {
                    Ok(S::Rejected { reason })
                } else {
                    Err(TransitionError::ReasonNeedsEvidence { reason })
                }
            }
            (S::Pending, A::RequestEvidence { deadline }) => {
                if deadline > now {
                    Ok(S::EvidenceRequested { deadline })
                } else {
                    Err(TransitionError::DeadlineNotInFuture { deadline })
                }
            }
            (S::EvidenceRequested { deadline }, A::ReceiveEvidence) => {
                if now <= deadline {
                    Ok(S::EvidenceReceived)
                } else {
                    Err(TransitionError::DeadlinePassed { deadline })
                }
            }
            (S::EvidenceRequested { deadline }, A::ExpireDeadline) => {
                if now > deadline {
                    Ok(S::Deleted { cause: DeletionCause::DeadlinePassed })
                } else {
                    Err(TransitionError::DeadlineNotPassed { deadline })
                }
            }
            (S::EvidenceReceived, A::AcceptEvidence) => Ok(S::Published),
            (S::EvidenceReceived, A::RefuseEvidence) => {
                Ok(S::Deleted { cause: DeletionCause::EvidenceRefused })
            }
            (from, action) => {
                Err(TransitionError::Illegal { from: from.state_name(), action: action.name() })
            }
        }
    }
}

/// What a person (or the clock) does to a review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ReviewAction {
    Publish,
    Reject { reason: RejectionReason },
    RequestEvidence { deadline: DateTime<Utc> },
    ReceiveEvidence,
    AcceptEvidence,
    RefuseEvidence,
    ExpireDeadline,
}

impl ReviewAction {
    pub fn name(&self) -> &'static str {
        match self {
            ReviewAction::Publish => "publish",
            ReviewAction::Reject { .. } => "reject",
            ReviewAction::RequestEvidence { .. } => "request_evidence",
            ReviewAction::ReceiveEvidence => "receive_evidence",
            ReviewAction::AcceptEvidence => "accept_evidence",
            ReviewAction::RefuseEvidence => "refuse_evidence",
            ReviewAction::ExpireDeadline => "expire_deadline",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("cannot {action} a review that is {from}")]
    Illegal { from: &'static str, action: &'static str },
    #[error("reason {reason:?} is only available after evidence was requested")]
    ReasonNeedsEvidence { reason: RejectionReason },
    #[error("the evidence deadline {deadline} is not in the future")]
    DeadlineNotInFuture { deadline: DateTime<Utc> },
    #[error("the evidence deadline {deadline} has passed")]
    DeadlinePassed { deadline: DateTime<Utc> },
    #[error("the evidence deadline {deadline} has not passed yet")]
    DeadlineNotPassed { deadline: DateTime<Utc> },
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap()
    }

    #[test]
    fn the_happy_paths() {
        let t = now();
        let later = t + Duration::days(14);
        assert_eq!(ReviewStatus::Pending.apply(ReviewAction::Publish, t), Ok(ReviewStatus::Published));
        assert_eq!(
            ReviewStatus::Pending.apply(ReviewAction::Reject { reason: RejectionReason::Insult }, t),
            Ok(ReviewStatus::Rejected { reason: RejectionReason::Insult })
        );
        let requested =
            ReviewStatus::Pending.apply(ReviewAction::RequestEvidence { deadline: later }, t).unwrap();
        assert_eq!(requested, ReviewStatus::EvidenceRequested { deadline: later });
        let received = requested.apply(ReviewAction::ReceiveEvidence, t + Duration::days(3)).unwrap();
        assert_eq!(received.apply(ReviewAction::AcceptEvidence, t), Ok(ReviewStatus::Published));
        assert_eq!(
            received.apply(ReviewAction::RefuseEvidence, t),
            Ok(ReviewStatus::Deleted { cause: DeletionCause::EvidenceRefused })
        );
    }

    #[test]
    fn deadline_edges() {
        let t = now();
        let deadline = t + Duration::days(14);
        let requested = ReviewStatus::EvidenceRequested { deadline };
        // Evidence arriving exactly at the deadline still counts.
        assert_eq!(
            requested.apply(ReviewAction::ReceiveEvidence, deadline),
            Ok(ReviewStatus::EvidenceReceived)
        );
        let one_sec_late = deadline + Duration::seconds(1);
        assert_eq!(
            requested.apply(ReviewAction::ReceiveEvidence, one_sec_late),
            Err(TransitionError::DeadlinePassed { deadline })
        );
        assert_eq!(
            requested.apply(ReviewAction::ExpireDeadline, deadline),
            Err(TransitionError::DeadlineNotPassed { deadline })
        );
        assert_eq!(
            requested.apply(ReviewAction::ExpireDeadline, one_sec_late),
            Ok(ReviewStatus::Deleted { cause: DeletionCause::DeadlinePassed })
        );
        assert_eq!(
            ReviewStatus::Pending.apply(ReviewAction::RequestEvidence { deadline: t }, t),
            Err(TransitionError::DeadlineNotInFuture { deadline: t })
        );
    }

    #[test]
    fn not_real_experience_needs_the_evidence_step() {
        let r = ReviewStatus::Pending
            .apply(ReviewAction::Reject { reason: RejectionReason::NotRealExperience }, now());
        assert!(matches!(r, Err(TransitionError::ReasonNeedsEvidence { .. })));
    }

    #[test]
    fn every_arm_category_has_its_own_reason() {
        let mut reasons: Vec<_> = ArmCategory::ALL.iter().map(|c| RejectionReason::from(*c)).collect();
        reasons.dedup();
        assert_eq!(reasons.len(), ArmCategory::ALL.len());
        for c in ArmCategory::ALL {
            assert_eq!(RejectionReason::from(c).arm_category(), Some(c));
        }
        assert_eq!(RejectionReason::SpamDuplicate.arm_category(), None);
        // Codes match between the category, its serde name and its reason.
        for c in ArmCategory::ALL {
            assert_eq!(serde_json::to_string(&c).unwrap(), format!("\"{}\"", c.code()));
            assert_eq!(ArmCategory::from_code(c.code()), Some(c));
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                serde_json::to_string(&RejectionReason::from(c)).unwrap()
            );
        }
    }

    #[test]
    fn negative_is_not_a_reason() {
        assert!(serde_json::from_str::<RejectionReason>("\"negative\"").is_err());
        for r in RejectionReason::ALL {
            assert!(!serde_json::to_string(&r).unwrap().contains("negative"));
        }
    }

    #[test]
    fn status_serialises_with_a_state_tag() {
        let s = ReviewStatus::Rejected { reason: RejectionReason::PersonalData };
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, r#"{"state":"rejected","reason":"personal_data"}"#);
        assert_eq!(serde_json::from_str::<ReviewStatus>(&json).unwrap(), s);
    }

    fn any_reason() -> impl Strategy<Value = RejectionReason> {
        (0..RejectionReason::ALL.len()).prop_map(|i| RejectionReason::ALL[i])
    }

    fn any_action() -> impl Strategy<Value = ReviewAction> {
        prop_oneof![
            Just(ReviewAction::Publish),
            any_reason().prop_map(|reason| ReviewAction::Reject { reason }),
            (-30i64..30).prop_map(|d| ReviewAction::RequestEvidence { deadline: now() + Duration::days(d) }),
            Just(ReviewAction::ReceiveEvidence),
            Just(ReviewAction::AcceptEvidence),
            Just(ReviewAction::RefuseEvidence),
            Just(ReviewAction::ExpireDeadline),
        ]
    }

    proptest! {
        /// Any sequence of actions at any times: no panic, final states stay final,
        /// and every reachable state is one the diagram allows from its predecessor.
        #[test]
        fn random_walks_respect_the_diagram(
            steps in proptest::collection::vec((any_action(), -60i64..60), 0..40)
        ) {
            let mut state = ReviewStatus::Pending;
            for (action, offset_days) in steps {
                let at = now() + Duration::days(offset_days);
                // An error leaves the state unchanged.
                if let Ok(next) = state.apply(action, at) {
                    prop_assert!(!state.is_final(), "left final state {state:?}");
                    let allowed = matches!(
                        (state, next),
                        (ReviewStatus::Pending, ReviewStatus::Published)
                            | (ReviewStatus::Pending, ReviewStatus::Rejected { .. })
                            | (ReviewStatus::Pending, ReviewStatus::EvidenceRequested { .. })
                            | (ReviewStatus::EvidenceRequested { .. }, ReviewStatus::EvidenceReceived)
                            | (ReviewStatus::EvidenceRequested { .. }, ReviewStatus::Deleted { cause: DeletionCause::DeadlinePassed })
                            | (ReviewStatus::EvidenceReceived, ReviewStatus::Published)
                            | (ReviewStatus::EvidenceReceived, ReviewStatus::Deleted { cause: DeletionCause::EvidenceRefused })
                    );
                    prop_assert!(allowed, "{state:?} -> {next:?}");
                    if let ReviewStatus::Rejected { reason } = next {
                        prop_assert!(reason != RejectionReason::NotRealExperience);
                    }
                    state = next;
                }
            }
        }

        /// A final state refuses every action.
        #[test]
        fn final_states_refuse_everything(action in any_action(), reason in any_reason()) {
            for s in [ReviewStatus::Published, ReviewStatus::Rejected { reason }, ReviewStatus::Deleted { cause: DeletionCause::DeadlinePassed }] {
                prop_assert!(s.apply(action, now()).is_err());
            }
        }
    }
}

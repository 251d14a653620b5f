//! Reviewer complaints against decisions that kept a review off the profile
//! (DSA Art. 20): the case and the rule that decides it. The same rules run on
//! the workstation (offline) and on the central service.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{DecisionId, ReviewId, ShopId};
use crate::shop::LanguageCode;

/// Longest complaint text (the reviewer's message as entered by staff), in characters.
pub const MAX_COMPLAINT_TEXT_CHARS: usize = 5000;
/// Longest reasons text of a complaint decision, in characters.
pub const MAX_COMPLAINT_REASONS_CHARS: usize = 5000;

/// Where a complaint case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ComplaintStatus {
    Open,
    /// The complaint was right: the review was published.
    Upheld,
    /// The decision stands; the reasons say why.
    Dismissed,
}

impl ComplaintStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ComplaintStatus::Open => "open",
            ComplaintStatus::Upheld => "upheld",
            ComplaintStatus::Dismissed => "dismissed",
        }
    }
}

/// How a complaint is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ComplaintOutcome {
    Upheld,
    Dismissed,
}

/// A reviewer's complaint against a decision that kept their review off the
/// profile. Decided by a person other than the one who decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ComplaintCase {
    pub id: String,
    /// The contested decision; its statement of reasons has the same id.
    pub decision_id: DecisionId,
    pub review_id: ReviewId,
    pub shop_id: ShopId,
    pub language: LanguageCode,
    /// Who made the contested decision: never the one who decides the complaint.
    pub decision_by: String,
    /// The moderator the case was routed to (none when no other moderator exists:
    /// then any staff member other than `decision_by` may take it).
    pub assigned_to: Option<String>,
    /// The reviewer's complaint, plain text.
    pub text: String,
    pub received_at: DateTime<Utc>,
    pub entered_by: String,
    pub status: ComplaintStatus,
    /// Set once decided.
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub reasons: Option<String>,
    /// For an upheld complaint: the decision record that published the review.
    pub publish_decision_id: Option<DecisionId>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub version: i64,
}

/// A change to a complaint case made on a workstation (queued like any other).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum ComplaintChange {
    Decide { outcome: ComplaintOutcome, reasons: String },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ComplaintError {
    #[error("you made the contested decision: another moderator decides this complaint")]
    OwnDecision,
    #[error("the complaint is {} already", .0.as_str())]
    NotOpen(ComplaintStatus),
    #[error("a dismissed complaint needs its reasons")]
    ReasonsRequired,
    #[error("reasons has {got} characters; at most {max} are allowed")]
    ReasonsTooLong { max: usize, got: usize },
    #[error("reasons must not contain NUL characters")]
    Nul,
}

/// The reasons as they are kept: trimmed, bounded, without NUL characters
/// (PostgreSQL cannot store them).
pub fn clean_reasons(reasons: &str) -> Result<String, ComplaintError> {
    let reasons = reasons.trim();
    if reasons.contains('\0') {
        return Err(ComplaintError::Nul);
    }
    let got = reasons.chars().count();
    if got > MAX_COMPLAINT_REASONS_CHARS {
        return Err(ComplaintError::ReasonsTooLong { max: MAX_COMPLAINT_REASONS_CHARS, got });
    }
    Ok(reasons.to_owned())
}

impl ComplaintCase {
    /// Decides the complaint as `by` (a user id). Publishing an upheld
    /// complaint's review is the caller's part: it needs the review.
    pub fn decide(
        &mut self,
        outcome: ComplaintOutcome,
        reasons: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ComplaintError> {
        let reasons = clean_reasons(reasons)?;
        if outcome == ComplaintOutcome::Dismissed && reasons.is_empty() {
            return Err(ComplaintError::ReasonsRequired);
        }
        if self.decision_by == by {
            return Err(ComplaintError::OwnDecision);
        }
        if self.status != ComplaintStatus::Open {
            return Err(ComplaintError::NotOpen(self.status));
        }
        self.status = match outcome {
            ComplaintOutcome::Upheld => ComplaintStatus::Upheld,
            ComplaintOutcome::Dismissed => ComplaintStatus::Dismissed,
        };
        self.decided_by = Some(by.to_owned());
        self.decided_at = Some(now);
        self.reasons = Some(reasons);
        Ok(())
    }

    pub fn apply(
        &mut self,
        change: &ComplaintChange,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ComplaintError> {
        match change {
            ComplaintChange::Decide { outcome, reasons } => self.decide(*outcome, reasons, by, now),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case() -> ComplaintCase {
        ComplaintCase {
            id: "c1".into(),
            decision_id: DecisionId(uuid::Uuid::now_v7()),
            review_id: ReviewId(uuid::Uuid::now_v7()),
            shop_id: ShopId(uuid::Uuid::now_v7()),
            language: "de".parse().unwrap(),
            decision_by: "anna".into(),
            assigned_to: Some("ben".into()),
            text: "Meine Bewertung war sachlich.".into(),
            received_at: Utc::now(),
            entered_by: "support".into(),
            status: ComplaintStatus::Open,
            decided_by: None,
            decided_at: None,
            reasons: None,
            publish_decision_id: None,
            version: 1,
        }
    }

    #[test]
    fn the_moderator_who_decided_never_decides_the_complaint() {
        let mut c = case();
        assert_eq!(
            c.decide(ComplaintOutcome::Upheld, "", "anna", Utc::now()),
            Err(ComplaintError::OwnDecision)
        );
        assert_eq!(c.status, ComplaintStatus::Open);
        c.decide(ComplaintOutcome::Upheld, "  ", "ben", Utc::now()).unwrap();
        assert_eq!(
            (c.status, c.decided_by.as_deref(), c.reasons.as_deref()),
            (ComplaintStatus::Upheld, Some("ben"), Some(""))
        );
    }

    #[test]
    fn a_dismissal_needs_reasons_and_a_case_is_decided_once() {
        let mut c = case();
        assert_eq!(
            c.decide(ComplaintOutcome::Dismissed, " \n", "ben", Utc::now()),
            Err(ComplaintError::ReasonsRequired)
        );
        let long = "x".repeat(MAX_COMPLAINT_REASONS_CHARS + 1);
        assert!(matches!(
            c.decide(ComplaintOutcome::Dismissed, &long, "ben", Utc::now()),
            Err(ComplaintError::ReasonsTooLong { got: 5001, .. })
        ));
        assert_eq!(
            c.decide(ComplaintOutcome::Dismissed, "a\0b", "ben", Utc::now()),
            Err(ComplaintError::Nul)
        );
        let change = ComplaintChange::Decide {
            outcome: ComplaintOutcome::Dismissed,
            reasons: " The text names an employee. ".into(),
        };
        c.apply(&change, "ben", Utc::now()).unwrap();
        assert_eq!(c.reasons.as_deref(), Some("The text names an employee."));
        assert_eq!(
            c.apply(&change, "carl", Utc::now()),
            Err(ComplaintError::NotOpen(ComplaintStatus::Dismissed))
        );
        assert_eq!(c.decided_by.as_deref(), Some("ben"));
    }

    #[test]
    fn changes_read_as_tagged_json() {
        let c: ComplaintChange =
            serde_json::from_str(r#"{"change":"decide","outcome":"upheld","reasons":""}"#).unwrap();
        assert_eq!(c, ComplaintChange::Decide { outcome: ComplaintOutcome::Upheld, reasons: String::new() });
    }
}

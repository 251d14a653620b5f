//! The accountable decision record.
//!
//! Every decision carries its grounds from the moment it is made, so a statement
//! of reasons (DSA Art. 17) and agreement/fairness figures can be derived from the
//! record alone, offline included. The record is immutable once made; a correction
//! is a new decision.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{DecisionId, ReviewId};
use crate::lifecycle::{ReviewAction, ReviewStatus, TransitionError};
use crate::review::Stars;
use crate::statement::IllegalMarking;

/// Longest free text kept in a decision's grounds.
pub const MAX_FACTS_CHARS: usize = 4000;

/// Why the decision was taken.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Grounds {
    /// Facts and circumstances in the moderator's words (no personal data).
    pub facts: String,
    /// Filter rule ids whose hits led to the decision, if any (automated detection).
    pub filter_rules: Vec<String>,
    /// Rule-pack version those hits came from.
    pub rule_pack_version: Option<String>,
    /// Set when the moderator marks the content illegal (the statement's ground
    /// becomes the legal provision); absent for the contractual ground.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub illegal: Option<IllegalMarking>,
}

impl Grounds {
    pub fn automated_detection(&self) -> bool {
        !self.filter_rules.is_empty()
    }
}

/// One decision on one review, as made by a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReviewDecision {
    /// Idempotency key end to end: the server applies a decision id once.
    pub id: DecisionId,
    pub review_id: ReviewId,
    pub action: ReviewAction,
    pub grounds: Grounds,
    /// Who decided (the user id the server knows).
    pub decided_by: String,
    pub decided_at: DateTime<Utc>,
    /// The server version of the review the decision was made on (conflict check).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub base_version: i64,
    /// State before and after, kept for history and fairness figures.
    pub from: ReviewStatus,
    pub to: ReviewStatus,
    /// Stars of the review when decided: the bias guard compares by stars.
    pub stars: Stars,
    /// What the reviewer is told (the evidence request's text), if anything.
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecisionError {
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("a decision that withholds a review needs its facts stated")]
    MissingFacts,
    #[error("the stated facts exceed {MAX_FACTS_CHARS} characters")]
    FactsTooLong,
    #[error("the decision needs the deciding user")]
    MissingActor,
    #[error("{0:?} is not a reason for this shop (its industries or ARM status rule it out)")]
    ReasonNotForShop(crate::lifecycle::RejectionReason),
    #[error("an evidence request needs its message to the reviewer")]
    MissingMessage,
    #[error("the message exceeds {MAX_FACTS_CHARS} characters")]
    MessageTooLong,
}

/// Inputs to [`ReviewDecision::make`].
#[derive(Debug, Clone)]
pub struct DecisionInput {
    pub review_id: ReviewId,
    pub current: ReviewStatus,
    pub base_version: i64,
    pub stars: Stars,
    pub action: ReviewAction,
    pub grounds: Grounds,
    pub decided_by: String,
    pub message: Option<String>,
}

impl ReviewDecision {
    /// Checks the transition and the grounds and builds the record.
    pub fn make(input: DecisionInput, now: DateTime<Utc>) -> Result<ReviewDecision, DecisionError> {
        let to = input.current.apply(input.action, now)?;
        if input.decided_by.trim().is_empty() {
            return Err(DecisionError::MissingActor);
        }
        if input.grounds.facts.chars().count() > MAX_FACTS_CHARS {
            return Err(DecisionError::FactsTooLong);
        }
        let message = input.message.filter(|m| !m.trim().is_empty());
        if message.as_ref().is_some_and(|m| m.chars().count() > MAX_FACTS_CHARS) {
            return Err(DecisionError::MessageTooLong);
        }
        if matches!(input.action, ReviewAction::RequestEvidence { .. }) && message.is_none() {
            return Err(DecisionError::MissingMessage);
        }
        // Withholding a review owes the reviewer reasons; a rejection's reason code
        // is itself a ground, the other withholding steps need the facts written.
        if to.is_withheld()
            && !matches!(input.action, ReviewAction::Reject { .. } | ReviewAction::ExpireDeadline)
            && input.grounds.facts.trim().is_empty()
        {
            return Err(DecisionError::MissingFacts);
        }
        Ok(ReviewDecision {
            id: DecisionId::new(),
            review_id: input.review_id,
            action: input.action,
            grounds: input.grounds,
            decided_by: input.decided_by,
            decided_at: now,
            base_version: input.base_version,
            from: input.current,
            to,
            stars: input.stars,
            message,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::RejectionReason;

    fn input(current: ReviewStatus, action: ReviewAction, facts: &str) -> DecisionInput {
        DecisionInput {
            review_id: ReviewId::new(),
            current,
            base_version: 3,
            stars: Stars::new(1).unwrap(),
            action,
            grounds: Grounds { facts: facts.into(), ..Grounds::default() },
            decided_by: "mod-1".into(),
            message: None,
        }
    }

    #[test]
    fn records_before_and_after() {
        let d = ReviewDecision::make(
            input(ReviewStatus::Pending, ReviewAction::Reject { reason: RejectionReason::Insult }, ""),
            Utc::now(),
        )
        .unwrap();
        assert_eq!(d.from, ReviewStatus::Pending);
        assert_eq!(d.to, ReviewStatus::Rejected { reason: RejectionReason::Insult });
        assert_eq!(d.base_version, 3);
        assert!(!d.grounds.automated_detection());
    }

    #[test]
    fn refusing_evidence_needs_facts() {
        let e = ReviewDecision::make(
            input(ReviewStatus::EvidenceReceived, ReviewAction::RefuseEvidence, " "),
            Utc::now(),
        );
        assert_eq!(e, Err(DecisionError::MissingFacts));
        let ok = ReviewDecision::make(
            input(
                ReviewStatus::EvidenceReceived,
                ReviewAction::RefuseEvidence,
                "The invoice names another shop.",
            ),
            Utc::now(),
        );
        assert!(ok.is_ok());
    }

    #[test]
    fn illegal_transitions_and_bad_input_are_errors() {
        let e = ReviewDecision::make(input(ReviewStatus::Published, ReviewAction::Publish, ""), Utc::now());
        assert!(matches!(e, Err(DecisionError::Transition(_))));
        let long = "x".repeat(MAX_FACTS_CHARS + 1);
        let e = ReviewDecision::make(input(ReviewStatus::Pending, ReviewAction::Publish, &long), Utc::now());
        assert_eq!(e, Err(DecisionError::FactsTooLong));
        let mut i = input(ReviewStatus::Pending, ReviewAction::Publish, "");
        i.decided_by = String::new();
        assert_eq!(ReviewDecision::make(i, Utc::now()), Err(DecisionError::MissingActor));
    }

    #[test]
    fn an_evidence_request_carries_its_message() {
        let deadline = Utc::now() + chrono::Duration::days(14);
        let mut i = input(ReviewStatus::Pending, ReviewAction::RequestEvidence { deadline }, "");
        i.message = Some("  ".into());
        assert_eq!(ReviewDecision::make(i.clone(), Utc::now()), Err(DecisionError::MissingMessage));
        i.message = Some("x".repeat(MAX_FACTS_CHARS + 1));
        assert_eq!(ReviewDecision::make(i.clone(), Utc::now()), Err(DecisionError::MessageTooLong));
        i.message = Some("Please send your invoice.".into());
        let d = ReviewDecision::make(i, Utc::now()).unwrap();
        assert_eq!(d.message.as_deref(), Some("Please send your invoice."));
    }
}

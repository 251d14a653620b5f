//! ARM filter hits as the rest of the system sees them: where in the text, which
//! category and rule, and why, so a moderator can check every hit.

use serde::{Deserialize, Serialize};

use crate::lifecycle::{ArmCategory, RejectionReason};

/// One filter hit in a review text. Spans index the original text, in bytes
/// (Rust) and in UTF-16 code units (JavaScript, for highlighting).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ArmHit {
    pub category: ArmCategory,
    /// Stable rule id, e.g. `de.insult.0042`.
    pub rule: String,
    pub start: u32,
    pub end: u32,
    pub start_utf16: u32,
    pub end_utf16: u32,
    /// The matched original text.
    pub text: String,
    /// Why the rule matched, for the moderator.
    pub explanation: String,
}

/// The reason to preselect for `hits`: the first hit whose category is among
/// `allowed` (the shop's reasons).
pub fn suggested_reason(hits: &[ArmHit], allowed: &[RejectionReason]) -> Option<RejectionReason> {
    hits.iter().map(|h| RejectionReason::from(h.category)).find(|r| allowed.contains(r))
}

/// Rule ids of the hits that support rejecting for `reason` (automated detection).
pub fn supporting_rules(hits: &[ArmHit], reason: RejectionReason) -> Vec<String> {
    let mut rules: Vec<String> =
        hits.iter().filter(|h| RejectionReason::from(h.category) == reason).map(|h| h.rule.clone()).collect();
    rules.dedup();
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(category: ArmCategory, rule: &str) -> ArmHit {
        ArmHit {
            category,
            rule: rule.into(),
            start: 0,
            end: 1,
            start_utf16: 0,
            end_utf16: 1,
            text: "x".into(),
            explanation: "because".into(),
        }
    }

    #[test]
    fn suggestion_follows_the_shops_reasons() {
        let hits =
            [hit(ArmCategory::ProductReference, "en.product.1"), hit(ArmCategory::Insult, "en.insult.7")];
        let general = [RejectionReason::Insult, RejectionReason::PersonalData];
        assert_eq!(suggested_reason(&hits, &general), Some(RejectionReason::Insult));
        assert_eq!(suggested_reason(&hits, &[RejectionReason::SpamDuplicate]), None);
        assert_eq!(supporting_rules(&hits, RejectionReason::Insult), vec!["en.insult.7".to_string()]);
        assert!(supporting_rules(&hits, RejectionReason::BankDetails).is_empty());
    }
}

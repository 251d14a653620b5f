//! Shop certification audits against the code of conduct.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{AuditId, ShopId};
use crate::shop::CountryCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum AuditKind {
    Initial,
    /// After the shop fixed the points of a failed audit; links to that audit.
    ReAudit,
    /// Random check of a certified shop.
    SpotCheck,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ChecklistStatus {
    Open,
    Pass,
    Fail,
    NotApplicable,
}

/// Reference to an evidence file or URL attached to a checklist item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum EvidenceRef {
    /// A stored file, addressed by its SHA-256.
    File {
        sha256: String,
        name: String,
    },
    Url {
        url: String,
    },
}

impl EvidenceRef {
    /// A file named by a SHA-256 in lower-case hex with a short name, or an
    /// http(s) link without spaces, at most 2,000 characters.
    pub fn is_well_formed(&self) -> bool {
        match self {
            EvidenceRef::File { sha256, name } => {
                sha256.len() == 64
                    && sha256.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                    && !name.trim().is_empty()
                    && name.chars().count() <= 200
            }
            EvidenceRef::Url { url } => {
                (url.starts_with("https://") || url.starts_with("http://"))
                    && url.len() <= 2000
                    && !url.contains(char::is_whitespace)
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ChecklistItem {
    pub criterion_id: String,
    pub status: ChecklistStatus,
    pub note: String,
    pub evidence: Vec<EvidenceRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditCase {
    pub id: AuditId,
    pub shop_id: ShopId,
    pub kind: AuditKind,
    pub target_countries: Vec<CountryCode>,
    pub items: Vec<ChecklistItem>,
    /// The failed audit a re-audit follows up; `None` for other kinds.
    pub previous_audit: Option<AuditId>,
    pub due: DateTime<Utc>,
    /// The outcome as the auditor confirmed it; the audit is finished once set.
    #[serde(default)]
    pub confirmed: Option<AuditConfirmation>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub version: i64,
}

/// The auditor's confirmation of the computed outcome (and, for a spot check,
/// of the recommendation on the shop's mark).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditConfirmation {
    pub outcome: AuditOutcome,
    pub recommendation: Option<crate::checklist::SpotCheckRecommendation>,
    pub confirmed_by: String,
    pub confirmed_at: DateTime<Utc>,
}

/// One change an auditor makes; applied locally at once (autosave) and on the
/// server through the mutation outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum AuditChange {
    Item { criterion_id: String, status: ChecklistStatus, note: String, evidence: Vec<EvidenceRef> },
    Confirm { outcome: AuditOutcome, recommendation: Option<crate::checklist::SpotCheckRecommendation> },
}

/// Longest note an auditor may write on one item.
pub const MAX_NOTE_CHARS: usize = 4000;
/// Most evidence references on one item.
pub const MAX_EVIDENCE_PER_ITEM: usize = 20;

/// What the checklist says about the shop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum AuditOutcome {
    /// Some criteria are still open (or nothing applicable was checked).
    Incomplete { open: Vec<String> },
    /// At least one applicable criterion failed; each one is an improvement point.
    ImprovementsRequired { failed: Vec<String> },
    /// Every applicable criterion passed.
    Certified,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    #[error("a re-audit must link to the audit it follows up")]
    ReAuditWithoutPrevious,
    #[error("only a re-audit links to a previous audit")]
    PreviousOnNonReAudit,
    #[error("criterion {0} appears more than once")]
    DuplicateCriterion(String),
    #[error("an audit needs at least one target country")]
    NoTargetCountry,
    #[error("the audit was already confirmed; it no longer changes")]
    AlreadyConfirmed,
    #[error("the audit has no checklist item {0}")]
    UnknownCriterion(String),
    #[error("a note may hold at most {MAX_NOTE_CHARS} characters")]
    NoteTooLong,
    #[error("an item may hold at most {MAX_EVIDENCE_PER_ITEM} pieces of evidence")]
    TooMuchEvidence,
    #[error("the checklist is not complete: {0} item(s) still open")]
    Incomplete(usize),
    #[error("evidence is required for: {0}")]
    EvidenceMissing(String),
    #[error("the confirmed outcome differs from the checklist's")]
    OutcomeMismatch,
    #[error("evidence must name a file by its SHA-256 (and a name of at most 200 characters) or an http(s) link: {0}")]
    BadEvidence(String),
}

impl AuditCase {
    /// Structural rules that hold for every audit case.
    pub fn validate(&self) -> Result<(), AuditError> {
        match (self.kind, self.previous_audit) {
            (AuditKind::ReAudit, None) => return Err(AuditError::ReAuditWithoutPrevious),
            (AuditKind::Initial | AuditKind::SpotCheck, Some(_)) => {
                return Err(AuditError::PreviousOnNonReAudit)
            }
            _ => {}
        }
        if self.target_countries.is_empty() {
            return Err(AuditError::NoTargetCountry);
        }
        let mut ids: Vec<&str> = self.items.iter().map(|i| i.criterion_id.as_str()).collect();
        ids.sort_unstable();
        if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
            return Err(AuditError::DuplicateCriterion(w[0].to_owned()));
        }
        Ok(())
    }

    /// Applies one auditor's change. The same rules run on the workstation
    /// (autosave) and on the server, so what the auditor sees is what lands.
    pub fn apply(&mut self, change: &AuditChange, by: &str, now: DateTime<Utc>) -> Result<(), AuditError> {
        if self.confirmed.is_some() {
            return Err(AuditError::AlreadyConfirmed);
        }
        match change {
            AuditChange::Item { criterion_id, status, note, evidence } => {
                if note.chars().count() > MAX_NOTE_CHARS {
                    return Err(AuditError::NoteTooLong);
                }
                if evidence.len() > MAX_EVIDENCE_PER_ITEM {
                    return Err(AuditError::TooMuchEvidence);
                }
                if let Some(bad) = evidence.iter().find(|e| !e.is_well_formed()) {
                    return Err(AuditError::BadEvidence(format!("{bad:?}").chars().take(120).collect()));
                }
                let item = self
                    .items
                    .iter_mut()
                    .find(|i| i.criterion_id == *criterion_id)
                    .ok_or_else(|| AuditError::UnknownCriterion(criterion_id.clone()))?;
                item.status = *status;
                item.note = note.clone();
                item.evidence = evidence.clone();
            }
            AuditChange::Confirm { outcome, recommendation } => {
                let computed = self.outcome();
                if let AuditOutcome::Incomplete { open } = &computed {
                    return Err(AuditError::Incomplete(open.len()));
                }
                if *outcome != computed {
                    return Err(AuditError::OutcomeMismatch);
                }
                let missing = crate::checklist::builtin().missing_evidence(self);
                if !missing.is_empty() {
                    return Err(AuditError::EvidenceMissing(missing.join(", ")));
                }
                self.confirmed = Some(AuditConfirmation {
                    outcome: computed,
                    recommendation: recommendation.clone(),
                    confirmed_by: by.to_owned(),
                    confirmed_at: now,
                });
            }
        }
        Ok(())
    }

    /// Certified only when every applicable criterion passes.
    pub fn outcome(&self) -> AuditOutcome {
        let ids_with = |s: ChecklistStatus| -> Vec<String> {
            self.items.iter().filter(|i| i.status == s).map(|i| i.criterion_id.clone()).collect()
        };
        let open = ids_with(ChecklistStatus::Open);
        if !open.is_empty() {
            return AuditOutcome::Incomplete { open };
        }
        let failed = ids_with(ChecklistStatus::Fail);
        if !failed.is_empty() {
            return AuditOutcome::ImprovementsRequired { failed };
        }
        if self.items.iter().any(|i| i.status == ChecklistStatus::Pass) {
            AuditOutcome::Certified
        } else {
            // Nothing applicable was checked: certifying would be vacuous.
            AuditOutcome::Incomplete { open: Vec::new() }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn item(id: &str, status: ChecklistStatus) -> ChecklistItem {
        ChecklistItem { criterion_id: id.into(), status, note: String::new(), evidence: vec![] }
    }

    fn case(kind: AuditKind, items: Vec<ChecklistItem>) -> AuditCase {
        AuditCase {
            id: AuditId::new(),
            shop_id: ShopId::new(),
            kind,
            target_countries: vec!["DE".parse().unwrap()],
            items,
            previous_audit: None,
            due: DateTime::<Utc>::MIN_UTC,
            confirmed: None,
            version: 1,
        }
    }

    #[test]
    fn outcome_table() {
        use ChecklistStatus::*;
        let c = case(AuditKind::Initial, vec![item("eu.imprint", Pass), item("de.impressum", NotApplicable)]);
        assert_eq!(c.outcome(), AuditOutcome::Certified);
        let c = case(AuditKind::Initial, vec![item("a", Pass), item("b", Fail), item("c", Fail)]);
        assert_eq!(c.outcome(), AuditOutcome::ImprovementsRequired { failed: vec!["b".into(), "c".into()] });
        let c = case(AuditKind::Initial, vec![item("a", Fail), item("b", Open)]);
        assert_eq!(c.outcome(), AuditOutcome::Incomplete { open: vec!["b".into()] });
        let c = case(AuditKind::Initial, vec![item("a", NotApplicable)]);
        assert_eq!(c.outcome(), AuditOutcome::Incomplete { open: vec![] });
        assert_eq!(case(AuditKind::Initial, vec![]).outcome(), AuditOutcome::Incomplete { open: vec![] });
    }

    #[test]
    fn changes_follow_the_rules_and_a_confirmed_audit_is_final() {
        use crate::checklist::initial_items;
        let de: CountryCode = "DE".parse().unwrap();
        let mut c = case(AuditKind::Initial, initial_items(&[de]));
        let now = DateTime::<Utc>::MIN_UTC;
        let set = |c: &mut AuditCase, id: &str, status, evidence: Vec<EvidenceRef>| {
            c.apply(
                &AuditChange::Item { criterion_id: id.into(), status, note: "n".into(), evidence },
                "ann",
                now,
            )
        };
        assert_eq!(
            set(&mut c, "no.such", ChecklistStatus::Pass, vec![]),
            Err(AuditError::UnknownCriterion("no.such".into()))
        );
        let long = AuditChange::Item {
            criterion_id: c.items[0].criterion_id.clone(),
            status: ChecklistStatus::Pass,
            note: "x".repeat(MAX_NOTE_CHARS + 1),
            evidence: vec![],
        };
        assert_eq!(c.apply(&long, "ann", now), Err(AuditError::NoteTooLong));
        let confirm = |outcome| AuditChange::Confirm { outcome, recommendation: None };
        assert!(matches!(
            c.apply(&confirm(AuditOutcome::Certified), "ann", now),
            Err(AuditError::Incomplete(_))
        ));
        let ids: Vec<String> = c.items.iter().map(|i| i.criterion_id.clone()).collect();
        for id in &ids {
            set(&mut c, id, ChecklistStatus::Pass, vec![]).unwrap();
        }
        // Some criteria need evidence before the outcome can be confirmed.
        assert!(matches!(
            c.apply(&confirm(AuditOutcome::Certified), "ann", now),
            Err(AuditError::EvidenceMissing(_))
        ));
        let url = EvidenceRef::Url { url: "https://shop.example/impressum".into() };
        for id in &ids {
            set(&mut c, id, ChecklistStatus::Pass, vec![url.clone()]).unwrap();
        }
        set(&mut c, &ids[1], ChecklistStatus::Fail, vec![url.clone()]).unwrap();
        assert_eq!(c.apply(&confirm(AuditOutcome::Certified), "ann", now), Err(AuditError::OutcomeMismatch));
        let outcome = AuditOutcome::ImprovementsRequired { failed: vec![ids[1].clone()] };
        c.apply(&confirm(outcome.clone()), "ann", now).unwrap();
        assert_eq!(
            c.confirmed.as_ref().map(|x| (&x.outcome, x.confirmed_by.as_str())),
            Some((&outcome, "ann"))
        );
        assert_eq!(set(&mut c, &ids[1], ChecklistStatus::Pass, vec![]), Err(AuditError::AlreadyConfirmed));
    }

    #[test]
    fn structure_rules() {
        let mut c = case(AuditKind::ReAudit, vec![]);
        assert_eq!(c.validate(), Err(AuditError::ReAuditWithoutPrevious));
        c.previous_audit = Some(AuditId::new());
        assert_eq!(c.validate(), Ok(()));
        c.kind = AuditKind::SpotCheck;
        assert_eq!(c.validate(), Err(AuditError::PreviousOnNonReAudit));
        let mut c = case(
            AuditKind::Initial,
            vec![item("a", ChecklistStatus::Pass), item("a", ChecklistStatus::Fail)],
        );
        assert_eq!(c.validate(), Err(AuditError::DuplicateCriterion("a".into())));
        c.items.pop();
        c.target_countries.clear();
        assert_eq!(c.validate(), Err(AuditError::NoTargetCountry));
    }

    fn any_status() -> impl Strategy<Value = ChecklistStatus> {
        prop_oneof![
            Just(ChecklistStatus::Open),
            Just(ChecklistStatus::Pass),
            Just(ChecklistStatus::Fail),
            Just(ChecklistStatus::NotApplicable),
        ]
    }

    proptest! {
        #[test]
        fn certified_iff_all_applicable_pass(statuses in proptest::collection::vec(any_status(), 0..30)) {
            let items = statuses.iter().enumerate().map(|(i, s)| item(&format!("c{i}"), *s)).collect();
            let c = case(AuditKind::Initial, items);
            let applicable: Vec<_> = statuses.iter().filter(|s| **s != ChecklistStatus::NotApplicable).collect();
            let all_pass = !applicable.is_empty() && applicable.iter().all(|s| **s == ChecklistStatus::Pass);
            prop_assert_eq!(c.outcome() == AuditOutcome::Certified, all_pass);
            if let AuditOutcome::ImprovementsRequired { failed } = c.outcome() {
                prop_assert_eq!(failed.len(), statuses.iter().filter(|s| **s == ChecklistStatus::Fail).count());
            }
        }
    }
}

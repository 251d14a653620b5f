//! Statements of reasons (DSA Art. 17) for every decision that keeps a review
//! off the profile, and their export line for the DSA Transparency Database
//! (Art. 24(5)).
//!
//! A statement has a structured part that follows from the decision, the review
//! and its ARM hits, plus a free-text note the moderator may edit. It renders to
//! plain text (never HTML) in the review's language from versioned templates
//! (`data/statements/statements.toml`), falling back to English.
//!
//! The export follows the database's statement submission API v2 (in force since
//! 1 July 2025); `data/dsa-sor.schema.json` is our JSON Schema of one line and
//! docs/dsa-category-mapping.md explains the mapping of our reasons.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::arm::ArmHit;
use crate::decision::ReviewDecision;
use crate::ids::{DecisionId, ReviewId};
use crate::lifecycle::{ArmCategory, DeletionCause, RejectionReason, ReviewAction, ReviewStatus};
use crate::review::Review;
use crate::shop::{CountryCode, LanguageCode};

/// Longest moderator note on a statement.
pub const MAX_FREE_TEXT_CHARS: usize = 2000;
/// The database's limits (API v2): legal ground and contractual ground 500,
/// explanations 2000, facts 5000 characters.
pub const MAX_PROVISION_CHARS: usize = 500;
pub const MAX_EXPLANATION_CHARS: usize = 2000;
pub const MAX_DECISION_FACTS_CHARS: usize = 5000;
/// Longer passages are described rather than quoted: a statement points at the
/// text, it does not reprint it.
const MAX_QUOTE_CHARS: usize = 200;

/// The language every template exists in and every other language falls back to.
const FALLBACK: &str = "en";

const SHIPPED: &str = include_str!("../data/statements/statements.toml");

// ---------------------------------------------------------------------------
// Reasons

/// Why a statement is owed: a rejection reason, or one of the deletions that end
/// an evidence request. Codes of the rejection reasons are theirs unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum StatementReason {
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
    ExperienceTooOld,
    NotRealExperience,
    SpamDuplicate,
    /// Deleted: the evidence sent did not show a real experience.
    EvidenceRefused,
    /// Deleted: the reviewer answered, but without any evidence.
    EvidenceMissing,
    /// Deleted: nothing arrived before the evidence deadline.
    DeadlinePassed,
}

impl StatementReason {
    pub const ALL: [StatementReason; 16] = [
        StatementReason::Insult,
        StatementReason::PersonalData,
        StatementReason::BankDetails,
        StatementReason::InsuranceNumber,
        StatementReason::ProductReference,
        StatementReason::TobaccoUse,
        StatementReason::DrugEffect,
        StatementReason::BeforeAfter,
        StatementReason::ModeOfAction,
        StatementReason::AlcoholAdvertising,
        StatementReason::ExperienceTooOld,
        StatementReason::NotRealExperience,
        StatementReason::SpamDuplicate,
        StatementReason::EvidenceRefused,
        StatementReason::EvidenceMissing,
        StatementReason::DeadlinePassed,
    ];

    /// Wire code, identical to the serde name and the template key.
    pub fn code(self) -> &'static str {
        use StatementReason as S;
        match self {
            S::Insult => "insult",
            S::PersonalData => "personal_data",
            S::BankDetails => "bank_details",
            S::InsuranceNumber => "insurance_number",
            S::ProductReference => "product_reference",
            S::TobaccoUse => "tobacco_use",
            S::DrugEffect => "drug_effect",
            S::BeforeAfter => "before_after",
            S::ModeOfAction => "mode_of_action",
            S::AlcoholAdvertising => "alcohol_advertising",
            S::ExperienceTooOld => "experience_too_old",
            S::NotRealExperience => "not_real_experience",
            S::SpamDuplicate => "spam_duplicate",
            S::EvidenceRefused => "evidence_refused",
            S::EvidenceMissing => "evidence_missing",
            S::DeadlinePassed => "deadline_passed",
        }
    }

    pub fn from_code(code: &str) -> Option<StatementReason> {
        StatementReason::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The ARM category this reason enforces, if it is a filter reason.
    pub fn arm_category(self) -> Option<ArmCategory> {
        ArmCategory::ALL.into_iter().find(|c| StatementReason::from(RejectionReason::from(*c)) == self)
    }

    /// Our rule that is broken, as a stable code: `arm.<category>` for the ARM
    /// filters, `verification.<reason>` for the verification rules of seed 003.
    pub fn rule(self) -> String {
        match self.arm_category() {
            Some(c) => format!("arm.{}", c.code()),
            None => format!("verification.{}", self.code()),
        }
    }
}

impl From<RejectionReason> for StatementReason {
    fn from(r: RejectionReason) -> Self {
        use RejectionReason as R;
        use StatementReason as S;
        match r {
            R::Insult => S::Insult,
            R::PersonalData => S::PersonalData,
            R::BankDetails => S::BankDetails,
            R::InsuranceNumber => S::InsuranceNumber,
            R::ProductReference => S::ProductReference,
            R::TobaccoUse => S::TobaccoUse,
            R::DrugEffect => S::DrugEffect,
            R::BeforeAfter => S::BeforeAfter,
            R::ModeOfAction => S::ModeOfAction,
            R::AlcoholAdvertising => S::AlcoholAdvertising,
            R::ExperienceTooOld => S::ExperienceTooOld,
            R::NotRealExperience => S::NotRealExperience,
            R::SpamDuplicate => S::SpamDuplicate,
        }
    }
}

/// Categories whose hits are personal data: described, never quoted.
fn is_personal(c: ArmCategory) -> bool {
    matches!(c, ArmCategory::PersonalData | ArmCategory::BankDetails | ArmCategory::InsuranceNumber)
}

// ---------------------------------------------------------------------------
// Templates

/// A template failed its check; nothing with such a template is shipped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("statement templates do not parse: {0}")]
    Parse(String),
    #[error("statement templates: the languages must include {FALLBACK}")]
    NoFallback,
    #[error("statement templates: {0:?} is not a language code")]
    BadLanguage(String),
    #[error("statement template {key} has no {language} text")]
    Missing { key: String, language: String },
    #[error("statement template {key} has a text in {language}, which is not a shipped language")]
    UnshippedLanguage { key: String, language: String },
    #[error("statement template {key} ({language}) uses the unknown placeholder {{{name}}}")]
    UnknownPlaceholder { key: String, language: String, name: String },
    #[error("statement template {key} ({language}) lacks the placeholder {{{name}}}")]
    MissingPlaceholder { key: String, language: String, name: String },
    #[error("statement template {key} ({language}) has a brace that opens no placeholder")]
    Malformed { key: String, language: String },
    #[error("statement templates: unknown entry {0}")]
    UnknownKey(String),
}

type Texts = BTreeMap<String, String>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTemplates {
    version: String,
    languages: Vec<String>,
    frame: Texts,
    redress: Texts,
    ground: RawGround,
    automation: RawAutomation,
    passage: RawPassage,
    note: Texts,
    facts_none: Texts,
    categories: BTreeMap<String, Texts>,
    reasons: BTreeMap<String, RawReason>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGround {
    contractual: Texts,
    illegal: Texts,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAutomation {
    detected: Texts,
    not_detected: Texts,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPassage {
    quoted: Texts,
    described: Texts,
    intro: Texts,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReason {
    term: Texts,
    text: Texts,
}

/// (allowed placeholders, required ones) per kind of text.
fn placeholders(key: &str) -> (&'static [&'static str], &'static [&'static str]) {
    const FRAME: &[&str] =
        &["decided_on", "shop_name", "decision", "ground", "facts", "automation", "note", "redress"];
    match key {
        "frame" => (FRAME, FRAME),
        "ground.contractual" => (&["term"], &["term"]),
        "ground.illegal" => (&["provision", "term"], &["provision"]),
        "passage.quoted" => (&["from", "to", "what", "quote"], &["from", "to", "quote"]),
        "passage.described" => (&["from", "to", "what"], &["from", "to", "what"]),
        "passage.intro" => (&["passages"], &["passages"]),
        "note" => (&["text"], &["text"]),
        k if k.starts_with("reasons.") && k.ends_with(".text") => (&["shop_name", "decided_on"], &[]),
        _ => (&[], &[]),
    }
}

/// Placeholder names in `template`, in order; a brace that is not part of
/// `{lower_snake}` is an error.
fn scan(template: &str) -> Result<Vec<&str>, ()> {
    let mut names = Vec::new();
    let mut rest = template;
    loop {
        let open = rest.find('{');
        let close = rest.find('}');
        match (open, close) {
            (None, None) => return Ok(names),
            (Some(o), Some(c)) if o < c => {
                let name = &rest[o + 1..c];
                if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
                    return Err(());
                }
                names.push(name);
                rest = &rest[c + 1..];
            }
            _ => return Err(()),
        }
    }
}

/// Fills `{name}` placeholders in one pass, so a value that itself contains
/// `{...}` (a shop name, a moderator's note) stays literal.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(o) = rest.find('{') {
        out.push_str(&rest[..o]);
        let tail = &rest[o + 1..];
        match tail.find('}').map(|c| (&tail[..c], &tail[c + 1..])) {
            Some((name, after)) => {
                match values.iter().find(|(n, _)| *n == name) {
                    Some((_, v)) => out.push_str(v),
                    // The check guarantees every name is known; keep it visible if not.
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = after;
            }
            None => {
                out.push('{');
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Checked statement templates of one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementTemplates {
    version: String,
    languages: Vec<LanguageCode>,
    /// key ("frame", "reasons.insult.text", ...) -> language -> text
    texts: BTreeMap<String, Texts>,
}

impl StatementTemplates {
    /// The templates compiled into this build. Their check runs in the tests, so
    /// a failure here is a build that should never have shipped.
    pub fn shipped() -> &'static StatementTemplates {
        static SHIPPED_TEMPLATES: OnceLock<StatementTemplates> = OnceLock::new();
        SHIPPED_TEMPLATES.get_or_init(|| {
            StatementTemplates::parse(SHIPPED).expect("the shipped statement templates pass their check")
        })
    }

    /// Parses and checks a template pack: every reason code and ARM category has
    /// every text in every shipped language, and no text uses a placeholder its
    /// kind does not know.
    pub fn parse(src: &str) -> Result<StatementTemplates, TemplateError> {
        let raw: RawTemplates = toml::from_str(src).map_err(|e| TemplateError::Parse(e.to_string()))?;
        let languages = raw
            .languages
            .iter()
            .map(|l| l.parse::<LanguageCode>().map_err(|_| TemplateError::BadLanguage(l.clone())))
            .collect::<Result<Vec<_>, _>>()?;
        if !languages.iter().any(|l| l.as_str() == FALLBACK) {
            return Err(TemplateError::NoFallback);
        }
        let mut texts: BTreeMap<String, Texts> = BTreeMap::new();
        texts.insert("frame".into(), raw.frame);
        texts.insert("redress".into(), raw.redress);
        texts.insert("ground.contractual".into(), raw.ground.contractual);
        texts.insert("ground.illegal".into(), raw.ground.illegal);
        texts.insert("automation.detected".into(), raw.automation.detected);
        texts.insert("automation.not_detected".into(), raw.automation.not_detected);
        texts.insert("passage.quoted".into(), raw.passage.quoted);
        texts.insert("passage.described".into(), raw.passage.described);
        texts.insert("passage.intro".into(), raw.passage.intro);
        texts.insert("note".into(), raw.note);
        texts.insert("facts_none".into(), raw.facts_none);
        for (code, t) in raw.categories {
            if ArmCategory::from_code(&code).is_none() {
                return Err(TemplateError::UnknownKey(format!("categories.{code}")));
            }
            texts.insert(format!("categories.{code}"), t);
        }
        for (code, r) in raw.reasons {
            if StatementReason::from_code(&code).is_none() {
                return Err(TemplateError::UnknownKey(format!("reasons.{code}")));
            }
            texts.insert(format!("reasons.{code}.term"), r.term);
            texts.insert(format!("reasons.{code}.text"), r.text);
        }
        let templates = StatementTemplates { version: raw.version, languages, texts };
        templates.check()?;
        Ok(templates)
    }

    fn check(&self) -> Result<(), TemplateError> {
        let mut keys: Vec<String> = self.texts.keys().cloned().collect();
        // Completeness: a reason or category without its entry is as bad as a
        // missing language.
        for c in ArmCategory::ALL {
            keys.push(format!("categories.{}", c.code()));
        }
        for r in StatementReason::ALL {
            keys.push(format!("reasons.{}.term", r.code()));
            keys.push(format!("reasons.{}.text", r.code()));
        }
        keys.sort();
        keys.dedup();
        let empty = Texts::new();
        for key in keys {
            let by_lang = self.texts.get(&key).unwrap_or(&empty);
            for lang in by_lang.keys() {
                if !self.languages.iter().any(|l| l.as_str() == lang) {
                    return Err(TemplateError::UnshippedLanguage { key, language: lang.clone() });
                }
            }
            let (allowed, required) = placeholders(&key);
            for lang in &self.languages {
                let language = lang.as_str().to_owned();
                let Some(text) = by_lang.get(&language).filter(|t| !t.trim().is_empty()) else {
                    return Err(TemplateError::Missing { key, language });
                };
                let names = scan(text).map_err(|()| TemplateError::Malformed {
                    key: key.clone(),
                    language: language.clone(),
                })?;
                if let Some(name) = names.iter().find(|n| !allowed.contains(n)) {
                    return Err(TemplateError::UnknownPlaceholder {
                        key,
                        language,
                        name: (*name).to_owned(),
                    });
                }
                if let Some(name) = required.iter().find(|r| !names.contains(r)) {
                    return Err(TemplateError::MissingPlaceholder {
                        key,
                        language,
                        name: (*name).to_owned(),
                    });
                }
            }
        }
        Ok(())
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn languages(&self) -> &[LanguageCode] {
        &self.languages
    }

    /// The language a statement for a review in `language` is written in.
    pub fn language_for(&self, language: LanguageCode) -> LanguageCode {
        if self.languages.contains(&language) {
            language
        } else {
            self.languages.iter().copied().find(|l| l.as_str() == FALLBACK).unwrap_or(language)
        }
    }

    /// The text of `key` in `language`, else in English. The check guarantees
    /// both exist for every key the renderer asks for.
    fn text(&self, key: &str, language: &str) -> &str {
        self.texts
            .get(key)
            .and_then(|t| t.get(language).or_else(|| t.get(FALLBACK)))
            .map_or("", String::as_str)
    }
}

// ---------------------------------------------------------------------------
// The statement

/// How the decision keeps the review off the profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum WithholdingKind {
    /// Rejected before publication; the text is kept (a complaint may publish it).
    NotPublished,
    /// Deleted after an evidence request.
    Removed,
}

/// The ground of the decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum StatementGround {
    /// Incompatible with our review rules: the ARM category or verification rule
    /// broken (`arm.insult`, `verification.experience_too_old`, ...).
    Contractual { rule: String },
    /// Illegal content, as marked by the moderator, with the legal provision and
    /// why the content is illegal under it. It breaks `rule` as well.
    Illegal { provision: String, explanation: String, rule: String },
}

/// The moderator marks content illegal: the provision and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct IllegalMarking {
    pub provision: String,
    pub explanation: String,
}

/// One passage of the review text the decision rests on (an ARM hit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FactPassage {
    pub category: ArmCategory,
    pub rule: String,
    /// Characters of the review text, counted from 1, both inclusive.
    pub first_char: u32,
    pub last_char: u32,
    /// UTF-16 span, for highlighting in the UI.
    pub start_utf16: u32,
    pub end_utf16: u32,
    /// The passage itself, or `None` where it would repeat personal data (or is
    /// too long to quote); such a passage is described instead.
    pub quote: Option<String>,
}

/// Facts and circumstances (Art. 17(3)(b)).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StatementFacts {
    pub passages: Vec<FactPassage>,
    /// The moderator's description from the decision's grounds (no personal data).
    pub description: String,
}

/// Where the case came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum StatementSource {
    /// Our own moderation (pre-publication check, ARM, fake signals).
    Voluntary,
    /// The shop flagged the review.
    ShopFlag,
}

/// Redress open to the reviewer (Art. 17(3)(f)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum RedressRoute {
    /// Art. 20: a complaint to us, decided by another moderator.
    InternalComplaint,
    /// Art. 21: a certified out-of-court dispute settlement body.
    OutOfCourtSettlement,
    Courts,
}

/// A statement of reasons addressed to the reviewer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StatementOfReasons {
    pub decision_id: DecisionId,
    pub review_id: ReviewId,
    pub reason: StatementReason,
    pub kind: WithholdingKind,
    pub decided_at: DateTime<Utc>,
    pub ground: StatementGround,
    pub facts: StatementFacts,
    /// An ARM hit (or a computed fake signal) led to the case.
    pub automated_detection: bool,
    /// Always false: a person decides every case.
    pub automated_decision: bool,
    pub source: StatementSource,
    pub redress: Vec<RedressRoute>,
    pub shop_name: String,
    /// The review's own language and posting date (the export's content fields).
    pub review_language: LanguageCode,
    pub review_submitted_on: NaiveDate,
    /// The language the statement is written in (the review's, else English).
    pub language: LanguageCode,
    pub template_version: String,
    /// The moderator's editable note; the rest follows from the decision.
    pub free_text: String,
}

/// Inputs to [`StatementOfReasons::build`].
#[derive(Debug, Clone)]
pub struct StatementInput<'a> {
    pub decision: &'a ReviewDecision,
    pub review: &'a Review,
    pub shop_name: &'a str,
    /// The review's ARM hits (all of them; those for the reason are kept).
    pub hits: &'a [ArmHit],
    /// Set when the moderator marks the content illegal.
    pub illegal: Option<IllegalMarking>,
    /// For a refused-evidence deletion: the reply held no evidence at all.
    pub evidence_missing: bool,
    pub free_text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    #[error("a decision that ends in {0} keeps no review off the profile and owes no statement")]
    NotWithheld(&'static str),
    #[error("the decision is about another review")]
    ReviewMismatch,
    #[error("the note to the reviewer has {got} characters; at most {max} are allowed")]
    FreeTextTooLong { max: usize, got: usize },
    #[error("content marked illegal needs the legal provision")]
    MissingProvision,
    #[error("content marked illegal needs the explanation why it is illegal")]
    MissingExplanation,
    #[error("the legal provision has {got} characters; at most {max} are allowed")]
    ProvisionTooLong { max: usize, got: usize },
    #[error("the explanation has {got} characters; at most {max} are allowed")]
    ExplanationTooLong { max: usize, got: usize },
    #[error("{0:?} cannot be marked illegal: the DSA database has no category for it (see docs/dsa-category-mapping.md)")]
    IllegalNotMappable(StatementReason),
    #[error("\"evidence missing\" only applies when evidence was refused")]
    EvidenceMissingNotApplicable,
    #[error("an ARM hit points outside the review text")]
    HitOutOfRange,
    #[error("the statement was written with templates {expected}, these are {found}")]
    TemplateVersion { expected: String, found: String },
}

fn check_free_text(text: &str) -> Result<(), StatementError> {
    let got = text.chars().count();
    if got > MAX_FREE_TEXT_CHARS {
        return Err(StatementError::FreeTextTooLong { max: MAX_FREE_TEXT_CHARS, got });
    }
    Ok(())
}

impl StatementOfReasons {
    /// Builds the statement for a decision that keeps a review off the profile.
    pub fn build(input: StatementInput<'_>, templates: &StatementTemplates) -> Result<Self, StatementError> {
        let StatementInput { decision, review, shop_name, hits, illegal, evidence_missing, free_text } =
            input;
        if decision.review_id != review.id {
            return Err(StatementError::ReviewMismatch);
        }
        let (reason, kind) = match decision.to {
            ReviewStatus::Rejected { reason } => {
                (StatementReason::from(reason), WithholdingKind::NotPublished)
            }
            ReviewStatus::Deleted { cause: DeletionCause::EvidenceRefused } if evidence_missing => {
                (StatementReason::EvidenceMissing, WithholdingKind::Removed)
            }
            ReviewStatus::Deleted { cause: DeletionCause::EvidenceRefused } => {
                (StatementReason::EvidenceRefused, WithholdingKind::Removed)
            }
            ReviewStatus::Deleted { cause: DeletionCause::DeadlinePassed } => {
                (StatementReason::DeadlinePassed, WithholdingKind::Removed)
            }
            other => return Err(StatementError::NotWithheld(other.state_name())),
        };
        if evidence_missing && reason != StatementReason::EvidenceMissing {
            return Err(StatementError::EvidenceMissingNotApplicable);
        }
        check_free_text(&free_text)?;

        let ground = match illegal {
            None => StatementGround::Contractual { rule: reason.rule() },
            Some(IllegalMarking { provision, explanation }) => {
                let (provision, explanation) = (provision.trim().to_owned(), explanation.trim().to_owned());
                if provision.is_empty() {
                    return Err(StatementError::MissingProvision);
                }
                if explanation.is_empty() {
                    return Err(StatementError::MissingExplanation);
                }
                let got = provision.chars().count();
                if got > MAX_PROVISION_CHARS {
                    return Err(StatementError::ProvisionTooLong { max: MAX_PROVISION_CHARS, got });
                }
                let got = explanation.chars().count();
                if got > MAX_EXPLANATION_CHARS {
                    return Err(StatementError::ExplanationTooLong { max: MAX_EXPLANATION_CHARS, got });
                }
                if !dsa_mapping(reason).illegal_allowed {
                    return Err(StatementError::IllegalNotMappable(reason));
                }
                StatementGround::Illegal { provision, explanation, rule: reason.rule() }
            }
        };

        let passages = match reason.arm_category() {
            Some(category) => passages(&review.text, hits, category)?,
            None => Vec::new(),
        };
        // Fake signals are computed by our systems: automated detection of the
        // cases that end in a verification reason.
        let signals = reason.arm_category().is_none()
            && reason != StatementReason::ExperienceTooOld
            && !review.flags.fake_signals.is_empty();
        let automated_detection = !passages.is_empty() || decision.grounds.automated_detection() || signals;

        Ok(StatementOfReasons {
            decision_id: decision.id,
            review_id: review.id,
            reason,
            kind,
            decided_at: decision.decided_at,
            ground,
            facts: StatementFacts { passages, description: decision.grounds.facts.trim().to_owned() },
            automated_detection,
            automated_decision: false,
            source: if review.flags.shop_flag.is_some() {
                StatementSource::ShopFlag
            } else {
                StatementSource::Voluntary
            },
            redress: vec![
                RedressRoute::InternalComplaint,
                RedressRoute::OutOfCourtSettlement,
                RedressRoute::Courts,
            ],
            shop_name: shop_name.to_owned(),
            review_language: review.language,
            review_submitted_on: review.submitted_at.date_naive(),
            language: templates.language_for(review.language),
            template_version: templates.version().to_owned(),
            free_text,
        })
    }

    /// Replaces the moderator's note; the structured part stays as built.
    pub fn set_free_text(&mut self, text: String) -> Result<(), StatementError> {
        check_free_text(&text)?;
        self.free_text = text;
        Ok(())
    }

    /// The statement as plain text in its language.
    pub fn render(&self, templates: &StatementTemplates) -> Result<String, StatementError> {
        if templates.version() != self.template_version {
            return Err(StatementError::TemplateVersion {
                expected: self.template_version.clone(),
                found: templates.version().to_owned(),
            });
        }
        let lang = self.language.as_str();
        let decided_on = self.decided_at.date_naive().format("%Y-%m-%d").to_string();
        let decision = self.reason_text(templates, lang, &decided_on);
        let term = templates.text(&format!("reasons.{}.term", self.reason.code()), lang);
        let ground = match &self.ground {
            StatementGround::Contractual { .. } => {
                fill(templates.text("ground.contractual", lang), &[("term", term)])
            }
            StatementGround::Illegal { provision, .. } => {
                fill(templates.text("ground.illegal", lang), &[("provision", provision), ("term", term)])
            }
        };
        let facts = self.facts_text(templates, lang, true);
        let automation = templates.text(
            if self.automated_detection { "automation.detected" } else { "automation.not_detected" },
            lang,
        );
        let note = match self.free_text.trim() {
            "" => String::new(),
            text => fill(templates.text("note", lang), &[("text", text)]),
        };
        Ok(fill(
            templates.text("frame", lang),
            &[
                ("decided_on", &decided_on),
                ("shop_name", &self.shop_name),
                ("decision", &decision),
                ("ground", &ground),
                ("facts", &facts),
                ("automation", automation),
                ("note", &note),
                ("redress", templates.text("redress", lang)),
            ],
        ))
    }

    fn reason_text(&self, templates: &StatementTemplates, lang: &str, decided_on: &str) -> String {
        fill(
            templates.text(&format!("reasons.{}.text", self.reason.code()), lang),
            &[("shop_name", &self.shop_name), ("decided_on", decided_on)],
        )
    }

    /// The facts in `lang`; `quotes: false` describes every passage (the export
    /// must carry no personal data, and a quote might).
    fn facts_text(&self, templates: &StatementTemplates, lang: &str, quotes: bool) -> String {
        let mut parts = Vec::new();
        if !self.facts.passages.is_empty() {
            let list: Vec<String> = self
                .facts
                .passages
                .iter()
                .map(|p| {
                    let what = templates.text(&format!("categories.{}", p.category.code()), lang);
                    let (from, to) = (p.first_char.to_string(), p.last_char.to_string());
                    match p.quote.as_deref().filter(|_| quotes) {
                        Some(q) => fill(
                            templates.text("passage.quoted", lang),
                            &[("from", &from), ("to", &to), ("what", what), ("quote", q)],
                        ),
                        None => fill(
                            templates.text("passage.described", lang),
                            &[("from", &from), ("to", &to), ("what", what)],
                        ),
                    }
                })
                .collect();
            parts.push(fill(templates.text("passage.intro", lang), &[("passages", &list.join("; "))]));
        }
        if !self.facts.description.is_empty() {
            parts.push(self.facts.description.clone());
        }
        if parts.is_empty() {
            parts.push(templates.text("facts_none", lang).to_owned());
        }
        parts.join(" ")
    }
}

/// The passages of `text` hit by `category`, quoted only where no personal-data
/// hit overlaps them.
fn passages(text: &str, hits: &[ArmHit], category: ArmCategory) -> Result<Vec<FactPassage>, StatementError> {
    let span = |h: &ArmHit| -> Result<(usize, usize), StatementError> {
        let (s, e) = (h.start as usize, h.end as usize);
        if s > e || text.get(s..e).is_none() {
            return Err(StatementError::HitOutOfRange);
        }
        Ok((s, e))
    };
    let personal: Vec<(usize, usize)> =
        hits.iter().filter(|h| is_personal(h.category)).map(span).collect::<Result<_, _>>()?;
    let mut out: Vec<FactPassage> = Vec::new();
    for h in hits.iter().filter(|h| h.category == category) {
        let (s, e) = span(h)?;
        let passage = &text[s..e];
        let overlaps_personal = personal.iter().any(|&(ps, pe)| ps < e && s < pe);
        let quote = (!is_personal(category)
            && !overlaps_personal
            && !passage.trim().is_empty()
            && passage.chars().count() <= MAX_QUOTE_CHARS)
            .then(|| passage.to_owned());
        let first = text[..s].chars().count() + 1;
        let last = (first - 1 + passage.chars().count()).max(first);
        let p = FactPassage {
            category,
            rule: h.rule.clone(),
            first_char: u32::try_from(first).unwrap_or(u32::MAX),
            last_char: u32::try_from(last).unwrap_or(u32::MAX),
            start_utf16: h.start_utf16,
            end_utf16: h.end_utf16,
            quote,
        };
        // One passage once, however many rules matched it.
        if !out.iter().any(|o| o.first_char == p.first_char && o.last_char == p.last_char) {
            out.push(p);
        }
    }
    out.sort_by_key(|p| p.first_char);
    Ok(out)
}

// ---------------------------------------------------------------------------
// DSA Transparency Database export (statement submission API v2)

/// `category` of the database (API v2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DsaCategory {
    #[serde(rename = "STATEMENT_CATEGORY_ANIMAL_WELFARE")]
    AnimalWelfare,
    #[serde(rename = "STATEMENT_CATEGORY_CONSUMER_INFORMATION")]
    ConsumerInformation,
    #[serde(rename = "STATEMENT_CATEGORY_CYBER_VIOLENCE")]
    CyberViolence,
    #[serde(rename = "STATEMENT_CATEGORY_CYBER_VIOLENCE_AGAINST_WOMEN")]
    CyberViolenceAgainstWomen,
    #[serde(rename = "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS")]
    DataProtectionAndPrivacyViolations,
    #[serde(rename = "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH")]
    IllegalOrHarmfulSpeech,
    #[serde(rename = "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS")]
    IntellectualPropertyInfringements,
    #[serde(rename = "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS")]
    NegativeEffectsOnCivicDiscourseOrElections,
    #[serde(rename = "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE")]
    NotSpecifiedNotice,
    #[serde(rename = "STATEMENT_CATEGORY_OTHER_VIOLATION_TC")]
    OtherViolationTc,
    #[serde(rename = "STATEMENT_CATEGORY_PROTECTION_OF_MINORS")]
    ProtectionOfMinors,
    #[serde(rename = "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY")]
    RiskForPublicSecurity,
    #[serde(rename = "STATEMENT_CATEGORY_SCAMS_AND_FRAUD")]
    ScamsAndFraud,
    #[serde(rename = "STATEMENT_CATEGORY_SELF_HARM")]
    SelfHarm,
    #[serde(rename = "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS")]
    UnsafeAndProhibitedProducts,
    #[serde(rename = "STATEMENT_CATEGORY_VIOLENCE")]
    Violence,
}

/// `category_specification` keywords we use (the schema lists all of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DsaKeyword {
    #[serde(rename = "KEYWORD_INAUTHENTIC_USER_REVIEWS")]
    InauthenticUserReviews,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DsaDecisionVisibility {
    #[serde(rename = "DECISION_VISIBILITY_CONTENT_REMOVED")]
    ContentRemoved,
    #[serde(rename = "DECISION_VISIBILITY_CONTENT_DISABLED")]
    ContentDisabled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DsaDecisionGround {
    #[serde(rename = "DECISION_GROUND_ILLEGAL_CONTENT")]
    IllegalContent,
    #[serde(rename = "DECISION_GROUND_INCOMPATIBLE_CONTENT")]
    IncompatibleContent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DsaContentType {
    #[serde(rename = "CONTENT_TYPE_TEXT")]
    Text,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DsaSourceType {
    #[serde(rename = "SOURCE_VOLUNTARY")]
    Voluntary,
    #[serde(rename = "SOURCE_TYPE_OTHER_NOTIFICATION")]
    OtherNotification,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DsaAutomatedDecision {
    #[serde(rename = "AUTOMATED_DECISION_NOT_AUTOMATED")]
    NotAutomated,
}

/// The database's "Yes"/"No".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum YesNo {
    Yes,
    No,
}

impl From<bool> for YesNo {
    fn from(b: bool) -> Self {
        if b {
            YesNo::Yes
        } else {
            YesNo::No
        }
    }
}

/// How one of our reasons maps onto the database's taxonomy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DsaMapping {
    pub category: DsaCategory,
    pub keyword: Option<DsaKeyword>,
    /// False where the fit is a judgement call (docs/dsa-category-mapping.md).
    pub clean: bool,
    /// Whether the category can carry an illegal-content ground; "other violation
    /// of terms and conditions" cannot.
    pub illegal_allowed: bool,
}

/// Whether a rejection for `reason` may be marked illegal content (the DSA
/// database has an illegal-content category for it).
pub fn may_be_illegal(reason: RejectionReason) -> bool {
    dsa_mapping(StatementReason::from(reason)).illegal_allowed
}

/// Each reason's DSA category. Kept in step with docs/dsa-category-mapping.md.
pub fn dsa_mapping(reason: StatementReason) -> DsaMapping {
    use DsaCategory as C;
    use StatementReason as R;
    let m = |category, keyword, clean| DsaMapping {
        category,
        keyword,
        clean,
        illegal_allowed: category != C::OtherViolationTc,
    };
    match reason {
        // "Insulting or racist" spans two keywords (defamation/harassment vs hate
        // speech); the category fits, the keyword would be a guess.
        R::Insult => m(C::IllegalOrHarmfulSpeech, None, true),
        R::PersonalData | R::BankDetails | R::InsuranceNumber => {
            m(C::DataProtectionAndPrivacyViolations, None, true)
        }
        // Sector advertising limits: no category for "a review that reads as
        // advertising for a regulated product"; it is our terms.
        R::ProductReference
        | R::TobaccoUse
        | R::DrugEffect
        | R::BeforeAfter
        | R::ModeOfAction
        | R::AlcoholAdvertising => m(C::OtherViolationTc, None, false),
        R::ExperienceTooOld => m(C::OtherViolationTc, None, true),
        R::NotRealExperience | R::EvidenceRefused => {
            m(C::ScamsAndFraud, Some(DsaKeyword::InauthenticUserReviews), true)
        }
        // No proof is not proof of a fake: reported as our verification rule.
        R::EvidenceMissing | R::DeadlinePassed => m(C::OtherViolationTc, None, false),
        // Spam and duplicates share one reason; a duplicate may be inauthentic.
        R::SpamDuplicate => m(C::OtherViolationTc, None, false),
    }
}

/// EU and EEA countries accepted in `territorial_scope`.
pub const EEA_COUNTRIES: [&str; 30] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IS", "IT",
    "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// ISO 639-1 codes the database accepts as `content_language`.
const ISO_639_1: &str = "AB AA AF AK SQ AM AR AN HY AS AV AE AY AZ BM BA EU BE BN BH BI BS BR BG MY CA KM CH CE NY \
ZH CU CV KW CO CR HR CS DA DV NL DZ EN EO ET EE FO FJ FI FR FF GD GL LG KA DE KI EL KL GN GU HT HA HE HZ HI HO HU \
IS IO IG ID IA IE IU IK GA IT JA JV KN KR KS KK RW KV KG KO KJ KU KY LO LA LV LB LI LN LT LU MK MG MS ML MT GV MI \
MR MH RO MN NA NV ND NG NE SE NO NB NN II OC OJ OR OM OS PI PA PS FA PL PT QU RM RN RU SM SG SA SC SR SN SD SI SK \
SL SO ST NR ES SU SW SS SV TL TY TG TA TT TE TH BO TI TO TS TN TR TK TW UG UK UR UZ VE VI VO WA CY FY WO XH YI YO \
ZA ZU";

/// The whole EU/EEA: a review on a public profile is visible everywhere.
pub fn eea_scope() -> Vec<CountryCode> {
    EEA_COUNTRIES.iter().filter_map(|c| c.parse().ok()).collect()
}

/// One line of `export-sor`: field names exactly those of the submission API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DsaSorRecord {
    pub decision_visibility: Vec<DsaDecisionVisibility>,
    pub decision_ground: DsaDecisionGround,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub illegal_content_legal_ground: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub illegal_content_explanation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incompatible_content_ground: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incompatible_content_explanation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incompatible_content_illegal: Option<YesNo>,
    pub category: DsaCategory,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_specification: Option<Vec<DsaKeyword>>,
    pub content_type: Vec<DsaContentType>,
    pub content_language: String,
    pub content_date: String,
    pub application_date: String,
    pub decision_facts: String,
    pub source_type: DsaSourceType,
    pub automated_detection: YesNo,
    pub automated_decision: DsaAutomatedDecision,
    pub territorial_scope: Vec<String>,
    pub puid: String,
}

/// A statement that cannot be exported within the database's schema. Never
/// truncated or coerced: the line is not written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    #[error("territorial scope {0} is not an EU/EEA country")]
    TerritoryOutsideEea(String),
    #[error("the territorial scope is empty")]
    EmptyTerritorialScope,
    #[error("content language {0} is not an ISO 639-1 code")]
    UnknownLanguage(String),
    #[error("{field} is empty")]
    EmptyText { field: &'static str },
    #[error("{field} has {got} characters; the database takes at most {max}")]
    TextTooLong { field: &'static str, max: usize, got: usize },
    #[error("{field} {date} is outside the database's range")]
    DateOutOfRange { field: &'static str, date: NaiveDate },
    #[error("the statement claims an automated decision; every decision here is a person's")]
    AutomatedDecision,
    #[error("{0:?} has no DSA category for illegal content")]
    IllegalNotMappable(StatementReason),
    #[error(transparent)]
    Statement(#[from] StatementError),
}

fn bounded(field: &'static str, text: String, max: usize) -> Result<String, ExportError> {
    if text.trim().is_empty() {
        return Err(ExportError::EmptyText { field });
    }
    let got = text.chars().count();
    if got > max {
        return Err(ExportError::TextTooLong { field, max, got });
    }
    Ok(text)
}

fn date_in(field: &'static str, date: NaiveDate, from: (i32, u32, u32)) -> Result<String, ExportError> {
    let lo = NaiveDate::from_ymd_opt(from.0, from.1, from.2);
    let hi = NaiveDate::from_ymd_opt(2038, 1, 1);
    if lo.is_some_and(|lo| date < lo) || hi.is_some_and(|hi| date > hi) {
        return Err(ExportError::DateOutOfRange { field, date });
    }
    Ok(date.format("%Y-%m-%d").to_string())
}

impl StatementOfReasons {
    /// The export line for this statement. Texts go out in English from
    /// `templates` (the version the statement was built with); the moderator's
    /// note is addressed to the reviewer and stays out.
    pub fn dsa_record(
        &self,
        templates: &StatementTemplates,
        territorial_scope: &[CountryCode],
    ) -> Result<DsaSorRecord, ExportError> {
        if templates.version() != self.template_version {
            return Err(StatementError::TemplateVersion {
                expected: self.template_version.clone(),
                found: templates.version().to_owned(),
            }
            .into());
        }
        if self.automated_decision {
            return Err(ExportError::AutomatedDecision);
        }
        let mapping = dsa_mapping(self.reason);
        if territorial_scope.is_empty() {
            return Err(ExportError::EmptyTerritorialScope);
        }
        let mut scope = Vec::with_capacity(territorial_scope.len());
        for c in territorial_scope {
            if !EEA_COUNTRIES.contains(&c.as_str()) {
                return Err(ExportError::TerritoryOutsideEea(c.to_string()));
            }
            if !scope.iter().any(|s: &String| s == c.as_str()) {
                scope.push(c.as_str().to_owned());
            }
        }
        let language = self.review_language.as_str().to_ascii_uppercase();
        if !ISO_639_1.split_ascii_whitespace().any(|l| l == language) {
            return Err(ExportError::UnknownLanguage(language));
        }

        let en = FALLBACK;
        let decided_on = self.decided_at.date_naive().format("%Y-%m-%d").to_string();
        let term = templates.text(&format!("reasons.{}.term", self.reason.code()), en);
        let mut record = DsaSorRecord {
            decision_visibility: vec![match self.kind {
                WithholdingKind::NotPublished => DsaDecisionVisibility::ContentDisabled,
                WithholdingKind::Removed => DsaDecisionVisibility::ContentRemoved,
            }],
            decision_ground: DsaDecisionGround::IncompatibleContent,
            illegal_content_legal_ground: None,
            illegal_content_explanation: None,
            incompatible_content_ground: None,
            incompatible_content_explanation: None,
            incompatible_content_illegal: None,
            category: mapping.category,
            category_specification: mapping.keyword.map(|k| vec![k]),
            content_type: vec![DsaContentType::Text],
            content_language: language,
            content_date: date_in("content_date", self.review_submitted_on, (2000, 1, 1))?,
            application_date: date_in("application_date", self.decided_at.date_naive(), (2020, 1, 1))?,
            decision_facts: bounded(
                "decision_facts",
                self.facts_text(templates, en, false),
                MAX_DECISION_FACTS_CHARS,
            )?,
            source_type: match self.source {
                StatementSource::Voluntary => DsaSourceType::Voluntary,
                StatementSource::ShopFlag => DsaSourceType::OtherNotification,
            },
            automated_detection: self.automated_detection.into(),
            automated_decision: DsaAutomatedDecision::NotAutomated,
            territorial_scope: scope,
            // A decision id is a UUID: letters, digits and hyphens, never reused.
            puid: self.decision_id.to_string(),
        };
        match &self.ground {
            StatementGround::Contractual { .. } => {
                record.incompatible_content_ground = Some(bounded(
                    "incompatible_content_ground",
                    format!("Review rules: {term}"),
                    MAX_PROVISION_CHARS,
                )?);
                // The reason text is addressed to the reviewer; say so.
                let text = self.reason_text(templates, en, &decided_on);
                let mut chars = text.chars();
                let text: String =
                    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default();
                record.incompatible_content_explanation = Some(bounded(
                    "incompatible_content_explanation",
                    format!("Statement sent to the reviewer: {text}"),
                    MAX_EXPLANATION_CHARS,
                )?);
                record.incompatible_content_illegal = Some(YesNo::No);
            }
            StatementGround::Illegal { provision, explanation, .. } => {
                if !mapping.illegal_allowed {
                    return Err(ExportError::IllegalNotMappable(self.reason));
                }
                record.decision_ground = DsaDecisionGround::IllegalContent;
                record.illegal_content_legal_ground =
                    Some(bounded("illegal_content_legal_ground", provision.clone(), MAX_PROVISION_CHARS)?);
                record.illegal_content_explanation =
                    Some(bounded("illegal_content_explanation", explanation.clone(), MAX_EXPLANATION_CHARS)?);
            }
        }
        Ok(record)
    }
}

/// Which decisions owe a statement: those whose result keeps the review off the
/// profile. Publishing and the evidence steps in between owe none.
pub fn owes_statement(action: ReviewAction) -> bool {
    matches!(
        action,
        ReviewAction::Reject { .. } | ReviewAction::RefuseEvidence | ReviewAction::ExpireDeadline
    )
}

#[cfg(test)]
mod tests;

//! Texts for dispute mediation: messages to the parties and standard reasoning
//! paragraphs for decisions, in English, German and Dutch (others fall back to
//! English). Versioned data in `data/disputes/messages.toml`, checked when
//! parsed: every text in every language, only known placeholders, and the same
//! placeholders in every translation as in English.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};

use crate::dispute::{DisputeCase, DisputeOutcome, Money, Recipient};
use crate::shop::LanguageCode;

const SHIPPED: &str = include_str!("../data/disputes/messages.toml");
const FALLBACK: &str = "en";

/// Every placeholder a text may use.
pub const PLACEHOLDERS: [&str; 11] = [
    "consumer_name",
    "shop_name",
    "order_reference",
    "case_reference",
    "claim_amount",
    "deadline",
    "proposal_text",
    "proposal_amount",
    "refund_amount",
    "mediator_name",
    "decision_date",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum MessageTemplateId {
    Acknowledgement,
    ShopStatementRequest,
    DeadlineReminder,
    SettlementProposal,
    ArbitrationReferral,
    DecisionNotice,
}

impl MessageTemplateId {
    pub const ALL: [MessageTemplateId; 6] = [
        MessageTemplateId::Acknowledgement,
        MessageTemplateId::ShopStatementRequest,
        MessageTemplateId::DeadlineReminder,
        MessageTemplateId::SettlementProposal,
        MessageTemplateId::ArbitrationReferral,
        MessageTemplateId::DecisionNotice,
    ];

    pub fn code(self) -> &'static str {
        match self {
            MessageTemplateId::Acknowledgement => "acknowledgement",
            MessageTemplateId::ShopStatementRequest => "shop_statement_request",
            MessageTemplateId::DeadlineReminder => "deadline_reminder",
            MessageTemplateId::SettlementProposal => "settlement_proposal",
            MessageTemplateId::ArbitrationReferral => "arbitration_referral",
            MessageTemplateId::DecisionNotice => "decision_notice",
        }
    }

    pub fn from_code(code: &str) -> Option<MessageTemplateId> {
        Self::ALL.into_iter().find(|t| t.code() == code)
    }
}

/// The values a text is filled with; `None` where the case has none yet. Money
/// and dates are formatted for the text's language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MessageVars {
    pub consumer_name: Option<String>,
    pub shop_name: Option<String>,
    pub order_reference: Option<String>,
    pub case_reference: Option<String>,
    pub claim_amount: Option<Money>,
    pub deadline: Option<DateTime<Utc>>,
    pub proposal_text: Option<String>,
    pub proposal_amount: Option<Money>,
    pub refund_amount: Option<Money>,
    pub mediator_name: Option<String>,
    pub decision_date: Option<DateTime<Utc>>,
}

impl MessageVars {
    /// What the case itself says: names, order, claim, next deadline, the
    /// latest proposal and the decision.
    pub fn from_case(case: &DisputeCase, mediator_name: &str) -> MessageVars {
        let text = |s: &str| (!s.trim().is_empty()).then(|| s.to_owned());
        let proposal = case.current_proposal();
        let decision = case.decision.as_ref();
        MessageVars {
            consumer_name: text(&case.consumer_name),
            shop_name: text(&case.shop_name),
            order_reference: text(&case.order_reference),
            case_reference: Some(case.id.to_string()),
            claim_amount: Some(case.claim),
            deadline: case.next_deadline(),
            proposal_text: proposal.map(|p| p.text.clone()),
            proposal_amount: proposal.and_then(|p| p.amount),
            refund_amount: decision.and_then(|d| d.remedy_amount),
            mediator_name: text(mediator_name),
            decision_date: decision.map(|d| d.decided_at),
        }
    }

    fn value(&self, name: &str, lang: &str) -> Option<String> {
        let money = |m: &Option<Money>| m.map(|m| format_money(m, lang));
        let date = |d: &Option<DateTime<Utc>>| d.map(|d| format_date(d, lang));
        match name {
            "consumer_name" => self.consumer_name.clone(),
            "shop_name" => self.shop_name.clone(),
            "order_reference" => self.order_reference.clone(),
            "case_reference" => self.case_reference.clone(),
            "claim_amount" => money(&self.claim_amount),
            "deadline" => date(&self.deadline),
            "proposal_text" => self.proposal_text.clone(),
            "proposal_amount" => money(&self.proposal_amount),
            "refund_amount" => money(&self.refund_amount),
            "mediator_name" => self.mediator_name.clone(),
            "decision_date" => date(&self.decision_date),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DisputeTemplateError {
    #[error("the dispute texts do not parse: {0}")]
    Parse(String),
    #[error("{0:?} is not a language code")]
    BadLanguage(String),
    #[error("the dispute texts lack English, the fallback")]
    NoFallback,
    #[error("unknown entry {0}")]
    UnknownKey(String),
    #[error("message template {0} is missing")]
    MissingTemplate(&'static str),
    #[error("outcome {0} has no reasoning paragraph")]
    NoReasoning(&'static str),
    #[error("{key} lacks language {language}")]
    MissingLanguage { key: String, language: String },
    #[error("{key} ({language}) uses the unknown placeholder {{{name}}}")]
    UnknownPlaceholder { key: String, language: String, name: String },
    #[error("{key} ({language}) has a stray brace")]
    StrayBrace { key: String, language: String },
    #[error("{key} ({language}) does not use the same placeholders as English")]
    PlaceholderMismatch { key: String, language: String },
    #[error("no reasoning paragraph {0}")]
    UnknownParagraph(String),
    #[error("the text needs a value for {{{0}}}")]
    MissingValue(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPack {
    version: String,
    languages: Vec<String>,
    messages: BTreeMap<String, RawMessage>,
    reasoning: BTreeMap<String, BTreeMap<String, BTreeMap<String, String>>>,
}

#[derive(Deserialize)]
struct RawMessage {
    to: Recipient,
    #[serde(flatten)]
    texts: BTreeMap<String, String>,
}

/// language -> text
type Texts = BTreeMap<String, String>;

/// A checked pack of dispute texts of one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisputeTemplates {
    version: String,
    languages: Vec<LanguageCode>,
    messages: BTreeMap<MessageTemplateId, (Recipient, Texts)>,
    /// outcome -> paragraphs in file order (id, texts)
    reasoning: BTreeMap<&'static str, Vec<(String, Texts)>>,
}

impl DisputeTemplates {
    /// The texts compiled into this build; their check runs in the tests.
    pub fn shipped() -> &'static DisputeTemplates {
        static PACK: OnceLock<DisputeTemplates> = OnceLock::new();
        PACK.get_or_init(|| {
            DisputeTemplates::parse(SHIPPED).expect("the shipped dispute texts pass their check")
        })
    }

    pub fn parse(src: &str) -> Result<DisputeTemplates, DisputeTemplateError> {
        let raw: RawPack = toml::from_str(src).map_err(|e| DisputeTemplateError::Parse(e.to_string()))?;
        let languages = raw
            .languages
            .iter()
            .map(|l| l.parse::<LanguageCode>().map_err(|_| DisputeTemplateError::BadLanguage(l.clone())))
            .collect::<Result<Vec<_>, _>>()?;
        if !languages.iter().any(|l| l.as_str() == FALLBACK) {
            return Err(DisputeTemplateError::NoFallback);
        }
        let mut messages = BTreeMap::new();
        for (code, m) in raw.messages {
            let id = MessageTemplateId::from_code(&code)
                .ok_or_else(|| DisputeTemplateError::UnknownKey(format!("messages.{code}")))?;
            check_texts(&format!("messages.{code}"), &m.texts, &languages)?;
            messages.insert(id, (m.to, m.texts));
        }
        if let Some(id) = MessageTemplateId::ALL.into_iter().find(|id| !messages.contains_key(id)) {
            return Err(DisputeTemplateError::MissingTemplate(id.code()));
        }
        let mut reasoning: BTreeMap<&'static str, Vec<(String, Texts)>> = BTreeMap::new();
        for (outcome, paragraphs) in raw.reasoning {
            let o = DisputeOutcome::ALL
                .into_iter()
                .find(|o| o.code() == outcome)
                .ok_or_else(|| DisputeTemplateError::UnknownKey(format!("reasoning.{outcome}")))?;
            for (id, texts) in paragraphs {
                check_texts(&format!("reasoning.{outcome}.{id}"), &texts, &languages)?;
                reasoning.entry(o.code()).or_default().push((id, texts));
            }
        }
        if let Some(o) = DisputeOutcome::ALL.into_iter().find(|o| !reasoning.contains_key(o.code())) {
            return Err(DisputeTemplateError::NoReasoning(o.code()));
        }
        Ok(DisputeTemplates { version: raw.version, languages, messages, reasoning })
    }

    /// Recorded with every message sent from these texts.
    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn languages(&self) -> &[LanguageCode] {
        &self.languages
    }

    /// Who the message usually goes to.
    pub fn default_recipient(&self, id: MessageTemplateId) -> Recipient {
        self.messages.get(&id).map_or(Recipient::Both, |(to, _)| *to)
    }

    /// The message in `language` (English if not shipped), filled in.
    pub fn render_message(
        &self,
        id: MessageTemplateId,
        language: LanguageCode,
        vars: &MessageVars,
    ) -> Result<String, DisputeTemplateError> {
        let (_, texts) = self.messages.get(&id).ok_or(DisputeTemplateError::MissingTemplate(id.code()))?;
        fill(self.pick(texts, language), self.lang(language), vars)
    }

    /// The ids of the standard paragraphs for `outcome`, in file order.
    pub fn reasoning_ids(&self, outcome: DisputeOutcome) -> Vec<&str> {
        self.reasoning
            .get(outcome.code())
            .map_or_else(Vec::new, |v| v.iter().map(|(id, _)| id.as_str()).collect())
    }

    pub fn render_reasoning(
        &self,
        outcome: DisputeOutcome,
        paragraph: &str,
        language: LanguageCode,
        vars: &MessageVars,
    ) -> Result<String, DisputeTemplateError> {
        let texts = self
            .reasoning
            .get(outcome.code())
            .and_then(|v| v.iter().find(|(id, _)| id == paragraph))
            .map(|(_, t)| t)
            .ok_or_else(|| {
                DisputeTemplateError::UnknownParagraph(format!("{}.{paragraph}", outcome.code()))
            })?;
        fill(self.pick(texts, language), self.lang(language), vars)
    }

    fn lang(&self, language: LanguageCode) -> &'static str {
        match language.as_str() {
            "de" if self.languages.contains(&language) => "de",
            "nl" if self.languages.contains(&language) => "nl",
            _ => FALLBACK,
        }
    }

    fn pick<'a>(&self, texts: &'a Texts, language: LanguageCode) -> &'a str {
        texts.get(language.as_str()).or_else(|| texts.get(FALLBACK)).map_or("", String::as_str)
    }
}

/// A shipped message in `language`, filled in (see [`DisputeTemplates::render_message`]).
pub fn render_message(
    id: MessageTemplateId,
    language: LanguageCode,
    vars: &MessageVars,
) -> Result<String, DisputeTemplateError> {
    DisputeTemplates::shipped().render_message(id, language, vars)
}

/// A shipped reasoning paragraph in `language`, filled in.
pub fn render_reasoning(
    outcome: DisputeOutcome,
    paragraph: &str,
    language: LanguageCode,
    vars: &MessageVars,
) -> Result<String, DisputeTemplateError> {
    DisputeTemplates::shipped().render_reasoning(outcome, paragraph, language, vars)
}

/// `EUR 1,234.50` in English, `EUR 1.234,50` in German and Dutch (as in the
/// PDF documents).
pub fn format_money(m: Money, language: &str) -> String {
    let (dec, group) = if matches!(language, "de" | "nl") { (',', '.') } else { ('.', ',') };
    let sign = if m.minor_units < 0 { "-" } else { "" };
    let abs = m.minor_units.unsigned_abs();
    let units = (abs / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in units.chars().enumerate() {
        if i > 0 && (units.len() - i).is_multiple_of(3) {
            grouped.push(group);
        }
        grouped.push(ch);
    }
    format!("{} {sign}{grouped}{dec}{:02}", m.currency.as_str(), abs % 100)
}

/// `5 March 2026`, `5. März 2026`, `5 maart 2026` (the UTC date).
pub fn format_date(t: DateTime<Utc>, language: &str) -> String {
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    const DE: [&str; 12] = [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ];
    const NL: [&str; 12] = [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ];
    let d = t.date_naive();
    let m = d.month0() as usize;
    match language {
        "de" => format!("{}. {} {}", d.day(), DE[m], d.year()),
        "nl" => format!("{} {} {}", d.day(), NL[m], d.year()),
        _ => format!("{} {} {}", d.day(), EN[m], d.year()),
    }
}

/// The placeholder names of `text`, refusing unknown names and stray braces.
fn placeholders(text: &str) -> Result<BTreeSet<&str>, Result<String, ()>> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find(['{', '}']) {
        let tail = &rest[i..];
        let end = tail.find('}').filter(|_| tail.starts_with('{')).ok_or(Err(()))?;
        let name = &tail[1..end];
        if !PLACEHOLDERS.contains(&name) {
            return Err(if name.chars().all(|c| c.is_ascii_lowercase() || c == '_') && !name.is_empty() {
                Ok(name.to_owned())
            } else {
                Err(())
            });
        }
        names.insert(name);
        rest = &tail[end + 1..];
    }
    Ok(names)
}

fn check_texts(key: &str, texts: &Texts, languages: &[LanguageCode]) -> Result<(), DisputeTemplateError> {
    for l in texts.keys() {
        if !languages.iter().any(|x| x.as_str() == l) {
            return Err(DisputeTemplateError::UnknownKey(format!("{key}.{l}")));
        }
    }
    let mut english = None;
    for l in std::iter::once(FALLBACK).chain(languages.iter().map(|l| l.as_str()).filter(|l| *l != FALLBACK))
    {
        let text = texts.get(l).ok_or_else(|| DisputeTemplateError::MissingLanguage {
            key: key.to_owned(),
            language: l.to_owned(),
        })?;
        let names = placeholders(text).map_err(|e| match e {
            Ok(name) => {
                DisputeTemplateError::UnknownPlaceholder { key: key.to_owned(), language: l.to_owned(), name }
            }
            Err(()) => DisputeTemplateError::StrayBrace { key: key.to_owned(), language: l.to_owned() },
        })?;
        match &english {
            None => english = Some(names),
            Some(en) if *en != names => {
                return Err(DisputeTemplateError::PlaceholderMismatch {
                    key: key.to_owned(),
                    language: l.to_owned(),
                })
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Fills placeholders in one pass, so a value containing `{deadline}` stays
/// literal. Texts passed their check, so every `{...}` is a known name.
fn fill(template: &str, lang: &str, vars: &MessageVars) -> Result<String, DisputeTemplateError> {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let end = tail.find('}').unwrap_or(tail.len() - 1);
        let name = &tail[1..end];
        let value =
            vars.value(name, lang).ok_or_else(|| DisputeTemplateError::MissingValue(name.to_owned()))?;
        out.push_str(&value);
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ShopId;

    fn lang(s: &str) -> LanguageCode {
        s.parse().unwrap()
    }

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(23, 59, 0).unwrap().and_utc()
    }

    fn full() -> MessageVars {
        MessageVars {
            consumer_name: Some("Sanne de Vries".into()),
            shop_name: Some("Nordlicht Versand".into()),
            order_reference: Some("ORD-0012345".into()),
            case_reference: Some("D-2026-0042".into()),
            claim_amount: Some(Money::eur(123_456)),
            deadline: Some(at(2026, 3, 5)),
            proposal_text: Some("Refund of half the price".into()),
            proposal_amount: Some(Money::eur(61_728)),
            refund_amount: Some(Money::eur(4_999)),
            mediator_name: Some("Mia Berger".into()),
            decision_date: Some(at(2026, 12, 1)),
        }
    }

    #[test]
    fn every_text_in_every_language_fills_completely() {
        let pack = DisputeTemplates::shipped();
        assert_eq!(pack.languages().iter().map(|l| l.as_str()).collect::<Vec<_>>(), ["en", "de", "nl"]);
        assert!(!pack.version().is_empty());
        for l in ["en", "de", "nl"] {
            let mut seen = 0;
            for id in MessageTemplateId::ALL {
                let t = render_message(id, lang(l), &full()).unwrap();
                assert!(!t.contains('{') && !t.contains('}'), "{id:?} {l}: {t}");
                assert!(t.contains("Mia Berger") || !t.is_empty());
                seen += 1;
            }
            assert_eq!(seen, 6);
            for o in DisputeOutcome::ALL {
                let ids = pack.reasoning_ids(o);
                assert!(!ids.is_empty(), "{o:?}");
                for p in ids {
                    let t = render_reasoning(o, p, lang(l), &full()).unwrap();
                    assert!(!t.contains('{') && !t.contains('}'), "{o:?}.{p} {l}: {t}");
                }
            }
        }
    }

    #[test]
    fn languages_and_formats() {
        let v = full();
        let id = MessageTemplateId::ShopStatementRequest;
        let de = render_message(id, lang("de"), &v).unwrap();
        assert!(de.contains("EUR 1.234,56") && de.contains("5. März 2026"), "{de}");
        let nl = render_message(id, lang("nl"), &v).unwrap();
        assert!(nl.contains("EUR 1.234,56") && nl.contains("5 maart 2026"), "{nl}");
        let en = render_message(id, lang("en"), &v).unwrap();
        assert!(en.contains("EUR 1,234.56") && en.contains("5 March 2026"), "{en}");
        // Unshipped languages get English.
        assert_eq!(render_message(id, lang("pl"), &v).unwrap(), en);
        assert_eq!(format_money(Money::eur(-5), "nl"), "EUR -0,05");
        assert_eq!(format_money(Money::eur(100_000_000), "en"), "EUR 1,000,000.00");
        let pack = DisputeTemplates::shipped();
        assert_eq!(pack.default_recipient(MessageTemplateId::Acknowledgement), Recipient::Consumer);
        assert_eq!(pack.default_recipient(id), Recipient::Shop);
        assert_eq!(pack.default_recipient(MessageTemplateId::SettlementProposal), Recipient::Both);
    }

    #[test]
    fn missing_values_are_named_and_hostile_values_stay_literal() {
        let mut v = full();
        v.deadline = None;
        assert_eq!(
            render_message(MessageTemplateId::DeadlineReminder, lang("en"), &v),
            Err(DisputeTemplateError::MissingValue("deadline".into()))
        );
        let mut v = full();
        v.shop_name = Some("{deadline}".into());
        let t = render_message(MessageTemplateId::ShopStatementRequest, lang("en"), &v).unwrap();
        assert!(t.starts_with("Dear {deadline} team"));
        assert!(matches!(
            render_reasoning(DisputeOutcome::Settled, "nope", lang("en"), &v),
            Err(DisputeTemplateError::UnknownParagraph(_))
        ));
    }

    #[test]
    fn vars_come_from_the_case() {
        let mut c = DisputeCase::open(ShopId::new(), "c".into(), "A-1".into(), Money::eur(4999), lang("de"));
        c.consumer_name = "Jonas Weber".into();
        c.shop_name = "Fietsenhuis".into();
        let v = MessageVars::from_case(&c, "Mia");
        assert_eq!(v.case_reference, Some(c.id.to_string()));
        assert_eq!(
            (v.claim_amount, v.deadline, v.proposal_text.clone()),
            (Some(Money::eur(4999)), None, None)
        );
        let t = render_message(
            MessageTemplateId::Acknowledgement,
            c.language_of(crate::dispute::Party::Consumer),
            &v,
        )
        .unwrap();
        assert!(t.starts_with("Guten Tag Jonas Weber") && t.contains("EUR 49,99"), "{t}");
        // The shop's language is unknown: English.
        assert_eq!(c.language_of(crate::dispute::Party::Shop).as_str(), "en");
    }

    fn pack_with(en: &str, de: &str) -> String {
        let mut src = SHIPPED.to_owned();
        let needle = "[messages.deadline_reminder]\nto = \"both\"\n";
        let start = src.find(needle).unwrap() + needle.len();
        let end = src[start..].find("\n\n[").unwrap() + start;
        let nl = "nl = \"{deadline}\"";
        src.replace_range(start..end, &format!("en = {en:?}\nde = {de:?}\n{nl}"));
        src
    }

    #[test]
    fn the_check_refuses_bad_texts() {
        let ok = pack_with("{deadline}", "{deadline}");
        assert!(DisputeTemplates::parse(&ok).is_ok());
        let err = |en: &str, de: &str| DisputeTemplates::parse(&pack_with(en, de)).unwrap_err();
        assert_eq!(
            err("{deadline} {iban}", "{deadline}"),
            DisputeTemplateError::UnknownPlaceholder {
                key: "messages.deadline_reminder".into(),
                language: "en".into(),
                name: "iban".into()
            }
        );
        assert!(matches!(err("{deadline", "{deadline}"), DisputeTemplateError::StrayBrace { .. }));
        assert!(matches!(err("{deadline} }", "{deadline}"), DisputeTemplateError::StrayBrace { .. }));
        assert_eq!(
            err("{deadline}", "{shop_name}"),
            DisputeTemplateError::PlaceholderMismatch {
                key: "messages.deadline_reminder".into(),
                language: "de".into()
            }
        );
        assert!(DisputeTemplates::parse(&SHIPPED.replace("[messages.decision_notice]", "[messages.other]"))
            .is_err());
        let missing = SHIPPED.replace("\nen = \"The shop has fulfilled", "\nxx = \"The shop has fulfilled");
        assert!(matches!(DisputeTemplates::parse(&missing), Err(DisputeTemplateError::UnknownKey(_))));
        let no_settled = SHIPPED.replace("[reasoning.settled.", "[reasoning.settledx.");
        assert!(matches!(DisputeTemplates::parse(&no_settled), Err(DisputeTemplateError::UnknownKey(_))));
        let gone = SHIPPED
            .replace("languages = [\"en\", \"de\", \"nl\"]", "languages = [\"en\", \"de\", \"nl\", \"fr\"]");
        assert!(matches!(DisputeTemplates::parse(&gone), Err(DisputeTemplateError::MissingLanguage { .. })));
    }
}

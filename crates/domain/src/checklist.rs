//! The code-of-conduct checklist: a versioned template of criteria (data in
//! `data/checklists/`, embedded at build time), the choice of criteria for a
//! shop's markets, and what an audit against it yields: the improvement report
//! for the shop, a recommendation after a spot check, and the order in which a
//! re-audit walks the items.
//!
//! Templates are data so that the central service can distribute newer
//! versions like rule packs; [`ChecklistTemplate::parse`] validates one, and
//! [`builtin`] is the version shipped with this build.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::audit::{AuditCase, AuditKind, AuditOutcome, ChecklistItem, ChecklistStatus, EvidenceRef};
use crate::ids::{AuditId, ShopId};
use crate::shop::{CountryCode, LanguageCode};

/// Languages every text of a template must have.
pub const REQUIRED_LANGUAGES: [&str; 3] = ["en", "de", "nl"];

/// The language a missing translation falls back to.
pub const FALLBACK_LANGUAGE: &str = "en";

/// Markets a country variant may name: the EU, the rest of the EEA, and
/// Switzerland (which the DACH Impressum rules cover).
pub const MARKETS: [&str; 31] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT",
    "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "IS", "LI", "NO", "CH",
];

const BUILTIN_SOURCE: &str = include_str!("../data/checklists/code-of-conduct.toml");

static BUILTIN: LazyLock<ChecklistTemplate> = LazyLock::new(|| {
    // The embedded file is checked by the tests, so this cannot fail in a tested build.
    ChecklistTemplate::parse(BUILTIN_SOURCE).expect("embedded checklist template is valid")
});

/// The checklist template shipped with this build, parsed once.
pub fn builtin() -> &'static ChecklistTemplate {
    &BUILTIN
}

/// The built-in criteria for a shop selling to `countries`; see
/// [`ChecklistTemplate::criteria_for`].
pub fn criteria_for(countries: &[CountryCode]) -> Vec<&'static Criterion> {
    builtin().criteria_for(countries)
}

/// The open checklist of a new audit against the built-in template.
pub fn initial_items(countries: &[CountryCode]) -> Vec<ChecklistItem> {
    builtin().initial_items(countries)
}

/// A text in several languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Localized(BTreeMap<LanguageCode, String>);

impl Localized {
    /// The text in `language`, else in English, else empty.
    pub fn get(&self, language: LanguageCode) -> &str {
        self.0
            .get(&language)
            .filter(|t| !t.trim().is_empty())
            .or_else(|| self.0.get(&fallback_language()))
            .map_or("", String::as_str)
    }

    /// Whether there is a non-blank text in `language` (without fallback).
    pub fn has(&self, language: LanguageCode) -> bool {
        self.0.get(&language).is_some_and(|t| !t.trim().is_empty())
    }
}

fn fallback_language() -> LanguageCode {
    FALLBACK_LANGUAGE.parse().expect("valid language code")
}

/// Where a criterion applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "countries", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Scope {
    /// Every audit, whatever the markets: the code of conduct is EU law based
    /// and binds every certified shop.
    Eu,
    /// Only audits of shops selling to one of these markets.
    Countries(Vec<CountryCode>),
}

impl Scope {
    pub fn applies_to(&self, countries: &[CountryCode]) -> bool {
        match self {
            Scope::Eu => true,
            Scope::Countries(own) => own.iter().any(|c| countries.contains(c)),
        }
    }
}

/// How much a failure weighs when a certified shop fails a spot check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Severity {
    /// An improvement point the shop can fix while keeping the trustmark.
    Minor,
    /// A legal duty whose breach harms consumers; the trustmark cannot vouch
    /// for the shop until it is fixed.
    Major,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Topic {
    pub id: String,
    pub title: Localized,
}

/// One requirement of the code of conduct.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Criterion {
    /// Stable `<scope>.<topic>.<name>`, e.g. `eu.prices.vat_included`; never reused.
    pub id: String,
    pub topic: String,
    pub title: Localized,
    /// What the auditor checks.
    pub check: Localized,
    /// The legal basis in plain words.
    pub why: Localized,
    /// What the shop should do when it fails.
    pub guidance: Localized,
    pub scope: Scope,
    pub severity: Severity,
    /// A pass or fail must carry evidence (screenshot, file or URL).
    pub evidence_required: bool,
}

impl Criterion {
    pub fn applies_to(&self, countries: &[CountryCode]) -> bool {
        self.scope.applies_to(countries)
    }
}

/// A validated, versioned checklist template. Criteria are held in topic
/// order (topics as declared, then file order within a topic).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ChecklistTemplate {
    id: String,
    version: u32,
    /// The date of the latest change in law the template reflects.
    law_as_of: NaiveDate,
    title: Localized,
    /// Languages every text is available in.
    languages: Vec<LanguageCode>,
    topics: Vec<Topic>,
    criteria: Vec<Criterion>,
    #[serde(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    position: HashMap<String, usize>,
}

/// The template text could not be used; every problem found is listed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("checklist template is not valid TOML: {0}")]
    Syntax(String),
    #[error("invalid checklist template:\n{}", .0.join("\n"))]
    Invalid(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTemplate {
    id: String,
    version: u32,
    law_as_of: NaiveDate,
    title: Localized,
    topics: Vec<RawTopic>,
    criteria: Vec<RawCriterion>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTopic {
    id: String,
    title: Localized,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCriterion {
    id: String,
    topic: String,
    countries: Vec<String>,
    severity: Severity,
    evidence_required: bool,
    title: Localized,
    check: Localized,
    why: Localized,
    guidance: Localized,
}

fn is_id_segment(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn check_texts(what: &str, texts: &[(&str, &Localized)], problems: &mut Vec<String>) {
    for (field, text) in texts {
        for lang in REQUIRED_LANGUAGES {
            if !text.has(lang.parse().expect("valid language code")) {
                problems.push(format!("{what}: no {lang} text for {field}"));
            }
        }
    }
}

fn parse_scope(id: &str, countries: &[String], problems: &mut Vec<String>) -> Scope {
    if countries.iter().any(|c| c == "EU") {
        if countries.len() > 1 {
            problems.push(format!("criterion {id}: \"EU\" cannot be combined with countries"));
        }
        return Scope::Eu;
    }
    if countries.is_empty() {
        problems.push(format!("criterion {id}: no countries"));
    }
    let mut codes: Vec<CountryCode> = Vec::new();
    for c in countries {
        match c.parse::<CountryCode>() {
            // Upper case only: the data is written once and read by people.
            Ok(code) if MARKETS.contains(&c.as_str()) => {
                if codes.contains(&code) {
                    problems.push(format!("criterion {id}: country {c} listed twice"));
                }
                codes.push(code);
            }
            _ => problems.push(format!("criterion {id}: {c:?} is not a market we certify for")),
        }
    }
    Scope::Countries(codes)
}

impl ChecklistTemplate {
    /// Parses and validates a template: unique well-formed ids, known topics,
    /// valid markets, and every text present in English, German and Dutch.
    pub fn parse(source: &str) -> Result<Self, TemplateError> {
        let raw: RawTemplate = toml::from_str(source).map_err(|e| TemplateError::Syntax(e.to_string()))?;
        let mut problems = Vec::new();

        if !is_id_segment(&raw.id.replace('-', "_")) {
            problems.push(format!("template id {:?} is malformed", raw.id));
        }
        if raw.version == 0 {
            problems.push("version must be at least 1".to_owned());
        }
        check_texts("template", &[("title", &raw.title)], &mut problems);

        let mut topics: Vec<Topic> = Vec::with_capacity(raw.topics.len());
        for t in raw.topics {
            if !is_id_segment(&t.id) {
                problems.push(format!("topic id {:?} is malformed", t.id));
            }
            if topics.iter().any(|o| o.id == t.id) {
                problems.push(format!("topic {} declared twice", t.id));
            }
            check_texts(&format!("topic {}", t.id), &[("title", &t.title)], &mut problems);
            topics.push(Topic { id: t.id, title: t.title });
        }
        if topics.is_empty() {
            problems.push("no topics".to_owned());
        }

        let mut criteria: Vec<(usize, Criterion)> = Vec::with_capacity(raw.criteria.len());
        for c in raw.criteria {
            let what = format!("criterion {}", c.id);
            let segments: Vec<&str> = c.id.split('.').collect();
            let scope = parse_scope(&c.id, &c.countries, &mut problems);
            match segments.as_slice() {
                [prefix, topic, name] if [prefix, topic, name].iter().all(|s| is_id_segment(s)) => {
                    if *topic != c.topic {
                        problems.push(format!("{what}: id names topic {topic} but topic is {}", c.topic));
                    }
                    if (*prefix == "eu") != (scope == Scope::Eu) {
                        problems.push(format!("{what}: the \"eu\" prefix is for EU-wide criteria only"));
                    }
                }
                _ => problems.push(format!("{what}: id must be <scope>.<topic>.<name> in a-z, 0-9, _")),
            }
            if criteria.iter().any(|(_, o)| o.id == c.id) {
                problems.push(format!("{what}: id used twice"));
            }
            let topic_index = topics.iter().position(|t| t.id == c.topic).unwrap_or_else(|| {
                problems.push(format!("{what}: unknown topic {}", c.topic));
                usize::MAX
            });
            check_texts(
                &what,
                &[("title", &c.title), ("check", &c.check), ("why", &c.why), ("guidance", &c.guidance)],
                &mut problems,
            );
            criteria.push((
                topic_index,
                Criterion {
                    id: c.id,
                    topic: c.topic,
                    title: c.title,
                    check: c.check,
                    why: c.why,
                    guidance: c.guidance,
                    scope,
                    severity: c.severity,
                    evidence_required: c.evidence_required,
                },
            ));
        }
        if criteria.is_empty() {
            problems.push("no criteria".to_owned());
        }
        if !problems.is_empty() {
            return Err(TemplateError::Invalid(problems));
        }

        // Stable: file order is kept within a topic.
        criteria.sort_by_key(|(topic, _)| *topic);
        let criteria: Vec<Criterion> = criteria.into_iter().map(|(_, c)| c).collect();
        let position = criteria.iter().enumerate().map(|(i, c)| (c.id.clone(), i)).collect();

        // Languages offered in full: those of the template title that every other text has too.
        let languages = raw
            .title
            .0
            .keys()
            .copied()
            .filter(|l| {
                topics.iter().all(|t| t.title.has(*l))
                    && criteria
                        .iter()
                        .all(|c| c.title.has(*l) && c.check.has(*l) && c.why.has(*l) && c.guidance.has(*l))
            })
            .collect();

        Ok(ChecklistTemplate {
            id: raw.id,
            version: raw.version,
            law_as_of: raw.law_as_of,
            title: raw.title,
            languages,
            topics,
            criteria,
            position,
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn version(&self) -> u32 {
        self.version
    }

    pub fn law_as_of(&self) -> NaiveDate {
        self.law_as_of
    }

    pub fn title(&self) -> &Localized {
        &self.title
    }

    /// Languages every text of the template is available in.
    pub fn languages(&self) -> &[LanguageCode] {
        &self.languages
    }

    /// Topics in display order.
    pub fn topics(&self) -> &[Topic] {
        &self.topics
    }

    /// All criteria in topic order.
    pub fn criteria(&self) -> &[Criterion] {
        &self.criteria
    }

    pub fn topic(&self, id: &str) -> Option<&Topic> {
        self.topics.iter().find(|t| t.id == id)
    }

    pub fn criterion(&self, id: &str) -> Option<&Criterion> {
        self.position.get(id).map(|&i| &self.criteria[i])
    }

    /// The language a report for a shop writing `requested` goes out in: the
    /// requested one if the template has every text in it, else English.
    pub fn report_language(&self, requested: LanguageCode) -> LanguageCode {
        if self.languages.contains(&requested) {
            requested
        } else {
            fallback_language()
        }
    }

    /// The criteria for a shop selling to `countries`: every EU-wide criterion
    /// plus the variants of each market, each criterion once, in topic order.
    pub fn criteria_for(&self, countries: &[CountryCode]) -> Vec<&Criterion> {
        self.criteria.iter().filter(|c| c.applies_to(countries)).collect()
    }

    /// The checklist of a new audit: one open item per applicable criterion.
    pub fn initial_items(&self, countries: &[CountryCode]) -> Vec<ChecklistItem> {
        self.criteria_for(countries)
            .into_iter()
            .map(|c| ChecklistItem {
                criterion_id: c.id.clone(),
                status: ChecklistStatus::Open,
                note: String::new(),
                evidence: Vec::new(),
            })
            .collect()
    }

    /// Sort key putting known criteria in topic order and unknown ones (from
    /// another template version) after them, in their existing order.
    fn rank(&self, criterion_id: &str) -> usize {
        self.position.get(criterion_id).copied().unwrap_or(usize::MAX)
    }

    /// Items marked passed or failed without the evidence their criterion
    /// requires; the auditor must attach some before confirming the outcome.
    pub fn missing_evidence<'a>(&self, case: &'a AuditCase) -> Vec<&'a str> {
        case.items
            .iter()
            .filter(|i| matches!(i.status, ChecklistStatus::Pass | ChecklistStatus::Fail))
            .filter(|i| i.evidence.is_empty())
            .filter(|i| self.criterion(&i.criterion_id).is_some_and(|c| c.evidence_required))
            .map(|i| i.criterion_id.as_str())
            .collect()
    }

    /// The report the shop receives, in `language` (or English when the
    /// template lacks it): one improvement point per failed item, in topic
    /// order. It is final only once the outcome is no longer `Incomplete`.
    pub fn report(&self, case: &AuditCase, language: LanguageCode) -> ImprovementReport {
        let language = self.report_language(language);
        let mut failed: Vec<&ChecklistItem> =
            case.items.iter().filter(|i| i.status == ChecklistStatus::Fail).collect();
        failed.sort_by_key(|i| self.rank(&i.criterion_id));
        let points = failed
            .into_iter()
            .map(|item| {
                let criterion = self.criterion(&item.criterion_id);
                // A failure is never dropped: an unknown criterion still makes a
                // point, titled by its id, so the auditor sees it in the preview.
                let text = |f: fn(&Criterion) -> &Localized| {
                    criterion.map_or_else(String::new, |c| f(c).get(language).to_owned())
                };
                ImprovementPoint {
                    criterion_id: item.criterion_id.clone(),
                    topic_title: criterion
                        .and_then(|c| self.topic(&c.topic))
                        .map_or_else(String::new, |t| t.title.get(language).to_owned()),
                    title: criterion
                        .map_or_else(|| item.criterion_id.clone(), |c| c.title.get(language).to_owned()),
                    why: text(|c| &c.why),
                    guidance: text(|c| &c.guidance),
                    note: item.note.clone(),
                    evidence: item.evidence.clone(),
                }
            })
            .collect();
        ImprovementReport {
            audit_id: case.id,
            shop_id: case.shop_id,
            kind: case.kind,
            language,
            template_id: self.id.clone(),
            template_version: self.version,
            template_title: self.title.get(language).to_owned(),
            outcome: case.outcome(),
            counts: ChecklistCounts::of(&case.items),
            points,
        }
    }

    /// What to do with a certified shop after a spot check; `None` for other
    /// kinds of audit and while the checklist is incomplete.
    ///
    /// Rules (the seed: failing a spot check and not fixing the issues costs
    /// the trustmark):
    /// - nothing failed: keep;
    /// - a minor failure alone: warn (the mark stays; the shop fixes it before the next check);
    /// - a major failure: suspend until a re-audit passes;
    /// - a failure that `previous` (the shop's last spot check) already reported
    ///   weighs one step more: a repeated minor one suspends, a repeated major one revokes.
    ///
    /// The strongest failure decides. A criterion missing from the template
    /// counts as major, so an unknown failure is never waved through.
    pub fn spot_check_recommendation(
        &self,
        case: &AuditCase,
        previous: Option<&AuditCase>,
    ) -> Option<SpotCheckRecommendation> {
        if case.kind != AuditKind::SpotCheck {
            return None;
        }
        let failed = match case.outcome() {
            AuditOutcome::Incomplete { .. } => return None,
            AuditOutcome::Certified => return Some(SpotCheckRecommendation::Keep),
            AuditOutcome::ImprovementsRequired { failed } => failed,
        };
        let previous_failures: Vec<&str> = previous
            .filter(|p| p.shop_id == case.shop_id && p.kind == AuditKind::SpotCheck && p.id != case.id)
            .map(|p| {
                p.items
                    .iter()
                    .filter(|i| i.status == ChecklistStatus::Fail)
                    .map(|i| i.criterion_id.as_str())
                    .collect()
            })
            .unwrap_or_default();
        let mut reasons: Vec<SpotCheckReason> = failed
            .into_iter()
            .map(|id| SpotCheckReason {
                severity: self.criterion(&id).map_or(Severity::Major, |c| c.severity),
                repeated: previous_failures.contains(&id.as_str()),
                criterion_id: id,
            })
            .collect();
        reasons.sort_by_key(|r| self.rank(&r.criterion_id));
        let level = reasons
            .iter()
            .map(|r| match r.severity {
                Severity::Minor => 1,
                Severity::Major => 2,
            } + u8::from(r.repeated))
            .max()
            .unwrap_or(0);
        Some(match level {
            0 => SpotCheckRecommendation::Keep,
            1 => SpotCheckRecommendation::Warn { reasons },
            2 => SpotCheckRecommendation::Suspend { reasons },
            _ => SpotCheckRecommendation::Revoke { reasons },
        })
    }

    /// The items of `current` in the order a follow-up audit walks them: the
    /// criteria `previous` failed first, then the rest, each group in topic
    /// order; each with the previous finding and whether the status changed.
    /// Findings of `previous` whose criterion is no longer checked (a market
    /// dropped, a criterion retired) are not carried over.
    pub fn reaudit_order(&self, current: &AuditCase, previous: &AuditCase) -> Vec<ReAuditItem> {
        let before: HashMap<&str, &ChecklistItem> =
            previous.items.iter().map(|i| (i.criterion_id.as_str(), i)).collect();
        let mut out: Vec<ReAuditItem> = current
            .items
            .iter()
            .map(|item| {
                let prev = before.get(item.criterion_id.as_str()).copied();
                let change = match prev {
                    None => ItemChange::New,
                    Some(_) if item.status == ChecklistStatus::Open => ItemChange::NotYetChecked,
                    Some(p) if p.status == item.status => ItemChange::Unchanged,
                    Some(_) => ItemChange::Changed,
                };
                ReAuditItem {
                    item: item.clone(),
                    previously_failed: prev.is_some_and(|p| p.status == ChecklistStatus::Fail),
                    previous: prev.cloned(),
                    change,
                }
            })
            .collect();
        // Stable sort: unknown criteria keep their relative order at the end of their group.
        out.sort_by_key(|r| (!r.previously_failed, self.rank(&r.item.criterion_id)));
        out
    }
}

/// How far a checklist has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ChecklistCounts {
    pub total: u32,
    pub open: u32,
    pub passed: u32,
    pub failed: u32,
    pub not_applicable: u32,
}

impl ChecklistCounts {
    pub fn of(items: &[ChecklistItem]) -> Self {
        let mut c = ChecklistCounts::default();
        for i in items {
            c.total += 1;
            *match i.status {
                ChecklistStatus::Open => &mut c.open,
                ChecklistStatus::Pass => &mut c.passed,
                ChecklistStatus::Fail => &mut c.failed,
                ChecklistStatus::NotApplicable => &mut c.not_applicable,
            } += 1;
        }
        c
    }
}

/// The report a shop receives after an audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImprovementReport {
    pub audit_id: AuditId,
    pub shop_id: ShopId,
    pub kind: AuditKind,
    /// The language the texts are in (the requested one, or English).
    pub language: LanguageCode,
    pub template_id: String,
    pub template_version: u32,
    pub template_title: String,
    pub outcome: AuditOutcome,
    pub counts: ChecklistCounts,
    pub points: Vec<ImprovementPoint>,
}

/// One failed criterion, with what the shop should do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImprovementPoint {
    pub criterion_id: String,
    pub topic_title: String,
    pub title: String,
    pub why: String,
    pub guidance: String,
    /// The auditor's note on this item.
    pub note: String,
    pub evidence: Vec<EvidenceRef>,
}

/// The auditor's proposal after a spot check; the auditor confirms it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum SpotCheckRecommendation {
    /// Every applicable criterion passed.
    Keep,
    /// Only minor points failed: the mark stays while the shop fixes them.
    Warn { reasons: Vec<SpotCheckReason> },
    /// The mark is suspended until a re-audit passes.
    Suspend { reasons: Vec<SpotCheckReason> },
    /// A major point was not fixed since the last spot check: the mark is withdrawn.
    Revoke { reasons: Vec<SpotCheckReason> },
}

/// A failed criterion behind a recommendation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SpotCheckReason {
    pub criterion_id: String,
    pub severity: Severity,
    /// The previous spot check failed it too.
    pub repeated: bool,
}

/// How an item stands against the audit it follows up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ItemChange {
    /// The previous audit did not have this criterion (new in the template or a new market).
    New,
    /// Still open in this audit.
    NotYetChecked,
    /// Same status as before.
    Unchanged,
    /// A different status than before (e.g. a failure now passes).
    Changed,
}

/// One item of a follow-up audit, with the previous finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReAuditItem {
    pub item: ChecklistItem,
    pub previously_failed: bool,
    pub previous: Option<ChecklistItem>,
    pub change: ItemChange,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use proptest::prelude::*;

    fn cc(s: &str) -> CountryCode {
        s.parse().unwrap()
    }

    fn lang(s: &str) -> LanguageCode {
        s.parse().unwrap()
    }

    fn ids(criteria: &[&Criterion]) -> Vec<String> {
        criteria.iter().map(|c| c.id.clone()).collect()
    }

    fn case(kind: AuditKind, countries: &[&str]) -> AuditCase {
        let countries: Vec<CountryCode> = countries.iter().map(|c| cc(c)).collect();
        AuditCase {
            id: AuditId::new(),
            shop_id: ShopId::new(),
            kind,
            items: initial_items(&countries),
            target_countries: countries,
            previous_audit: None,
            due: DateTime::<Utc>::MIN_UTC,
            confirmed: None,
            version: 1,
        }
    }

    fn set(case: &mut AuditCase, id: &str, status: ChecklistStatus) {
        let item = case.items.iter_mut().find(|i| i.criterion_id == id).unwrap_or_else(|| panic!("{id}"));
        item.status = status;
    }

    fn all(case: &mut AuditCase, status: ChecklistStatus) {
        for i in &mut case.items {
            i.status = status;
        }
    }

    #[test]
    fn builtin_template_is_complete_in_every_required_language() {
        let t = builtin();
        assert!(t.version() >= 1);
        assert_eq!(t.id(), "code-of-conduct");
        assert!((25..=40).contains(&t.criteria().len()), "{}", t.criteria().len());
        let required: Vec<LanguageCode> = REQUIRED_LANGUAGES.iter().map(|l| lang(l)).collect();
        for l in &required {
            assert!(t.languages().contains(l), "{l}");
            assert!(!t.title().get(*l).is_empty());
        }
        for c in t.criteria() {
            for l in &required {
                for (field, text) in
                    [("title", &c.title), ("check", &c.check), ("why", &c.why), ("guidance", &c.guidance)]
                {
                    assert!(text.has(*l) && text.get(*l).trim().len() > 3, "{} {field} {l}", c.id);
                }
            }
            assert!(t.topic(&c.topic).is_some(), "{}", c.id);
            if let Scope::Countries(countries) = &c.scope {
                assert!(!countries.is_empty(), "{}", c.id);
                assert!(countries.iter().all(|c| MARKETS.contains(&c.as_str())), "{}", c.id);
            }
        }
        // Every topic is used, and the criteria come in topic order.
        let topic_of = |c: &Criterion| t.topics().iter().position(|x| x.id == c.topic).unwrap();
        assert!(t.criteria().windows(2).all(|w| topic_of(&w[0]) <= topic_of(&w[1])));
        assert!(t.topics().iter().all(|x| t.criteria().iter().any(|c| c.topic == x.id)), "unused topic");
    }

    #[test]
    fn criterion_ids_are_unique_and_resolvable() {
        let t = builtin();
        let mut all: Vec<&str> = t.criteria().iter().map(|c| c.id.as_str()).collect();
        for id in &all {
            assert_eq!(t.criterion(id).map(|c| c.id.as_str()), Some(*id));
        }
        all.sort_unstable();
        let n = all.len();
        all.dedup();
        assert_eq!(all.len(), n);
    }

    #[test]
    fn current_eu_law_is_covered() {
        let t = builtin();
        let en = lang("en");
        let why = |id: &str| t.criterion(id).unwrap_or_else(|| panic!("{id}")).why.get(en).to_owned();
        let f = why("eu.withdrawal.online_function");
        assert!(f.contains("19 June 2026") && f.contains("2023/2673") && f.contains("11a"), "{f}");
        let odr = why("eu.complaints.no_odr_link");
        assert!(odr.contains("20 July 2025") && odr.contains("2024/3228"), "{odr}");
        for id in [
            "eu.identity.trader_details",
            "dach.identity.impressum",
            "fr.identity.mentions_legales",
            "eu.terms.available_before_order",
            "eu.prices.vat_included",
            "eu.prices.shipping_and_fees",
            "eu.prices.from_prices",
            "eu.withdrawal.information",
            "eu.withdrawal.model_form",
            "eu.withdrawal.refund",
            "eu.complaints.procedure",
            "de.complaints.vsbg_statement",
            "eu.privacy.policy",
            "eu.checkout.not_misleading",
        ] {
            assert!(t.criterion(id).is_some(), "{id}");
        }
        assert!(t.criterion("eu.withdrawal.online_function").unwrap().evidence_required);
        assert_eq!(t.criterion("eu.complaints.no_odr_link").unwrap().severity, Severity::Minor);
    }

    #[test]
    fn de_and_fr_shop_gets_eu_plus_both_variants_once() {
        let t = builtin();
        let got = criteria_for(&[cc("DE"), cc("FR")]);
        let got_ids = ids(&got);
        let mut unique = got_ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), got_ids.len(), "duplicates in {got_ids:?}");
        let expected: Vec<String> = t
            .criteria()
            .iter()
            .filter(|c| match &c.scope {
                Scope::Eu => true,
                Scope::Countries(cs) => cs.contains(&cc("DE")) || cs.contains(&cc("FR")),
            })
            .map(|c| c.id.clone())
            .collect();
        assert_eq!(got_ids, expected);
        for id in ["dach.identity.impressum", "fr.identity.mentions_legales", "de.complaints.vsbg_statement"]
        {
            assert_eq!(got_ids.iter().filter(|i| *i == id).count(), 1, "{id}");
        }
        assert!(got_ids.iter().any(|i| i.starts_with("fr.complaints.")));
        // Impressum rules shared by DE and AT still appear once.
        let dach = criteria_for(&[cc("DE"), cc("AT"), cc("CH")]);
        assert_eq!(dach.iter().filter(|c| c.id == "dach.identity.impressum").count(), 1);
    }

    #[test]
    fn nl_only_shop_gets_the_eu_criteria_and_no_foreign_variants() {
        let t = builtin();
        let got = ids(&criteria_for(&[cc("NL")]));
        assert!(!got.iter().any(|i| i == "dach.identity.impressum"));
        assert!(!got.iter().any(|i| i.starts_with("de.") || i.starts_with("fr.")));
        let eu: Vec<String> =
            t.criteria().iter().filter(|c| c.scope == Scope::Eu).map(|c| c.id.clone()).collect();
        assert_eq!(got, eu);
        // An AT shop gets the Impressum but not the German-only variants.
        let at = ids(&criteria_for(&[cc("AT")]));
        assert!(at.iter().any(|i| i == "dach.identity.impressum"));
        assert!(!at.iter().any(|i| i.starts_with("de.")));
    }

    #[test]
    fn initial_items_are_open_and_follow_the_selection() {
        let countries = [cc("DE"), cc("NL")];
        let items = initial_items(&countries);
        assert_eq!(
            items.iter().map(|i| i.criterion_id.clone()).collect::<Vec<_>>(),
            ids(&criteria_for(&countries))
        );
        assert!(items
            .iter()
            .all(|i| i.status == ChecklistStatus::Open && i.note.is_empty() && i.evidence.is_empty()));
        let mut c = case(AuditKind::Initial, &["DE", "NL"]);
        assert_eq!(c.validate(), Ok(()));
        all(&mut c, ChecklistStatus::Pass);
        assert_eq!(c.outcome(), AuditOutcome::Certified);
    }

    #[test]
    fn texts_fall_back_to_english() {
        let t = builtin();
        let c = t.criterion("eu.prices.vat_included").unwrap();
        assert_eq!(c.title.get(lang("fr")), c.title.get(lang("en")));
        assert_ne!(c.title.get(lang("de")), c.title.get(lang("en")));
        assert_eq!(t.report_language(lang("nl")), lang("nl"));
        assert_eq!(t.report_language(lang("pl")), lang("en"));
    }

    #[test]
    fn report_lists_failures_in_topic_order_in_the_shop_language() {
        let t = builtin();
        let mut c = case(AuditKind::Initial, &["DE"]);
        all(&mut c, ChecklistStatus::Pass);
        set(&mut c, "eu.complaints.no_odr_link", ChecklistStatus::Fail);
        set(&mut c, "dach.identity.impressum", ChecklistStatus::Fail);
        set(&mut c, "de.withdrawal.termination_button", ChecklistStatus::NotApplicable);
        let shot = EvidenceRef::File { sha256: "ab".repeat(32), name: "impressum.png".into() };
        let item = c.items.iter_mut().find(|i| i.criterion_id == "dach.identity.impressum").unwrap();
        item.note = "Keine Registernummer.".into();
        item.evidence = vec![shot.clone()];

        let r = t.report(&c, lang("de"));
        assert_eq!(r.language, lang("de"));
        assert_eq!(r.template_version, t.version());
        assert_eq!(r.template_title, "Verhaltenskodex für Onlineshops");
        assert_eq!(
            r.outcome,
            AuditOutcome::ImprovementsRequired {
                failed: vec!["dach.identity.impressum".into(), "eu.complaints.no_odr_link".into()]
            }
        );
        assert_eq!(r.counts.failed, 2);
        assert_eq!(r.counts.not_applicable, 1);
        assert_eq!(r.counts.total as usize, c.items.len());
        let point_ids: Vec<&str> = r.points.iter().map(|p| p.criterion_id.as_str()).collect();
        assert_eq!(point_ids, ["dach.identity.impressum", "eu.complaints.no_odr_link"]);
        let p = &r.points[0];
        assert_eq!(p.title, "Vollständiges Impressum");
        assert_eq!(p.topic_title, "Identität und Kontakt");
        assert!(p.guidance.contains("Impressum") && p.why.contains("DDG"));
        assert_eq!(p.note, "Keine Registernummer.");
        assert_eq!(p.evidence, vec![shot]);

        // Another language falls back to English; a spot check reports the same way.
        let r = t.report(&c, lang("sv"));
        assert_eq!(r.language, lang("en"));
        assert_eq!(r.points[1].title, "No leftover link to the closed EU ODR platform");
    }

    #[test]
    fn report_keeps_failures_of_unknown_criteria() {
        let t = builtin();
        let mut c = case(AuditKind::Initial, &["NL"]);
        all(&mut c, ChecklistStatus::Pass);
        c.items.insert(
            0,
            ChecklistItem {
                criterion_id: "identity.contact".into(),
                status: ChecklistStatus::Fail,
                note: "n".into(),
                evidence: vec![],
            },
        );
        set(&mut c, "eu.identity.trader_details", ChecklistStatus::Fail);
        let r = t.report(&c, lang("nl"));
        let point_ids: Vec<&str> = r.points.iter().map(|p| p.criterion_id.as_str()).collect();
        assert_eq!(point_ids, ["eu.identity.trader_details", "identity.contact"]);
        assert_eq!(r.points[1].title, "identity.contact");
        assert!(r.points[1].guidance.is_empty());
        assert_eq!(r.points[0].title, "Wie de verkoper is en hoe die bereikbaar is");
    }

    #[test]
    fn report_serialises_for_the_ui() {
        let mut c = case(AuditKind::Initial, &["NL"]);
        set(&mut c, "eu.privacy.policy", ChecklistStatus::Fail);
        let json = serde_json::to_value(builtin().report(&c, lang("nl"))).unwrap();
        assert_eq!(json["language"], "nl");
        assert_eq!(json["outcome"]["outcome"], "incomplete");
        assert_eq!(json["points"][0]["criterion_id"], "eu.privacy.policy");
        let criterion =
            serde_json::to_value(builtin().criterion("dach.identity.impressum").unwrap()).unwrap();
        assert_eq!(
            criterion["scope"],
            serde_json::json!({ "kind": "countries", "countries": ["DE", "AT", "CH"] })
        );
        assert_eq!(criterion["title"]["de"], "Vollständiges Impressum");
        assert_eq!(criterion["severity"], "major");
    }

    fn recommend(c: &AuditCase, previous: Option<&AuditCase>) -> Option<SpotCheckRecommendation> {
        builtin().spot_check_recommendation(c, previous)
    }

    #[test]
    fn spot_check_recommendations_follow_severity_and_repetition() {
        const MINOR: &str = "eu.complaints.no_odr_link";
        const MAJOR: &str = "eu.withdrawal.online_function";
        let reason =
            |id: &str, severity, repeated| SpotCheckReason { criterion_id: id.into(), severity, repeated };

        let mut spot = case(AuditKind::SpotCheck, &["DE"]);
        assert_eq!(recommend(&spot, None), None, "incomplete");
        all(&mut spot, ChecklistStatus::Pass);
        assert_eq!(recommend(&spot, None), Some(SpotCheckRecommendation::Keep));

        set(&mut spot, MINOR, ChecklistStatus::Fail);
        assert_eq!(
            recommend(&spot, None),
            Some(SpotCheckRecommendation::Warn { reasons: vec![reason(MINOR, Severity::Minor, false)] })
        );

        set(&mut spot, MAJOR, ChecklistStatus::Fail);
        let suspend = SpotCheckRecommendation::Suspend {
            reasons: vec![reason(MAJOR, Severity::Major, false), reason(MINOR, Severity::Minor, false)],
        };
        assert_eq!(recommend(&spot, None), Some(suspend.clone()));

        // The previous spot check already found the minor point: not fixed, so it suspends.
        let mut previous = spot.clone();
        previous.id = AuditId::new();
        set(&mut previous, MAJOR, ChecklistStatus::Pass);
        let mut minor_only = spot.clone();
        set(&mut minor_only, MAJOR, ChecklistStatus::Pass);
        assert_eq!(
            recommend(&minor_only, Some(&previous)),
            Some(SpotCheckRecommendation::Suspend { reasons: vec![reason(MINOR, Severity::Minor, true)] })
        );

        // The major point failed twice in a row: revoke.
        set(&mut previous, MAJOR, ChecklistStatus::Fail);
        assert_eq!(
            recommend(&spot, Some(&previous)),
            Some(SpotCheckRecommendation::Revoke {
                reasons: vec![reason(MAJOR, Severity::Major, true), reason(MINOR, Severity::Minor, true)]
            })
        );

        // Only the same shop's spot checks count as earlier findings.
        let mut other_shop = previous.clone();
        other_shop.shop_id = ShopId::new();
        assert_eq!(recommend(&spot, Some(&other_shop)), Some(suspend.clone()));
        let mut initial = previous.clone();
        initial.kind = AuditKind::Initial;
        assert_eq!(recommend(&spot, Some(&initial)), Some(suspend));

        // Failures of criteria the template does not know count as major.
        let mut unknown = case(AuditKind::SpotCheck, &["NL"]);
        all(&mut unknown, ChecklistStatus::Pass);
        unknown.items[0].criterion_id = "legacy.criterion".into();
        unknown.items[0].status = ChecklistStatus::Fail;
        assert!(matches!(recommend(&unknown, None), Some(SpotCheckRecommendation::Suspend { .. })));

        // Not a spot check: no recommendation.
        let mut initial = case(AuditKind::Initial, &["DE"]);
        all(&mut initial, ChecklistStatus::Fail);
        assert_eq!(recommend(&initial, None), None);
    }

    #[test]
    fn reaudit_walks_previous_failures_first_and_shows_changes() {
        let t = builtin();
        let mut previous = case(AuditKind::Initial, &["DE"]);
        all(&mut previous, ChecklistStatus::Pass);
        set(&mut previous, "eu.privacy.cookie_consent", ChecklistStatus::Fail);
        set(&mut previous, "eu.prices.shipping_and_fees", ChecklistStatus::Fail);
        set(&mut previous, "eu.complaints.no_odr_link", ChecklistStatus::Fail);
        set(&mut previous, "de.withdrawal.termination_button", ChecklistStatus::NotApplicable);
        // The shop now also sells to FR, so its variants are new.
        let mut current = case(AuditKind::ReAudit, &["DE", "FR"]);
        current.shop_id = previous.shop_id;
        current.previous_audit = Some(previous.id);
        assert_eq!(current.validate(), Ok(()));
        set(&mut current, "eu.prices.shipping_and_fees", ChecklistStatus::Pass);
        set(&mut current, "eu.complaints.no_odr_link", ChecklistStatus::Fail);
        set(&mut current, "eu.identity.trader_details", ChecklistStatus::Pass);
        set(&mut current, "de.withdrawal.termination_button", ChecklistStatus::Pass);

        let order = t.reaudit_order(&current, &previous);
        assert_eq!(order.len(), current.items.len());
        let head: Vec<(&str, ItemChange)> =
            order.iter().take(3).map(|r| (r.item.criterion_id.as_str(), r.change)).collect();
        assert_eq!(
            head,
            [
                ("eu.prices.shipping_and_fees", ItemChange::Changed),
                ("eu.complaints.no_odr_link", ItemChange::Unchanged),
                ("eu.privacy.cookie_consent", ItemChange::NotYetChecked),
            ]
        );
        assert!(order[..3].iter().all(|r| r.previously_failed));
        assert!(order[3..].iter().all(|r| !r.previously_failed));
        assert_eq!(order[0].previous.as_ref().map(|p| p.status), Some(ChecklistStatus::Fail));
        // The rest in topic order, with their own change.
        let rest: Vec<&str> = order[3..].iter().map(|r| r.item.criterion_id.as_str()).collect();
        let expected: Vec<&str> = criteria_for(&current.target_countries)
            .into_iter()
            .map(|c| c.id.as_str())
            .filter(|id| !head.iter().any(|(h, _)| h == id))
            .collect();
        assert_eq!(rest, expected);
        let change_of = |id: &str| order.iter().find(|r| r.item.criterion_id == id).unwrap().change;
        assert_eq!(change_of("eu.identity.trader_details"), ItemChange::Unchanged);
        assert_eq!(change_of("de.withdrawal.termination_button"), ItemChange::Changed);
        assert_eq!(change_of("fr.identity.mentions_legales"), ItemChange::New);
        assert_eq!(change_of("eu.terms.fair_terms"), ItemChange::NotYetChecked);
    }

    #[test]
    fn evidence_is_demanded_where_the_criterion_requires_it() {
        let t = builtin();
        let mut c = case(AuditKind::Initial, &["NL"]);
        all(&mut c, ChecklistStatus::NotApplicable);
        assert!(t.missing_evidence(&c).is_empty());
        set(&mut c, "eu.withdrawal.online_function", ChecklistStatus::Pass);
        set(&mut c, "eu.identity.trader_details", ChecklistStatus::Fail);
        assert_eq!(t.missing_evidence(&c), ["eu.withdrawal.online_function"]);
        c.items.iter_mut().find(|i| i.criterion_id == "eu.withdrawal.online_function").unwrap().evidence =
            vec![EvidenceRef::Url { url: "https://shop.example/widerruf".into() }];
        assert!(t.missing_evidence(&c).is_empty());
    }

    const MINIMAL: &str = r#"
id = "mini"
version = 2
law_as_of = "2026-06-19"
title = { en = "Mini", de = "Mini", nl = "Mini" }

[[topics]]
id = "identity"
title = { en = "Identity", de = "Identität", nl = "Identiteit" }

[[criteria]]
id = "eu.identity.contact"
topic = "identity"
countries = ["EU"]
severity = "major"
evidence_required = false
title = { en = "T", de = "T", nl = "T" }
check = { en = "C", de = "C", nl = "C" }
why = { en = "W", de = "W", nl = "W" }
guidance = { en = "G", de = "G", nl = "G" }
"#;

    fn problems(source: &str) -> Vec<String> {
        match ChecklistTemplate::parse(source) {
            Err(TemplateError::Invalid(p)) => p,
            other => panic!("expected invalid, got {other:?}"),
        }
    }

    #[test]
    fn parse_accepts_a_minimal_template() {
        let t = ChecklistTemplate::parse(MINIMAL).unwrap();
        assert_eq!(t.version(), 2);
        assert_eq!(t.law_as_of(), NaiveDate::from_ymd_opt(2026, 6, 19).unwrap());
        assert_eq!(t.criteria().len(), 1);
        assert_eq!(t.languages().len(), 3);
    }

    #[test]
    fn parse_reports_every_problem() {
        let bad = MINIMAL
            .replace("nl = \"G\"", "nl = \" \"")
            .replace("countries = [\"EU\"]", "countries = [\"EU\", \"DE\"]")
            .replace("topic = \"identity\"", "topic = \"legal\"");
        let p = problems(&bad);
        assert!(p.iter().any(|m| m.contains("no nl text for guidance")), "{p:?}");
        assert!(p.iter().any(|m| m.contains("cannot be combined")), "{p:?}");
        assert!(p.iter().any(|m| m.contains("unknown topic legal")), "{p:?}");
        assert!(p.iter().any(|m| m.contains("id names topic identity")), "{p:?}");

        let country = MINIMAL.replace("countries = [\"EU\"]", "countries = [\"US\", \"de\"]");
        let p = problems(&country);
        assert_eq!(p.iter().filter(|m| m.contains("not a market")).count(), 2, "{p:?}");
        assert!(p.iter().any(|m| m.contains("\"eu\" prefix")), "{p:?}");

        let twice = format!("{MINIMAL}{}", &MINIMAL[MINIMAL.find("[[criteria]]").unwrap()..]);
        assert!(problems(&twice).iter().any(|m| m.contains("id used twice")));

        let renamed = MINIMAL.replace("eu.identity.contact", "eu.Identity-contact");
        assert!(problems(&renamed).iter().any(|m| m.contains("<scope>.<topic>.<name>")));

        assert!(matches!(ChecklistTemplate::parse("version = ["), Err(TemplateError::Syntax(_))));
        let unknown_field =
            MINIMAL.replace("evidence_required = false", "evidence_required = false\nweight = 3");
        assert!(matches!(ChecklistTemplate::parse(&unknown_field), Err(TemplateError::Syntax(_))));
    }

    fn any_markets() -> impl Strategy<Value = Vec<CountryCode>> {
        proptest::sample::subsequence(MARKETS.to_vec(), 0..6)
            .prop_map(|v| v.into_iter().map(|c| c.parse().unwrap()).collect())
    }

    proptest! {
        #[test]
        fn selection_is_the_applicable_criteria_once_in_template_order(countries in any_markets()) {
            let t = builtin();
            let got = ids(&t.criteria_for(&countries));
            let expected: Vec<String> =
                t.criteria().iter().filter(|c| c.applies_to(&countries)).map(|c| c.id.clone()).collect();
            prop_assert_eq!(&got, &expected);
            for c in t.criteria().iter().filter(|c| c.scope == Scope::Eu) {
                prop_assert!(got.contains(&c.id));
            }
            // Order does not depend on the order the markets are given in.
            let mut reversed = countries.clone();
            reversed.reverse();
            prop_assert_eq!(ids(&t.criteria_for(&reversed)), got);
        }
    }
}

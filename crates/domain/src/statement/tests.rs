use super::*;
use chrono::TimeZone;

use crate::decision::Grounds;
use crate::ids::ShopId;
use crate::review::{FakeSignal, ReviewFlags, ReviewSource, ShopFlag, Stars};

const SCHEMA: &str = include_str!("../../data/dsa-sor.schema.json");
const MAPPING_DOC: &str = include_str!("../../../../docs/dsa-category-mapping.md");

fn lang(s: &str) -> LanguageCode {
    s.parse().unwrap()
}

fn t() -> &'static StatementTemplates {
    StatementTemplates::shipped()
}

fn review(text: &str, language: &str) -> Review {
    Review {
        id: ReviewId::new(),
        shop_id: ShopId::new(),
        order_reference: "A-1001".into(),
        reviewer_reference: "ref-7f3a".into(),
        stars: Stars::new(1).unwrap(),
        text: text.into(),
        language: lang(language),
        experience_date: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        submitted_at: Utc.with_ymd_and_hms(2026, 11, 20, 9, 30, 0).unwrap(),
        source: ReviewSource::Invitation,
        status: ReviewStatus::Pending,
        flags: ReviewFlags::default(),
        version: 1,
    }
}

/// A decision on `review` that ends where `reason` needs it to.
fn decision(review: &Review, reason: StatementReason, facts: &str) -> ReviewDecision {
    let (action, from, to) = match reason {
        StatementReason::EvidenceRefused | StatementReason::EvidenceMissing => (
            ReviewAction::RefuseEvidence,
            ReviewStatus::EvidenceReceived,
            ReviewStatus::Deleted { cause: DeletionCause::EvidenceRefused },
        ),
        StatementReason::DeadlinePassed => {
            let deadline = Utc.with_ymd_and_hms(2026, 12, 4, 0, 0, 0).unwrap();
            (
                ReviewAction::ExpireDeadline,
                ReviewStatus::EvidenceRequested { deadline },
                ReviewStatus::Deleted { cause: DeletionCause::DeadlinePassed },
            )
        }
        r => {
            let reason = RejectionReason::ALL.into_iter().find(|x| StatementReason::from(*x) == r).unwrap();
            (ReviewAction::Reject { reason }, ReviewStatus::Pending, ReviewStatus::Rejected { reason })
        }
    };
    ReviewDecision {
        id: DecisionId::new(),
        review_id: review.id,
        action,
        grounds: Grounds { facts: facts.into(), ..Grounds::default() },
        decided_by: "mod-1".into(),
        decided_at: Utc.with_ymd_and_hms(2026, 12, 5, 14, 0, 0).unwrap(),
        base_version: 1,
        from,
        to,
        stars: review.stars,
        message: None,
    }
}

fn hit(text: &str, needle: &str, category: ArmCategory, rule: &str) -> ArmHit {
    let start = text.find(needle).unwrap();
    let end = start + needle.len();
    let utf16 = |b: usize| text[..b].encode_utf16().count() as u32;
    ArmHit {
        category,
        rule: rule.into(),
        start: start as u32,
        end: end as u32,
        start_utf16: utf16(start),
        end_utf16: utf16(end),
        text: needle.into(),
        explanation: "matched".into(),
    }
}

fn build(
    review: &Review,
    decision: &ReviewDecision,
    hits: &[ArmHit],
    illegal: Option<IllegalMarking>,
    free_text: &str,
) -> Result<StatementOfReasons, StatementError> {
    StatementOfReasons::build(
        StatementInput {
            decision,
            review,
            shop_name: "Nordlicht Versand",
            hits,
            illegal,
            evidence_missing: decision_is_missing(decision),
            free_text: free_text.into(),
        },
        t(),
    )
}

// The fixture marks "evidence missing" through the facts text.
fn decision_is_missing(d: &ReviewDecision) -> bool {
    d.grounds.facts.starts_with("[missing]")
}

/// A statement for every reason code, with an ARM hit where the reason has one.
fn statement_for(reason: StatementReason, language: &str) -> StatementOfReasons {
    let text = "Lieferung kam spät, der Fahrer war ein Idiot.";
    let r = review(text, language);
    let facts = if reason == StatementReason::EvidenceMissing {
        "[missing] The reply had no attachment."
    } else {
        ""
    };
    let d = decision(&r, reason, facts);
    let hits: Vec<ArmHit> =
        reason.arm_category().map(|c| vec![hit(text, "Idiot", c, "de.test.0001")]).unwrap_or_default();
    build(&r, &d, &hits, None, "").unwrap()
}

fn validator() -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(SCHEMA).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

fn assert_valid(v: &jsonschema::Validator, line: &serde_json::Value) {
    let errors: Vec<String> = v.iter_errors(line).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{line}\n{errors:#?}");
}

// --- templates -------------------------------------------------------------

#[test]
fn every_reason_code_has_a_template_in_every_shipped_language() {
    let t = t();
    let shipped: Vec<&str> = t.languages().iter().map(|l| l.as_str()).collect();
    for l in ["en", "de", "nl"] {
        assert!(shipped.contains(&l), "{l} is not shipped");
    }
    for reason in StatementReason::ALL {
        for l in &shipped {
            for part in ["term", "text"] {
                let key = format!("reasons.{}.{part}", reason.code());
                let text = t.texts.get(&key).and_then(|m| m.get(*l));
                assert!(text.is_some_and(|s| !s.trim().is_empty()), "{key} has no {l} text");
            }
        }
    }
    // Every rejection reason the domain has is a statement reason with its own code.
    for r in RejectionReason::ALL {
        let s = StatementReason::from(r);
        assert_eq!(serde_json::to_value(s).unwrap(), serde_json::to_value(r).unwrap());
        assert_eq!(StatementReason::from_code(s.code()), Some(s));
    }
}

#[test]
fn a_template_with_an_unknown_placeholder_fails_its_check() {
    let bad = SHIPPED.replacen(
        "not published your review of {shop_name}",
        "not published your review of {shop}",
        1,
    );
    assert_ne!(bad, SHIPPED);
    match StatementTemplates::parse(&bad) {
        Err(TemplateError::UnknownPlaceholder { key, language, name }) => {
            assert_eq!(
                (key.as_str(), language.as_str(), name.as_str()),
                ("reasons.insult.text", "en", "shop")
            );
        }
        other => panic!("{other:?}"),
    }
    // A placeholder known elsewhere but not in this kind of text fails too.
    let bad =
        SHIPPED.replacen("Note from our moderator: {text}", "Note from our moderator: {text} {redress}", 1);
    assert!(matches!(StatementTemplates::parse(&bad), Err(TemplateError::UnknownPlaceholder { .. })));
}

#[test]
fn malformed_incomplete_and_unknown_templates_fail_their_check() {
    let stray = SHIPPED.replacen("Decision: {decision}", "Decision: {decision", 1);
    assert!(matches!(StatementTemplates::parse(&stray), Err(TemplateError::Malformed { .. })));
    let no_redress = SHIPPED.replacen("Your options: {redress}", "Your options:", 1);
    assert!(matches!(
        StatementTemplates::parse(&no_redress),
        Err(TemplateError::MissingPlaceholder { name, .. }) if name == "redress"
    ));
    let no_dutch = SHIPPED.replacen("text.nl = \"wij hebben uw beoordeling van {shop_name} niet gepubliceerd, omdat deze bankrekeninggegevens bevat.\"\n", "", 1);
    assert!(matches!(
        StatementTemplates::parse(&no_dutch),
        Err(TemplateError::Missing { key, language }) if key == "reasons.bank_details.text" && language == "nl"
    ));
    let unknown = format!("{SHIPPED}\n[reasons.negative]\nterm.en = \"x\"\ntext.en = \"x\"\n");
    assert!(matches!(StatementTemplates::parse(&unknown), Err(TemplateError::UnknownKey(_))));
    assert!(matches!(StatementTemplates::parse("version = 1"), Err(TemplateError::Parse(_))));
}

// --- building and rendering -----------------------------------------------

#[test]
fn rendering_fills_everything_for_every_reason_and_language() {
    let t = t();
    for reason in StatementReason::ALL {
        for l in ["en", "de", "nl", "sv"] {
            let mut s = statement_for(reason, l);
            s.set_free_text("Please keep to the service next time.".into()).unwrap();
            let out = s.render(t).unwrap();
            let written_in = if l == "sv" { "en" } else { l };
            assert_eq!(s.language.as_str(), written_in);
            assert!(!out.contains('{') && !out.contains('}'), "{reason:?}/{l}: placeholder left:\n{out}");
            assert!(out.contains("Nordlicht Versand"), "{reason:?}/{l}");
            assert!(out.contains("2026-12-05"), "{reason:?}/{l}");
            assert!(out.contains(t.text("redress", written_in)), "{reason:?}/{l}");
            assert!(out.contains("Please keep to the service next time."), "{reason:?}/{l}");
            let term = t.text(&format!("reasons.{}.term", reason.code()), written_in);
            assert!(out.contains(term), "{reason:?}/{l}: term missing");
            if reason.arm_category().is_some() {
                assert!(s.automated_detection, "{reason:?}");
                assert!(out.contains(t.text("automation.detected", written_in)), "{reason:?}/{l}");
            }
            assert!(!s.automated_decision);
        }
    }
}

#[test]
fn the_structured_part_follows_from_the_decision() {
    let text = "Ware kam nie an. Idiotenladen!";
    let r = review(text, "de");
    let d = decision(&r, StatementReason::Insult, "");
    let hits = [hit(text, "Idiotenladen", ArmCategory::Insult, "de.insult.0042")];
    let s = build(&r, &d, &hits, None, "").unwrap();
    assert_eq!(s.reason, StatementReason::Insult);
    assert_eq!(s.kind, WithholdingKind::NotPublished);
    assert_eq!(s.ground, StatementGround::Contractual { rule: "arm.insult".into() });
    assert_eq!(s.facts.passages.len(), 1);
    let p = &s.facts.passages[0];
    assert_eq!((p.first_char, p.last_char), (18, 29));
    assert_eq!(p.quote.as_deref(), Some("Idiotenladen"));
    assert!(s.automated_detection && !s.automated_decision);
    assert_eq!(s.source, StatementSource::Voluntary);
    assert_eq!(s.redress.len(), 3);
    assert_eq!(s.template_version, t().version());
    let out = s.render(t()).unwrap();
    assert!(out.contains("Bewertungstexts: Zeichen 18 bis 29, „Idiotenladen“ (eine beleidigende"), "{out}");
    assert!(out.starts_with("Begründung zu Ihrer Bewertung von Nordlicht Versand"));

    // No hit and no signal: detected by a person.
    let d = decision(&r, StatementReason::ExperienceTooOld, "The order dates from March 2026.");
    let s = build(&r, &d, &hits, None, "").unwrap();
    assert!(s.facts.passages.is_empty() && !s.automated_detection);
    assert_eq!(s.ground, StatementGround::Contractual { rule: "verification.experience_too_old".into() });
    assert!(s.render(t()).unwrap().contains("The order dates from March 2026."));

    // A shop flag is the source; fake signals are automated detection.
    let mut flagged = r.clone();
    flagged.flags.shop_flag = Some(ShopFlag { reason: "fake".into(), flagged_at: d.decided_at });
    flagged.flags.fake_signals = vec![FakeSignal::NoConfirmedPurchase];
    let d = decision(&flagged, StatementReason::DeadlinePassed, "");
    let s = build(&flagged, &d, &[], None, "").unwrap();
    assert_eq!(
        (s.reason, s.kind, s.source),
        (StatementReason::DeadlinePassed, WithholdingKind::Removed, StatementSource::ShopFlag)
    );
    assert!(s.automated_detection);
}

#[test]
fn personal_data_is_described_never_quoted() {
    let text = "Frau Annegret Müller an der Hotline war ein Trampel, IBAN DE89370400440532013000.";
    let r = review(text, "de");
    let hits = [
        hit(text, "Annegret Müller", ArmCategory::PersonalData, "de.person.0003"),
        hit(text, "Müller an der Hotline war ein Trampel", ArmCategory::Insult, "de.insult.0100"),
        hit(text, "DE89370400440532013000", ArmCategory::BankDetails, "de.iban.0001"),
    ];
    for reason in [StatementReason::PersonalData, StatementReason::Insult, StatementReason::BankDetails] {
        let d = decision(&r, reason, "");
        let s = build(&r, &d, &hits, None, "").unwrap();
        assert_eq!(s.facts.passages.len(), 1, "{reason:?}");
        // The insult overlaps the name, so it is described as well.
        assert!(s.facts.passages.iter().all(|p| p.quote.is_none()), "{reason:?}");
        for l in ["de", "en"] {
            let mut s = s.clone();
            s.language = lang(l);
            let out = s.render(t()).unwrap();
            assert!(!out.contains("Müller") && !out.contains("DE8937"), "{reason:?}/{l}:\n{out}");
            let described = if l == "de" { "hier nicht wiederholt" } else { "not repeated here" };
            assert!(out.contains(described), "{reason:?}/{l}");
        }
        let line = serde_json::to_string(&s.dsa_record(t(), &eea_scope()).unwrap()).unwrap();
        assert!(!line.contains("Müller") && !line.contains("DE8937"), "{line}");
    }
}

#[test]
fn over_long_free_text_is_refused_with_a_clear_error() {
    let r = review("Gut.", "en");
    let d = decision(&r, StatementReason::SpamDuplicate, "");
    let at_limit = "ä".repeat(MAX_FREE_TEXT_CHARS);
    let mut s = build(&r, &d, &[], None, &at_limit).unwrap();
    let over = "ä".repeat(MAX_FREE_TEXT_CHARS + 1);
    let want = StatementError::FreeTextTooLong { max: MAX_FREE_TEXT_CHARS, got: MAX_FREE_TEXT_CHARS + 1 };
    assert_eq!(build(&r, &d, &[], None, &over), Err(want.clone()));
    assert_eq!(s.set_free_text(over), Err(want.clone()));
    assert_eq!(s.free_text, at_limit, "a refused edit leaves the note as it was");
    assert_eq!(want.to_string(), "the note to the reviewer has 2001 characters; at most 2000 are allowed");
}

#[test]
fn untrusted_text_stays_literal() {
    let r = review("{facts} <b>x</b>", "en");
    let d = decision(&r, StatementReason::SpamDuplicate, "Posted {redress} twice.");
    let mut s = build(&r, &d, &[], None, "{decided_on}<script>").unwrap();
    s.shop_name = "{note} & Co".into();
    let out = s.render(t()).unwrap();
    assert!(out.contains("{decided_on}<script>"));
    assert!(out.contains("Posted {redress} twice."));
    assert!(out.contains("review of {note} & Co"));
}

#[test]
fn bad_input_to_build_is_an_error() {
    let r = review("Top!", "en");
    let mut d = decision(&r, StatementReason::Insult, "");
    d.to = ReviewStatus::Published;
    assert_eq!(build(&r, &d, &[], None, ""), Err(StatementError::NotWithheld("published")));
    let d = decision(&r, StatementReason::Insult, "");
    let other = review("Top!", "en");
    assert_eq!(build(&other, &d, &[], None, ""), Err(StatementError::ReviewMismatch));
    let bad_hit = ArmHit { start: 2, end: 99, ..hit("Top!", "Top", ArmCategory::Insult, "x") };
    assert_eq!(build(&r, &d, &[bad_hit], None, ""), Err(StatementError::HitOutOfRange));
    let mark = |p: &str, e: &str| Some(IllegalMarking { provision: p.into(), explanation: e.into() });
    assert_eq!(build(&r, &d, &[], mark(" ", "x"), ""), Err(StatementError::MissingProvision));
    assert_eq!(build(&r, &d, &[], mark("§ 185 StGB", ""), ""), Err(StatementError::MissingExplanation));
    let long = "x".repeat(MAX_PROVISION_CHARS + 1);
    assert!(matches!(build(&r, &d, &[], mark(&long, "x"), ""), Err(StatementError::ProvisionTooLong { .. })));
    let d = decision(&r, StatementReason::TobaccoUse, "");
    assert_eq!(
        build(&r, &d, &[], mark("§ 19 TabakerzG", "Advertising."), ""),
        Err(StatementError::IllegalNotMappable(StatementReason::TobaccoUse))
    );
    // "Evidence missing" only qualifies a refused-evidence deletion.
    let d = decision(&r, StatementReason::Insult, "[missing]");
    assert_eq!(build(&r, &d, &[], None, ""), Err(StatementError::EvidenceMissingNotApplicable));
    // A statement rendered with another template version is refused, not guessed.
    let mut s = statement_for(StatementReason::Insult, "en");
    s.template_version = "1999-01.1".into();
    assert!(matches!(s.render(t()), Err(StatementError::TemplateVersion { .. })));
}

#[test]
fn which_actions_owe_a_statement() {
    let deadline = Utc.with_ymd_and_hms(2026, 12, 4, 0, 0, 0).unwrap();
    assert!(owes_statement(ReviewAction::Reject { reason: RejectionReason::Insult }));
    assert!(owes_statement(ReviewAction::RefuseEvidence));
    assert!(owes_statement(ReviewAction::ExpireDeadline));
    for a in [
        ReviewAction::Publish,
        ReviewAction::RequestEvidence { deadline },
        ReviewAction::ReceiveEvidence,
        ReviewAction::AcceptEvidence,
    ] {
        assert!(!owes_statement(a), "{a:?}");
    }
}

// --- export -------------------------------------------------------------------

#[test]
fn the_export_line_for_every_reason_code_validates_against_the_schema() {
    let v = validator();
    for reason in StatementReason::ALL {
        let s = statement_for(reason, "de");
        let record = s.dsa_record(t(), &eea_scope()).unwrap();
        let line = serde_json::to_value(&record).unwrap();
        assert_valid(&v, &line);
        assert_eq!(line["category"], serde_json::to_value(dsa_mapping(reason).category).unwrap());
        assert_eq!(line["decision_ground"], "DECISION_GROUND_INCOMPATIBLE_CONTENT");
        assert_eq!(line["automated_decision"], "AUTOMATED_DECISION_NOT_AUTOMATED");
        assert_eq!(line["content_language"], "DE");
        assert_eq!(line["content_date"], "2026-11-20");
        assert_eq!(line["application_date"], "2026-12-05");
        assert_eq!(line["territorial_scope"].as_array().unwrap().len(), 30);
        assert_eq!(line["puid"], s.decision_id.to_string());
        // The note to the reviewer never leaves for the database.
        assert!(line.get("free_text").is_none());

        if dsa_mapping(reason).illegal_allowed {
            let text = "Lieferung kam spät, der Fahrer war ein Idiot.";
            let r = review(text, "nl");
            let d = decision(
                &r,
                reason,
                if reason == StatementReason::EvidenceMissing { "[missing]" } else { "" },
            );
            let hits: Vec<ArmHit> =
                reason.arm_category().map(|c| vec![hit(text, "Idiot", c, "x.1")]).unwrap_or_default();
            let marking =
                IllegalMarking { provision: "§ 185 StGB".into(), explanation: "Insults the driver.".into() };
            let s = build(&r, &d, &hits, Some(marking), "").unwrap();
            let line = serde_json::to_value(s.dsa_record(t(), &eea_scope()).unwrap()).unwrap();
            assert_valid(&v, &line);
            assert_eq!(line["decision_ground"], "DECISION_GROUND_ILLEGAL_CONTENT");
            assert_eq!(line["illegal_content_legal_ground"], "§ 185 StGB");
            assert!(line.get("incompatible_content_ground").is_none());
        }
    }
}

#[test]
fn values_outside_the_enumerations_are_errors() {
    let s = statement_for(StatementReason::Insult, "de");
    let ch: CountryCode = "CH".parse().unwrap();
    assert_eq!(s.dsa_record(t(), &[ch]), Err(ExportError::TerritoryOutsideEea("CH".into())));
    assert_eq!(s.dsa_record(t(), &[]), Err(ExportError::EmptyTerritorialScope));
    let mut unknown_language = s.clone();
    unknown_language.review_language = lang("xx");
    assert_eq!(
        unknown_language.dsa_record(t(), &eea_scope()),
        Err(ExportError::UnknownLanguage("XX".into()))
    );
    let mut automated = s.clone();
    automated.automated_decision = true;
    assert_eq!(automated.dsa_record(t(), &eea_scope()), Err(ExportError::AutomatedDecision));
    let mut old = s.clone();
    old.review_submitted_on = NaiveDate::from_ymd_opt(1999, 12, 31).unwrap();
    assert!(matches!(
        old.dsa_record(t(), &eea_scope()),
        Err(ExportError::DateOutOfRange { field: "content_date", .. })
    ));
    let mut illegal_tc = statement_for(StatementReason::SpamDuplicate, "de");
    illegal_tc.ground = StatementGround::Illegal {
        provision: "x".into(),
        explanation: "y".into(),
        rule: "verification.spam_duplicate".into(),
    };
    assert_eq!(
        illegal_tc.dsa_record(t(), &eea_scope()),
        Err(ExportError::IllegalNotMappable(StatementReason::SpamDuplicate))
    );
    let mut long = s.clone();
    long.facts.description = "x".repeat(MAX_DECISION_FACTS_CHARS);
    assert!(matches!(
        long.dsa_record(t(), &eea_scope()),
        Err(ExportError::TextTooLong { field: "decision_facts", .. })
    ));

    // And the schema itself refuses what the database would.
    let v = validator();
    let good = serde_json::to_value(s.dsa_record(t(), &eea_scope()).unwrap()).unwrap();
    assert_valid(&v, &good);
    let broken = [
        ("category", serde_json::json!("STATEMENT_CATEGORY_NEGATIVE_REVIEW")),
        ("category", serde_json::json!("STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE")),
        ("decision_visibility", serde_json::json!(["DECISION_VISIBILITY_HIDDEN"])),
        ("automated_detection", serde_json::json!("Maybe")),
        ("automated_decision", serde_json::json!("No")),
        ("source_type", serde_json::json!("SOURCE_SHOP")),
        ("territorial_scope", serde_json::json!(["DE", "CH"])),
        ("content_language", serde_json::json!("de")),
        ("content_date", serde_json::json!("2026-13-01")),
        ("puid", serde_json::json!("has space")),
        ("decision_ground", serde_json::json!("DECISION_GROUND_ILLEGAL_CONTENT")),
        ("free_text", serde_json::json!("to the reviewer")),
    ];
    for (field, value) in broken {
        let mut line = good.clone();
        line[field] = value.clone();
        assert!(!v.is_valid(&line), "{field} = {value} passed the schema");
    }
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("decision_facts");
    assert!(!v.is_valid(&missing));
}

#[test]
fn every_category_we_emit_is_in_the_schema() {
    let schema: serde_json::Value = serde_json::from_str(SCHEMA).unwrap();
    let allowed = |field: &str| -> Vec<serde_json::Value> {
        let p = &schema["properties"][field];
        p.get("enum").or_else(|| p["items"].get("enum")).unwrap().as_array().unwrap().clone()
    };
    for reason in StatementReason::ALL {
        let m = dsa_mapping(reason);
        assert!(allowed("category").contains(&serde_json::to_value(m.category).unwrap()), "{reason:?}");
        if let Some(k) = m.keyword {
            assert!(allowed("category_specification").contains(&serde_json::to_value(k).unwrap()));
        }
    }
    let langs = allowed("content_language");
    assert_eq!(langs.len(), ISO_639_1.split_ascii_whitespace().count());
    for l in ISO_639_1.split_ascii_whitespace() {
        assert!(langs.contains(&serde_json::json!(l)), "{l}");
    }
    let eea = allowed("territorial_scope");
    assert_eq!(eea, EEA_COUNTRIES.iter().map(|c| serde_json::json!(c)).collect::<Vec<_>>());
}

#[test]
fn the_mapping_doc_lists_every_reason_with_its_category() {
    for reason in StatementReason::ALL {
        let m = dsa_mapping(reason);
        let category = serde_json::to_value(m.category).unwrap();
        let row = MAPPING_DOC
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` ", reason.code())))
            .unwrap_or_else(|| panic!("no row for {}", reason.code()));
        assert!(row.contains(category.as_str().unwrap()), "{row}");
        if let Some(k) = m.keyword {
            assert!(row.contains(serde_json::to_value(k).unwrap().as_str().unwrap()), "{row}");
        }
        assert_eq!(row.contains("| yes |"), m.clean, "{row}");
    }
}

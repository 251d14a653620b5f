//! The audit report a shop receives: title page, one page per improvement
//! point, and what happens next.

use std::collections::HashMap;

use chrono::NaiveDate;
use trustdesk_domain::checklist::{ImprovementPoint, ImprovementReport};
use trustdesk_domain::{AuditKind, AuditOutcome, EvidenceRef};

use crate::i18n::Lang;
use crate::{Block, Document, RenderLabels, Section};

/// What the report itself does not carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditReportContext {
    pub shop_name: String,
    pub auditor: String,
    /// The day the audit was completed.
    pub date: NaiveDate,
    /// Until when the shop should make the improvements, if set.
    pub improvements_due: Option<NaiveDate>,
    /// Evidence file contents by SHA-256 (hex, any case). PNG and JPEG files
    /// become thumbnails; other files and missing ones are listed by name.
    pub evidence: HashMap<String, Vec<u8>>,
}

/// Our label texts; the criterion texts come translated in the report.
struct Labels(Lang);

impl Labels {
    fn t(&self, en: &'static str, de: &'static str, nl: &'static str) -> String {
        self.0.pick(en, de, nl).to_owned()
    }

    fn kind(&self, k: AuditKind) -> String {
        match k {
            AuditKind::Initial => self.t("Initial audit", "Erstaudit", "Eerste audit"),
            AuditKind::ReAudit => self.t("Re-audit", "Nachaudit", "Heraudit"),
            AuditKind::SpotCheck => self.t("Spot check", "Stichprobenprüfung", "Steekproefcontrole"),
        }
    }

    fn outcome(&self, o: &AuditOutcome) -> String {
        match o {
            AuditOutcome::Certified => self.t("Certified", "Zertifiziert", "Gecertificeerd"),
            AuditOutcome::ImprovementsRequired { .. } => {
                self.t("Improvements required", "Verbesserungen erforderlich", "Verbeteringen vereist")
            }
            AuditOutcome::Incomplete { .. } => self.t(
                "Not final: audit in progress",
                "Vorläufig: Audit läuft noch",
                "Voorlopig: audit loopt nog",
            ),
        }
    }
}

/// The report as a document in the report's language (labels in English,
/// German or Dutch; English for any other).
pub fn audit_report(report: &ImprovementReport, ctx: &AuditReportContext) -> Document {
    let lang = Lang::from_code(report.language.as_str());
    let l = Labels(lang);
    let c = report.counts;
    let points = report.points.len();

    let mut counts = format!(
        "{} {}: {} {}, {} {}, {} {}",
        c.total,
        l.t("criteria", "Kriterien", "criteria"),
        c.passed,
        l.t("passed", "erfüllt", "voldaan"),
        c.failed,
        l.t("not met", "nicht erfüllt", "niet voldaan"),
        c.not_applicable,
        l.t("not applicable", "nicht anwendbar", "niet van toepassing"),
    );
    if c.open > 0 {
        counts.push_str(&format!(", {} {}", c.open, l.t("still open", "noch offen", "nog open")));
    }
    let mut meta = vec![
        (l.t("Shop", "Shop", "Webwinkel"), ctx.shop_name.clone()),
        (l.t("Audit date", "Datum des Audits", "Datum van de audit"), lang.date(ctx.date)),
        (l.t("Auditor", "Auditor", "Auditor"), ctx.auditor.clone()),
        (l.t("Kind of audit", "Art des Audits", "Soort audit"), l.kind(report.kind)),
        (l.t("Outcome", "Ergebnis", "Uitkomst"), l.outcome(&report.outcome)),
        (l.t("Checklist", "Prüfliste", "Checklist"), counts),
        (l.t("Improvement points", "Verbesserungspunkte", "Verbeterpunten"), points.to_string()),
    ];
    if let Some(due) = ctx.improvements_due.filter(|_| points > 0) {
        meta.push((
            l.t("Improvements due by", "Verbesserungen bis", "Verbeteringen uiterlijk"),
            lang.date(due),
        ));
    }
    meta.push((
        l.t("Reference", "Referenz", "Referentie"),
        format!("{} · {} v{}", report.audit_id, report.template_id, report.template_version),
    ));

    let mut sections = vec![summary(report, &l)];
    sections.extend(report.points.iter().enumerate().map(|(i, p)| point_section(i + 1, p, ctx, &l)));
    sections.push(next_steps(report, ctx, &l));

    Document {
        lang: lang.code().to_owned(),
        title: format!("{} – {}", l.t("Audit report", "Auditbericht", "Auditrapport"), ctx.shop_name),
        subtitle: format!("{} · {}", report.template_title, l.kind(report.kind)),
        meta,
        sections,
        labels: RenderLabels {
            footer: format!("Trustdesk · {} · {}", ctx.shop_name, lang.date(ctx.date)),
            ..RenderLabels::for_lang(lang.code())
        },
    }
}

fn summary(report: &ImprovementReport, l: &Labels) -> Section {
    let n = report.points.len();
    let intro = match &report.outcome {
        AuditOutcome::Certified => l.t(
            "Your shop meets every criterion of the code of conduct that applies to it. Thank you for the care you put into your customers' rights.",
            "Ihr Shop erfüllt jedes Kriterium des Verhaltenskodex, das für ihn gilt. Vielen Dank für die Sorgfalt, mit der Sie die Rechte Ihrer Kundinnen und Kunden achten.",
            "Uw webwinkel voldoet aan elk criterium van de gedragscode dat op hem van toepassing is. Dank u voor de zorg waarmee u de rechten van uw klanten respecteert.",
        ),
        AuditOutcome::ImprovementsRequired { .. } => format!(
            "{} {n}. {}",
            l.t(
                "We checked your shop against the code of conduct. Points that need improvement:",
                "Wir haben Ihren Shop anhand des Verhaltenskodex geprüft. Punkte, die verbessert werden müssen:",
                "Wij hebben uw webwinkel getoetst aan de gedragscode. Punten die verbeterd moeten worden:",
            ),
            l.t(
                "Each one follows on its own page: why it matters and what to do.",
                "Jeder folgt auf einer eigenen Seite: warum er wichtig ist und was zu tun ist.",
                "Elk punt volgt op een eigen pagina: waarom het belangrijk is en wat u moet doen.",
            )
        ),
        AuditOutcome::Incomplete { .. } => l.t(
            "This audit is not finished yet; this is a preview of the report, not its final version.",
            "Dieses Audit ist noch nicht abgeschlossen; dies ist eine Vorschau des Berichts, nicht seine endgültige Fassung.",
            "Deze audit is nog niet afgerond; dit is een voorbeeld van het rapport, niet de definitieve versie.",
        ),
    };
    let mut blocks = vec![Block::Paragraph(intro)];
    if n > 0 {
        blocks.push(Block::List(
            report
                .points
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    if p.topic_title.is_empty() {
                        format!("{}. {}", i + 1, p.title)
                    } else {
                        format!("{}. {} ({})", i + 1, p.title, p.topic_title)
                    }
                })
                .collect(),
        ));
    }
    Section { heading: l.t("Summary", "Zusammenfassung", "Samenvatting"), new_page: false, blocks }
}

fn point_section(n: usize, p: &ImprovementPoint, ctx: &AuditReportContext, l: &Labels) -> Section {
    let mut facts = Vec::new();
    if !p.topic_title.is_empty() {
        facts.push((l.t("Topic", "Thema", "Onderwerp"), p.topic_title.clone()));
    }
    facts.push((l.t("Criterion", "Kriterium", "Criterium"), p.criterion_id.clone()));
    let mut blocks = vec![Block::KeyValues(facts)];
    if !p.why.trim().is_empty() {
        blocks.push(Block::Subheading(l.t(
            "Why this matters",
            "Warum das wichtig ist",
            "Waarom dit belangrijk is",
        )));
        blocks.push(Block::Paragraph(p.why.clone()));
    }
    if !p.guidance.trim().is_empty() {
        blocks.push(Block::Subheading(l.t("What to do", "Was zu tun ist", "Wat u moet doen")));
        blocks.push(Block::Paragraph(p.guidance.clone()));
    }
    if !p.note.trim().is_empty() {
        blocks.push(Block::Note {
            label: l.t("The auditor's note", "Anmerkung des Auditors", "Opmerking van de auditor"),
            text: p.note.clone(),
        });
    }
    if !p.evidence.is_empty() {
        blocks.push(Block::Subheading(l.t("Evidence", "Nachweise", "Bewijs")));
        let by_hash: HashMap<String, &Vec<u8>> =
            ctx.evidence.iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect();
        let mut listed = Vec::new();
        for e in &p.evidence {
            match e {
                EvidenceRef::File { sha256, name } => match by_hash.get(&sha256.to_ascii_lowercase()) {
                    Some(bytes) if crate::image::looks_like_image(name, bytes) => {
                        blocks.push(Block::Image { caption: name.clone(), bytes: (*bytes).clone() });
                    }
                    Some(_) => listed.push(name.clone()),
                    None => listed.push(format!(
                        "{name} ({})",
                        l.t("file not included", "Datei nicht beigefügt", "bestand niet bijgevoegd")
                    )),
                },
                EvidenceRef::Url { url } => listed.push(url.clone()),
            }
        }
        if !listed.is_empty() {
            blocks.push(Block::List(listed));
        }
    }
    Section { heading: format!("{n}. {}", p.title), new_page: true, blocks }
}

fn next_steps(report: &ImprovementReport, ctx: &AuditReportContext, l: &Labels) -> Section {
    let mut blocks = Vec::new();
    match &report.outcome {
        AuditOutcome::ImprovementsRequired { .. } => {
            blocks.push(Block::Paragraph(l.t(
                "Please make the improvements described above and tell us when you are done. We will then carry out a re-audit: it checks these points first and the rest of the checklist briefly. Once every applicable criterion is met, your shop receives the trustmark or keeps it.",
                "Bitte setzen Sie die oben beschriebenen Verbesserungen um und geben Sie uns Bescheid, sobald Sie fertig sind. Wir führen dann ein Nachaudit durch: Es prüft zuerst diese Punkte und den Rest der Prüfliste kurz. Sobald jedes anwendbare Kriterium erfüllt ist, erhält oder behält Ihr Shop das Gütesiegel.",
                "Voer de hierboven beschreven verbeteringen door en laat het ons weten zodra u klaar bent. Wij voeren dan een heraudit uit: die controleert eerst deze punten en de rest van de checklist kort. Zodra aan elk toepasselijk criterium is voldaan, ontvangt of behoudt uw webwinkel het keurmerk.",
            )));
            if let Some(due) = ctx.improvements_due {
                blocks.push(Block::Paragraph(format!(
                    "{} {}.",
                    l.t(
                        "Please complete the improvements by",
                        "Bitte schließen Sie die Verbesserungen ab bis zum",
                        "Rond de verbeteringen af uiterlijk op"
                    ),
                    l.0.date(due)
                )));
            }
        }
        AuditOutcome::Certified => blocks.push(Block::Paragraph(l.t(
            "Your shop may show the trustmark. We check certified shops again from time to time without notice (spot checks), so please keep your shop's information up to date as the law changes.",
            "Ihr Shop darf das Gütesiegel zeigen. Wir prüfen zertifizierte Shops von Zeit zu Zeit unangekündigt erneut (Stichproben); bitte halten Sie die Angaben Ihres Shops aktuell, wenn sich die Rechtslage ändert.",
            "Uw webwinkel mag het keurmerk tonen. Wij controleren gecertificeerde webwinkels af en toe onaangekondigd opnieuw (steekproeven); houd de informatie van uw webwinkel actueel wanneer de wet verandert.",
        ))),
        AuditOutcome::Incomplete { .. } => blocks.push(Block::Paragraph(l.t(
            "The auditor is still working on this audit. You will receive the final report when it is complete.",
            "Der Auditor arbeitet noch an diesem Audit. Sie erhalten den endgültigen Bericht, sobald es abgeschlossen ist.",
            "De auditor werkt nog aan deze audit. U ontvangt het definitieve rapport zodra deze is afgerond.",
        ))),
    }
    blocks.push(Block::Paragraph(format!(
        "{} {}.",
        l.t(
            "Questions about this report? Your auditor is",
            "Fragen zu diesem Bericht? Ihr Auditor ist",
            "Vragen over dit rapport? Uw auditor is"
        ),
        ctx.auditor
    )));
    Section {
        heading: l.t("What happens next", "Wie es weitergeht", "Hoe het verder gaat"),
        new_page: false,
        blocks,
    }
}

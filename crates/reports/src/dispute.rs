//! Dispute documents: the written decision for either party, and the case
//! file that goes to binding arbitration.

use chrono::NaiveDate;
use trustdesk_domain::dispute::{Author, DisputeOutcome, Party};
use trustdesk_domain::{DisputeCase, DisputeStage};

use crate::i18n::Lang;
use crate::{Block, Document, RenderLabels, ReportError, Section};

/// What the case itself does not carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisputeContext {
    pub shop_name: String,
    pub consumer_name: String,
    pub mediator: String,
    /// The day the document is issued.
    pub date: NaiveDate,
    /// Attachments of the case file by file name; PNG and JPEG become
    /// thumbnails, other files are listed.
    pub attachments: Vec<(String, Vec<u8>)>,
}

struct Labels(Lang);

impl Labels {
    fn t(&self, en: &'static str, de: &'static str, nl: &'static str) -> String {
        self.0.pick(en, de, nl).to_owned()
    }

    fn author(&self, a: Author) -> String {
        match a {
            Author::Consumer => self.t("Consumer", "Verbraucher/in", "Consument"),
            Author::Shop => self.t("Shop", "Shop", "Webwinkel"),
            Author::Mediator => self.t("Mediator", "Schlichter/in", "Bemiddelaar"),
        }
    }

    fn party(&self, p: Party, ctx: &DisputeContext) -> String {
        match p {
            Party::Consumer => format!("{} ({})", ctx.consumer_name, self.author(Author::Consumer)),
            Party::Shop => format!("{} ({})", ctx.shop_name, self.author(Author::Shop)),
        }
    }

    fn stage(&self, s: DisputeStage) -> String {
        match s {
            DisputeStage::Communication => {
                self.t("Direct communication", "Direkte Kommunikation", "Directe communicatie")
            }
            DisputeStage::Mediation => self.t("Mediation", "Schlichtung", "Bemiddeling"),
            DisputeStage::ArbitrationReferral => self.t(
                "Referred to arbitration",
                "An das Schiedsverfahren verwiesen",
                "Doorverwezen naar arbitrage",
            ),
            DisputeStage::Closed => self.t("Closed", "Abgeschlossen", "Afgesloten"),
        }
    }

    fn outcome(&self, o: DisputeOutcome) -> String {
        match o {
            DisputeOutcome::ConsumerPrevails => self.t(
                "The consumer's claim is upheld.",
                "Der Forderung der Verbraucherin/des Verbrauchers wird stattgegeben.",
                "De vordering van de consument wordt toegewezen.",
            ),
            DisputeOutcome::ShopPrevails => self.t(
                "The consumer's claim is rejected; the shop's position is upheld.",
                "Die Forderung wird abgewiesen; der Standpunkt des Shops wird bestätigt.",
                "De vordering wordt afgewezen; het standpunt van de webwinkel wordt bevestigd.",
            ),
            DisputeOutcome::PartlyUpheld => self.t(
                "The consumer's claim is upheld in part.",
                "Der Forderung der Verbraucherin/des Verbrauchers wird teilweise stattgegeben.",
                "De vordering van de consument wordt gedeeltelijk toegewezen.",
            ),
            DisputeOutcome::Settled => self.t(
                "The parties have settled the dispute.",
                "Die Parteien haben den Streit durch einen Vergleich beigelegt.",
                "De partijen hebben het geschil door een schikking beëindigd.",
            ),
        }
    }

    fn case_facts(&self, case: &DisputeCase, ctx: &DisputeContext) -> Vec<(String, String)> {
        vec![
            (self.t("Case", "Fall", "Zaak"), case.id.to_string()),
            (self.author(Author::Consumer), ctx.consumer_name.clone()),
            (self.author(Author::Shop), ctx.shop_name.clone()),
            (self.t("Order", "Bestellung", "Bestelling"), case.order_reference.clone()),
            (self.t("Claim", "Forderung", "Vordering"), self.0.money(case.claim)),
            (self.t("Mediator", "Schlichter/in", "Bemiddelaar"), ctx.mediator.clone()),
        ]
    }
}

/// The written decision in `lang` (English, German or Dutch labels; English
/// for any other). [`ReportError::NotDecided`] while the case has none.
pub fn dispute_decision(
    case: &DisputeCase,
    ctx: &DisputeContext,
    lang: &str,
) -> Result<Document, ReportError> {
    let d = case.decision.as_ref().ok_or(ReportError::NotDecided)?;
    let lang = Lang::from_code(lang);
    let l = Labels(lang);
    let mut meta = l.case_facts(case, ctx);
    meta.push((
        l.t("Date of decision", "Datum der Entscheidung", "Datum van de beslissing"),
        lang.date(d.decided_at.date_naive()),
    ));

    let mut decision = vec![Block::Paragraph(l.outcome(d.outcome))];
    let mut remedy = Vec::new();
    if let Some(r) = d.remedy.as_ref().filter(|r| !r.trim().is_empty()) {
        remedy.push((l.t("Remedy", "Abhilfe", "Herstel"), r.clone()));
    }
    if let Some(m) = d.remedy_amount {
        remedy.push((l.t("Amount", "Betrag", "Bedrag"), lang.money(m)));
    }
    if !remedy.is_empty() {
        decision.push(Block::KeyValues(remedy));
    }
    let fee = match &d.fee {
        Some(f) => format!(
            "{} {} {}.",
            l.party(f.payer, ctx),
            l.t(
                "bears the arbitration fee of",
                "trägt die Schiedsgebühr von",
                "draagt de arbitragekosten van"
            ),
            lang.money(f.amount)
        ),
        None => l.t(
            "No arbitration fee is charged.",
            "Es wird keine Schiedsgebühr erhoben.",
            "Er worden geen arbitragekosten in rekening gebracht.",
        ),
    };
    let sections = vec![
        Section { heading: l.t("Decision", "Entscheidung", "Beslissing"), new_page: false, blocks: decision },
        Section {
            heading: l.t("Reasoning", "Begründung", "Motivering"),
            new_page: false,
            blocks: vec![Block::Paragraph(d.reasoning.clone())],
        },
        Section {
            heading: l.t("Fees and next steps", "Gebühren und nächste Schritte", "Kosten en vervolg"),
            new_page: false,
            blocks: vec![
                Block::Paragraph(fee),
                Block::Paragraph(l.t(
                    "This decision has been issued and will not be changed. Please carry out what it requires within 14 days.",
                    "Diese Entscheidung ist ergangen und wird nicht mehr geändert. Bitte setzen Sie sie innerhalb von 14 Tagen um.",
                    "Deze beslissing is genomen en wordt niet meer gewijzigd. Voer haar binnen 14 dagen uit.",
                )),
            ],
        },
    ];
    Ok(Document {
        lang: lang.code().to_owned(),
        title: l.t(
            "Decision in your dispute",
            "Entscheidung in Ihrem Streitfall",
            "Beslissing in uw geschil",
        ),
        subtitle: format!("{} – {}", ctx.shop_name, case.order_reference),
        meta,
        sections,
        labels: RenderLabels {
            footer: format!("Trustdesk · {} {}", l.t("Case", "Fall", "Zaak"), case.id),
            ..RenderLabels::for_lang(lang.code())
        },
    })
}

/// The file for binding arbitration: summary, the full timeline of
/// messages, and the attachments.
pub fn arbitration_case_file(case: &DisputeCase, ctx: &DisputeContext, lang: &str) -> Document {
    let lang = Lang::from_code(lang);
    let l = Labels(lang);
    let mut meta = l.case_facts(case, ctx);
    meta.push((l.t("Stage", "Stand", "Fase"), l.stage(case.stage)));
    meta.push((
        l.t("Consumer's language", "Sprache der Verbraucherin/des Verbrauchers", "Taal van de consument"),
        case.language.as_str().to_owned(),
    ));
    if let Some(deadline) = case.deadline {
        meta.push((l.t("Next deadline", "Nächste Frist", "Volgende termijn"), lang.date_time(deadline)));
    }
    meta.push((l.t("Prepared on", "Erstellt am", "Opgesteld op"), lang.date(ctx.date)));

    let mut messages: Vec<_> = case.messages.iter().collect();
    messages.sort_by_key(|m| m.sent_at);
    let summary = vec![
        Block::Paragraph(format!(
            "{} {} {} {} {}. {}: {}.",
            ctx.consumer_name,
            l.t("claims", "fordert", "vordert"),
            lang.money(case.claim),
            l.t("concerning order", "zur Bestellung", "voor bestelling"),
            case.order_reference,
            l.t("Messages in the case", "Nachrichten im Fall", "Berichten in de zaak"),
            messages.len()
        )),
        Block::KeyValues(vec![
            (
                l.t("First message", "Erste Nachricht", "Eerste bericht"),
                messages.first().map_or_else(|| "–".to_owned(), |m| lang.date_time(m.sent_at)),
            ),
            (
                l.t("Last message", "Letzte Nachricht", "Laatste bericht"),
                messages.last().map_or_else(|| "–".to_owned(), |m| lang.date_time(m.sent_at)),
            ),
            (l.t("Attachments", "Anhänge", "Bijlagen"), ctx.attachments.len().to_string()),
        ]),
    ];
    let mut timeline = Vec::new();
    for m in &messages {
        timeline.push(Block::Subheading(format!("{} · {}", lang.date_time(m.sent_at), l.author(m.author))));
        timeline.push(Block::Paragraph(m.body.clone()));
    }
    if timeline.is_empty() {
        timeline.push(Block::Paragraph(l.t("No messages.", "Keine Nachrichten.", "Geen berichten.")));
    }
    let mut attachments = Vec::new();
    let mut other = Vec::new();
    for (name, bytes) in &ctx.attachments {
        if crate::image::looks_like_image(name, bytes) {
            attachments.push(Block::Image { caption: name.clone(), bytes: bytes.clone() });
        } else {
            other.push(name.clone());
        }
    }
    if !other.is_empty() {
        attachments.push(Block::List(other));
    }
    if attachments.is_empty() {
        attachments.push(Block::Paragraph(l.t("No attachments.", "Keine Anhänge.", "Geen bijlagen.")));
    }
    let mut sections = vec![
        Section {
            heading: l.t("Summary", "Zusammenfassung", "Samenvatting"),
            new_page: false,
            blocks: summary,
        },
        Section { heading: l.t("Timeline", "Verlauf", "Tijdlijn"), new_page: true, blocks: timeline },
        Section { heading: l.t("Attachments", "Anhänge", "Bijlagen"), new_page: true, blocks: attachments },
    ];
    if let Some(d) = &case.decision {
        sections.push(Section {
            heading: l.t("Decision", "Entscheidung", "Beslissing"),
            new_page: true,
            blocks: vec![Block::Paragraph(l.outcome(d.outcome)), Block::Paragraph(d.reasoning.clone())],
        });
    }
    Document {
        lang: lang.code().to_owned(),
        title: l.t("Arbitration case file", "Akte für das Schiedsverfahren", "Dossier voor arbitrage"),
        subtitle: format!("{} – {} – {}", ctx.consumer_name, ctx.shop_name, case.order_reference),
        meta,
        sections,
        labels: RenderLabels {
            footer: format!("Trustdesk · {} {}", l.t("Case", "Fall", "Zaak"), case.id),
            ..RenderLabels::for_lang(lang.code())
        },
    }
}

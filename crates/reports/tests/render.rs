//! Renders real documents and checks them as a reader would: the PDF turned
//! into pictures with `pdftoppm` and into text with `pdftotext` (Debian:
//! poppler-utils), the HTML searched for anything an attacker could inject.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{NaiveDate, TimeZone, Utc};
use trustdesk_domain::checklist::{self, ImprovementReport};
use trustdesk_domain::dispute::{Author, DisputeMessage, DisputeOutcome};
use trustdesk_domain::{
    AuditCase, AuditId, AuditKind, ChecklistStatus, DisputeCase, DisputeId, DisputeStage, EvidenceRef,
    MessageId, Money, ShopId,
};
use trustdesk_reports::{
    arbitration_case_file, audit_report, dispute_decision, to_html, to_pdf, AuditReportContext,
    DisputeContext,
};

/// A thumbnail with a colour no text or rule in the report uses.
const EVIDENCE_RED: [u8; 3] = [230, 20, 40];

fn evidence_png(width: u32, height: u32) -> Vec<u8> {
    let mut pixels = Vec::with_capacity((width * height * 3) as usize);
    for y in 0..height {
        for x in 0..width {
            // Red with a darker band, like a screenshot with a toolbar.
            pixels.extend(if y < height / 6 {
                [40, 40, 60]
            } else if (x / 20) % 2 == 0 {
                EVIDENCE_RED
            } else {
                [250, 250, 250]
            });
        }
    }
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, width, height);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header().unwrap();
    w.write_image_data(&pixels).unwrap();
    w.finish().unwrap();
    out
}

const SHOP: &str = "Müller & Söhne Straßenbedarf";
const AUDITOR: &str = "Paweł Żółkiewski";
const LONG_MARK: &str = "Zusatzhinweis zur Umsetzung";

/// A German report from the built-in checklist: three failed criteria, one
/// with two screenshots, one with a guidance text long enough to need a
/// second page, one with a broken image.
fn german_report(long_guidance: bool) -> (ImprovementReport, AuditReportContext) {
    let countries = vec!["DE".parse().unwrap()];
    let mut items = checklist::initial_items(&countries);
    let failed = ["eu.prices.vat_included", "eu.withdrawal.online_function", "eu.withdrawal.model_form"];
    for item in &mut items {
        item.status = if failed.contains(&item.criterion_id.as_str()) {
            ChecklistStatus::Fail
        } else {
            ChecklistStatus::Pass
        };
    }
    let shot_a = evidence_png(320, 200);
    let shot_b = evidence_png(180, 240);
    let broken = shot_a[..shot_a.len() / 2].to_vec();
    for item in &mut items {
        match item.criterion_id.as_str() {
            "eu.prices.vat_included" => {
                item.note = "Auf der Produktseite „Gartenschlauch 25 m“ fehlt der Hinweis „inkl. MwSt.“; gesehen am 3. März.".into();
                item.evidence = vec![
                    EvidenceRef::File { sha256: "AA11".into(), name: "produktseite.png".into() },
                    EvidenceRef::File { sha256: "bb22".into(), name: "warenkorb.png".into() },
                    EvidenceRef::Url { url: "https://shop.example.invalid/gartenschlauch-25m".into() },
                ];
            }
            "eu.withdrawal.model_form" => {
                item.evidence =
                    vec![EvidenceRef::File { sha256: "cc33".into(), name: "widerruf.png".into() }];
            }
            _ => {}
        }
    }
    let case = AuditCase {
        id: AuditId::new(),
        shop_id: ShopId::new(),
        kind: AuditKind::Initial,
        target_countries: countries,
        items,
        previous_audit: None,
        due: Utc::now(),
        confirmed: None,
        version: 1,
    };
    let mut report = checklist::builtin().report(&case, "de".parse().unwrap());
    if long_guidance {
        let p = report.points.iter_mut().find(|p| p.criterion_id == "eu.withdrawal.online_function").unwrap();
        for i in 1..=12 {
            p.guidance.push_str(&format!(
                "\n{LONG_MARK} {i}: Die Widerrufsfunktion muss während der gesamten Widerrufsfrist leicht zugänglich, \
                 gut lesbar und eindeutig beschriftet sein; Verbraucherinnen und Verbraucher geben dort ihren Namen, \
                 die Bestellung und die E-Mail-Adresse an und erhalten unverzüglich eine Eingangsbestätigung."
            ));
        }
    }
    let ctx = AuditReportContext {
        shop_name: SHOP.into(),
        auditor: AUDITOR.into(),
        date: NaiveDate::from_ymd_opt(2026, 3, 5).unwrap(),
        improvements_due: NaiveDate::from_ymd_opt(2026, 4, 30),
        evidence: HashMap::from([("aa11".into(), shot_a), ("BB22".into(), shot_b), ("cc33".into(), broken)]),
    };
    (report, ctx)
}

fn out_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn tool(name: &str) -> Command {
    let probe = Command::new(name).arg("-v").output();
    assert!(
        probe.is_ok(),
        "{name} is missing: install the Debian package poppler-utils (cargo xtask deps does)"
    );
    Command::new(name)
}

/// The PDF's text, whitespace collapsed so that wrapped lines still match.
fn pdf_text(pdf: &Path) -> String {
    let out = tool("pdftotext").arg("-enc").arg("UTF-8").arg(pdf).arg("-").output().unwrap();
    assert!(out.status.success(), "pdftotext: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().split_whitespace().collect::<Vec<_>>().join(" ")
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

struct Raster {
    width: usize,
    height: usize,
    rgb: Vec<u8>,
}

impl Raster {
    fn pixel(&self, x: usize, y: usize) -> [u8; 3] {
        let i = (y * self.width + x) * 3;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }

    fn count(&self, f: impl Fn([u8; 3]) -> bool) -> usize {
        (0..self.height)
            .flat_map(|y| (0..self.width).map(move |x| (x, y)))
            .filter(|&(x, y)| f(self.pixel(x, y)))
            .count()
    }
}

/// Every page as an RGB raster at 50 dpi.
fn render_pages(pdf: &Path) -> Vec<Raster> {
    let prefix = pdf.with_extension("");
    let out = tool("pdftoppm").args(["-r", "50", "-png"]).arg(pdf).arg(&prefix).output().unwrap();
    assert!(out.status.success(), "pdftoppm: {}", String::from_utf8_lossy(&out.stderr));
    let stem = prefix.file_name().unwrap().to_str().unwrap().to_owned();
    let mut files: Vec<PathBuf> = std::fs::read_dir(pdf.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_str().unwrap();
            n.starts_with(&format!("{stem}-")) && n.ends_with(".png")
        })
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| {
            let mut dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(f).unwrap()));
            dec.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
            let mut r = dec.read_info().unwrap();
            let mut buf = vec![0; r.output_buffer_size().unwrap()];
            let info = r.next_frame(&mut buf).unwrap();
            assert_eq!(info.color_type, png::ColorType::Rgb, "pdftoppm writes RGB");
            buf.truncate(info.buffer_size());
            Raster { width: info.width as usize, height: info.height as usize, rgb: buf }
        })
        .collect()
}

fn is_evidence_red(p: [u8; 3]) -> bool {
    p[0].abs_diff(EVIDENCE_RED[0]) < 25
        && p[1].abs_diff(EVIDENCE_RED[1]) < 25
        && p[2].abs_diff(EVIDENCE_RED[2]) < 25
}

fn write_pdf(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn audit_report_pdf_reads_and_looks_right() {
    let dir = out_dir("audit");
    let (report, ctx) = german_report(true);
    assert_eq!(report.points.len(), 3);
    let pdf = write_pdf(&dir, "audit.pdf", &to_pdf(&audit_report(&report, &ctx)).unwrap());
    let (short_report, short_ctx) = german_report(false);
    let short = write_pdf(&dir, "short.pdf", &to_pdf(&audit_report(&short_report, &short_ctx)).unwrap());

    let pages = render_pages(&pdf);
    let short_pages = render_pages(&short);
    // Title page, summary, one page per improvement point; "what happens next" follows the last point.
    assert_eq!(short_pages.len(), 1 + 1 + 3, "pages of the short report");
    assert_eq!(pages.len(), short_pages.len() + 1, "the long guidance breaks onto another page");

    let ink = |p: [u8; 3]| p.iter().any(|&c| c < 200);
    let title_ink = pages[0].count(ink);
    assert!(title_ink > 2_000, "title page is nearly blank ({title_ink} dark pixels)");

    // The two screenshots are on the VAT point's page (page 3), side by side.
    let red_per_page: Vec<usize> = pages.iter().map(|p| p.count(is_evidence_red)).collect();
    assert!(red_per_page[2] > 1_500, "evidence thumbnails missing: red pixels per page {red_per_page:?}");
    assert_eq!(
        red_per_page.iter().filter(|&&n| n > 0).count(),
        1,
        "only that page shows them: {red_per_page:?}"
    );
    let page = &pages[2];
    let columns_with_red: Vec<usize> =
        (0..page.width).filter(|&x| (0..page.height).any(|y| is_evidence_red(page.pixel(x, y)))).collect();
    let span = columns_with_red.last().unwrap() - columns_with_red.first().unwrap();
    assert!(
        span > page.width / 3,
        "two thumbnails side by side span more than a third of the page ({span} px)"
    );

    let text = pdf_text(&pdf);
    for want in [
        SHOP,
        AUDITOR,
        "Verbesserungen erforderlich",
        "Straße",
        "ł",
        "5. März 2026",
        "30. April 2026",
        "Anmerkung des Auditors",
        "„inkl. MwSt.“",
        "produktseite.png",
        "https://shop.example.invalid/gartenschlauch-25m",
        "Wie es weitergeht",
        "Nachaudit",
    ] {
        assert!(text.contains(&squash(want)), "PDF text lacks {want:?}:\n{text}");
    }
    for n in 1..=pages.len() {
        assert!(text.contains(&format!("Seite {n} von {}", pages.len())), "page number {n} missing");
    }
    for p in &report.points {
        assert!(text.contains(&squash(&p.title)), "PDF text lacks the criterion title {:?}", p.title);
    }
    assert_eq!(
        text.matches(LONG_MARK).count(),
        12,
        "no line of the long guidance is lost across the page break"
    );
    // The broken screenshot becomes a placeholder, not a failure.
    assert!(text.contains("[Dieses Bild kann nicht angezeigt werden]"), "{text}");
}

#[test]
fn audit_report_html_is_self_contained_and_escaped() {
    let (mut report, mut ctx) = german_report(false);
    let evil = r#"<script>alert(1)</script>"><img src=x onerror=alert(2)>"#;
    ctx.shop_name = format!("Bad Shop {evil}");
    ctx.auditor = evil.into();
    report.points[0].note = evil.into();
    report.points[0].evidence.push(EvidenceRef::Url { url: format!("javascript:{evil}") });
    let html = to_html(&audit_report(&report, &ctx));
    assert!(!html.contains("<script"), "script tag got through");
    assert!(!html.contains("onerror=alert(2)>"), "attribute injection got through");
    assert!(html.contains("Bad Shop &lt;script&gt;"));
    assert!(!html.contains("href="), "no links to follow, least of all javascript:");
    assert_eq!(
        html.matches("<img src=\"data:image/png;base64,").count(),
        2,
        "the two real screenshots, inline"
    );
    assert!(html.contains("[Dieses Bild kann nicht angezeigt werden]"));
    assert!(html.contains("<html lang=\"de\">"));
    for p in &report.points {
        assert!(html.contains(&p.title.replace('"', "&quot;")), "HTML lacks {:?}", p.title);
    }
    // Nothing is fetched from elsewhere.
    assert!(!html.contains("http://") && !html.contains("src=\"https"));
}

#[test]
fn english_fallback_for_other_languages() {
    let (mut report, ctx) = german_report(false);
    report.language = "pl".parse().unwrap();
    let doc = audit_report(&report, &ctx);
    assert_eq!(doc.lang, "en");
    assert!(doc.meta.iter().any(|(k, v)| k == "Outcome" && v == "Improvements required"));
}

fn dispute() -> (DisputeCase, DisputeContext) {
    let at = |d, h| Utc.with_ymd_and_hms(2026, 2, d, h, 15, 0).unwrap();
    let mut case = DisputeCase {
        id: DisputeId::new(),
        shop_id: ShopId::new(),
        consumer_reference: "c-9".into(),
        order_reference: "A-2026-0042".into(),
        claim: Money::eur(12_999),
        language: "nl".parse().unwrap(),
        stage: DisputeStage::Communication,
        messages: vec![
            DisputeMessage {
                id: MessageId::new(),
                author: Author::Shop,
                sent_at: at(4, 9),
                body: "Wir haben das Paket am 2. Februar übergeben.".into(),
            },
            DisputeMessage {
                id: MessageId::new(),
                author: Author::Consumer,
                sent_at: at(3, 18),
                body: "Het pakket is nooit aangekomen. <b>Graag</b> mijn geld terug.".into(),
            },
            DisputeMessage {
                id: MessageId::new(),
                author: Author::Mediator,
                sent_at: at(6, 11),
                body: "Bitte senden Sie den Zustellnachweis.".into(),
            },
        ],
        deadline: Some(at(20, 12)),
        decision: None,
        version: 1,
        consumer_name: String::new(),
        shop_name: String::new(),
        shop_language: None,
        deadlines: vec![],
        proposals: vec![],
        referred_at: None,
        events: vec![],
        attachments: vec![],
    };
    case.escalate().unwrap();
    case.escalate().unwrap();
    let ctx = DisputeContext {
        shop_name: SHOP.into(),
        consumer_name: "Joost de Vries-Łukasiewicz".into(),
        mediator: "Anna Kovač".into(),
        date: NaiveDate::from_ymd_opt(2026, 2, 21).unwrap(),
        attachments: vec![
            ("zustellnachweis.png".into(), evidence_png(200, 140)),
            ("rechnung.pdf".into(), b"%PDF-1.4".to_vec()),
        ],
    };
    (case, ctx)
}

#[test]
fn arbitration_case_file_has_timeline_and_attachments() {
    let dir = out_dir("case-file");
    let (case, ctx) = dispute();
    let pdf = write_pdf(&dir, "case.pdf", &to_pdf(&arbitration_case_file(&case, &ctx, "de")).unwrap());
    let pages = render_pages(&pdf);
    assert_eq!(pages.len(), 4, "title, summary, timeline, attachments");
    assert!(pages[3].count(is_evidence_red) > 500, "attachment thumbnail on the last page");
    let text = pdf_text(&pdf);
    for want in [
        "Akte für das Schiedsverfahren",
        "Joost de Vries-Łukasiewicz",
        "fordert EUR 129,99 zur Bestellung A-2026-0042.",
        "An das Schiedsverfahren verwiesen",
        "zustellnachweis.png",
        "rechnung.pdf",
        "<b>Graag</b>",
    ] {
        assert!(text.contains(want), "case file lacks {want:?}:\n{text}");
    }
    // Messages in the order they were sent, whatever order the case holds them in.
    let pos = |s: &str| text.find(s).unwrap_or_else(|| panic!("{s:?} missing"));
    assert!(
        pos("nooit aangekomen") < pos("am 2. Februar übergeben")
            && pos("am 2. Februar übergeben") < pos("Zustellnachweis.")
    );
}

#[test]
fn decision_in_each_partys_language() {
    let dir = out_dir("decision");
    let (mut case, ctx) = dispute();
    assert!(matches!(dispute_decision(&case, &ctx, "nl"), Err(trustdesk_reports::ReportError::NotDecided)));
    case.decide(
        DisputeOutcome::ConsumerPrevails,
        "De webwinkel kon geen bewijs van aflevering overleggen.".into(),
        Some("Terugbetaling van de koopprijs".into()),
        Some(Money::eur(12_999)),
        trustdesk_domain::dispute::default_arbitration_fee(),
        Utc.with_ymd_and_hms(2026, 2, 21, 10, 0, 0).unwrap(),
    )
    .unwrap();
    let nl = write_pdf(&dir, "nl.pdf", &to_pdf(&dispute_decision(&case, &ctx, "nl").unwrap()).unwrap());
    let de = write_pdf(&dir, "de.pdf", &to_pdf(&dispute_decision(&case, &ctx, "de").unwrap()).unwrap());
    let nl_text = pdf_text(&nl);
    for want in [
        "Beslissing in uw geschil",
        "De vordering van de consument wordt toegewezen.",
        "EUR 129,99",
        "EUR 25,00",
        "draagt de arbitragekosten",
        "21 februari 2026",
    ] {
        assert!(nl_text.contains(want), "Dutch decision lacks {want:?}:\n{nl_text}");
    }
    let de_text = pdf_text(&de);
    for want in [
        "Entscheidung in Ihrem Streitfall",
        "trägt die Schiedsgebühr von EUR 25,00",
        "21. Februar 2026",
        SHOP,
    ] {
        assert!(de_text.contains(want), "German decision lacks {want:?}:\n{de_text}");
    }
    assert!(render_pages(&de)[0].count(|p| p.iter().any(|&c| c < 200)) > 2_000);
}

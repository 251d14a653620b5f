//! `trustdesk-central seed`: deterministic demo and scale data.
//!
//! Review texts in seven languages come from the workstation's demo generator
//! (`trustdesk_store::demo`); this module spreads them over many generated shops
//! and adds what the central service needs on top: ARM-violating sentences for
//! every category, IP bursts, missing order references, audits at every stage and
//! disputes at every stage with message threads. All texts are our own.

use std::path::Path;
use std::sync::LazyLock;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use sha2::{Digest, Sha256};
use trustdesk_api::Entity;
use trustdesk_domain::audit::{ChecklistItem, ChecklistStatus};
use trustdesk_domain::dispute::{default_arbitration_fee, Author, DisputeMessage, DisputeOutcome};
use trustdesk_domain::review::EvidenceFile;
use trustdesk_domain::{
    ArmCategory, AuditCase, AuditId, AuditKind, CountryCode, DisputeCase, DisputeId, DisputeStage, Industry,
    MessageId, Money, Review, ReviewStatus, Shop, ShopId,
};
use trustdesk_store::demo::{self, Rng};

use crate::db::Db;
use crate::entities::{self, NewEntity};
use crate::ingest::{self, Incoming};

#[derive(Debug, Clone, Copy)]
pub struct SeedOptions {
    pub shops: usize,
    pub reviews: usize,
    pub audits: usize,
    pub disputes: usize,
    pub seed: u64,
}

const COUNTRIES: &[(&str, &[&str])] = &[
    ("DE", &["de"]),
    ("AT", &["de"]),
    ("CH", &["de", "fr", "it"]),
    ("NL", &["nl", "en"]),
    ("BE", &["nl", "fr"]),
    ("FR", &["fr"]),
    ("ES", &["es"]),
    ("IT", &["it"]),
    ("PL", &["pl"]),
    ("IE", &["en"]),
];

const NAME_FIRST: &[&str] = &[
    "Nordlicht",
    "Sonnenhof",
    "Blauwater",
    "Maison Verte",
    "Costa Clara",
    "Bottega Sole",
    "Zielony Dom",
    "Harbour",
    "Bergkristall",
    "Tulpenveld",
    "Atelier Lune",
    "Via Nova",
];
const NAME_LAST: &[&str] =
    &["Versand", "Handel", "Winkel", "Boutique", "Mercado", "Emporio", "Sklep", "Supply", "Markt", "Depot"];
const PEOPLE_FIRST: &[&str] = &[
    "Jonas", "Lea", "Sven", "Marieke", "Camille", "Lucía", "Giulia", "Kasia", "Aoife", "Tomasz", "Anouk",
    "Pablo",
];
const PEOPLE_LAST: &[&str] = &[
    "Brandt",
    "Vermeulen",
    "Moreau",
    "Navarro",
    "Ricci",
    "Kowalczyk",
    "Byrne",
    "Huber",
    "de Graaf",
    "Lemaire",
];

/// Sentences that break one ARM rule each; `{name}` becomes an employee's name.
fn arm_sentence(cat: ArmCategory, lang: &str) -> &'static str {
    use ArmCategory as C;
    match (cat, lang == "de") {
        (C::Insult, false) => "Whoever packed this is a brainless clown.",
        (C::Insult, true) => "Wer das verpackt hat, ist ein hirnloser Clown.",
        (C::PersonalData, false) => "{name} from the hotline promised a callback and never rang.",
        (C::PersonalData, true) => "{name} von der Hotline wollte zurückrufen und tat es nie.",
        (C::BankDetails, false) => "They finally paid into my account NL20 INGB 0001 2345 67.",
        (C::BankDetails, true) => "Das Geld kam endlich auf mein Konto DE12 5001 0517 0648 4898 90.",
        (C::InsuranceNumber, false) => "Quote my policy VS-448-2210-7 if you call them.",
        (C::InsuranceNumber, true) => "Meine Versicherungsnummer ist VS-448-2210-7, falls jemand fragt.",
        (C::ProductReference, false) => "The device overheats after ten minutes of use.",
        (C::ProductReference, true) => "Das Gerät wird nach zehn Minuten heiß.",
        (C::TobaccoUse, false) => "I go through a whole pod of this flavour every evening.",
        (C::TobaccoUse, true) => "Ich dampfe jeden Abend eine ganze Kartusche davon.",
        (C::DrugEffect, false) => "Two of these tablets and the migraine was gone within the hour.",
        (C::DrugEffect, true) => "Zwei Tabletten und die Migräne war nach einer Stunde weg.",
        (C::BeforeAfter, false) => "Before the course my skin was a mess, after four weeks it is clear.",
        (C::BeforeAfter, true) => "Vorher war meine Haut unrein, nach vier Wochen ist sie glatt.",
        (C::ModeOfAction, false) => "The capsules speed up fat burning while you sleep.",
        (C::ModeOfAction, true) => "Die Kapseln kurbeln die Fettverbrennung im Schlaf an.",
        (C::AlcoholAdvertising, false) => "Order two crates and drink the weekend away, you deserve it!",
        (C::AlcoholAdvertising, true) => {
            "Bestellt zwei Kisten und trinkt das Wochenende durch, ihr habt es verdient!"
        }
    }
}

fn categories_for(industry: Industry) -> &'static [ArmCategory] {
    use ArmCategory as C;
    match industry {
        Industry::General => &[C::Insult, C::PersonalData],
        Industry::Insurance => &[C::BankDetails, C::InsuranceNumber],
        Industry::ECigarettes => &[C::ProductReference, C::TobaccoUse],
        Industry::MedicinalProducts => &[C::DrugEffect, C::BeforeAfter, C::ProductReference],
        Industry::DietarySupplements => &[C::ModeOfAction, C::BeforeAfter],
        Industry::AlcoholicBeverages => &[C::AlcoholAdvertising],
    }
}

fn shops(rng: &mut Rng, n: usize, now: DateTime<Utc>) -> Vec<Shop> {
    (0..n)
        .map(|i| {
            let (country, langs) = COUNTRIES[i % COUNTRIES.len()];
            // Every industry appears; one shop in five trades in two.
            let mut industries = vec![Industry::ALL[(i / COUNTRIES.len()) % Industry::ALL.len()]];
            if rng.below(5) == 0 {
                industries.push(*rng.pick(&Industry::ALL));
                industries.dedup();
            }
            let employees = (0..1 + rng.below(3))
                .map(|_| format!("{} {}", rng.pick(PEOPLE_FIRST), rng.pick(PEOPLE_LAST)))
                .collect();
            Shop {
                id: ShopId(uuid_at(rng, now - Duration::days(2000) + Duration::minutes(i as i64))),
                name: format!("{} {} {}", rng.pick(NAME_FIRST), rng.pick(NAME_LAST), i + 1),
                country: country.parse().expect("valid country"),
                languages: langs.iter().map(|l| l.parse().expect("valid language")).collect(),
                industries,
                arm_enabled: rng.below(4) != 0,
                employee_names: employees,
            }
        })
        .collect()
}

fn uuid_at(rng: &mut Rng, at: DateTime<Utc>) -> uuid::Uuid {
    let mut random = [0u8; 10];
    random[..8].copy_from_slice(&rng.next_u64().to_le_bytes());
    random[8..].copy_from_slice(&rng.next_u64().to_le_bytes()[..2]);
    uuid::Builder::from_unix_timestamp_millis(at.timestamp_millis() as u64, &random).into_uuid()
}

/// Made-up mail domains of the seed's reviewers; the last two are on the
/// throwaway list (`data/disposable-domains.txt`).
const MAIL_DOMAINS: &[&str] = &["post.example", "mail.example.org", "inbox.example.net", "web.example"];
const THROWAWAY_DOMAINS: &[&str] = &["inbox-for-a-day.example", "gone-tomorrow.test"];

/// Every this many reviews, one shop gets a day far above its usual rate.
const RATE_BURST_EVERY: usize = 4000;
const RATE_BURST_SIZE: usize = 14;

/// The reviewer's address, chosen from the review id (not the RNG, so adding it
/// left the rest of the data as it was): about one in 50 is a throwaway.
fn email_for(review: &Review) -> String {
    let n = review.id.0.as_u128();
    let domain = if n % 50 == 7 {
        THROWAWAY_DOMAINS[(n / 50 % 2) as usize]
    } else {
        MAIL_DOMAINS[(n / 50 % MAIL_DOMAINS.len() as u128) as usize]
    };
    format!("{}@{domain}", review.reviewer_reference)
}

fn incoming(review: Review, ip: Option<String>) -> Incoming {
    let email = Some(email_for(&review));
    Incoming { review, ip, email }
}

fn reviews(rng: &mut Rng, seed: u64, n: usize, shops: &[Shop], now: DateTime<Utc>) -> Vec<NewEntity> {
    let (_, base) = demo::generate(seed, n, now);
    let mut batch: Vec<Incoming> = Vec::with_capacity(n);
    let mut cats: Vec<Vec<String>> = Vec::with_capacity(n);
    let mut i = 0;
    let mut base = base.into_iter();
    let mut next_rate_burst = 100;
    while let Some(mut review) = base.next() {
        let shop = &shops[rng.below(shops.len())];
        review.shop_id = shop.id;
        if i >= next_rate_burst {
            next_rate_burst += RATE_BURST_EVERY;
            // A rate burst: a day (yesterday or earlier, so never in the future)
            // with many reviews from different addresses.
            let day = (review.submitted_at - Duration::days(1)).date_naive();
            let start = day.and_hms_opt(6, 0, 0).expect("valid time").and_utc();
            let mut next = Some(review);
            for k in 0..RATE_BURST_SIZE {
                let Some(mut r) = next.take().or_else(|| base.next()) else { break };
                r.shop_id = shop.id;
                r.submitted_at = start + Duration::minutes(30 * k as i64);
                r.experience_date = day;
                let ip = Some(format!("198.18.{}.{}", i % 256, k));
                batch.push(incoming(r, ip));
                cats.push(Vec::new());
                i += 1;
            }
            continue;
        }
        let mut found = Vec::new();
        if shop.arm_enabled && rng.below(8) == 0 {
            let industries = shop.effective_industries();
            let industry = *rng.pick(&industries);
            let cat = *rng.pick(categories_for(industry));
            let name = shop.employee_names.first().map_or("Mia Weber", String::as_str);
            review.text.push(' ');
            review.text.push_str(&arm_sentence(cat, review.language.as_str()).replace("{name}", name));
            found.push(cat.code().to_owned());
        }
        if rng.below(60) == 0 {
            review.order_reference.clear();
        }
        let mut ip = Some(format!("198.51.{}.{}", rng.below(256), rng.below(256)));
        if rng.below(40) == 0 {
            // A burst: this and the next few reviews from one address, minutes apart.
            let burst_ip = format!("203.0.113.{}", rng.below(256));
            let size = 3 + rng.below(4);
            let start = review.submitted_at;
            ip = Some(burst_ip.clone());
            batch.push(incoming(review, ip));
            cats.push(found);
            i += 1;
            for k in 1..size {
                let Some(mut next) = base.next() else { break };
                next.shop_id = shop.id;
                next.submitted_at = start + Duration::minutes(4 * k as i64);
                next.experience_date = next.submitted_at.date_naive();
                batch.push(incoming(next, Some(burst_ip.clone())));
                cats.push(Vec::new());
                i += 1;
            }
            continue;
        }
        batch.push(incoming(review, ip));
        cats.push(found);
        i += 1;
    }
    debug_assert_eq!(i, batch.len());
    // The shops are new, so nothing stored counts towards their usual rates.
    ingest::add_signals(&mut batch, &ingest::History::default());
    // Its own stream, so adding evidence left the rest of the data as it was.
    let mut files_rng = Rng::new(seed ^ 0x6576_6964_656e_6365);
    for inc in &mut batch {
        if inc.review.status == ReviewStatus::EvidenceReceived {
            inc.review.flags.evidence_files = evidence_for(&mut files_rng, &inc.review, now);
        }
    }
    batch
        .into_iter()
        .zip(cats)
        .map(|(inc, categories)| NewEntity { entity: Entity::Review(inc.review), categories })
        .collect()
}

/// The seeded evidence files: a few order confirmations as images and PDFs,
/// shared by the reviews (the store is content-addressed, so each is kept and
/// synced once): `(file name, bytes, sha256)`.
pub fn evidence_files() -> &'static [(&'static str, Vec<u8>, String)] {
    static FILES: LazyLock<Vec<(&'static str, Vec<u8>, String)>> = LazyLock::new(|| {
        let mut out: Vec<(&'static str, Vec<u8>)> = Vec::new();
        for (k, name) in
            ["order-confirmation.png", "Bestellbestaetigung.png", "bevestiging.png", "ricevuta.png"]
                .into_iter()
                .enumerate()
        {
            out.push((name, receipt_png(k as u32)));
        }
        for (k, name) in ["invoice.pdf", "Rechnung.pdf", "factuur.pdf"].into_iter().enumerate() {
            out.push((name, receipt_pdf(k as u32)));
        }
        out.into_iter().map(|(n, b)| (n, b.clone(), hex::encode(Sha256::digest(&b)))).collect()
    });
    &FILES
}

/// One or two of the seeded files, received a few days after the review.
fn evidence_for(rng: &mut Rng, review: &Review, now: DateTime<Utc>) -> Vec<EvidenceFile> {
    let files = evidence_files();
    let received_at = (review.submitted_at + Duration::days(1 + rng.below(5) as i64)).min(now);
    let images = files.iter().filter(|f| f.0.ends_with(".png")).collect::<Vec<_>>();
    let pdfs = files.iter().filter(|f| f.0.ends_with(".pdf")).collect::<Vec<_>>();
    let mut chosen = vec![*rng.pick(&images)];
    if rng.below(2) == 0 {
        chosen.push(*rng.pick(&pdfs));
    }
    chosen
        .into_iter()
        .map(|(name, _, sha)| EvidenceFile { sha256: sha.clone(), name: (*name).to_owned(), received_at })
        .collect()
}

/// A small picture of a receipt: a coloured header, lines of "text", a total.
fn receipt_png(variant: u32) -> Vec<u8> {
    const W: u32 = 180;
    const H: u32 = 240;
    let header = [[37, 99, 235], [22, 163, 74], [234, 88, 12], [147, 51, 234]][variant as usize % 4];
    let mut px = vec![255u8; (W * H * 3) as usize];
    for y in 0..H {
        for x in 0..W {
            let line = (50..200).contains(&y)
                && (y - 50) % 16 < 6
                && (16..16 + 40 + ((y * 7 + variant * 13) % 110)).contains(&x);
            let total = (212..222).contains(&y) && (100..164).contains(&x);
            let rgb = if y < 34 {
                header
            } else if line {
                [170, 170, 170]
            } else if total {
                [40, 40, 40]
            } else {
                [255, 255, 255]
            };
            let i = ((y * W + x) * 3) as usize;
            px[i..i + 3].copy_from_slice(&rgb);
        }
    }
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, W, H);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header().expect("PNG header to memory");
    w.write_image_data(&px).expect("PNG data to memory");
    w.finish().expect("PNG end to memory");
    out
}

/// A one-page PDF with an order confirmation's text (PDF 1.4, Helvetica).
fn receipt_pdf(variant: u32) -> Vec<u8> {
    let text = format!(
        "BT /F1 14 Tf 56 780 Td (Order confirmation ORD-{:05}) Tj 0 -24 Td /F1 11 Tf \
         (2 items, paid by card, delivered to a parcel locker.) Tj 0 -18 Td (Total EUR {}.90) Tj ET",
        40_000 + variant * 137,
        19 + variant * 7
    );
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> \
         /Contents 5 0 R >>"
            .to_owned(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{text}\nendstream", text.len()),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1)
            .as_bytes(),
    );
    out
}

const AUDIT_NOTES: &[&str] = &[
    "Checked on the live shop; screenshot filed.",
    "The withdrawal button is hidden in the footer.",
    "Shipping costs only appear on the last checkout step.",
    "Link to the closed EU ODR platform still in the terms.",
    "Fine as published.",
];

fn audits(rng: &mut Rng, n: usize, shops: &[Shop], now: DateTime<Utc>) -> Vec<NewEntity> {
    let mut out: Vec<NewEntity> = Vec::with_capacity(n);
    let mut last_initial: Option<(ShopId, AuditId)> = None;
    for i in 0..n {
        let stage = i % 4; // 0 untouched, 1 in progress, 2 improvements required, 3 certified
        let (shop, kind, previous) = match (i % 3, last_initial) {
            (1, Some((shop_id, prev))) => {
                (shops.iter().find(|s| s.id == shop_id).expect("known shop"), AuditKind::ReAudit, Some(prev))
            }
            (2, _) => (&shops[rng.below(shops.len())], AuditKind::SpotCheck, None),
            _ => (&shops[rng.below(shops.len())], AuditKind::Initial, None),
        };
        // Some shops also sell to a second market: its variants join the checklist.
        let mut countries = vec![shop.country];
        if rng.below(4) == 0 {
            let extra: CountryCode =
                if shop.country.as_str() == "DE" { "FR" } else { "DE" }.parse().expect("code");
            countries.push(extra);
        }
        let items = trustdesk_domain::checklist::criteria_for(&countries)
            .into_iter()
            .enumerate()
            .map(|(k, c)| {
                let id = c.id.as_str();
                let status = match stage {
                    0 => ChecklistStatus::Open,
                    1 if k % 2 == 0 => ChecklistStatus::Open,
                    2 if k % 4 == 1 => ChecklistStatus::Fail,
                    _ if id == "eu.complaints.no_odr_link" && rng.below(3) == 0 => {
                        ChecklistStatus::NotApplicable
                    }
                    _ => ChecklistStatus::Pass,
                };
                let note = if status == ChecklistStatus::Open { "" } else { *rng.pick(AUDIT_NOTES) };
                ChecklistItem { criterion_id: id.into(), status, note: note.into(), evidence: vec![] }
            })
            .collect();
        let id = AuditId(uuid_at(rng, now - Duration::days(300 - (i % 300) as i64)));
        let case = AuditCase {
            id,
            shop_id: shop.id,
            kind,
            target_countries: countries,
            items,
            previous_audit: previous,
            due: now + Duration::days(rng.below(60) as i64 - 10),
            confirmed: None,
            version: 1,
        };
        if kind == AuditKind::Initial {
            last_initial = Some((shop.id, id));
        }
        out.push(NewEntity { entity: Entity::Audit(case), categories: vec![] });
    }
    out
}

const CONSUMER_LINES: &[(&str, &str)] = &[
    ("en", "The parcel never arrived and the tracking has not moved for three weeks."),
    ("de", "Ich habe die Ware fristgerecht widerrufen, das Geld ist nicht zurückgekommen."),
    ("nl", "Het pakket was beschadigd en de winkel reageert niet op mijn mails."),
    ("fr", "J'ai reçu un article différent de celui commandé et on refuse l'échange."),
    ("es", "Me cobraron dos veces el mismo pedido y nadie me contesta."),
    ("it", "Il reso è stato accettato ma il rimborso non è mai arrivato."),
    ("pl", "Zamówienie anulowano, ale pieniądze nadal nie wróciły na moje konto."),
];
const SHOP_LINES: &[&str] = &[
    "We are sorry for the delay and have asked the carrier to investigate.",
    "Our records show the return arrived incomplete; we can refund part of the price.",
    "We offer a replacement or a voucher, whichever the customer prefers.",
];
// Made-up consumer names across the seed's languages.
const CONSUMER_NAMES: &[&str] = &[
    "Lena Hartmann",
    "Pieter de Wit",
    "Claire Moreau",
    "Lucía Romero",
    "Giulia Bassi",
    "Tomasz Wróbel",
    "Oliver Grant",
    "Fenna Jansen",
    "Jonas Keller",
    "Marta Nowicka",
];
const MEDIATOR_LINES: &[&str] = &[
    "Both sides have stated their view; I propose a full refund within 14 days.",
    "Please send the delivery confirmation and the return receipt by Friday.",
    "As no agreement was reached, the case can go to binding arbitration.",
];

fn disputes(rng: &mut Rng, n: usize, shops: &[Shop], now: DateTime<Utc>) -> Vec<NewEntity> {
    (0..n)
        .map(|i| {
            let shop = &shops[rng.below(shops.len())];
            let (lang, opening) = *rng.pick(CONSUMER_LINES);
            let opened = now - Duration::days(5 + rng.below(60) as i64);
            let mut case = DisputeCase {
                id: DisputeId(uuid_at(rng, opened)),
                shop_id: shop.id,
                consumer_reference: format!("consumer-{:06}", rng.below(1_000_000)),
                order_reference: format!("ORD-{:07}", rng.below(10_000_000)),
                claim: Money::eur(1000 + rng.below(40_000) as i64),
                language: lang.parse().expect("valid language"),
                stage: DisputeStage::Communication,
                messages: vec![],
                deadline: Some(now + Duration::days(14)),
                decision: None,
                version: 1,
                consumer_name: (*rng.pick(CONSUMER_NAMES)).to_owned(),
                shop_name: shop.name.clone(),
                shop_language: shop.languages.first().copied(),
                deadlines: vec![],
                proposals: vec![],
                referred_at: None,
                events: vec![],
                attachments: vec![],
            };
            let say = |case: &mut DisputeCase, rng: &mut Rng, author: Author, body: &str, k: i64| {
                case.messages.push(DisputeMessage {
                    id: MessageId(uuid_at(rng, opened + Duration::hours(k))),
                    author,
                    sent_at: opened + Duration::hours(k),
                    body: body.into(),
                });
            };
            say(&mut case, rng, Author::Consumer, opening, 0);
            let stage = i % 4;
            if stage >= 1 || rng.below(2) == 0 {
                let line = rng_line(rng, SHOP_LINES);
                say(&mut case, rng, Author::Shop, line, 20);
            }
            if stage >= 1 {
                let _ = case.escalate();
                say(&mut case, rng, Author::Mediator, MEDIATOR_LINES[0], 50);
            }
            if stage >= 2 {
                let _ = case.escalate();
                say(&mut case, rng, Author::Mediator, MEDIATOR_LINES[2], 90);
            }
            if stage == 3 {
                let outcome = *rng.pick(&[
                    DisputeOutcome::ConsumerPrevails,
                    DisputeOutcome::ShopPrevails,
                    DisputeOutcome::Settled,
                ]);
                let amount = (outcome == DisputeOutcome::ConsumerPrevails).then_some(case.claim);
                let _ = case.decide(
                    outcome,
                    "Decided on the order record, the delivery evidence and both parties' statements.".into(),
                    amount.map(|_| "Refund of the order value.".to_owned()),
                    amount,
                    default_arbitration_fee(),
                    opened + Duration::days(4),
                );
            }
            NewEntity { entity: Entity::Dispute(case), categories: vec![] }
        })
        .collect()
}

fn rng_line(rng: &mut Rng, lines: &[&'static str]) -> &'static str {
    lines[rng.below(lines.len())]
}

/// Everything `seed` would insert, shops first. Deterministic in `opts` and `now`.
pub fn generate(opts: SeedOptions, now: DateTime<Utc>) -> Vec<NewEntity> {
    let now = now.trunc_subsecs(6);
    let mut rng = Rng::new(opts.seed ^ 0x7275_7374_6465_736b);
    let shops = shops(&mut rng, opts.shops.max(1), now);
    let mut out: Vec<NewEntity> =
        shops.iter().map(|s| NewEntity { entity: Entity::Shop(s.clone()), categories: vec![] }).collect();
    out.extend(reviews(&mut rng, opts.seed, opts.reviews, &shops, now));
    out.extend(audits(&mut rng, opts.audits, &shops, now));
    out.extend(disputes(&mut rng, opts.disputes, &shops, now));
    out
}

/// Inserts generated data in batches, and the evidence files its reviews name
/// into the evidence store under `data_dir`; returns the number of entities.
pub async fn seed(db: &Db, data_dir: &Path, opts: SeedOptions, now: DateTime<Utc>) -> anyhow::Result<usize> {
    for (_, bytes, _) in evidence_files() {
        crate::evidence::store_as(db, data_dir, "seed", bytes)
            .await
            .map_err(|e| anyhow::anyhow!(e.message))?;
    }
    let items = generate(opts, now);
    for chunk in items.chunks(20_000) {
        let mut tx = db.write.begin().await?;
        entities::insert_all(&mut tx, chunk).await?;
        tx.commit().await?;
    }
    if db.backend == crate::db::Backend::Postgres {
        // Fresh statistics: without them the planner may scan the whole table
        // for key lookups until autovacuum gets to it (measured: mutations 20x
        // slower in some rounds of the benchmark).
        sqlx::query("ANALYZE entities").execute(&db.write).await?;
    }
    Ok(items.len())
}

/// Makes the first stored shop an ARM shop of the general industry (so the
/// insult category applies) and returns its id, for tests of the filters.
pub async fn general_arm_shop(db: &Db) -> anyhow::Result<ShopId> {
    let doc: String = sqlx::query_scalar("SELECT doc FROM entities WHERE kind = 'shop' ORDER BY id LIMIT 1")
        .fetch_one(&db.read)
        .await?;
    let mut shop: Shop = serde_json::from_str(&doc)?;
    shop.arm_enabled = true;
    shop.industries = vec![Industry::General];
    sqlx::query("UPDATE entities SET doc = $1 WHERE kind = 'shop' AND id = $2")
        .bind(serde_json::to_string(&shop)?)
        .bind(shop.id.to_string())
        .execute(&db.write)
        .await?;
    Ok(shop.id)
}

/// A review of the generated data, for tests.
pub fn as_review(e: &NewEntity) -> Option<&Review> {
    match &e.entity {
        Entity::Review(r) => Some(r),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use trustdesk_domain::review::FakeSignal;

    #[test]
    fn seeded_evidence_files_are_real_images_and_pdfs_named_by_the_reviews() {
        let files = evidence_files();
        for (name, bytes, sha) in files {
            assert_eq!(*sha, hex::encode(Sha256::digest(bytes)));
            let kind = crate::evidence::sniff(bytes);
            if name.ends_with(".png") {
                assert_eq!(kind, Some("image/png"), "{name}");
                let mut reader = png::Decoder::new(std::io::Cursor::new(bytes.clone())).read_info().unwrap();
                let mut buf = vec![0; reader.output_buffer_size().unwrap()];
                let info = reader.next_frame(&mut buf).unwrap();
                assert_eq!((info.width, info.height), (180, 240));
            } else {
                assert_eq!(kind, Some("application/pdf"), "{name}");
                // Every xref entry points at the object it names.
                let text = String::from_utf8(bytes.clone()).unwrap();
                let xref = text.rfind("startxref\n").unwrap();
                let at: usize = text[xref + 10..].lines().next().unwrap().parse().unwrap();
                let entries: Vec<usize> = text[at..]
                    .lines()
                    .skip(3)
                    .take_while(|l| l.ends_with(" n "))
                    .map(|l| l[..10].parse().unwrap())
                    .collect();
                assert_eq!(entries.len(), 5);
                for (i, off) in entries.iter().enumerate() {
                    assert!(
                        text[*off..].starts_with(&format!("{} 0 obj", i + 1)),
                        "{name}: object {}",
                        i + 1
                    );
                }
            }
        }
        let known: HashSet<&str> = files.iter().map(|f| f.2.as_str()).collect();
        let opts = SeedOptions { shops: 5, reviews: 2000, audits: 0, disputes: 0, seed: 3 };
        let received: Vec<Review> = generate(opts, Utc::now())
            .iter()
            .filter_map(as_review)
            .filter(|r| r.status == ReviewStatus::EvidenceReceived)
            .cloned()
            .collect();
        assert!(received.len() > 10, "{}", received.len());
        for r in &received {
            assert!(!r.flags.evidence_files.is_empty());
            for f in &r.flags.evidence_files {
                assert!(known.contains(f.sha256.as_str()));
                assert!(f.received_at >= r.submitted_at);
            }
        }
    }

    #[test]
    fn seed_data_is_deterministic_and_covers_every_case() {
        let now = Utc::now();
        let opts = SeedOptions { shops: 60, reviews: 3000, audits: 40, disputes: 40, seed: 42 };
        let a = generate(opts, now);
        let b = generate(opts, now);
        assert_eq!(
            a.iter().map(|e| entities::doc_of(&e.entity)).collect::<Vec<_>>(),
            b.iter().map(|e| entities::doc_of(&e.entity)).collect::<Vec<_>>()
        );
        assert_eq!(a.len(), 60 + 3000 + 40 + 40);
        let shops: Vec<&Shop> = a
            .iter()
            .filter_map(|e| match &e.entity {
                Entity::Shop(s) => Some(s),
                _ => None,
            })
            .collect();
        let industries: HashSet<_> = shops.iter().flat_map(|s| s.industries.clone()).collect();
        assert_eq!(industries.len(), 6);
        let cats: HashSet<&String> = a.iter().flat_map(|e| &e.categories).collect();
        assert_eq!(cats.len(), ArmCategory::ALL.len(), "{cats:?}");
        let reviews: Vec<&Review> = a.iter().filter_map(as_review).collect();
        assert!(reviews.iter().any(|r| r
            .flags
            .fake_signals
            .iter()
            .any(|s| matches!(s, FakeSignal::SameIpBurst { .. }))));
        assert!(reviews.iter().any(|r| r.flags.fake_signals.contains(&FakeSignal::NoConfirmedPurchase)));
        let has =
            |f: &dyn Fn(&FakeSignal) -> bool| reviews.iter().any(|r| r.flags.fake_signals.iter().any(f));
        assert!(has(&|s| matches!(s, FakeSignal::SameIpBurst { ip, review_ids, reviews, .. }
            if ip.starts_with("203.0.113.") && review_ids.len() == *reviews as usize)));
        assert!(has(
            &|s| matches!(s, FakeSignal::DisposableEmail { domain } if domain == "gone-tomorrow.test")
        ));
        assert!(has(&|s| matches!(s, FakeSignal::DailyRateBurst { reviews, .. } if *reviews >= 14)));
        // Only the deliberate bursts: ordinary days stay below the threshold.
        let burst_reviews = reviews
            .iter()
            .filter(|r| r.flags.fake_signals.iter().any(|s| matches!(s, FakeSignal::DailyRateBurst { .. })))
            .count();
        assert!(burst_reviews <= 20, "{burst_reviews}");
        let stages: HashSet<_> = a
            .iter()
            .filter_map(|e| match &e.entity {
                Entity::Dispute(d) => Some(d.stage),
                _ => None,
            })
            .collect();
        assert_eq!(stages.len(), 4);
        let outcomes: HashSet<String> = a
            .iter()
            .filter_map(|e| match &e.entity {
                Entity::Audit(x) => Some(entities::index_of(&Entity::Audit(x.clone())).state),
                _ => None,
            })
            .collect();
        assert_eq!(outcomes.len(), 3, "{outcomes:?}");
        for e in &a {
            if let Entity::Audit(x) = &e.entity {
                x.validate().unwrap();
            }
        }
    }
}

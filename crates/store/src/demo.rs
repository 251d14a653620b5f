//! Deterministic demo data: shops and reviews in seven languages, for the demo,
//! the end-to-end tests and the benchmarks. All texts are our own.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use trustdesk_domain::review::{FakeSignal, ReviewFlags, ShopFlag};
use trustdesk_domain::{Industry, Review, ReviewId, ReviewSource, ReviewStatus, Shop, ShopId, Stars};
use uuid::Uuid;

/// SplitMix64: tiny, fast, and good enough to vary demo data reproducibly.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A UUIDv7 from the generator rather than the OS, so ids are reproducible.
    fn uuid_v7(&mut self, at: DateTime<Utc>) -> Uuid {
        let mut random = [0u8; 10];
        random[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        random[8..].copy_from_slice(&self.next_u64().to_le_bytes()[..2]);
        uuid::Builder::from_unix_timestamp_millis(at.timestamp_millis() as u64, &random).into_uuid()
    }
}

struct Lang {
    code: &'static str,
    good: &'static [&'static str],
    bad: &'static [&'static str],
    mixed: &'static [&'static str],
    closers: &'static [&'static str],
}

const LANGS: &[Lang] = &[
    Lang {
        code: "en",
        good: &[
            "Ordered on Sunday evening and the parcel was at my door on Tuesday.",
            "Clear checkout, fair shipping costs and a quick confirmation e-mail.",
            "The packaging was sturdy and everything arrived in one piece.",
            "Customer service answered my question about the delivery within an hour.",
            "Returning a pair of shoes was easy and the refund came in four days.",
        ],
        bad: &[
            "Three weeks and still no delivery, and nobody answers the phone.",
            "The tracking link has shown the same status for ten days.",
            "I was charged twice and had to write four e-mails before anyone reacted.",
            "The refund for my return took more than a month.",
            "Delivery was promised for Friday, it came the following Thursday.",
        ],
        mixed: &[
            "Delivery took a bit longer than stated, but the order was complete.",
            "Good prices, though the website was slow during checkout.",
        ],
        closers: &["Would order again.", "Not sure I will come back.", "Overall okay.", ""],
    },
    Lang {
        code: "de",
        good: &[
            "Am Sonntag bestellt, am Dienstag war das Paket schon da.",
            "Übersichtlicher Bestellvorgang und faire Versandkosten.",
            "Alles war gut verpackt und kam unbeschädigt an.",
            "Der Kundenservice hat meine Frage zur Lieferung sofort beantwortet.",
            "Die Rücksendung lief problemlos, das Geld war nach wenigen Tagen zurück.",
        ],
        bad: &[
            "Nach drei Wochen immer noch keine Lieferung und niemand geht ans Telefon.",
            "Die Sendungsverfolgung zeigt seit zehn Tagen denselben Stand.",
            "Mir wurde doppelt abgebucht und erst nach vier E-Mails kam eine Antwort.",
            "Die Erstattung meiner Retoure hat über einen Monat gedauert.",
        ],
        mixed: &[
            "Die Lieferung dauerte etwas länger als angegeben, war aber vollständig.",
            "Gute Preise, nur die Webseite war beim Bezahlen langsam.",
        ],
        closers: &["Gerne wieder.", "Eher nicht noch einmal.", "Insgesamt in Ordnung.", ""],
    },
    Lang {
        code: "nl",
        good: &[
            "Zondag besteld en dinsdag al in huis, netjes verpakt.",
            "Duidelijke bestelprocedure en eerlijke verzendkosten.",
            "De klantenservice reageerde dezelfde dag op mijn vraag.",
            "Retourneren was eenvoudig en het geld stond binnen een week terug.",
        ],
        bad: &[
            "Na drie weken nog steeds niets ontvangen en de telefoon wordt niet opgenomen.",
            "De track-and-trace staat al tien dagen stil.",
            "Twee keer afgeschreven en pas na vier mails een reactie.",
        ],
        mixed: &[
            "Levering duurde iets langer dan beloofd, maar alles was compleet.",
            "Prima prijzen, alleen de website was traag bij het afrekenen.",
        ],
        closers: &["Zeker een aanrader.", "Voor mij niet meer.", "Prima zo.", ""],
    },
    Lang {
        code: "fr",
        good: &[
            "Commandé le dimanche, livré le mardi, rien à redire.",
            "Paiement simple et frais de port raisonnables.",
            "Le service client a répondu à ma question en moins d'une heure.",
            "Le retour s'est fait sans difficulté et le remboursement a été rapide.",
        ],
        bad: &[
            "Trois semaines sans livraison et personne ne répond au téléphone.",
            "Le suivi du colis n'a pas bougé depuis dix jours.",
            "Débité deux fois, il a fallu quatre courriels pour obtenir une réponse.",
        ],
        mixed: &[
            "Livraison un peu plus longue que prévu, mais commande complète.",
            "Bons prix, même si le site était lent au moment de payer.",
        ],
        closers: &["Je recommande.", "Je ne commanderai plus ici.", "Correct dans l'ensemble.", ""],
    },
    Lang {
        code: "es",
        good: &[
            "Pedido el domingo y entregado el martes, todo perfecto.",
            "Proceso de compra claro y gastos de envío razonables.",
            "Atención al cliente rápida y amable.",
            "La devolución fue sencilla y el reembolso llegó en pocos días.",
        ],
        bad: &[
            "Tres semanas esperando el envío y nadie contesta al teléfono.",
            "El seguimiento lleva diez días sin cambios.",
            "Me cobraron dos veces y tardaron semanas en devolver el dinero.",
        ],
        mixed: &[
            "La entrega tardó algo más de lo indicado, pero llegó completo.",
            "Buenos precios, aunque la web iba lenta al pagar.",
        ],
        closers: &["Repetiré.", "No volveré a comprar.", "En general bien.", ""],
    },
    Lang {
        code: "it",
        good: &[
            "Ordinato domenica e consegnato martedì, tutto in ordine.",
            "Acquisto semplice e spese di spedizione oneste.",
            "Il servizio clienti ha risposto subito alla mia domanda.",
            "Il reso è stato facile e il rimborso è arrivato in pochi giorni.",
        ],
        bad: &[
            "Dopo tre settimane ancora nessuna consegna e nessuno risponde.",
            "Il tracciamento è fermo da dieci giorni.",
            "Addebito doppio e risposta solo dopo quattro email.",
        ],
        mixed: &[
            "Consegna un po' più lenta del previsto, ma ordine completo.",
            "Prezzi buoni, il sito però era lento al pagamento.",
        ],
        closers: &["Ci tornerò.", "Non acquisterò più qui.", "Nel complesso bene.", ""],
    },
    Lang {
        code: "pl",
        good: &[
            "Zamówione w niedzielę, we wtorek paczka była już u mnie.",
            "Przejrzysty proces zamówienia i uczciwe koszty wysyłki.",
            "Obsługa klienta odpowiedziała na moje pytanie w godzinę.",
            "Zwrot przebiegł bez problemu, pieniądze wróciły po kilku dniach.",
        ],
        bad: &[
            "Po trzech tygodniach nadal brak dostawy i nikt nie odbiera telefonu.",
            "Status przesyłki nie zmienił się od dziesięciu dni.",
            "Pobrano opłatę dwa razy, odpowiedź dopiero po czterech mailach.",
        ],
        mixed: &[
            "Dostawa trwała dłużej niż podano, ale zamówienie było kompletne.",
            "Dobre ceny, choć strona działała wolno przy płatności.",
        ],
        closers: &["Polecam.", "Więcej tu nie zamówię.", "Ogólnie w porządku.", ""],
    },
];

/// Sentences that carry ARM-relevant content, so filters have something to find.
const ARM_SNIPPETS: &[(&str, &str)] = &[
    ("en", "Ask for Sarah Whitfield at the counter, she sorted it out."),
    ("en", "Write to me at jane.doe@example.org if you had the same problem."),
    ("de", "Die Ware selbst ist top, das Gerät funktioniert einwandfrei."),
    ("de", "Meine IBAN steht ja in der Rechnung: DE89 3704 0044 0532 0130 00."),
    ("nl", "Het product werkt precies zoals beschreven."),
    ("fr", "Depuis que je prends ces gélules, je dors beaucoup mieux."),
    ("en", "Before the cure my skin was dry, after two weeks it looks great."),
    ("es", "El vino es perfecto para beber cada noche, ¡pedid una caja!"),
];

struct ShopSeed {
    name: &'static str,
    country: &'static str,
    languages: &'static [&'static str],
    industries: &'static [Industry],
    employees: &'static [&'static str],
}

const SHOPS: &[ShopSeed] = &[
    ShopSeed {
        name: "Nordlicht Versand",
        country: "DE",
        languages: &["de", "en"],
        industries: &[Industry::General],
        employees: &["Jana Köhler", "Tobias Brandt"],
    },
    ShopSeed {
        name: "Dampfhaus Liquids",
        country: "DE",
        languages: &["de"],
        industries: &[Industry::ECigarettes],
        employees: &["Murat Yilmaz"],
    },
    ShopSeed {
        name: "Huisdierwinkel Van Dijk",
        country: "NL",
        languages: &["nl", "en"],
        industries: &[Industry::General],
        employees: &["Sanne de Vries"],
    },
    ShopSeed {
        name: "Pharmacie du Parc",
        country: "FR",
        languages: &["fr"],
        industries: &[Industry::MedicinalProducts],
        employees: &["Camille Laurent"],
    },
    ShopSeed {
        name: "VitaForma Supplements",
        country: "AT",
        languages: &["de", "it"],
        industries: &[Industry::DietarySupplements],
        employees: &["Lena Gruber"],
    },
    ShopSeed {
        name: "Bodega Serrano",
        country: "ES",
        languages: &["es", "en"],
        industries: &[Industry::AlcoholicBeverages],
        employees: &["Lucía Ortega"],
    },
    ShopSeed {
        name: "Casa Tessuti Milano",
        country: "IT",
        languages: &["it"],
        industries: &[Industry::General],
        employees: &["Marco Bellini"],
    },
    ShopSeed {
        name: "Sklep Rowerowy Kowalski",
        country: "PL",
        languages: &["pl"],
        industries: &[Industry::General],
        employees: &["Piotr Nowak"],
    },
    ShopSeed {
        name: "SecureHome Insurance",
        country: "NL",
        languages: &["nl", "en", "de"],
        industries: &[Industry::Insurance],
        employees: &["Pieter Bakker"],
    },
    ShopSeed {
        name: "Atlantic Outdoor Gear",
        country: "IE",
        languages: &["en"],
        industries: &[Industry::General],
        employees: &["Sarah Whitfield"],
    },
];

/// Builds `n_reviews` reviews over the demo shops, deterministic in `seed`.
/// Most are pending (a moderator's queue); the rest carry other states.
pub fn generate(seed: u64, n_reviews: usize, now: DateTime<Utc>) -> (Vec<Shop>, Vec<Review>) {
    // Stored times keep microseconds (as SQLite text and PostgreSQL do).
    let now = now.trunc_subsecs(6);
    let mut rng = Rng::new(seed);
    let shops: Vec<Shop> = SHOPS
        .iter()
        .enumerate()
        .map(|(i, s)| Shop {
            id: ShopId(rng.uuid_v7(now - Duration::days(900 - i as i64))),
            name: s.name.into(),
            country: s.country.parse().expect("valid demo country"),
            languages: s.languages.iter().map(|l| l.parse().expect("valid demo language")).collect(),
            industries: s.industries.to_vec(),
            arm_enabled: i % 4 != 3,
            employee_names: s.employees.iter().map(|e| (*e).to_owned()).collect(),
        })
        .collect();
    let reviews = (0..n_reviews).map(|i| review(&mut rng, &shops, i, now)).collect();
    (shops, reviews)
}

fn review(rng: &mut Rng, shops: &[Shop], i: usize, now: DateTime<Utc>) -> Review {
    let shop_idx = rng.below(shops.len());
    let shop = &shops[shop_idx];
    // Mostly the shop's own languages, sometimes a cross-border customer.
    let lang_code = if rng.below(5) == 0 {
        rng.pick(LANGS).code
    } else {
        let l = rng.pick(&shop.languages);
        LANGS.iter().find(|x| x.code == l.as_str()).map_or("en", |x| x.code)
    };
    let lang = LANGS.iter().find(|l| l.code == lang_code).expect("known language");
    let stars = *rng.pick(&[5u8, 5, 5, 4, 4, 4, 3, 2, 1, 1]);
    let pool: &[&str] = match stars {
        4..=5 => lang.good,
        3 => lang.mixed,
        _ => lang.bad,
    };
    let first = rng.below(pool.len());
    let mut text = pool[first].to_owned();
    if rng.below(3) == 0 && pool.len() > 1 {
        // A second, different sentence of the same tone.
        let second = (first + 1 + rng.below(pool.len() - 1)) % pool.len();
        text.push(' ');
        text.push_str(pool[second]);
    }
    if rng.below(12) == 0 {
        if let Some((_, s)) = ARM_SNIPPETS.iter().find(|(l, _)| *l == lang_code) {
            text.push(' ');
            text.push_str(s);
        }
    }
    // Closers are ordered: positive, negative, neutral, none.
    let closer = match (stars, rng.below(2)) {
        (_, 0) => lang.closers[3],
        (4..=5, _) => lang.closers[0],
        (1..=2, _) => lang.closers[1],
        _ => lang.closers[2],
    };
    if !closer.is_empty() {
        text.push(' ');
        text.push_str(closer);
    }
    let submitted_at = now - Duration::minutes(rng.below(60 * 24 * 120) as i64 + 5);
    // One in 25 breaks the 6-month rule, so the demo shows the check.
    let max_age_days = if rng.below(25) == 0 { 400 } else { 40 };
    let experience_date = (submitted_at - Duration::days(rng.below(max_age_days) as i64)).date_naive();
    let source = match rng.below(20) {
        0..=11 => ReviewSource::Invitation,
        12..=15 => ReviewSource::ConsumerAccount,
        16..=17 => ReviewSource::DirectDoubleOptIn,
        _ => ReviewSource::Imported,
    };
    let status = match rng.below(10) {
        0..=6 => ReviewStatus::Pending,
        7 => ReviewStatus::Published,
        8 => ReviewStatus::EvidenceRequested { deadline: now + Duration::days(rng.below(20) as i64 - 5) },
        _ => ReviewStatus::EvidenceReceived,
    };
    let mut flags = ReviewFlags::default();
    if stars <= 2 && rng.below(6) == 0 {
        flags.shop_flag = Some(ShopFlag {
            reason: "Customer never ordered with us.".into(),
            flagged_at: submitted_at + Duration::hours(3),
        });
    }
    if rng.below(15) == 0 {
        flags.fake_signals.push(FakeSignal::SameIpBurst {
            reviews: 3 + rng.below(5) as u32,
            window_minutes: 30,
            // Documentation range (RFC 5737); derived without the RNG so the rest of the data stays put.
            ip: format!("203.0.113.{}", i % 256),
            review_ids: Vec::new(),
        });
    }
    Review {
        id: ReviewId(rng.uuid_v7(submitted_at)),
        shop_id: shop.id,
        order_reference: format!("{}-{:06}", &shop.name[..2].to_uppercase(), 100_000 + i),
        reviewer_reference: format!("cust-{:08x}", rng.next_u64() as u32),
        stars: Stars::new(stars).expect("1..=5"),
        text,
        language: lang_code.parse().expect("valid"),
        experience_date,
        submitted_at,
        source,
        status,
        flags,
        version: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn demo_data_is_deterministic_varied_and_valid() {
        let now = Utc::now();
        let (shops, a) = generate(7, 400, now);
        let (_, b) = generate(7, 400, now);
        assert_eq!(a, b);
        assert_eq!(shops.len(), SHOPS.len());
        let ids: HashSet<_> = a.iter().map(|r| r.id).collect();
        assert_eq!(ids.len(), a.len(), "ids are unique");
        let langs: HashSet<_> = a.iter().map(|r| r.language.as_str().to_owned()).collect();
        assert!(langs.len() >= 6, "{langs:?}");
        assert!(a.iter().any(|r| r.source == ReviewSource::Imported));
        assert!(a.iter().filter(|r| r.status == ReviewStatus::Pending).count() > 200);
        for r in &a {
            assert_eq!(r.id.0.get_version_num(), 7);
            assert!(r.submitted_at < now);
        }
    }
}

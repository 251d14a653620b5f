//! Generated mixed-language reviews shared by the scan benchmark and the
//! `scan_profile` example (deterministic, so runs are comparable).

use trustdesk_filters::{Industry, ScanInput};

/// Everyday review sentences per language; a few carry flagged content so the
/// filter stages after matching are exercised too.
const SENTENCES: &[(&str, &[&str])] = &[
    (
        "en",
        &[
            "The parcel arrived two days later than promised but everything was intact.",
            "Customer service answered my e-mail within an hour and sorted out the invoice.",
            "I ordered a replacement charger and it works exactly like the original one.",
            "Packaging was a bit excessive, lots of plastic for such a small item.",
            "Great prices, easy checkout, and the tracking link updated regularly.",
            "The driver left the box with my neighbour without ringing the bell.",
            "Refund took three weeks, which is too long in my opinion.",
            "I lost 4 kg in a month and the support guy is an idiot.",
        ],
    ),
    (
        "de",
        &[
            "Die Lieferung kam pünktlich und war sehr gut verpackt.",
            "Der Kundenservice war freundlich und hat meine Frage schnell beantwortet.",
            "Leider fehlte ein Teil, aber der Ersatz wurde sofort verschickt.",
            "Die Rücksendung war unkompliziert und das Geld war nach fünf Tagen zurück.",
            "Preis und Leistung stimmen, ich bestelle gerne wieder.",
            "Der Fahrer hat das Paket einfach vor die Tür gestellt, schade.",
            "Frau Müller hat mir sehr geholfen, die Ware ist top.",
        ],
    ),
    (
        "nl",
        &[
            "De bestelling werd snel geleverd en alles was netjes verpakt.",
            "De klantenservice reageerde binnen een dag op mijn vraag.",
            "Retourneren was eenvoudig en het geld stond snel terug op mijn rekening.",
            "Helaas was de doos beschadigd, maar de inhoud was in orde.",
            "Prima winkel, ik raad hem iedereen aan.",
        ],
    ),
    (
        "fr",
        &[
            "La livraison est arrivée à temps et le colis était bien emballé.",
            "Le service client a répondu rapidement à ma réclamation.",
            "Le remboursement a pris deux semaines, un peu long à mon goût.",
            "Très bon rapport qualité-prix, je recommande cette boutique.",
            "Le livreur a laissé le colis chez le voisin sans prévenir.",
        ],
    ),
    (
        "es",
        &[
            "El pedido llegó a tiempo y muy bien embalado.",
            "El servicio de atención al cliente respondió enseguida.",
            "La devolución fue sencilla y el reembolso llegó en pocos días.",
            "Buena relación calidad-precio, volveré a comprar.",
            "El repartidor dejó el paquete en la portería sin avisar.",
        ],
    ),
    (
        "it",
        &[
            "La consegna è arrivata puntuale e il pacco era ben imballato.",
            "Il servizio clienti ha risposto subito alla mia domanda.",
            "Il reso è stato semplice e il rimborso è arrivato in pochi giorni.",
            "Ottimo rapporto qualità-prezzo, lo consiglio.",
            "Il corriere ha lasciato il pacco al vicino senza avvisare.",
        ],
    ),
    (
        "pl",
        &[
            "Przesyłka dotarła na czas i była dobrze zapakowana.",
            "Obsługa klienta szybko odpowiedziała na moje pytanie.",
            "Zwrot był prosty, a pieniądze wróciły po kilku dniach.",
            "Dobry stosunek jakości do ceny, polecam ten sklep.",
            "Kurier zostawił paczkę u sąsiada bez uprzedzenia.",
        ],
    ),
];

/// Small deterministic generator (xorshift) so runs are comparable.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

pub fn reviews(count: usize) -> Vec<ScanInput> {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    (0..count)
        .map(|i| {
            let (lang, sents) = SENTENCES[rng.below(SENTENCES.len())];
            let target = 100 + rng.below(1900);
            let mut text = String::new();
            while text.len() < target {
                text.push_str(sents[rng.below(sents.len())]);
                text.push(' ');
            }
            ScanInput {
                text,
                // a third of the reviews arrive without a language
                language: (i % 3 != 0).then(|| lang.to_string()),
                industries: Industry::ALL.to_vec(),
                customer_name: Some("Anna Müller".into()),
                employee_names: vec!["Jan de Vries".into(), "Petra Schmidt".into()],
            }
        })
        .collect()
}

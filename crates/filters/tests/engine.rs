//! Behavioural tests of the engine on hand-written reviews.

use trustdesk_filters::{Category, Engine, Industry, RulePacks, ScanInput, ScanResult};

fn engine() -> &'static Engine {
    static E: std::sync::OnceLock<Engine> = std::sync::OnceLock::new();
    E.get_or_init(|| Engine::compile(&RulePacks::builtin()).expect("builtin packs compile"))
}

fn scan(lang: &str, industries: &[Industry], text: &str) -> ScanResult {
    engine().scan(&ScanInput {
        text: text.into(),
        language: (!lang.is_empty()).then(|| lang.to_string()),
        industries: industries.to_vec(),
        customer_name: None,
        employee_names: vec![],
    })
}

fn cats(r: &ScanResult) -> Vec<Category> {
    r.categories()
}

#[test]
fn insults_and_evasions() {
    let g = [Industry::General];
    for t in [
        "The owner is an idiot.",
        "What a bunch of i.d.i.o.t.s",
        "you are an 1d10t",
        "total idiooooot",
        "what an іdіоt", // Cyrillic
        "fuck you",
    ] {
        assert_eq!(cats(&scan("en", &g, t)), vec![Category::Insult], "{t}");
    }
    for t in [
        "Assassin's Creed arrived on time",
        "I love reading Dickens",
        "Shipped from Scunthorpe, fast delivery",
        "The delivery was late and support was unhelpful.",
        "The driver called me an idiot, which is unacceptable.",
    ] {
        assert!(scan("en", &g, t).publishable, "{t}");
    }
}

#[test]
fn hit_spans_point_into_original() {
    let text = "Ünïcödé 😀 the seller is a m0r0n!";
    let r = scan("en", &[Industry::General], text);
    assert_eq!(r.hits.len(), 1, "{r:?}");
    let h = &r.hits[0];
    assert_eq!(&text[h.start..h.end], "m0r0n");
    assert_eq!(h.text, "m0r0n");
    let utf16: Vec<u16> = text.encode_utf16().collect();
    assert_eq!(String::from_utf16(&utf16[h.start_utf16..h.end_utf16]).unwrap(), "m0r0n");
    assert!(h.rule.starts_with("en.insult."));
    // the rule's description, then what matched
    assert!(h.explanation.len() > 30 && h.explanation.ends_with(" (matched \"m0r0n\")"), "{}", h.explanation);
}

#[test]
fn industries_gate_categories() {
    let text = "Great product, fast delivery";
    assert!(scan("en", &[Industry::General], text).publishable);
    assert_eq!(cats(&scan("en", &[Industry::ECigarettes], text)), vec![Category::ProductReference]);
    assert!(scan("en", &[Industry::ECigarettes], "No goods received after 3 weeks").publishable);
}

#[test]
fn bank_and_numbers() {
    let ins = [Industry::Insurance];
    let r = scan("en", &ins, "Please refund to DE89 3704 0044 0532 0130 00 thanks");
    assert_eq!(cats(&r), vec![Category::BankDetails]);
    assert_eq!(r.hits[0].text, "DE89 3704 0044 0532 0130 00");
    assert!(scan("en", &ins, "Order DE89 3704 0044 0532 0130 01 arrived").publishable);
}

#[test]
fn names() {
    let input = ScanInput {
        text: "Many thanks to Jürgen's team and Mr. Grant, rose petals were lovely".into(),
        language: Some("en".into()),
        industries: vec![Industry::General],
        customer_name: Some("Rose Miller".into()),
        employee_names: vec!["Jurgen Weiss".into(), "Paul Grant".into()],
    };
    let r = engine().scan(&input);
    let texts: Vec<&str> = r.hits.iter().map(|h| h.text.as_str()).collect();
    assert!(texts.iter().any(|t| t.starts_with("Jürgen")), "{texts:?}");
    assert!(texts.iter().any(|t| t.contains("Grant")), "{texts:?}");
    assert!(!texts.iter().any(|t| t.contains("rose")), "{texts:?}");
}

#[test]
fn pack_validation_names_pack_rule_and_reason() {
    let bad = r#"
language = "de"
category = "insult"
version = "1"

[[rule]]
id = "de.insult.0001"
description = "ok"
words = ["blorf"]

[[rule]]
id = "de.insult.0001"
description = "duplicate id"
words = ["x"]

[[rule]]
id = "en.insult.0002"
description = "wrong prefix"
words = ["y"]

[[rule]]
id = "de.insult.0003"
description = "empty match"
pattern = "a*"

[[rule]]
id = "de.insult.0004"
description = "unknown validator"
pattern = "\\d+"
validator = "nope"

[[rule]]
id = "de.insult.0005"
description = "no group 2"
pattern = "(a)b"
group = 2
"#;
    let packs = RulePacks::from_sources([("de/insult.toml", bad)]).unwrap();
    let err = Engine::compile(&packs).unwrap_err();
    let msg = err.to_string();
    for needle in [
        "de/insult.toml: rule de.insult.0001: duplicate rule id",
        "rule en.insult.0002: id must look like de.insult.0001",
        "rule de.insult.0003: pattern matches the empty string",
        "rule de.insult.0004: unknown validator",
        "rule de.insult.0005: pattern has no group 2",
    ] {
        assert!(msg.contains(needle), "{needle:?} missing in:\n{msg}");
    }
    let parse = RulePacks::from_sources([("x.toml", "language = 3")]).unwrap_err();
    assert!(parse.to_string().contains("x.toml"), "{parse}");
}

#[test]
fn compounds_quotes_and_exceptions() {
    let g = [Industry::General];
    assert_eq!(cats(&scan("de", &g, "So ein Idiotenladen!")), vec![Category::Insult]);
    assert!(scan("de", &g, "Die Anleitung ist idiotensicher.").publishable);
    assert!(scan("de", &g, "Verpackung und Versand top.").publishable);
    assert!(scan("nl", &g, "Het vliegtuig kwam op tijd aan.").publishable);
    assert!(scan("de", &g, "Er nannte mich einen Idioten, der Shop hat sich entschuldigt.").publishable);
    for (lang, text) in [
        ("de", "Ware nicht erhalten"),
        ("nl", "goederen niet ontvangen"),
        ("fr", "marchandise non reçue"),
        ("es", "mercancía no recibida"),
        ("it", "merce non ricevuta"),
        ("pl", "nie otrzymałem towaru"),
        ("en", "no goods received"),
    ] {
        assert!(scan(lang, &[Industry::ECigarettes], text).publishable, "{lang}: {text}");
    }
}

#[test]
fn unknown_language_skips_words_harmless_elsewhere() {
    let g = [Industry::General];
    // Spanish "con" (with) must not trip the French insult when the language is unknown
    assert!(scan("", &g, "Compré un libro de cocina con recetas de cerdo asado.").publishable);
    assert_eq!(cats(&scan("fr", &g, "Le vendeur est un gros con.")), vec![Category::Insult]);
    // detection picks German, so German rules apply without a language
    assert_eq!(
        cats(&scan("", &g, "Der Verkäufer ist ein Vollidiot und die Lieferung war schlecht.")),
        vec![Category::Insult]
    );
}

#[test]
fn mentions_self_reference_and_inflected_polish_names() {
    let g = [Industry::General];
    // a quoted word is mentioned, an unquoted one used; self-reference is no insult
    for (lang, text, insult) in [
        ("en", "Someone called the staff 'retards', which is vile.", false),
        ("en", "Someone called the staff retards, which is vile.", true),
        ("nl", "Iemand noemt het personeel \u{201C}mongolen\u{201D}, schaam je.", false),
        ("fr", "Quelqu'un les traite de \u{AB} connards \u{BB} en ligne.", false),
        ("en", "I'm such an idiot, I ordered the wrong size.", false),
        ("en", "I'm told the manager is an idiot.", true),
        ("de", "Ich Depp hab die falsche Größe bestellt.", false),
        ("de", "Ich finde, der Verkäufer ist ein Depp.", true),
        ("it", "Che scema che sono, ho sbagliato colore.", false),
        ("it", "I commessi sono degli idioti.", true),
        ("es", "El idiota de mi vecino recogió el paquete.", true),
        ("es", "Tonta de mí, pedí la talla equivocada.", false),
    ] {
        assert_eq!(scan(lang, &g, text).categories().contains(&Category::Insult), insult, "{text}");
    }
    let input = |text: &str| ScanInput {
        text: text.into(),
        language: Some("pl".into()),
        industries: vec![Industry::General],
        customer_name: None,
        employee_names: vec!["Marek Lewandowski".into()],
    };
    let r = engine().scan(&input("Dziękuję panu Markowi za szybką wymianę."));
    assert_eq!(r.hits.iter().map(|h| h.text.as_str()).collect::<Vec<_>>(), ["Markowi"]);
    // the same forms are words too: "marka" (brand) without a person in sight
    assert!(engine().scan(&input("Ta marka jest świetna, polecam.")).publishable);
}

#[test]
fn a_structured_number_is_cut_back_to_its_valid_prefix() {
    let ins = [Industry::General, Industry::Insurance];
    // the greedy pattern also takes the word after the IBAN
    let r = scan("es", &ins, "Les he enviado mi IBAN ES24 0049 1500 0827 1008 3311 tres veces");
    let bank: Vec<&str> =
        r.hits.iter().filter(|h| h.category == Category::BankDetails).map(|h| h.text.as_str()).collect();
    assert_eq!(bank, ["ES24 0049 1500 0827 1008 3311"]);
    // a phone number is never cut back: a 16-digit tracking number is none
    let r = scan("pl", &[Industry::General], "List ma numer nadania 0059 0073 3301 2845 i utknął.");
    assert!(r.publishable, "{r:?}");
}

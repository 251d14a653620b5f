//! The scan fast paths (pattern gates, skipped passes, the single-pass
//! automaton for reviews of one language, reused buffers) must
//! never change a result: every corpus text, in several variants, gives the
//! same hits as the exhaustive reference engine.

use trustdesk_filters::eval::parse_corpus;
use trustdesk_filters::{Engine, Industry, RulePacks, ScanInput};

const LANGS: [&str; 7] = ["en", "de", "nl", "fr", "es", "it", "pl"];

fn texts() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");
    let mut out = Vec::new();
    for lang in LANGS {
        let text = std::fs::read_to_string(format!("{dir}/{lang}.jsonl")).unwrap();
        out.extend(parse_corpus(&text).unwrap().into_iter().map(|c| c.text));
    }
    // longer texts mixing many rules, shouting, and hostile shapes
    let joined: Vec<String> = out.chunks(7).map(|c| c.join(" ")).collect();
    let upper: Vec<String> = out.iter().step_by(3).map(|t| t.to_uppercase()).collect();
    out.extend(joined);
    out.extend(upper);
    out.extend(
        [
            "",
            "1",
            "@",
            "a@b.cd",
            "i d i o t 0 1 2 3 4 5 6 7 8 9",
            "DE89 3704 0044 0532 0130 00 +49 171 2345678 4111 1111 1111 1111",
            "Ｆｒａｕ Ｍüller ist ein Ｉｄｉｏｔ",
            // the original-text sets' gates: titles glued to leet, letters
            // and spelled-out chains, elisions, odd spacing, a codice fiscale
            "$Frau Müller half. @Herr Weber. éMr Smith. 4Mr Jones. x.a.M. Dupont est là.",
            "J. K. M. Dupont; Je m’appelle Claire; je m'appelle Luc; Sig.ra Rossi; Dhr Jansen",
            "Herr  Schmidt, Herr\tSchmidt, Herrn Müller-Lüdenscheidt, DR. Who, Mr.Smith, Mrs. O'Neil",
            "Pani Anna, Panią Kowalską, Señor Pérez, Doña Inés, Mi chiamo Giulia, Ik heet Sanne",
            "Codice RSSMRA85T10A562S, rssmra85t10a562s e RSSMRA85T10A562SX",
        ]
        .map(String::from),
    );
    // a text with more lexicon matches than the engine looks at, and a title after them
    out.push(format!("{} Herr Schmidt", "idiot ".repeat(5000)));
    out
}

#[test]
fn fast_paths_match_exhaustive_scan() {
    let fast = Engine::compile(&RulePacks::builtin()).unwrap();
    let slow = Engine::compile(&RulePacks::builtin()).unwrap().into_exhaustive();
    let mut checked = 0;
    for (n, text) in texts().into_iter().enumerate() {
        for language in [None, Some(LANGS[n % 7].to_string()), Some("de".to_string())] {
            for industries in [vec![Industry::General], Industry::ALL.to_vec()] {
                let input = ScanInput {
                    text: text.clone(),
                    language: language.clone(),
                    industries,
                    customer_name: Some("Anna Müller".into()),
                    employee_names: vec!["Jan de Vries".into(), "Rose".into()],
                };
                assert_eq!(fast.scan(&input), slow.scan(&input), "{input:?}");
                checked += 1;
            }
        }
    }
    assert!(checked > 6000, "{checked}");
}

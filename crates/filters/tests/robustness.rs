//! Hostile inputs finish (linear-time passes) and do not panic.

use trustdesk_filters::{Category, Engine, Industry, RulePacks, ScanInput};

fn engine() -> &'static Engine {
    static E: std::sync::OnceLock<Engine> = std::sync::OnceLock::new();
    E.get_or_init(|| Engine::compile(&RulePacks::builtin()).unwrap())
}

fn all_industries(text: String) -> ScanInput {
    ScanInput {
        text,
        language: None,
        industries: Industry::ALL.to_vec(),
        customer_name: Some("Anna Maria Müller".into()),
        employee_names: vec!["Jan de Vries".into(), "Rose".into()],
    }
}

fn check_spans(input: &ScanInput) {
    let r = engine().scan(input);
    assert_eq!(r.publishable, r.hits.is_empty());
    for h in &r.hits {
        assert!(h.start < h.end && h.end <= input.text.len());
        assert_eq!(&input.text[h.start..h.end], h.text);
        assert!(h.start_utf16 <= h.end_utf16);
    }
}

#[test]
fn ten_megabyte_review() {
    let unit = "Die Lieferung war gut, aber der Fahrer war ein Idiot. Call +49 171 2345678. ";
    let text = unit.repeat(10 * 1024 * 1024 / unit.len());
    let input = all_industries(text);
    let r = engine().scan(&input);
    assert!(!r.publishable);
    assert!(r.hits.iter().any(|h| h.category == Category::Insult));
    assert!(r.hits.len() <= trustdesk_filters::MAX_HITS);
}

#[test]
fn one_repeated_character() {
    for c in ["a", "1", " ", ".", "é", "😀", "\u{200B}", "-"] {
        check_spans(&all_industries(c.repeat(2_000_000)));
    }
}

#[test]
fn nested_separators_and_spelled_words() {
    let mut s = String::new();
    for i in 0..200_000 {
        s.push(char::from(b'a' + (i % 26) as u8));
        s.push_str([" ", ".", " - ", "_.", "*"][i % 5]);
    }
    check_spans(&all_industries(s));
    let deep = "i.".repeat(500_000) + &"-".repeat(500_000);
    check_spans(&all_industries(deep));
}

#[test]
fn mixed_scripts_and_combining_marks() {
    let text = "ｉｄｉｏｔ і́д́і́о́т e\u{301}\u{301}\u{301} 𝐢𝐝𝐢𝐨𝐭 ß ﬁ ǅ İstanbul ﷺ".repeat(2000);
    check_spans(&all_industries(text));
    check_spans(&all_industries(String::new()));
}

//! Fuzz target: arbitrary text through `normalize` and `Engine::scan`; every
//! reported span must be valid in the original text and consistent in UTF-16,
//! and the scan's shortcuts (gates, the single-pass automaton) must give what
//! the exhaustive reference engine gives.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trustdesk_filters::{normalize::normalize, Engine, Industry, RulePacks, ScanInput, LANGUAGES};

static ENGINE: std::sync::OnceLock<Engine> = std::sync::OnceLock::new();
static EXHAUSTIVE: std::sync::OnceLock<Engine> = std::sync::OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let engine = ENGINE.get_or_init(|| Engine::compile(&RulePacks::builtin()).unwrap());
    let (head, rest) = data.split_at(data.len().min(2));
    let flags = head.first().copied().unwrap_or(0);
    let lang = head.get(1).copied().unwrap_or(0) as usize;
    let text = String::from_utf8_lossy(rest).into_owned();
    // a slice of the text doubles as a name, so name matching is exercised too
    let name: String = text.chars().take(12).collect();

    let norm = normalize(&text);
    let n = norm.text.len();
    for (s, e) in [(0, n), (0, n / 2), (n / 3, n), (n / 4, n / 2 + 1)] {
        if s < e && e <= n {
            let (os, oe) = norm.to_original(&text, s, e);
            assert!(os <= oe && oe <= text.len());
            assert!(text.is_char_boundary(os) && text.is_char_boundary(oe));
        }
    }

    let industries = Industry::ALL
        .iter()
        .enumerate()
        .filter(|(i, _)| flags & (1 << i) != 0)
        .map(|(_, ind)| *ind)
        .collect();
    let input = ScanInput {
        text: text.clone(),
        language: LANGUAGES.get(lang % 9).map(|l| l.to_string()),
        industries,
        customer_name: (flags & 0x40 != 0).then(|| name.clone()),
        employee_names: if flags & 0x80 != 0 { vec![name] } else { vec![] },
    };
    let r = engine.scan(&input);
    let reference = EXHAUSTIVE.get_or_init(|| Engine::compile(&RulePacks::builtin()).unwrap().into_exhaustive());
    assert_eq!(r, reference.scan(&input));
    assert_eq!(r.publishable, r.hits.is_empty());
    for h in &r.hits {
        assert!(h.start < h.end && h.end <= text.len());
        assert_eq!(&text[h.start..h.end], h.text);
        assert_eq!(text[..h.start].encode_utf16().count(), h.start_utf16);
        assert_eq!(text[..h.end].encode_utf16().count(), h.end_utf16);
    }
});

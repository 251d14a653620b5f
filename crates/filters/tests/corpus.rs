//! Quality gate on the labelled development corpus (tests/corpus/*.jsonl):
//! per category over all languages, precision >= 0.95 and recall >= 0.90.

use trustdesk_filters::eval::{evaluate, parse_corpus};
use trustdesk_filters::{Category, Engine, RulePacks};

const LANGS: [&str; 7] = ["en", "de", "nl", "fr", "es", "it", "pl"];

#[test]
fn corpus_precision_and_recall() {
    let engine = Engine::compile(&RulePacks::builtin()).unwrap();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");
    let mut cases = Vec::new();
    for lang in LANGS {
        let path = format!("{dir}/{lang}.jsonl");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let c = parse_corpus(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(c.iter().all(|x| x.language.as_deref() == Some(lang)), "{path}");
        cases.extend(c);
    }
    let report = evaluate(&engine, &cases);
    println!("{}", report.table());
    for m in &report.misses {
        println!("MISS [{}] expected {:?} got {:?}: {}", m.language, m.expected, m.predicted, m.text);
    }
    let mut failures = Vec::new();
    for (cat, n) in report.by_category() {
        if n.precision() < 0.95 || n.recall() < 0.90 {
            failures.push(format!("{}: precision {:.3} recall {:.3}", cat.code(), n.precision(), n.recall()));
        }
    }
    // every category must have positives in the corpus
    let cats = report.by_category();
    for c in Category::ALL {
        if cats.get(&c).is_none_or(|n| n.tp + n.fn_ == 0) {
            failures.push(format!("{}: no positive cases", c.code()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

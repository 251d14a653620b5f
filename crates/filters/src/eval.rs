//! Labelled-corpus evaluation: per category and language precision/recall.
//! Used by the corpus test and by `trustdesk-filter-eval`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Category, Engine, Industry, ScanInput};

/// One labelled review (`tests/corpus/<lang>.jsonl`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CorpusCase {
    pub text: String,
    pub language: Option<String>,
    #[serde(default)]
    pub industries: Vec<Industry>,
    #[serde(default)]
    pub customer_name: Option<String>,
    #[serde(default)]
    pub employee_names: Vec<String>,
    /// Categories a moderator would flag.
    pub expected: Vec<Category>,
}

impl CorpusCase {
    pub fn input(&self) -> ScanInput {
        ScanInput {
            text: self.text.clone(),
            language: self.language.clone(),
            industries: if self.industries.is_empty() {
                vec![Industry::General]
            } else {
                self.industries.clone()
            },
            customer_name: self.customer_name.clone(),
            employee_names: self.employee_names.clone(),
        }
    }
}

/// True/false positive and false negative counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
}

impl Counts {
    /// 1.0 when nothing was predicted (no evidence of imprecision).
    pub fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        }
    }

    /// 1.0 when nothing was expected.
    pub fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fn_) as f64
        }
    }

    fn add(&mut self, o: Counts) {
        self.tp += o.tp;
        self.fp += o.fp;
        self.fn_ += o.fn_;
    }
}

/// A case whose predicted categories differ from the expected ones.
#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    pub language: String,
    pub text: String,
    pub expected: Vec<Category>,
    pub predicted: Vec<Category>,
}

/// Evaluation result keyed by (category, language).
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub by_lang: BTreeMap<(Category, String), Counts>,
    pub misses: Vec<Miss>,
    pub cases: usize,
}

impl Report {
    /// Totals per category over all languages.
    pub fn by_category(&self) -> BTreeMap<Category, Counts> {
        let mut m: BTreeMap<Category, Counts> = BTreeMap::new();
        for ((c, _), n) in &self.by_lang {
            m.entry(*c).or_default().add(*n);
        }
        m
    }

    /// Plain-text table: category, language, tp/fp/fn, precision, recall.
    pub fn table(&self) -> String {
        let mut s = format!(
            "{:<20} {:<4} {:>4} {:>4} {:>4} {:>9} {:>7}\n",
            "category", "lang", "tp", "fp", "fn", "precision", "recall"
        );
        for ((c, l), n) in &self.by_lang {
            s += &format!(
                "{:<20} {:<4} {:>4} {:>4} {:>4} {:>9.3} {:>7.3}\n",
                c.code(),
                l,
                n.tp,
                n.fp,
                n.fn_,
                n.precision(),
                n.recall()
            );
        }
        for (c, n) in self.by_category() {
            s += &format!(
                "{:<20} {:<4} {:>4} {:>4} {:>4} {:>9.3} {:>7.3}\n",
                c.code(),
                "ALL",
                n.tp,
                n.fp,
                n.fn_,
                n.precision(),
                n.recall()
            );
        }
        s
    }
}

/// Parses a JSONL corpus; errors name the line.
pub fn parse_corpus(text: &str) -> Result<Vec<CorpusCase>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| format!("line {}: {e}", i + 1)))
        .collect()
}

/// Scans every case and counts per category and language.
pub fn evaluate(engine: &Engine, cases: &[CorpusCase]) -> Report {
    let mut r = Report { cases: cases.len(), ..Report::default() };
    for case in cases {
        let lang = case.language.clone().unwrap_or_else(|| "??".into());
        let predicted = engine.scan(&case.input()).categories();
        for c in Category::ALL {
            let (e, p) = (case.expected.contains(&c), predicted.contains(&c));
            let n = r.by_lang.entry((c, lang.clone())).or_default();
            match (e, p) {
                (true, true) => n.tp += 1,
                (false, true) => n.fp += 1,
                (true, false) => n.fn_ += 1,
                (false, false) => {}
            }
        }
        let mut expected = case.expected.clone();
        expected.sort();
        if expected != predicted {
            r.misses.push(Miss { language: lang, text: case.text.clone(), expected, predicted });
        }
    }
    r
}

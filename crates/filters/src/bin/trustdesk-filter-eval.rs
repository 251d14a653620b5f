//! `trustdesk-filter-eval [--corpus DIR] [--rules DIR] [--germeval FILE] [--misses]`
//!
//! Prints precision/recall per category and language on the labelled corpus
//! and, when given, on the GermEval 2018 file (German tweets; ABUSE/INSULT
//! count as `insult`, PROFANITY is reported separately).

use std::process::ExitCode;

use trustdesk_filters::eval::{evaluate, parse_corpus, Counts};
use trustdesk_filters::{Category, Engine, Industry, RulePacks, ScanInput};

fn main() -> ExitCode {
    let mut corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus").to_string();
    let mut rules = None;
    let mut germeval = None;
    let mut show_misses = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--corpus" => corpus = args.next().unwrap_or_default(),
            "--rules" => rules = args.next(),
            "--germeval" => germeval = args.next(),
            "--misses" => show_misses = true,
            _ => {
                eprintln!(
                    "usage: trustdesk-filter-eval [--corpus DIR] [--rules DIR] [--germeval FILE] [--misses]"
                );
                return ExitCode::from(2);
            }
        }
    }
    let packs = match rules {
        Some(d) => RulePacks::load_dir(d),
        None => Ok(RulePacks::builtin()),
    };
    let t0 = std::time::Instant::now();
    let engine = match packs.and_then(|p| Engine::compile(&p)) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    println!("compiled rule packs in {:.1} ms", t0.elapsed().as_secs_f64() * 1e3);

    let mut cases = Vec::new();
    let mut files: Vec<_> = match std::fs::read_dir(&corpus) {
        Ok(rd) => rd.filter_map(Result::ok).map(|e| e.path()).collect(),
        Err(e) => {
            eprintln!("cannot read corpus {corpus}: {e}");
            return ExitCode::from(2);
        }
    };
    files.sort();
    for f in files.iter().filter(|f| f.extension().is_some_and(|x| x == "jsonl")) {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        match parse_corpus(&text) {
            Ok(c) => cases.extend(c),
            Err(e) => {
                eprintln!("{}: {e}", f.display());
                return ExitCode::from(2);
            }
        }
    }
    let report = evaluate(&engine, &cases);
    println!("corpus: {} cases from {corpus}", report.cases);
    print!("{}", report.table());
    if show_misses {
        for m in &report.misses {
            println!("MISS [{}] expected {:?} got {:?}: {}", m.language, m.expected, m.predicted, m.text);
        }
    }

    if let Some(path) = germeval {
        match std::fs::read_to_string(&path) {
            Ok(text) => germeval_report(&engine, &text, show_misses),
            Err(e) => println!("germeval: {path} not readable ({e}), skipped"),
        }
    }
    ExitCode::SUCCESS
}

fn germeval_report(engine: &Engine, text: &str, show_misses: bool) {
    let mut abuse_insult = Counts::default();
    let mut offense = Counts::default();
    let mut profanity_flagged = (0usize, 0usize);
    let mut n = 0;
    for line in text.lines() {
        let mut cols = line.split('\t');
        let (Some(tweet), Some(coarse), Some(fine)) = (cols.next(), cols.next(), cols.next()) else {
            continue;
        };
        n += 1;
        let input = ScanInput {
            text: tweet.replace("|LBR|", "\n"),
            language: Some("de".into()),
            industries: vec![Industry::General],
            customer_name: None,
            employee_names: vec![],
        };
        let hit = engine.scan(&input).hits.iter().any(|h| h.category == Category::Insult);
        let fine = fine.trim();
        let gold = matches!(fine, "ABUSE" | "INSULT");
        let gold_off = coarse.trim() == "OFFENSE";
        for (c, g) in [(&mut abuse_insult, gold), (&mut offense, gold_off)] {
            match (g, hit) {
                (true, true) => c.tp += 1,
                (false, true) => c.fp += 1,
                (true, false) => c.fn_ += 1,
                _ => {}
            }
        }
        if fine == "PROFANITY" {
            profanity_flagged.1 += 1;
            if hit {
                profanity_flagged.0 += 1;
            }
        }
        if show_misses && gold != hit && fine != "PROFANITY" {
            println!("GERMEVAL {} gold={fine}: {tweet}", if hit { "FP" } else { "FN" });
        }
    }
    println!("germeval2018: {n} tweets, language de, industries [general]");
    for (name, c) in [("ABUSE+INSULT", abuse_insult), ("OFFENSE (coarse)", offense)] {
        let f1 = 2.0 * c.precision() * c.recall() / (c.precision() + c.recall()).max(1e-9);
        println!(
            "  {name:<17} tp {:>4} fp {:>4} fn {:>4} precision {:.3} recall {:.3} f1 {:.3}",
            c.tp,
            c.fp,
            c.fn_,
            c.precision(),
            c.recall(),
            f1
        );
    }
    println!("  PROFANITY-only tweets flagged as insult: {}/{}", profanity_flagged.0, profanity_flagged.1);
}

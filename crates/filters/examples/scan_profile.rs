//! Scans the benchmark's generated reviews a fixed number of times, alternating
//! with the bare Aho-Corasick pass, and prints both throughputs and their ratio
//! (on a shared machine the ratio is steadier than either figure). For
//! profilers too:
//!
//! `cargo run --profile bench -p trustdesk-filters --example scan_profile -- [engine|exhaustive] [rounds]`

#[path = "../benches/common/reviews.rs"]
mod reviews;

use std::time::{Duration, Instant};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use trustdesk_filters::{Engine, RulePacks};

fn main() {
    let mut args = std::env::args().skip(1);
    let what = args.next().unwrap_or_else(|| "engine".into());
    let rounds: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(20);
    let mut engine = Engine::compile(&RulePacks::builtin()).unwrap();
    if what == "exhaustive" {
        engine = engine.into_exhaustive();
    }
    let inputs = reviews::reviews(2000);
    let bytes: usize = inputs.iter().map(|i| i.text.len()).sum();
    let bare = AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .kind(Some(AhoCorasickKind::DFA))
        .build(engine.lexicon_terms())
        .unwrap();
    // warm up lazily built automata
    for i in &inputs {
        engine.scan(i);
    }
    let (mut t_engine, mut t_bare) = (Duration::ZERO, Duration::ZERO);
    let (mut hits, mut matches) = (0, 0);
    for _ in 0..rounds {
        let t = Instant::now();
        for i in &inputs {
            matches += bare.find_overlapping_iter(i.text.as_str()).count();
        }
        t_bare += t.elapsed();
        let t = Instant::now();
        for i in &inputs {
            hits += engine.scan(i).hits.len();
        }
        t_engine += t.elapsed();
    }
    let mib = |d: Duration| (rounds * bytes) as f64 / d.as_secs_f64() / (1024.0 * 1024.0);
    println!(
        "{what}: {rounds} x {bytes} bytes: {:.1} MiB/s ({hits} hits), bare Aho-Corasick {:.1} MiB/s ({matches} matches), ratio {:.2}",
        mib(t_engine),
        mib(t_bare),
        t_engine.as_secs_f64() / t_bare.as_secs_f64()
    );
}

//! Throughput of `Engine::scan` on generated mixed-language reviews (every
//! category on), against a bare Aho-Corasick pass over the same lexicons, and
//! the cost of compiling all packs.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use trustdesk_filters::{Engine, RulePacks};

#[path = "common/reviews.rs"]
mod reviews;
use reviews::reviews;

fn bench(c: &mut Criterion) {
    let packs = RulePacks::builtin();
    let engine = Engine::compile(&packs).unwrap();
    let inputs = reviews(2000);
    let bytes: usize = inputs.iter().map(|i| i.text.len()).sum();

    let mut g = c.benchmark_group("scan");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("engine_all_categories", |b| {
        b.iter(|| {
            let mut hits = 0;
            for i in &inputs {
                hits += engine.scan(i).hits.len();
            }
            hits
        })
    });
    let bare = AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .kind(Some(AhoCorasickKind::DFA))
        .build(engine.lexicon_terms())
        .unwrap();
    g.bench_function("bare_aho_corasick_same_lexicons", |b| {
        b.iter(|| {
            let mut n = 0;
            for i in &inputs {
                n += bare.find_overlapping_iter(i.text.as_str()).count();
            }
            n
        })
    });
    g.finish();

    let mut g = c.benchmark_group("compile");
    g.bench_function("compile_all_packs", |b| {
        b.iter_batched(|| packs.clone(), |p| Engine::compile(&p).unwrap(), BatchSize::LargeInput)
    });
    g.bench_function("parse_and_compile_builtin", |b| {
        b.iter(|| Engine::compile(&RulePacks::builtin()).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Store benchmarks: recording one decision (durable commit) and bulk-loading
//! 100,000 reviews. Besides criterion's estimates, prints p50/p99 of single
//! decisions, since tail latency is what a moderator feels.

use std::time::{Duration, Instant};

use chrono::Utc;
use criterion::{criterion_group, criterion_main, Criterion};
use trustdesk_domain::decision::Grounds;
use trustdesk_domain::{Review, ReviewAction, ReviewStatus, Shop};
use trustdesk_store::{demo, NewDecision, ReviewQuery, Store};

fn pending_data(n: usize) -> (Vec<Shop>, Vec<Review>) {
    let (shops, mut reviews) = demo::generate(1, n, Utc::now());
    for r in &mut reviews {
        r.status = ReviewStatus::Pending;
    }
    (shops, reviews)
}

async fn seeded(dir: &std::path::Path, shops: &[Shop], reviews: &[Review]) -> Store {
    let s = Store::open(&dir.join("bench.db")).await.unwrap();
    s.upsert_shops(shops).await.unwrap();
    s.upsert_reviews(reviews).await.unwrap();
    s
}

fn publish(r: &Review) -> NewDecision {
    NewDecision {
        review_id: r.id,
        action: ReviewAction::Publish,
        grounds: Grounds::default(),
        decided_by: "bench".into(),
        message: None,
    }
}

fn record_decision(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (shops, reviews) = pending_data(60_000);
    let dir = tempfile::tempdir().unwrap();
    let store = rt.block_on(seeded(dir.path(), &shops, &reviews));
    let mut next = reviews.iter();

    // Percentiles over individual calls.
    let mut lat: Vec<Duration> = (0..2000)
        .map(|_| {
            let r = next.next().unwrap();
            let t = Instant::now();
            rt.block_on(store.record_decision(publish(r), Utc::now())).unwrap();
            t.elapsed()
        })
        .collect();
    lat.sort();
    let pct = |p: f64| lat[((lat.len() as f64 - 1.0) * p) as usize];
    println!(
        "record_decision over {} calls: p50 {:?}, p99 {:?}, max {:?}",
        lat.len(),
        pct(0.50),
        pct(0.99),
        lat[lat.len() - 1]
    );

    let mut g = c.benchmark_group("store");
    g.sample_size(30).measurement_time(Duration::from_secs(5));
    g.bench_function("record_decision", |b| {
        b.iter(|| {
            let r = next.next().expect("enough pending reviews for the bench");
            rt.block_on(store.record_decision(publish(r), Utc::now())).unwrap()
        })
    });
    g.finish();
}

fn bulk_load(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (shops, reviews) = pending_data(100_000);
    let mut g = c.benchmark_group("store");
    g.sample_size(10).measurement_time(Duration::from_secs(30));
    g.bench_function("bulk_load_100k_reviews", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let dir = tempfile::tempdir().unwrap();
                let t = Instant::now();
                let s = rt.block_on(seeded(dir.path(), &shops, &reviews));
                total += t.elapsed();
                rt.block_on(s.close());
            }
            total
        })
    });
    g.finish();
}

/// The queue over 100,000 reviews with 5,000 local decisions: what the UI asks
/// for when it opens a tab, searches, or scrolls deep.
fn queue_pages(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (shops, reviews) = demo::generate(3, 100_000, Utc::now());
    let dir = tempfile::tempdir().unwrap();
    let store = rt.block_on(seeded(dir.path(), &shops, &reviews));
    let pending: Vec<NewDecision> =
        reviews.iter().filter(|r| r.status == ReviewStatus::Pending).take(5_000).map(publish).collect();
    rt.block_on(store.record_decisions(pending, Utc::now())).unwrap();
    let page = |q: ReviewQuery| {
        let store = store.clone();
        let rt = &rt;
        move || rt.block_on(store.list_reviews(&q, Utc::now())).unwrap()
    };
    let mut g = c.benchmark_group("queue_100k");
    g.sample_size(20).measurement_time(Duration::from_secs(5));
    let first = page(ReviewQuery { state: Some("pending".into()), limit: 100, ..Default::default() });
    g.bench_function("first_page_pending", |b| b.iter(&first));
    let deep =
        page(ReviewQuery { state: Some("pending".into()), offset: 60_000, limit: 100, ..Default::default() });
    g.bench_function("page_at_60000_pending", |b| b.iter(&deep));
    let search = page(ReviewQuery { search: Some("Lieferung".into()), limit: 100, ..Default::default() });
    g.bench_function("search_first_page", |b| b.iter(&search));
    g.bench_function("state_counts", |b| b.iter(|| rt.block_on(store.state_counts()).unwrap()));
    g.finish();
}

/// The dashboard's local figures over 100,000 decided reviews (all decided on
/// this workstation), with ARM hits on a tenth of them. Target: 200 ms.
fn dashboard(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (shops, reviews) = pending_data(110_000);
    let dir = tempfile::tempdir().unwrap();
    let store = rt.block_on(seeded(dir.path(), &shops, &reviews));
    let decisions: Vec<NewDecision> = reviews.iter().take(100_000).map(publish).collect();
    for chunk in decisions.chunks(10_000) {
        rt.block_on(store.record_decisions(chunk.to_vec(), Utc::now())).unwrap();
    }
    let hits: Vec<(trustdesk_domain::ReviewId, Vec<trustdesk_domain::arm::ArmHit>)> = reviews
        .iter()
        .step_by(10)
        .map(|r| {
            let hit = trustdesk_domain::arm::ArmHit {
                category: trustdesk_domain::ArmCategory::Insult,
                rule: "bench".into(),
                start: 0,
                end: 4,
                start_utf16: 0,
                end_utf16: 4,
                text: "word".into(),
                explanation: "bench".into(),
            };
            (r.id, vec![hit])
        })
        .collect();
    rt.block_on(store.put_hits(&hits, "bench")).unwrap();
    let figures = rt.block_on(store.local_figures(Utc::now())).unwrap();
    assert_eq!(figures.decided_total, 100_000);
    let mut g = c.benchmark_group("dashboard");
    g.sample_size(20).measurement_time(Duration::from_secs(10));
    g.bench_function("local_figures_100k_decided", |b| {
        b.iter(|| rt.block_on(store.local_figures(Utc::now())).unwrap())
    });
    g.finish();
}

criterion_group!(benches, record_decision, bulk_load, queue_pages, dashboard);
criterion_main!(benches);

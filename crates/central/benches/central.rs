//! Throughput of the central service over loopback HTTP: reading the change feed
//! for 100,000 reviews and applying 10,000 review decisions, on SQLite and on
//! PostgreSQL (a throwaway cluster, as in the tests).
//!
//! `TRUSTDESK_BENCH_BACKENDS=sqlite` limits the run to one backend.

#[path = "../tests/support/pg.rs"]
mod pg;

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::json;
use trustdesk_api::{ChangesPage, MutationOutcome, MutationResponse, Role};
use trustdesk_central::{auth, seed, Config, Db};

const FEED_REVIEWS: usize = 100_000;
const MUTATIONS: usize = 10_000;
const BATCH: usize = 500;

struct Bench {
    base: String,
    db: Db,
    token: String,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

async fn start(backend: &str) -> Bench {
    let dir = tempfile::tempdir().unwrap();
    let url = match backend {
        "sqlite" => format!("sqlite://{}", dir.path().join("central.db").display()),
        _ => pg::fresh_database().await,
    };
    let db = Db::connect(&url).await.unwrap();
    let (listener, addr) = trustdesk_central::bind("127.0.0.1:0").await.unwrap();
    let config = Config::new(dir.path().to_owned());
    tokio::spawn(trustdesk_central::serve(listener, db.clone(), config));
    let token = auth::add_user(&db, "bench", Role::Admin).await.unwrap();
    // reqwest is built without a bundled TLS provider in this workspace.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Bench { base: format!("http://{addr}"), db, token, http: reqwest::Client::new(), _dir: dir }
}

async fn read_feed(b: &Bench) -> usize {
    let mut since = "0".to_owned();
    let mut n = 0;
    loop {
        let page: ChangesPage = b
            .http
            .get(format!("{}/v1/changes?since={since}&limit=5000", b.base))
            .bearer_auth(&b.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        n += page.items.len();
        since = page.next_cursor;
        if !page.has_more {
            return n;
        }
    }
}

/// Fresh pending reviews to decide on (not timed).
async fn pending_reviews(b: &Bench, round: u64) -> Vec<String> {
    let opts =
        seed::SeedOptions { shops: 20, reviews: MUTATIONS * 3 / 2, audits: 0, disputes: 0, seed: round };
    let items: Vec<_> = seed::generate(opts, trustdesk_central::db::now())
        .into_iter()
        .filter(|e| {
            seed::as_review(e).is_some_and(|r| r.status == trustdesk_domain::ReviewStatus::Pending)
                || matches!(e.entity, trustdesk_api::Entity::Shop(_))
        })
        .collect();
    let mut tx = b.db.write.begin().await.unwrap();
    trustdesk_central::entities::insert_all(&mut tx, &items).await.unwrap();
    tx.commit().await.unwrap();
    if b.db.backend == trustdesk_central::Backend::Postgres {
        // 15,000 new rows per round: without fresh statistics the planner
        // sometimes reads the whole table for the batch's key lookups, which
        // autovacuum would have fixed on a long-running server.
        sqlx::query("ANALYZE entities").execute(&b.db.write).await.unwrap();
    }
    items.iter().filter_map(seed::as_review).map(|r| r.id.to_string()).take(MUTATIONS).collect()
}

async fn decide_all(b: &Bench, ids: &[String]) {
    for chunk in ids.chunks(BATCH) {
        let mutations: Vec<_> = chunk
            .iter()
            .map(|id| {
                json!({"id": uuid::Uuid::now_v7(), "base_version": 1,
                   "op": {"type": "review_decision", "review_id": id, "action": {"action": "publish"}}})
            })
            .collect();
        let r: MutationResponse = b
            .http
            .post(format!("{}/v1/mutations", b.base))
            .bearer_auth(&b.token)
            .json(&json!({ "mutations": mutations }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(r.results.iter().all(|x| matches!(x.outcome, MutationOutcome::Applied { .. })));
    }
}

fn central(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let backends = std::env::var("TRUSTDESK_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    for backend in backends.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let b = rt.block_on(start(backend));
        rt.block_on(async {
            let opts =
                seed::SeedOptions { shops: 200, reviews: FEED_REVIEWS, audits: 0, disputes: 0, seed: 1 };
            seed::seed(&b.db, b._dir.path(), opts, trustdesk_central::db::now()).await.unwrap();
        });
        let total = rt.block_on(read_feed(&b));

        let mut g = c.benchmark_group(format!("central_{backend}"));
        g.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(10));
        g.throughput(Throughput::Elements(total as u64));
        g.bench_function(format!("feed_{total}_items"), |bench| {
            bench.to_async(&rt).iter(|| async { assert_eq!(read_feed(&b).await, total) })
        });
        g.throughput(Throughput::Elements(MUTATIONS as u64));
        let mut round = 100;
        g.bench_function(format!("mutations_{MUTATIONS}"), |bench| {
            bench.to_async(&rt).iter_custom(|iters| {
                round += 1;
                let start_round = round * 1000;
                let b = &b;
                async move {
                    let mut spent = Duration::ZERO;
                    for i in 0..iters {
                        let ids = pending_reviews(b, start_round + i).await;
                        let t = Instant::now();
                        decide_all(b, &ids).await;
                        spent += t.elapsed();
                    }
                    spent
                }
            })
        });
        g.finish();
    }
}

criterion_group!(benches, central);
criterion_main!(benches);

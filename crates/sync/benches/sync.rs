//! The sync client against an in-process central service (SQLite) on loopback:
//! initial sync of 100,000 reviews into an empty store (push + pull + local
//! filter scan, as `workstation::sync_once` does), a sync with nothing new, and
//! pushing 10,000 queued decisions. Prints once where the initial sync's time
//! goes (fetch and parse, apply, scan).

use std::time::{Duration, Instant};

use chrono::Utc;
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use trustdesk_api::{ChangesPage, Role};
use trustdesk_central::{auth, seed, Config, Db};
use trustdesk_domain::ReviewAction;
use trustdesk_store::Store;
use trustdesk_sync::{workstation, Client, PAGE_SIZE};

const REVIEWS: usize = 100_000;
const DECISIONS: usize = 10_000;

struct Env {
    base: String,
    db: Db,
    token: String,
    _dir: tempfile::TempDir,
}

async fn start() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::connect(&format!("sqlite://{}", dir.path().join("central.db").display())).await.unwrap();
    let opts = seed::SeedOptions { shops: 40, reviews: REVIEWS, audits: 0, disputes: 0, seed: 7 };
    seed::seed(&db, dir.path(), opts, trustdesk_central::db::now()).await.unwrap();
    let (listener, addr) = trustdesk_central::bind("127.0.0.1:0").await.unwrap();
    tokio::spawn(trustdesk_central::serve(listener, db.clone(), Config::new(dir.path().to_owned())));
    let token = auth::add_user(&db, "bench", Role::Moderator).await.unwrap();
    Env { base: format!("http://{addr}"), db, token, _dir: dir }
}

/// Only fetching and parsing the feed, as `pull` does, without applying it.
async fn fetch_only(env: &Env) -> usize {
    let http = reqwest::Client::new();
    let (mut since, mut n) = ("0".to_owned(), 0);
    loop {
        let page: ChangesPage = http
            .get(format!("{}/v1/changes?since={since}&limit={PAGE_SIZE}", env.base))
            .bearer_auth(&env.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        n += page.items.len();
        if !page.has_more {
            return n;
        }
        since = page.next_cursor;
    }
}

/// Where the initial sync's time goes, measured once: fetch + parse, apply
/// (pull minus fetch), scan.
async fn breakdown(env: &Env, client: &Client) {
    let t = Instant::now();
    let items = fetch_only(env).await;
    let fetch = t.elapsed();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("trustdesk.db")).await.unwrap();
    let t = Instant::now();
    client.pull(&store).await.unwrap();
    let pull = t.elapsed();
    let t = Instant::now();
    let scanned = trustdesk_store::scan::scan_pending(&store).await.unwrap();
    let scan = t.elapsed();
    println!(
        "initial sync breakdown: {items} feed items; fetch + parse {:.2} s, apply {:.2} s (pull {:.2} s), \
         scan of {scanned} reviews {:.2} s",
        fetch.as_secs_f64(),
        (pull.saturating_sub(fetch)).as_secs_f64(),
        pull.as_secs_f64(),
        scan.as_secs_f64()
    );
    store.close().await;
}

/// Fresh pending reviews on the server, pulled into `store`, each with a queued
/// publish decision (not timed).
async fn queue_decisions(env: &Env, client: &Client, store: &Store, round: u64) {
    let opts =
        seed::SeedOptions { shops: 5, reviews: DECISIONS * 2, audits: 0, disputes: 0, seed: 1000 + round };
    let items: Vec<_> = seed::generate(opts, trustdesk_central::db::now())
        .into_iter()
        .filter(|e| {
            seed::as_review(e).is_some_and(|r| r.status == trustdesk_domain::ReviewStatus::Pending)
                || matches!(e.entity, trustdesk_api::Entity::Shop(_))
        })
        .collect();
    let mut tx = env.db.write.begin().await.unwrap();
    trustdesk_central::entities::insert_all(&mut tx, &items).await.unwrap();
    tx.commit().await.unwrap();
    client.pull(store).await.unwrap();
    let decisions: Vec<_> = items
        .iter()
        .filter_map(seed::as_review)
        .take(DECISIONS)
        .map(|r| {
            workstation::moderator_decision(r.id, ReviewAction::Publish, None, None, None, "bench".into())
                .unwrap()
        })
        .collect();
    assert_eq!(decisions.len(), DECISIONS);
    for r in store.record_decisions(decisions, Utc::now()).await.unwrap() {
        r.unwrap();
    }
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let env = rt.block_on(start());
    let client = Client::new(&env.base, &env.token).unwrap();
    rt.block_on(breakdown(&env, &client));

    let mut g = c.benchmark_group("sync");
    g.sample_size(10).sampling_mode(SamplingMode::Flat).measurement_time(Duration::from_secs(1));
    g.bench_function("initial_100k_reviews_with_scan", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let dir = tempfile::tempdir().unwrap();
                    let store = Store::open(&dir.path().join("trustdesk.db")).await.unwrap();
                    let t = Instant::now();
                    let r = workstation::sync_once(&store, &client).await.unwrap();
                    total += t.elapsed();
                    assert_eq!((r.pulled.items, r.scanned), (REVIEWS as u64 + 40, REVIEWS));
                    store.close().await;
                }
                total
            })
        })
    });

    let dir = tempfile::tempdir().unwrap();
    let store = rt.block_on(async {
        let store = Store::open(&dir.path().join("trustdesk.db")).await.unwrap();
        workstation::sync_once(&store, &client).await.unwrap();
        store
    });
    g.bench_function("nothing_new", |b| {
        b.iter(|| {
            rt.block_on(async {
                let r = workstation::sync_once(&store, &client).await.unwrap();
                assert_eq!((r.pulled.items, r.scanned), (0, 0));
            })
        })
    });

    let mut round = 0;
    g.bench_function("push_10k_decisions", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    round += 1;
                    queue_decisions(&env, &client, &store, round).await;
                    let t = Instant::now();
                    let r = client.push(&store).await.unwrap();
                    total += t.elapsed();
                    assert_eq!(r.applied as usize, DECISIONS);
                }
                total
            })
        })
    });
    g.finish();
    rt.block_on(store.close());
}

criterion_group!(sync, benches);
criterion_main!(sync);

//! The sync client against the real central service on a loopback port (SQLite
//! backend), with real local stores on disk.

use chrono::Utc;
use trustdesk_api::Role;
use trustdesk_central::auth;

mod support;
use support::proxy::Proxy;
use support::{server, Server};
use trustdesk_domain::decision::Grounds;
use trustdesk_domain::{RejectionReason, ReviewAction, ReviewStatus};
use trustdesk_store::{NewDecision, ReviewQuery, Store};
use trustdesk_sync::{Client, SyncError};

async fn workstation(server: &Server, name: &str) -> (tempfile::TempDir, Store, Client) {
    let token = auth::add_user(&server.db, name, Role::Moderator).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("trustdesk.db")).await.unwrap();
    (dir, store, Client::new(&server.base, &token).unwrap())
}

async fn first_pending(store: &Store) -> trustdesk_store::ReviewView {
    let q = ReviewQuery { state: Some("pending".into()), limit: 1, ..Default::default() };
    store.list_reviews(&q, Utc::now()).await.unwrap().items.remove(0)
}

fn decide(v: &trustdesk_store::ReviewView, action: ReviewAction) -> NewDecision {
    NewDecision {
        review_id: v.review.id,
        action,
        grounds: Grounds::default(),
        decided_by: "me".into(),
        message: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_is_complete_resumable_and_idle_when_nothing_changed() {
    let srv = server(300).await;
    let (_d, store, client) = workstation(&srv, "Anna").await;
    assert_eq!(client.me().await.unwrap().name, "Anna");
    let first = client.pull(&store).await.unwrap();
    assert!(first.items >= 300, "{first:?}");
    assert_eq!(store.review_count().await.unwrap(), 300);
    let again = client.pull(&store).await.unwrap();
    assert_eq!(again.items, 0, "nothing new, nothing pulled");
    assert!(store.cursor(trustdesk_sync::FEED).await.unwrap().is_some());
}

/// The pull tells its progress after every page: items so far, of about how
/// many, rising to all of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_reports_its_progress_page_by_page() {
    let srv = server(1200).await;
    let (_d, store, _) = workstation(&srv, "Pia").await;
    let token = auth::add_user(&srv.db, "Pia's pager", Role::Moderator).await.unwrap();
    let options = trustdesk_sync::ClientOptions { page_size: Some(500), ..Default::default() };
    let client = Client::with_options(&srv.base, &token, &options).unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let report = client.pull_with_progress(&store, Some(&tx)).await.unwrap();
    drop(tx);
    let mut seen = Vec::new();
    while let Some(p) = rx.recv().await {
        seen.push(p);
    }
    assert_eq!(seen.len() as u32, report.pages, "one report per page");
    assert!(report.pages >= 2, "{report:?}");
    assert!(seen.windows(2).all(|w| w[0].0 < w[1].0), "rising: {seen:?}");
    assert!(seen.iter().all(|(done, total)| done <= total), "{seen:?}");
    // The first page already knows about how much there is.
    assert!(seen[0].1 >= report.items, "{seen:?}");
    assert_eq!(*seen.last().unwrap(), (report.items, report.items), "all of it at the end");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_made_offline_reaches_the_server_once_and_leaves_the_outbox() {
    let srv = server(120).await;
    let (_d, store, client) = workstation(&srv, "Ben").await;
    client.pull(&store).await.unwrap();
    let v = first_pending(&store).await;
    store.record_decision(decide(&v, ReviewAction::Publish), Utc::now()).await.unwrap();
    let (pushed, _) = client.sync(&store).await.unwrap();
    assert_eq!((pushed.applied, pushed.conflicts, pushed.rejected), (1, 0, 0));
    assert!(store.outbox().await.unwrap().is_empty());
    let now = store.get_review(v.review.id).await.unwrap();
    assert_eq!(now.review.status, ReviewStatus::Published, "the server copy came back published");
    assert!(now.review.version > v.review.version);
    assert_eq!(now.pending_decisions, 0);
    // Pushing again sends nothing: the decision was settled once.
    assert_eq!(client.push(&store).await.unwrap(), Default::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workstations_deciding_the_same_review_end_in_a_visible_conflict() {
    let srv = server(80).await;
    let (_a, store_a, client_a) = workstation(&srv, "Chris").await;
    let (_b, store_b, client_b) = workstation(&srv, "Dana").await;
    client_a.pull(&store_a).await.unwrap();
    client_b.pull(&store_b).await.unwrap();
    let v = first_pending(&store_a).await;
    store_a.record_decision(decide(&v, ReviewAction::Publish), Utc::now()).await.unwrap();
    let reject = ReviewAction::Reject { reason: RejectionReason::SpamDuplicate };
    let mine = store_b.record_decision(decide(&v, reject), Utc::now()).await.unwrap();
    assert_eq!(client_a.push(&store_a).await.unwrap().applied, 1);
    let pushed = client_b.push(&store_b).await.unwrap();
    assert_eq!(pushed.conflicts, 1);
    let outbox = store_b.outbox().await.unwrap();
    assert_eq!(outbox.len(), 1, "the local decision is kept");
    assert_eq!((outbox[0].decision.id, outbox[0].delivery.as_str()), (mine.id, "conflict"));
    // It is not sent again until the user resolves it.
    assert_eq!(client_b.push(&store_b).await.unwrap(), Default::default());

    // After a pull B sees both versions: the server's (published) and its own.
    client_b.pull(&store_b).await.unwrap();
    let both = store_b.get_review(v.review.id).await.unwrap();
    assert_eq!(both.review.status, ReviewStatus::Published);
    assert_eq!(both.effective_status, ReviewStatus::Rejected { reason: RejectionReason::SpamDuplicate });
    assert_eq!(both.attention, Some(trustdesk_store::Attention::Conflict));
    // Keeping mine is not possible from "published": a clear error, nothing lost.
    let err = store_b.resolve(mine.id, true, "Dana", Utc::now()).await.unwrap_err();
    assert_eq!(err.code(), "invalid_decision");
    assert_eq!(store_b.outbox().await.unwrap().len(), 1);
    // Accepting theirs settles it.
    store_b.resolve(mine.id, false, "Dana", Utc::now()).await.unwrap();
    let settled = store_b.get_review(v.review.id).await.unwrap();
    assert_eq!((settled.effective_status, settled.attention), (ReviewStatus::Published, None));
    assert!(store_b.outbox().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_and_bad_tokens_are_clear_errors_that_lose_nothing() {
    let srv = server(40).await;
    let (_d, store, client) = workstation(&srv, "Eli").await;
    client.pull(&store).await.unwrap();
    let v = first_pending(&store).await;
    store.record_decision(decide(&v, ReviewAction::Publish), Utc::now()).await.unwrap();

    let unused = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let offline = Client::new(&format!("http://{unused}"), "whatever").unwrap();
    let err = offline.push(&store).await.unwrap_err();
    assert_eq!(err.code(), "offline", "{err}");
    let bad = Client::new(&srv.base, "not-a-token").unwrap();
    assert!(matches!(bad.push(&store).await.unwrap_err(), SyncError::Unauthorized));
    assert!(
        !bad.me().await.unwrap_err().to_string().contains("not-a-token"),
        "tokens never appear in errors"
    );
    assert_eq!(store.pending_outbox(10).await.unwrap().len(), 1, "the decision waits for the next sync");
    assert_eq!(client.push(&store).await.unwrap().applied, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_applied_decision_shows_at_once_even_when_the_pull_after_it_fails() {
    let srv = server(40).await;
    let (_d, store, client) = workstation(&srv, "Fay").await;
    client.pull(&store).await.unwrap();
    let v = first_pending(&store).await;
    store.record_decision(decide(&v, ReviewAction::Publish), Utc::now()).await.unwrap();
    // Push only, as when the connection drops (or the process dies) before the
    // pull: the review must not return to the queue and invite a second decision.
    assert_eq!(client.push(&store).await.unwrap().applied, 1);
    let now = store.get_review(v.review.id).await.unwrap();
    assert_eq!(
        (now.effective_status, now.review.version, now.pending_decisions),
        (ReviewStatus::Published, v.review.version + 1, 0)
    );
    assert_ne!(first_pending(&store).await.review.id, v.review.id);
    client.pull(&store).await.unwrap();
    assert_eq!(store.get_review(v.review.id).await.unwrap().review.version, v.review.version + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evidence_sent_by_reviewers_is_cached_verified_and_opens_offline() {
    let mut srv = server(400).await;
    let (_d, store, client) = workstation(&srv, "Ines").await;
    client.sync(&store).await.unwrap();
    let q = ReviewQuery { state: Some("evidence_received".into()), limit: 500, ..Default::default() };
    let waiting = store.list_reviews(&q, Utc::now()).await.unwrap().items;
    assert!(!waiting.is_empty());
    let named: std::collections::BTreeSet<String> =
        waiting.iter().flat_map(|v| v.review.flags.evidence_files.iter().map(|f| f.sha256.clone())).collect();
    assert!(!named.is_empty(), "seeded reviews awaiting a decision carry files");
    assert_eq!(
        store.review_evidence_hashes().await.unwrap().into_iter().collect::<std::collections::BTreeSet<_>>(),
        named
    );

    // The server goes away: every file still opens, byte for byte as named.
    srv.kill().await;
    let cache = trustdesk_sync::evidence::EvidenceCache::beside(store.path());
    for sha in &named {
        let bytes = cache.get(sha).unwrap().unwrap_or_else(|| panic!("{sha} not cached"));
        assert_eq!(&trustdesk_sync::evidence::sha256_hex(&bytes), sha);
        assert!(bytes.starts_with(b"\x89PNG") || bytes.starts_with(b"%PDF"));
    }
}

/// The evidence files are listed only when the feed moved, since listing them
/// reads every review awaiting evidence; a fetch cut off by the server going
/// away is still completed by the next sync, which has nothing new to pull.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_evidence_fetch_is_completed_by_the_next_sync() {
    use support::proxy::Proxy;
    let mut srv = server(400).await;
    let proxy = Proxy::start(srv.addr, 5).await;
    let token = auth::add_user(&srv.db, "Jo", Role::Moderator).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("trustdesk.db")).await.unwrap();
    let client = Client::new(&proxy.base, &token).unwrap();
    let (tx, mut tripped) = tokio::sync::mpsc::unbounded_channel();
    proxy.on_trip(tx);

    // The server dies once the second evidence file is asked for.
    proxy.arm_trip(Some((b"GET /v1/evidence/", 1)));
    let (first, ()) = tokio::join!(client.sync(&store), async {
        tripped.recv().await.unwrap();
        srv.kill().await;
    });
    assert!(first.is_err(), "the sync cannot finish without the server: {first:?}");
    let named = store.review_evidence_hashes().await.unwrap();
    assert!(named.len() >= 3, "{named:?}");
    let cache = trustdesk_sync::evidence::EvidenceCache::beside(store.path());
    let cached = |named: &[String]| named.iter().filter(|sha| cache.get(sha).unwrap().is_some()).count();
    assert!(cached(&named) < named.len(), "the fetch was cut off");

    srv.restart().await;
    proxy.arm_trip(None);
    let (_, pulled) = client.sync(&store).await.unwrap();
    assert_eq!(pulled.items, 0, "the feed has nothing new");
    assert_eq!(cached(&named), named.len(), "every file is cached after the next sync");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_get_lost_to_the_network_is_asked_again_and_a_refused_one_is_not() {
    use std::sync::atomic::Ordering::SeqCst;
    let srv = server(10).await;
    let token = auth::add_user(&srv.db, "Anna", Role::Moderator).await.unwrap();
    let proxy = Proxy::start(srv.addr, 1).await;
    let client = Client::new(&proxy.base, &token).unwrap();
    let requests = || proxy.stats().requests.load(SeqCst);

    // Two lost answers: the third try gets through, within the one call.
    proxy.drop_next(2);
    assert_eq!(client.me().await.unwrap().name, "Anna");
    assert_eq!((requests(), proxy.stats().drop.load(SeqCst)), (3, 2));

    // Lost three times: the call fails as offline after exactly three tries.
    proxy.drop_next(3);
    let err = client.me().await.unwrap_err();
    assert!(matches!(err, SyncError::Offline(_)), "{err}");
    assert_eq!(requests(), 6);

    // An answer that refuses (a bad token) is final: asked once.
    let stranger = Client::new(&proxy.base, "not-a-token").unwrap();
    assert!(matches!(stranger.me().await, Err(SyncError::Unauthorized)));
    assert_eq!(requests(), 7);
}

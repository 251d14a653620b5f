//! The store on real SQLite files in temporary directories.

use chrono::{Duration, Utc};
use trustdesk_domain::decision::Grounds;
use trustdesk_domain::{RejectionReason, ReviewAction, ReviewStatus};
use trustdesk_store::{demo, NewDecision, ReviewQuery, Store, StoreError};

async fn seeded(n: usize) -> (tempfile::TempDir, Store, Vec<trustdesk_domain::Review>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("nested/trustdesk.db")).await.unwrap();
    let (shops, reviews) = demo::generate(42, n, Utc::now());
    store.upsert_shops(&shops).await.unwrap();
    store.upsert_reviews(&reviews).await.unwrap();
    (dir, store, reviews)
}

fn decide(review: &trustdesk_domain::Review, action: ReviewAction) -> NewDecision {
    NewDecision { review_id: review.id, action, grounds: Grounds::default(), decided_by: "mod-anna".into() }
}

#[tokio::test]
async fn reviews_round_trip_through_the_file() {
    let (dir, store, reviews) = seeded(300).await;
    assert_eq!(store.review_count().await.unwrap(), 300);
    for r in reviews.iter().take(20) {
        let v = store.get_review(r.id).await.unwrap();
        assert_eq!(&v.review, r);
        assert_eq!(v.effective_status, r.status);
        assert_eq!(v.pending_decisions, 0);
    }
    store.close().await;
    // Reopening (migrations already applied) sees the same data.
    let store = Store::open(&dir.path().join("nested/trustdesk.db")).await.unwrap();
    assert_eq!(store.review_count().await.unwrap(), 300);
    assert_eq!(store.integrity_check().await.unwrap(), "ok");
}

#[tokio::test]
async fn upsert_replaces_the_server_copy() {
    let (_dir, store, reviews) = seeded(10).await;
    let mut changed = reviews[0].clone();
    changed.text = "Edited on the server".into();
    changed.version = 2;
    store.upsert_reviews(&[changed.clone()]).await.unwrap();
    assert_eq!(store.review_count().await.unwrap(), 10);
    assert_eq!(store.get_review(changed.id).await.unwrap().review, changed);
}

#[tokio::test]
async fn pages_are_ordered_disjoint_and_counted() {
    let (_dir, store, reviews) = seeded(250).await;
    let pending = reviews.iter().filter(|r| r.status == ReviewStatus::Pending).count() as u64;
    let mut seen = Vec::new();
    let mut offset = 0;
    loop {
        let page = store
            .list_reviews(&ReviewQuery { state: Some("pending".into()), offset, limit: 40 })
            .await
            .unwrap();
        assert_eq!(page.total, pending);
        if page.items.is_empty() {
            break;
        }
        offset += page.items.len() as u32;
        seen.extend(page.items);
    }
    assert_eq!(seen.len() as u64, pending);
    assert!(seen.windows(2).all(|w| w[0].review.submitted_at >= w[1].review.submitted_at));
    assert!(seen.iter().all(|v| v.effective_status == ReviewStatus::Pending));
    let all = store.list_reviews(&ReviewQuery { state: None, offset: 0, limit: 10_000 }).await.unwrap();
    assert_eq!(all.total, 250);
    assert_eq!(all.items.len(), trustdesk_store::MAX_PAGE.min(250) as usize);
}

#[tokio::test]
async fn a_decision_shows_at_once_in_the_overlay_and_is_journalled() {
    let (_dir, store, reviews) = seeded(50).await;
    let r = reviews.iter().find(|r| r.status == ReviewStatus::Pending).unwrap();
    let before = store
        .list_reviews(&ReviewQuery { state: Some("pending".into()), offset: 0, limit: 500 })
        .await
        .unwrap();

    let d = store
        .record_decision(decide(r, ReviewAction::Reject { reason: RejectionReason::Insult }), Utc::now())
        .await
        .unwrap();
    assert_eq!(d.from, ReviewStatus::Pending);
    assert_eq!(d.base_version, r.version);

    let v = store.get_review(r.id).await.unwrap();
    assert_eq!(v.effective_status, ReviewStatus::Rejected { reason: RejectionReason::Insult });
    assert_eq!(v.review.status, ReviewStatus::Pending, "the server copy is untouched");
    assert_eq!(v.pending_decisions, 1);

    let after = store
        .list_reviews(&ReviewQuery { state: Some("pending".into()), offset: 0, limit: 500 })
        .await
        .unwrap();
    assert_eq!(after.total, before.total - 1);
    let rejected = store
        .list_reviews(&ReviewQuery { state: Some("rejected".into()), offset: 0, limit: 500 })
        .await
        .unwrap();
    assert!(rejected.items.iter().any(|x| x.review.id == r.id));

    let outbox = store.outbox().await.unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].decision, d);
    assert_eq!(outbox[0].delivery, "pending");
    assert_eq!(store.journal_entries_for(&d.id.to_string()).await.unwrap(), 1);
}

#[tokio::test]
async fn decisions_chain_on_the_overlay_and_illegal_ones_change_nothing() {
    let (_dir, store, reviews) = seeded(50).await;
    let r = reviews.iter().find(|r| r.status == ReviewStatus::Pending).unwrap();
    let deadline = Utc::now() + Duration::days(14);
    store.record_decision(decide(r, ReviewAction::RequestEvidence { deadline }), Utc::now()).await.unwrap();
    // The second decision starts from the first one's result, offline.
    store.record_decision(decide(r, ReviewAction::ReceiveEvidence), Utc::now()).await.unwrap();
    let err = store.record_decision(decide(r, ReviewAction::Publish), Utc::now()).await.unwrap_err();
    assert_eq!(err.code(), "invalid_decision");
    let err = store.record_decision(decide(r, ReviewAction::RefuseEvidence), Utc::now()).await.unwrap_err();
    assert!(matches!(err, StoreError::Decision(_)), "refusing needs facts: {err}");
    assert_eq!(store.outbox().await.unwrap().len(), 2);
    assert_eq!(store.get_review(r.id).await.unwrap().effective_status, ReviewStatus::EvidenceReceived);
}

#[tokio::test]
async fn unknown_review_is_not_found() {
    let (_dir, store, reviews) = seeded(1).await;
    let mut ghost = reviews[0].clone();
    ghost.id = trustdesk_domain::ReviewId::new();
    let err = store.record_decision(decide(&ghost, ReviewAction::Publish), Utc::now()).await.unwrap_err();
    assert_eq!(err.code(), "not_found");
    assert!(store.outbox().await.unwrap().is_empty());
}

#[tokio::test]
async fn hostile_text_is_stored_verbatim() {
    let (_dir, store, reviews) = seeded(1).await;
    let mut r = reviews[0].clone();
    r.text = "<img src=x onerror=alert(1)> \u{202e}evil\u{0} ".repeat(20_000);
    store.upsert_reviews(&[r.clone()]).await.unwrap();
    assert_eq!(store.get_review(r.id).await.unwrap().review.text, r.text);
}

#[tokio::test]
async fn the_journal_is_append_only() {
    let (dir, store, reviews) = seeded(5).await;
    let r = reviews.iter().find(|r| r.status == ReviewStatus::Pending).unwrap_or(&reviews[0]);
    let _ = store.record_decision(decide(r, ReviewAction::Publish), Utc::now()).await;
    store.close().await;
    let pool =
        sqlx::SqlitePool::connect(&format!("sqlite://{}", dir.path().join("nested/trustdesk.db").display()))
            .await
            .unwrap();
    let upd = sqlx::query("UPDATE journal SET actor = 'someone else'").execute(&pool).await;
    assert!(upd.unwrap_err().to_string().contains("append-only"));
    let del = sqlx::query("DELETE FROM journal").execute(&pool).await;
    assert!(del.unwrap_err().to_string().contains("append-only"));
}

#[tokio::test]
async fn sync_cursors_persist() {
    let (_dir, store, _) = seeded(1).await;
    assert_eq!(store.cursor("reviews").await.unwrap(), None);
    store.set_cursor("reviews", "c-17", Utc::now()).await.unwrap();
    store.set_cursor("reviews", "c-18", Utc::now()).await.unwrap();
    assert_eq!(store.cursor("reviews").await.unwrap().as_deref(), Some("c-18"));
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.db");
    std::fs::write(&path, b"this is not sqlite at all, just some bytes").unwrap();
    let err = Store::open(&path).await.err().expect("must fail");
    assert_eq!(err.code(), "storage");
    assert!(std::fs::read(&path).unwrap().starts_with(b"this is not sqlite"), "the file is left alone");
}

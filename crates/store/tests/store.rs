//! The store on real SQLite files in temporary directories.

use chrono::{Duration, Utc};
use trustdesk_domain::decision::Grounds;
use trustdesk_domain::{RejectionReason, ReviewAction, ReviewStatus};
use trustdesk_store::{demo, FlagFilter, NewDecision, ReviewQuery, Sort, Store, StoreError};

async fn seeded(n: usize) -> (tempfile::TempDir, Store, Vec<trustdesk_domain::Review>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("nested/trustdesk.db")).await.unwrap();
    let (shops, reviews) = demo::generate(42, n, Utc::now());
    store.upsert_shops(&shops).await.unwrap();
    store.upsert_reviews(&reviews).await.unwrap();
    (dir, store, reviews)
}

fn decide(review: &trustdesk_domain::Review, action: ReviewAction) -> NewDecision {
    let message =
        matches!(action, ReviewAction::RequestEvidence { .. }).then(|| "Please send your invoice.".into());
    NewDecision {
        review_id: review.id,
        action,
        grounds: Grounds::default(),
        decided_by: "mod-anna".into(),
        message,
    }
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
            .list_reviews(
                &ReviewQuery { state: Some("pending".into()), offset, limit: 40, ..Default::default() },
                Utc::now(),
            )
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
    let all = store
        .list_reviews(
            &ReviewQuery { state: None, offset: 0, limit: 10_000, ..Default::default() },
            Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(all.total, 250);
    assert_eq!(all.items.len(), trustdesk_store::MAX_PAGE.min(250) as usize);
}

#[tokio::test]
async fn a_decision_shows_at_once_in_the_overlay_and_is_journalled() {
    let (_dir, store, reviews) = seeded(50).await;
    let r = reviews.iter().find(|r| r.status == ReviewStatus::Pending).unwrap();
    let before = store
        .list_reviews(
            &ReviewQuery { state: Some("pending".into()), offset: 0, limit: 500, ..Default::default() },
            Utc::now(),
        )
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
    assert_eq!(v.newest_local_decision, Some(d.id));
    assert_eq!(v.shop.id, r.shop_id);

    let after = store
        .list_reviews(
            &ReviewQuery { state: Some("pending".into()), offset: 0, limit: 500, ..Default::default() },
            Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(after.total, before.total - 1);
    let rejected = store
        .list_reviews(
            &ReviewQuery { state: Some("rejected".into()), offset: 0, limit: 500, ..Default::default() },
            Utc::now(),
        )
        .await
        .unwrap();
    assert!(rejected.items.iter().any(|x| x.review.id == r.id));

    let outbox = store.outbox().await.unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].decision, d);
    assert_eq!(outbox[0].delivery, "pending");
    assert_eq!(store.journal_entries_for(&d.id.to_string(), "decision_recorded").await.unwrap(), 1);
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
async fn a_reason_outside_the_shops_industries_is_refused() {
    let (_dir, store, reviews) = seeded(200).await;
    // Bank details are an insurance reason; find a pending review of a shop without it.
    let mut found = None;
    for r in reviews.iter().filter(|r| r.status == ReviewStatus::Pending) {
        let v = store.get_review(r.id).await.unwrap();
        if !v.shop.rejection_reasons().contains(&RejectionReason::BankDetails) {
            found = Some(r.clone());
            break;
        }
    }
    let r = found.expect("a non-insurance shop in the demo data");
    let err = store
        .record_decision(
            decide(&r, ReviewAction::Reject { reason: RejectionReason::BankDetails }),
            Utc::now(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_decision");
    assert!(err.to_string().contains("not a reason for this shop"), "{err}");
    assert!(store.outbox().await.unwrap().is_empty());
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

fn q() -> ReviewQuery {
    ReviewQuery { limit: 500, ..Default::default() }
}

#[tokio::test]
async fn filters_agree_with_a_plain_scan() {
    let (_dir, store, reviews) = seeded(400).await;
    let now = Utc::now();
    let check = |query: ReviewQuery, pred: Box<dyn Fn(&trustdesk_domain::Review) -> bool>| {
        let store = store.clone();
        let want: std::collections::BTreeSet<_> = reviews.iter().filter(|r| pred(r)).map(|r| r.id).collect();
        async move {
            let page = store.list_reviews(&query, now).await.unwrap();
            let got: std::collections::BTreeSet<_> = page.items.iter().map(|v| v.review.id).collect();
            assert_eq!(page.total as usize, want.len(), "{query:?}");
            assert_eq!(got, want, "{query:?}");
        }
    };
    let shop = reviews[0].shop_id;
    check(ReviewQuery { shop_id: Some(shop.to_string()), ..q() }, Box::new(move |r| r.shop_id == shop)).await;
    check(ReviewQuery { language: Some("DE".into()), ..q() }, Box::new(|r| r.language.as_str() == "de"))
        .await;
    check(ReviewQuery { stars: vec![1, 2], ..q() }, Box::new(|r| r.stars.get() <= 2)).await;
    check(
        ReviewQuery { source: Some("imported".into()), ..q() },
        Box::new(|r| r.source == trustdesk_domain::ReviewSource::Imported),
    )
    .await;
    check(
        ReviewQuery { flag: Some(FlagFilter::ShopFlagged), ..q() },
        Box::new(|r| r.flags.shop_flag.is_some()),
    )
    .await;
    check(
        ReviewQuery { flag: Some(FlagFilter::SuspectedFake), ..q() },
        Box::new(|r| !r.flags.fake_signals.is_empty()),
    )
    .await;
    check(
        ReviewQuery { flag: Some(FlagFilter::DeadlinePassed), ..q() },
        Box::new(move |r| matches!(r.status, ReviewStatus::EvidenceRequested { deadline } if deadline < now)),
    )
    .await;
    let mut shops = std::collections::HashMap::new();
    for r in &reviews {
        if let std::collections::hash_map::Entry::Vacant(e) = shops.entry(r.shop_id) {
            e.insert(store.get_review(r.id).await.unwrap().shop.industries);
        }
    }
    let insurance = move |r: &trustdesk_domain::Review| {
        shops[&r.shop_id].contains(&trustdesk_domain::Industry::Insurance)
    };
    check(ReviewQuery { industry: Some("insurance".into()), ..q() }, Box::new(insurance)).await;
    check(
        ReviewQuery { min_age_days: Some(30), ..q() },
        Box::new(move |r| r.submitted_at <= now - Duration::days(30)),
    )
    .await;
    check(
        ReviewQuery { state: Some("pending".into()), stars: vec![5], language: Some("en".into()), ..q() },
        Box::new(|r| r.status == ReviewStatus::Pending && r.stars.get() == 5 && r.language.as_str() == "en"),
    )
    .await;
}

#[tokio::test]
async fn search_finds_words_with_folded_diacritics_and_prefixes() {
    let (_dir, store, reviews) = seeded(30).await;
    let mut a = reviews[0].clone();
    a.text = "Der Quittungsdrücker lag nicht im Paket, Geld kam schnell zurück.".into();
    let mut b = reviews[1].clone();
    b.text = "Zamówienie przyszło uszkodzone.".into();
    store.upsert_reviews(&[a.clone(), b.clone()]).await.unwrap();
    let find = |s: &str| {
        let store = store.clone();
        let s = s.to_owned();
        async move {
            let page = store.list_reviews(&ReviewQuery { search: Some(s), ..q() }, Utc::now()).await.unwrap();
            page.items.into_iter().map(|v| v.review.id).collect::<Vec<_>>()
        }
    };
    assert_eq!(find("quittungsdrucker").await, vec![a.id]);
    assert_eq!(find("Quittungsdrü").await, vec![a.id], "prefix of the last word");
    assert_eq!(find("zamowienie uszkodz").await, vec![b.id]);
    // FTS operators in the input are plain words, never syntax errors.
    assert!(find("\" OR * NEAR( geld").await.is_empty());
    // Edited text is found by its new words only.
    let mut a2 = a.clone();
    a2.text = "Völlig neuer Textbaustein".into();
    store.upsert_reviews(&[a2]).await.unwrap();
    assert!(find("quittungsdrucker").await.is_empty());
    assert_eq!(find("textbaust").await, vec![a.id]);
}

#[tokio::test]
async fn sorting_by_stars_and_age() {
    let (_dir, store, _) = seeded(120).await;
    let asc =
        store.list_reviews(&ReviewQuery { sort: Sort::StarsAscending, ..q() }, Utc::now()).await.unwrap();
    assert!(asc.items.windows(2).all(|w| w[0].review.stars <= w[1].review.stars));
    let old = store.list_reviews(&ReviewQuery { sort: Sort::Oldest, ..q() }, Utc::now()).await.unwrap();
    assert!(old.items.windows(2).all(|w| w[0].review.submitted_at <= w[1].review.submitted_at));
}

#[tokio::test]
async fn state_counts_follow_the_overlay() {
    let (_dir, store, reviews) = seeded(100).await;
    let count = |counts: &[(String, u64)], s: &str| counts.iter().find(|c| c.0 == s).map_or(0, |c| c.1);
    let before = store.state_counts().await.unwrap();
    assert_eq!(before.iter().map(|c| c.1).sum::<u64>(), 100);
    let r = reviews.iter().find(|r| r.status == ReviewStatus::Pending).unwrap();
    store.record_decision(decide(r, ReviewAction::Publish), Utc::now()).await.unwrap();
    let after = store.state_counts().await.unwrap();
    assert_eq!(count(&after, "pending"), count(&before, "pending") - 1);
    assert_eq!(count(&after, "published"), count(&before, "published") + 1);
}

#[tokio::test]
async fn undo_takes_back_only_the_newest_pending_decision() {
    let (_dir, store, reviews) = seeded(40).await;
    let r = reviews.iter().find(|r| r.status == ReviewStatus::Pending).unwrap();
    let deadline = Utc::now() + Duration::days(10);
    let first = store
        .record_decision(decide(r, ReviewAction::RequestEvidence { deadline }), Utc::now())
        .await
        .unwrap();
    let second = store.record_decision(decide(r, ReviewAction::ReceiveEvidence), Utc::now()).await.unwrap();
    let err = store.undo_decision(first.id, "mod-anna", Utc::now()).await.unwrap_err();
    assert_eq!(err.code(), "not_undoable");
    assert_eq!(store.undo_decision(second.id, "mod-anna", Utc::now()).await.unwrap(), second);
    assert_eq!(
        store.get_review(r.id).await.unwrap().effective_status,
        ReviewStatus::EvidenceRequested { deadline }
    );
    let v = store.get_review(r.id).await.unwrap();
    assert_eq!(
        (v.pending_decisions, v.newest_local_decision),
        (1, Some(first.id)),
        "overlay follows the outbox"
    );
    store.undo_decision(first.id, "mod-anna", Utc::now()).await.unwrap();
    let v = store.get_review(r.id).await.unwrap();
    assert_eq!(v.effective_status, ReviewStatus::Pending);
    assert_eq!((v.pending_decisions, v.newest_local_decision), (0, None));
    assert!(store.outbox().await.unwrap().is_empty());
    // Undoing twice is a clear error, and the journal keeps the whole story.
    assert_eq!(
        store.undo_decision(first.id, "mod-anna", Utc::now()).await.unwrap_err().code(),
        "not_undoable"
    );
    assert_eq!(store.journal_entries_for(&first.id.to_string(), "decision_recorded").await.unwrap(), 1);
    assert_eq!(store.journal_entries_for(&first.id.to_string(), "decision_undone").await.unwrap(), 1);
}

#[tokio::test]
async fn shop_rating_uses_the_public_copies_by_the_seed_rules() {
    let (_dir, store, reviews) = seeded(300).await;
    let now = Utc::now();
    let shop = reviews[0].shop_id;
    let theirs: Vec<_> = reviews.iter().filter(|r| r.shop_id == shop).cloned().collect();
    let want = trustdesk_domain::ShopRating::compute(&theirs, now);
    assert!(want.counted > 0, "the demo shop has published reviews");
    assert_eq!(store.shop_rating(shop, now).await.unwrap(), want);
    // A local decision does not change the public rating until the server applies it.
    let r = theirs.iter().find(|r| r.status == ReviewStatus::Pending).unwrap();
    store.record_decision(decide(r, ReviewAction::Publish), now).await.unwrap();
    assert_eq!(store.shop_rating(shop, now).await.unwrap(), want);
}

#[tokio::test]
async fn reviewer_history_lists_the_other_reviews_of_the_same_reviewer() {
    let (_dir, store, reviews) = seeded(20).await;
    let mut a = reviews[0].clone();
    let mut b = reviews[1].clone();
    let mut c = reviews[2].clone();
    a.reviewer_reference = "cust-same".into();
    b.reviewer_reference = "cust-same".into();
    c.reviewer_reference = "cust-other".into();
    store.upsert_reviews(&[a.clone(), b.clone(), c]).await.unwrap();
    let h = store.reviewer_history(a.id, 10).await.unwrap();
    assert_eq!(h.iter().map(|v| v.review.id).collect::<Vec<_>>(), vec![b.id]);
}

#[tokio::test]
async fn a_bulk_action_lands_the_legal_items_and_reports_the_rest() {
    let (_dir, store, reviews) = seeded(60).await;
    let pending: Vec<_> = reviews.iter().filter(|r| r.status == ReviewStatus::Pending).take(3).collect();
    let published = reviews.iter().find(|r| r.status == ReviewStatus::Published).unwrap();
    let mut batch: Vec<_> = pending.iter().map(|r| decide(r, ReviewAction::Publish)).collect();
    batch.insert(1, decide(published, ReviewAction::Publish));
    let results = store.record_decisions(batch, Utc::now()).await.unwrap();
    assert_eq!(results.len(), 4);
    assert!(results[1].as_ref().is_err_and(|e| e.code() == "invalid_decision"));
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 3);
    let outbox = store.outbox().await.unwrap();
    assert_eq!(outbox.len(), 3, "the illegal item wrote nothing");
    for (entry, r) in outbox.iter().zip(&pending) {
        assert_eq!(entry.decision.review_id, r.id, "in the order given");
        assert_eq!(
            store.journal_entries_for(&entry.decision.id.to_string(), "decision_recorded").await.unwrap(),
            1
        );
    }
}

fn hit(category: trustdesk_domain::ArmCategory, rule: &str) -> trustdesk_domain::arm::ArmHit {
    trustdesk_domain::arm::ArmHit {
        category,
        rule: rule.into(),
        start: 0,
        end: 3,
        start_utf16: 0,
        end_utf16: 3,
        text: "abc".into(),
        explanation: "listed word".into(),
    }
}

#[tokio::test]
async fn hits_are_stored_filtered_on_and_dropped_when_the_text_changes() {
    use trustdesk_domain::ArmCategory;
    let (_dir, store, reviews) = seeded(30).await;
    assert_eq!(store.reviews_to_scan("v1", 1000).await.unwrap().len(), 30);
    let mut scanned: Vec<_> = reviews.iter().map(|r| (r.id, Vec::new())).collect();
    scanned[0].1 = vec![hit(ArmCategory::Insult, "en.insult.1")];
    scanned[1].1 = vec![hit(ArmCategory::PersonalData, "en.pd.2"), hit(ArmCategory::Insult, "en.insult.3")];
    store.put_hits(&scanned, "v1").await.unwrap();
    assert!(store.reviews_to_scan("v1", 1000).await.unwrap().is_empty());
    assert_eq!(store.reviews_to_scan("v2", 1000).await.unwrap().len(), 30, "a new pack rescans everything");

    let v = store.get_review(reviews[1].id).await.unwrap();
    assert_eq!(v.hits, scanned[1].1);
    assert_eq!(v.rule_pack_version.as_deref(), Some("v1"));
    // A rejection records the hits of its category as its automated detection.
    let mut r1 = reviews[1].clone();
    r1.status = ReviewStatus::Pending;
    store.upsert_reviews(&[r1.clone()]).await.unwrap();
    let d = store
        .record_decision(decide(&r1, ReviewAction::Reject { reason: RejectionReason::Insult }), Utc::now())
        .await
        .unwrap();
    assert_eq!(d.grounds.filter_rules, vec!["en.insult.3".to_string()]);
    assert_eq!(d.grounds.rule_pack_version.as_deref(), Some("v1"));
    store.undo_decision(d.id, "mod-anna", Utc::now()).await.unwrap();
    let mut r2 = reviews[2].clone();
    r2.status = ReviewStatus::Pending;
    store.upsert_reviews(&[r2.clone()]).await.unwrap();
    let d = store
        .record_decision(
            decide(&r2, ReviewAction::Reject { reason: RejectionReason::SpamDuplicate }),
            Utc::now(),
        )
        .await
        .unwrap();
    assert!(d.grounds.filter_rules.is_empty() && d.grounds.rule_pack_version.is_none());

    let ids = |q: ReviewQuery| {
        let store = store.clone();
        async move {
            let mut v: Vec<_> = store
                .list_reviews(&q, Utc::now())
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|v| v.review.id)
                .collect();
            v.sort();
            v
        }
    };
    let mut both = vec![reviews[0].id, reviews[1].id];
    both.sort();
    assert_eq!(ids(ReviewQuery { category: Some("insult".into()), ..q() }).await, both);
    assert_eq!(ids(ReviewQuery { category: Some("personal_data".into()), ..q() }).await, vec![reviews[1].id]);
    assert_eq!(ids(ReviewQuery { flag: Some(FlagFilter::ArmHit), ..q() }).await, both);

    // An edited text has not been scanned: its old hits go.
    let mut edited = reviews[0].clone();
    edited.text = "A new text from the server".into();
    store.upsert_reviews(&[edited.clone(), reviews[1].clone()]).await.unwrap();
    assert!(store.get_review(edited.id).await.unwrap().hits.is_empty());
    assert_eq!(store.get_review(reviews[1].id).await.unwrap().hits.len(), 2, "unchanged text keeps its hits");
    let to_scan = store.reviews_to_scan("v1", 1000).await.unwrap();
    assert_eq!(to_scan.iter().map(|v| v.review.id).collect::<Vec<_>>(), vec![edited.id]);
}

#[tokio::test]
async fn scanning_covers_every_review_once_per_pack_version() {
    use trustdesk_domain::ArmCategory;
    let (_dir, store, reviews) = seeded(2_500).await;
    // A tiny real scanner: flags texts mentioning "Paket".
    let scan = |v: &trustdesk_store::ScanItem| {
        v.text
            .find("Paket")
            .map(|_| vec![hit(ArmCategory::ProductReference, "de.test.1")])
            .unwrap_or_default()
    };
    assert_eq!(store.scan_unscanned("v1", scan).await.unwrap(), 2_500);
    assert_eq!(store.scan_unscanned("v1", scan).await.unwrap(), 0, "nothing left for the same pack");
    let flagged = store
        .list_reviews(&ReviewQuery { category: Some("product_reference".into()), ..q() }, Utc::now())
        .await
        .unwrap();
    assert_eq!(flagged.total as usize, reviews.iter().filter(|r| r.text.contains("Paket")).count());
    assert!(flagged.total > 0);
}

#[tokio::test]
async fn the_real_engine_finds_what_is_planted_and_skips_shops_without_arm() {
    let (_dir, store, reviews) = seeded(200).await;
    let text = "Write to me at jane.doe@example.org, the courier was a total idiot.";
    let (mut with_arm, mut without_arm) = (None, None);
    for r in &reviews {
        let arm = store.get_review(r.id).await.unwrap().shop.arm_enabled;
        let slot = if arm { &mut with_arm } else { &mut without_arm };
        if slot.is_none() {
            let mut p = r.clone();
            p.text = text.into();
            p.language = "en".parse().unwrap();
            *slot = Some(p);
        }
    }
    let (with_arm, without_arm) = (with_arm.unwrap(), without_arm.unwrap());
    store.upsert_reviews(&[with_arm.clone(), without_arm.clone()]).await.unwrap();
    let packs = trustdesk_filters::RulePacks::builtin();
    let engine = trustdesk_filters::Engine::compile(&packs).unwrap();
    let version = trustdesk_store::scan::pack_set_version(&packs);
    store.scan_unscanned(&version, |v| trustdesk_store::scan::scan_review(&engine, v)).await.unwrap();

    let v = store.get_review(with_arm.id).await.unwrap();
    let cats: Vec<_> = v.hits.iter().map(|h| h.category).collect();
    assert!(cats.contains(&trustdesk_domain::ArmCategory::PersonalData), "{cats:?}");
    assert!(cats.contains(&trustdesk_domain::ArmCategory::Insult), "{cats:?}");
    let utf16: Vec<u16> = text.encode_utf16().collect();
    for h in &v.hits {
        let span = String::from_utf16(&utf16[h.start_utf16 as usize..h.end_utf16 as usize]).unwrap();
        assert_eq!(span, h.text, "UTF-16 span matches the hit text");
    }
    assert_eq!(v.rule_pack_version.as_deref(), Some(version.as_str()));

    let v = store.get_review(without_arm.id).await.unwrap();
    assert!(v.hits.is_empty(), "shops without ARM are not filtered");
    assert_eq!(v.rule_pack_version.as_deref(), Some(version.as_str()), "but they count as scanned");
}

#[tokio::test]
async fn settling_decisions_is_journalled_and_keeps_refused_ones_visible() {
    let (_dir, store, reviews) = seeded(40).await;
    let pending: Vec<_> = reviews.iter().filter(|r| r.status == ReviewStatus::Pending).take(3).collect();
    let mut ids = Vec::new();
    for r in &pending {
        ids.push(store.record_decision(decide(r, ReviewAction::Publish), Utc::now()).await.unwrap().id);
    }
    store.acknowledge(ids[0], None, Utc::now()).await.unwrap();
    store.acknowledge(ids[0], None, Utc::now()).await.unwrap(); // a repeated acknowledgement is harmless
    store.mark_conflict(ids[1], "{\"review\":{}}", Utc::now()).await.unwrap();
    store
        .mark_rejected(ids[2], "claimed_by_other", "Someone else holds this review", Utc::now())
        .await
        .unwrap();
    let outbox = store.outbox().await.unwrap();
    assert_eq!(
        outbox.iter().map(|e| (e.decision.id, e.delivery.as_str())).collect::<Vec<_>>(),
        vec![(ids[1], "conflict"), (ids[2], "rejected")]
    );
    assert!(store.pending_outbox(10).await.unwrap().is_empty(), "settled decisions are not resent");
    assert_eq!(store.journal_entries_for(&ids[0].to_string(), "decision_synced").await.unwrap(), 1);
    assert_eq!(store.journal_entries_for(&ids[1].to_string(), "decision_conflict").await.unwrap(), 1);
    assert_eq!(store.journal_entries_for(&ids[2].to_string(), "decision_refused").await.unwrap(), 1);
    // The acknowledged review falls back to its server copy until the next pull.
    assert_eq!(store.get_review(pending[0].id).await.unwrap().pending_decisions, 0);
}

#[tokio::test]
async fn a_feed_page_and_its_cursor_land_together() {
    let (_dir, store, reviews) = seeded(10).await;
    let mut changed = reviews[0].clone();
    changed.version += 1;
    changed.text = "Changed on the server".into();
    let page = trustdesk_store::ServerChanges {
        shops: vec![],
        reviews: vec![changed.clone()],
        deleted_reviews: vec![reviews[1].id],
        cursor: "42".into(),
        ..Default::default()
    };
    store.apply_changes(&page, "central", Utc::now()).await.unwrap();
    assert_eq!(store.cursor("central").await.unwrap().as_deref(), Some("42"));
    assert_eq!(store.get_review(changed.id).await.unwrap().review, changed);
    assert_eq!(store.get_review(reviews[1].id).await.unwrap_err().code(), "not_found");
    // A page that cannot be applied leaves the cursor where it was.
    let mut orphan = reviews[2].clone();
    orphan.shop_id = trustdesk_domain::ShopId::new(); // unknown shop: foreign key fails
    let bad =
        trustdesk_store::ServerChanges { reviews: vec![orphan], cursor: "43".into(), ..Default::default() };
    assert!(store.apply_changes(&bad, "central", Utc::now()).await.is_err());
    assert_eq!(store.cursor("central").await.unwrap().as_deref(), Some("42"));
}

#[tokio::test]
async fn conflicts_show_and_resolve_either_way() {
    let (_dir, store, reviews) = seeded(60).await;
    let pending: Vec<_> = reviews.iter().filter(|r| r.status == ReviewStatus::Pending).take(2).collect();
    let a = store.record_decision(decide(pending[0], ReviewAction::Publish), Utc::now()).await.unwrap();
    let b = store.record_decision(decide(pending[1], ReviewAction::Publish), Utc::now()).await.unwrap();
    store.mark_conflict(a.id, "{}", Utc::now()).await.unwrap();
    store.mark_rejected(b.id, "claimed_by_other", "Another moderator holds it", Utc::now()).await.unwrap();
    assert_eq!(
        store.get_review(pending[0].id).await.unwrap().attention,
        Some(trustdesk_store::Attention::Conflict)
    );
    assert!(matches!(
        store.get_review(pending[1].id).await.unwrap().attention,
        Some(trustdesk_store::Attention::Refused { ref code, .. }) if code == "claimed_by_other"
    ));
    let flagged = store
        .list_reviews(&ReviewQuery { flag: Some(FlagFilter::NeedsAttention), ..q() }, Utc::now())
        .await
        .unwrap();
    assert_eq!(flagged.total, 2);

    // Accept theirs: the local decision goes, the server copy shows.
    assert_eq!(store.resolve(a.id, false, "mod-anna", Utc::now()).await.unwrap(), (pending[0].id, None));
    let v = store.get_review(pending[0].id).await.unwrap();
    assert_eq!((v.pending_decisions, v.attention.clone()), (0, None));
    assert_eq!(store.journal_entries_for(&a.id.to_string(), "conflict_accepted_theirs").await.unwrap(), 1);

    // Keep mine: a new decision with a new id goes out again.
    let (review, again) = store.resolve(b.id, true, "mod-anna", Utc::now()).await.unwrap();
    assert_eq!(review, pending[1].id);
    let again = again.unwrap();
    assert_ne!(again.id, b.id);
    assert_eq!(again.action, ReviewAction::Publish);
    assert_eq!(store.pending_count().await.unwrap(), 1);
    let pending_now = store.pending_outbox(10).await.unwrap();
    assert_eq!(pending_now.iter().map(|e| e.decision.id).collect::<Vec<_>>(), vec![again.id]);
    // Resolving twice is a clear error.
    assert_eq!(store.resolve(b.id, true, "mod-anna", Utc::now()).await.unwrap_err().code(), "not_found");
}

#[tokio::test]
async fn a_server_deletion_removes_the_review_unless_a_decision_waits_on_it() {
    use trustdesk_domain::ArmCategory;
    let (dir, store, reviews) = seeded(60).await;
    let pending: Vec<_> = reviews.iter().filter(|r| r.status == ReviewStatus::Pending).take(3).collect();
    let (gone, decided, restored) = (pending[0], pending[1], pending[2]);
    store.put_hits(&[(gone.id, vec![hit(ArmCategory::Insult, "en.insult.1")])], "v1").await.unwrap();
    let d = store.record_decision(decide(decided, ReviewAction::Publish), Utc::now()).await.unwrap();
    let r = store.record_decision(decide(restored, ReviewAction::Publish), Utc::now()).await.unwrap();
    let unknown = trustdesk_domain::ReviewId::new();
    let page = trustdesk_store::ServerChanges {
        deleted_reviews: vec![gone.id, decided.id, restored.id, unknown],
        cursor: "77".into(),
        ..Default::default()
    };
    store.apply_changes(&page, "main", Utc::now()).await.unwrap();
    assert_eq!(store.cursor("main").await.unwrap().as_deref(), Some("77"));

    // No decision on it: the review and its hits are gone.
    assert_eq!(store.get_review(gone.id).await.unwrap_err().code(), "not_found");
    assert_eq!(store.review_count().await.unwrap(), 59);
    let db =
        sqlx::SqlitePool::connect(&format!("sqlite://{}", dir.path().join("nested/trustdesk.db").display()))
            .await
            .unwrap();
    let hits: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM review_hits WHERE review_id = ?1")
        .bind(gone.id.to_string())
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(hits, 0);

    // A decision waits on it: kept, shown as a conflict, no longer sent.
    let v = store.get_review(decided.id).await.unwrap();
    assert!(v.deleted_on_server);
    assert_eq!((v.pending_decisions, v.attention), (1, Some(trustdesk_store::Attention::Conflict)));
    assert_eq!(store.pending_count().await.unwrap(), 0);
    assert_eq!(store.journal_entries_for(&d.id.to_string(), "decision_conflict").await.unwrap(), 1);
    assert_eq!(store.undo_decision(d.id, "mod-anna", Utc::now()).await.unwrap_err().code(), "not_undoable");
    // Re-sending it would only be refused: the user can drop it, and then the review goes.
    assert_eq!(store.resolve(d.id, true, "mod-anna", Utc::now()).await.unwrap_err().code(), "not_undoable");
    assert_eq!(store.get_review(decided.id).await.unwrap().pending_decisions, 1);
    assert_eq!(store.resolve(d.id, false, "mod-anna", Utc::now()).await.unwrap(), (decided.id, None));
    assert_eq!(store.get_review(decided.id).await.unwrap_err().code(), "not_found");
    assert_eq!(store.journal_entries_for(&d.id.to_string(), "conflict_accepted_theirs").await.unwrap(), 1);

    // The server sends a deleted review again: it is an ordinary review once more,
    // and the conflict stays for the user to resolve against the server's copy.
    let again = trustdesk_store::ServerChanges {
        reviews: vec![restored.clone()],
        cursor: "78".into(),
        ..Default::default()
    };
    store.apply_changes(&again, "main", Utc::now()).await.unwrap();
    let v = store.get_review(restored.id).await.unwrap();
    assert!(!v.deleted_on_server);
    assert_eq!(v.attention, Some(trustdesk_store::Attention::Conflict));
    let (_, redo) = store.resolve(r.id, true, "mod-anna", Utc::now()).await.unwrap();
    assert!(redo.is_some());
    assert_eq!(store.pending_count().await.unwrap(), 1);
}

#[tokio::test]
async fn shops_without_arm_are_settled_in_sql_and_a_shop_change_queues_its_reviews_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("trustdesk.db")).await.unwrap();
    let (mut shops, reviews) = demo::generate(7, 200, Utc::now());
    for (i, s) in shops.iter_mut().enumerate() {
        s.arm_enabled = i % 2 == 0;
    }
    store.upsert_shops(&shops).await.unwrap();
    store.upsert_reviews(&reviews).await.unwrap();
    let arm_shop =
        |r: &trustdesk_domain::Review| shops.iter().find(|s| s.id == r.shop_id).unwrap().arm_enabled;
    let (with_arm, without): (Vec<_>, Vec<_>) = reviews.iter().partition(|r| arm_shop(r));
    assert!(!with_arm.is_empty() && !without.is_empty());

    assert_eq!(store.reviews_to_scan("v1", 1000).await.unwrap().len(), 200);
    assert_eq!(store.settle_unfiltered("v1").await.unwrap() as usize, without.len());
    // Only ARM shops' reviews are left for the engine; the others carry "nothing" under v1.
    let left: std::collections::BTreeSet<_> =
        store.reviews_to_scan("v1", 1000).await.unwrap().into_iter().map(|v| v.review.id).collect();
    assert_eq!(left, with_arm.iter().map(|r| r.id).collect());
    let settled = store.get_review(without[0].id).await.unwrap();
    assert_eq!((settled.rule_pack_version.as_deref(), settled.hits.len()), (Some("v1"), 0));

    // Turning ARM on for a shop queues its reviews again; an unchanged upsert does not.
    let scanned: Vec<_> = with_arm.iter().map(|r| (r.id, Vec::new())).collect();
    store.put_hits(&scanned, "v1").await.unwrap();
    assert!(store.reviews_to_scan("v1", 1000).await.unwrap().is_empty());
    store.upsert_shops(&shops).await.unwrap();
    assert!(store.reviews_to_scan("v1", 1000).await.unwrap().is_empty());
    let off = shops.iter().position(|s| !s.arm_enabled && reviews.iter().any(|r| r.shop_id == s.id)).unwrap();
    shops[off].arm_enabled = true;
    store.upsert_shops(&shops).await.unwrap();
    let queued = store.reviews_to_scan("v1", 1000).await.unwrap();
    assert!(!queued.is_empty());
    assert!(queued.iter().all(|v| v.review.shop_id == shops[off].id));
    assert_eq!(queued.len(), reviews.iter().filter(|r| r.shop_id == shops[off].id).count());
}

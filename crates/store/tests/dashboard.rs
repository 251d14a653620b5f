//! The dashboard's local figures, checked against the data put in.

use chrono::{Duration, Utc};
use trustdesk_domain::decision::Grounds;
use trustdesk_domain::{RejectionReason, Review, ReviewAction, ReviewStatus};
use trustdesk_store::dashboard::MODERATION_SLA_HOURS;
use trustdesk_store::{demo, NewDecision, Store};

fn decide(review: &Review, action: ReviewAction) -> NewDecision {
    let facts = if matches!(action, ReviewAction::Reject { .. }) { "A copy of another review." } else { "" };
    NewDecision {
        review_id: review.id,
        action,
        grounds: Grounds { facts: facts.into(), ..Grounds::default() },
        decided_by: "mod-anna".into(),
        message: None,
    }
}

#[tokio::test]
async fn figures_count_what_was_decided_and_what_waits() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("t.db")).await.unwrap();
    let now = Utc::now();
    let (shops, mut reviews) = demo::generate(5, 200, now);
    // Known ages: review i was submitted i hours ago, all pending.
    for (i, r) in reviews.iter_mut().enumerate() {
        r.status = ReviewStatus::Pending;
        r.submitted_at = now - Duration::hours(i as i64) - Duration::minutes(1);
    }
    store.upsert_shops(&shops).await.unwrap();
    store.upsert_reviews(&reviews).await.unwrap();

    let empty = store.local_figures(now).await.unwrap();
    assert_eq!(empty.decided_total, 0);
    assert_eq!(empty.throughput.len(), 24);
    assert_eq!(empty.hit_days, trustdesk_store::dashboard::HIT_DAYS as u32, "the UI fills this many days");
    assert!(empty.throughput.iter().all(|h| h.decisions == 0));
    assert_eq!(empty.queue.pending, 200);
    assert_eq!(empty.queue.sla_hours, MODERATION_SLA_HOURS);
    // Ages 0..199 hours (plus a minute): oldest 199, median rank 100, 5 % older than the p95.
    let hours = |h: Option<f64>| h.unwrap().round() as i64;
    assert_eq!(hours(empty.queue.oldest_hours), 199);
    assert_eq!(hours(empty.queue.median_hours), 99);
    assert_eq!(hours(empty.queue.p95_hours), 189);
    assert_eq!(empty.queue.over_sla, 200 - 48);

    // Three publishes of known stars, one rejection, one undone decision.
    let by_stars = |s: u8| reviews.iter().filter(move |r| r.stars.get() == s);
    let five: Vec<&Review> = by_stars(5).take(3).collect();
    let one = by_stars(1).next().unwrap();
    for r in &five {
        store.record_decision(decide(r, ReviewAction::Publish), now).await.unwrap();
    }
    let reason = RejectionReason::SpamDuplicate;
    store.record_decision(decide(one, ReviewAction::Reject { reason }), now).await.unwrap();
    let undone_target = by_stars(5).nth(3).unwrap();
    let undone = store.record_decision(decide(undone_target, ReviewAction::Publish), now).await.unwrap();
    store.undo_decision(undone.id, "mod-anna", now).await.unwrap();

    let f = store.local_figures(now).await.unwrap();
    assert_eq!(f.decided_total, 4);
    assert_eq!(f.throughput.last().unwrap().decisions, 4, "all in the current hour");
    assert_eq!(f.throughput.iter().map(|h| h.decisions).sum::<u32>(), 4);
    let publish = f.decisions_by_stars.iter().find(|d| d.decision == "publish").unwrap();
    assert_eq!(publish.by_stars, vec![0, 0, 0, 0, 3]);
    let reject = f.decisions_by_stars.iter().find(|d| d.decision == "reject:spam_duplicate").unwrap();
    assert_eq!(reject.by_stars, vec![1, 0, 0, 0, 0]);
    // Decided reviews leave the pending queue (the undone one is back in it).
    assert_eq!(f.queue.pending, 196);

    // The team's figures are kept as fetched, with their time.
    assert!(store.cached_figures("fairness").await.unwrap().is_none());
    store.put_cached_figures("fairness", "{\"a\":1}", now).await.unwrap();
    store.put_cached_figures("fairness", "{\"a\":2}", now).await.unwrap();
    let (body, at) = store.cached_figures("fairness").await.unwrap().unwrap();
    assert_eq!(body, "{\"a\":2}");
    assert!((at - now).num_milliseconds().abs() < 1);
}

/// The activity view reads the journal newest first, pages backwards, and names
/// each review by the start of its text.
#[tokio::test]
async fn the_activity_lists_the_journal_newest_first_in_pages() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("t.db")).await.unwrap();
    let now = Utc::now();
    let (shops, mut reviews) = demo::generate(3, 5, now);
    for r in &mut reviews {
        r.status = ReviewStatus::Pending;
    }
    store.upsert_shops(&shops).await.unwrap();
    store.upsert_reviews(&reviews).await.unwrap();
    assert!(store.activity(None, 50).await.unwrap().is_empty());

    let first = store.record_decision(decide(&reviews[0], ReviewAction::Publish), now).await.unwrap();
    let reason = RejectionReason::SpamDuplicate;
    store.record_decision(decide(&reviews[1], ReviewAction::Reject { reason }), now).await.unwrap();
    store.undo_decision(first.id, "mod-anna", now).await.unwrap();

    let all = store.activity(None, 50).await.unwrap();
    let events: Vec<&str> = all.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(events, ["decision_undone", "decision_recorded", "decision_recorded"]);
    assert!(all.windows(2).all(|w| w[0].seq > w[1].seq));
    assert_eq!(all[1].entity_id, reviews[1].id.to_string());
    assert_eq!(
        all[1].review_excerpt.as_deref(),
        Some(&reviews[1].text.chars().take(160).collect::<String>()[..])
    );
    assert!(all[1].payload.contains("spam_duplicate"), "{}", all[1].payload);
    assert_eq!(all[2].mutation_id.as_deref(), Some(first.id.to_string().as_str()));

    let page = store.activity(None, 2).await.unwrap();
    assert_eq!(page.len(), 2);
    let older = store.activity(Some(page[1].seq), 2).await.unwrap();
    assert_eq!(older.iter().map(|e| e.seq).collect::<Vec<_>>(), [all[2].seq]);
}

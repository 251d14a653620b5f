//! The work a moderator is handed, through the sync client: a second-opinion
//! sample arrives as an ordinary pending review, is decided offline like one,
//! and reaches the server as the second opinion without touching the review;
//! claims are extended while worked on and released at sign-out.

use chrono::Utc;
use trustdesk_api::fairness::FairnessReport;
use trustdesk_api::Role;
use trustdesk_central::seed::SeedOptions;
use trustdesk_domain::decision::Grounds;
use trustdesk_domain::{RejectionReason, ReviewAction, ReviewStatus};
use trustdesk_store::{NewDecision, ReviewQuery, Store};

mod support;
use support::{server_sampling, station};

async fn pending(store: &Store) -> Vec<trustdesk_store::ReviewView> {
    let q = ReviewQuery { state: Some("pending".into()), limit: 500, ..Default::default() };
    store.list_reviews(&q, Utc::now()).await.unwrap().items
}

fn decide(review: trustdesk_domain::ReviewId, action: ReviewAction) -> NewDecision {
    let facts =
        if matches!(action, ReviewAction::Reject { .. }) { "Copied from another review." } else { "" };
    NewDecision {
        review_id: review,
        action,
        grounds: Grounds { facts: facts.into(), ..Grounds::default() },
        decided_by: "me".into(),
        message: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sample_is_decided_like_any_review_and_lands_as_the_second_opinion() {
    let srv =
        server_sampling(SeedOptions { shops: 3, reviews: 60, audits: 0, disputes: 0, seed: 5 }, 1.0).await;
    let (_a, anna, anna_client) = station(&srv, "Anna", Role::Moderator).await;
    let (_b, ben, ben_client) = station(&srv, "Ben", Role::Moderator).await;
    anna_client.pull(&anna).await.unwrap();
    ben_client.pull(&ben).await.unwrap();

    // Anna publishes one review; with a share of 1 it is drawn.
    let first = pending(&anna).await.remove(0);
    anna.record_decision(decide(first.review.id, ReviewAction::Publish), Utc::now()).await.unwrap();
    assert_eq!(anna_client.push(&anna).await.unwrap().applied, 1);
    assert_eq!(anna_client.fetch_samples(&anna).await.unwrap(), 0, "never her own decision");

    let before = pending(&ben).await.len();
    assert_eq!(ben_client.fetch_samples(&ben).await.unwrap(), 1);
    let queue = pending(&ben).await;
    assert_eq!(queue.len(), before + 1, "the sample joins the pending queue");
    let sample = queue.iter().find(|v| v.review.text == first.review.text && v.review.id != first.review.id);
    let sample = sample.expect("a pending copy under its own id").review.clone();
    assert_eq!(sample.status, ReviewStatus::Pending);

    // Decided offline like any review, then synced.
    let reason = RejectionReason::SpamDuplicate;
    ben.record_decision(decide(sample.id, ReviewAction::Reject { reason }), Utc::now()).await.unwrap();
    let pushed = ben_client.push(&ben).await.unwrap();
    assert_eq!((pushed.applied, pushed.conflicts, pushed.rejected), (1, 0, 0));
    assert!(ben.outbox().await.unwrap().is_empty());
    // A second fetch hands out nothing new and leaves the decided copy decided.
    assert_eq!(ben_client.fetch_samples(&ben).await.unwrap(), 0);
    assert!(matches!(ben.get_review(sample.id).await.unwrap().review.status, ReviewStatus::Rejected { .. }));

    // The review itself stays published on the server, and the pair is counted.
    let (state, outcome): (String, String) = sqlx::query_as(
        "SELECT e.state, s.second_outcome FROM second_opinions s JOIN entities e ON e.id = s.review_id
         WHERE s.id = $1",
    )
    .bind(sample.id.to_string())
    .fetch_one(&srv.db.read)
    .await
    .unwrap();
    assert_eq!((state.as_str(), outcome.as_str()), ("published", "reject:spam_duplicate"));

    // The figures are kept locally for the dashboard, with their time.
    ben_client.fetch_fairness(&ben).await.unwrap();
    let (body, at) = ben.cached_figures(trustdesk_sync::FAIRNESS_CACHE).await.unwrap().unwrap();
    let report: FairnessReport = serde_json::from_str(&body).unwrap();
    let agreement = report.agreement.unwrap();
    assert_eq!((agreement.team.samples, agreement.team.agreed), (1, 0));
    assert_eq!(agreement.moderators.len(), 1, "a moderator sees their own row only");
    assert!((Utc::now() - at).num_seconds() < 60);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_near_its_end_is_extended_and_released_at_sign_out() {
    let srv =
        server_sampling(SeedOptions { shops: 3, reviews: 80, audits: 0, disputes: 0, seed: 9 }, 0.0).await;
    let (_d, store, client) = station(&srv, "Carla", Role::Moderator).await;
    let session = trustdesk_store::Session {
        server: srv.base.clone(),
        user_id: "Carla".into(),
        user_name: "Carla".into(),
        role: "moderator".into(),
        signed_in_at: Utc::now(),
        last_sync_at: None,
    };
    store.set_session(&session).await.unwrap();
    client.sync(&store).await.unwrap();
    let first = store.claim("review").await.unwrap().expect("a claim on the queue");
    assert!(!first.ids.is_empty());

    // The fairness figures came with the first sync and are not fetched again
    // while fresh (the server computes them over the whole window).
    let (_, fetched) = store.cached_figures(trustdesk_sync::FAIRNESS_CACHE).await.unwrap().unwrap();
    client.sync(&store).await.unwrap();
    let (_, again) = store.cached_figures(trustdesk_sync::FAIRNESS_CACHE).await.unwrap().unwrap();
    assert_eq!(again, fetched);
    // Once stale, the next sync fetches them.
    store
        .put_cached_figures(trustdesk_sync::FAIRNESS_CACHE, "{}", Utc::now() - chrono::Duration::minutes(6))
        .await
        .unwrap();

    // Plenty of lease left: the next sync leaves the claim alone.
    client.sync(&store).await.unwrap();
    assert_eq!(store.claim("review").await.unwrap().unwrap(), first);

    let (body, refreshed) = store.cached_figures(trustdesk_sync::FAIRNESS_CACHE).await.unwrap().unwrap();
    assert!(refreshed > fetched && body.contains("generated_at"), "{body}");

    // Under two hours left: the same claim is extended by a full lease.
    let mut near = first.clone();
    near.expires_at = Utc::now() + chrono::Duration::minutes(90);
    store.set_claim(&near).await.unwrap();
    client.sync(&store).await.unwrap();
    let extended = store.claim("review").await.unwrap().unwrap();
    assert_eq!(extended.claim_id, first.claim_id);
    assert!(extended.expires_at > Utc::now() + chrono::Duration::hours(7), "{:?}", extended.expires_at);
    let server_until: i64 = sqlx::query_scalar("SELECT expires_at FROM claims WHERE id = $1")
        .bind(&first.claim_id)
        .fetch_one(&srv.db.read)
        .await
        .unwrap();
    assert_eq!(server_until, extended.expires_at.timestamp_micros());

    // Sign-out releases it: the items are free for colleagues at once.
    assert_eq!(client.release_claims(&store).await.unwrap(), 1);
    assert!(store.claim("review").await.unwrap().is_none());
    let held: i64 = sqlx::query_scalar("SELECT count(*) FROM entities WHERE claim_id = $1")
        .bind(&first.claim_id)
        .fetch_one(&srv.db.read)
        .await
        .unwrap();
    assert_eq!(held, 0);
    // Releasing again finds nothing to release.
    assert_eq!(client.release_claims(&store).await.unwrap(), 0);
}

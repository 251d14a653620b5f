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

/// A reviewer's complaint reaches another moderator's workstation through the
/// feed, is decided there offline, lands once, and publishes the review; a
/// colleague who decided it too is told, and the moderator who made the
/// contested decision cannot decide it, offline included. The rejection marks
/// the content illegal, which the server's statement keeps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_complaint_is_decided_offline_by_another_moderator_and_lands_once() {
    use trustdesk_domain::complaint::{ComplaintChange, ComplaintOutcome, ComplaintStatus};
    use trustdesk_domain::statement::IllegalMarking;

    let srv =
        server_sampling(SeedOptions { shops: 6, reviews: 40, audits: 0, disputes: 0, seed: 9 }, 0.0).await;
    let (_a, anna, anna_client) = station(&srv, "Anna", Role::Moderator).await;
    let (_b, ben, ben_client) = station(&srv, "Ben", Role::Moderator).await;
    let (_c, carl, carl_client) = station(&srv, "Carl", Role::Moderator).await;
    for (store, client) in [(&anna, &anna_client), (&ben, &ben_client), (&carl, &carl_client)] {
        client.pull(store).await.unwrap();
    }
    let anna_id = anna_client.me().await.unwrap().user_id;

    // Anna rejects a review for an insult and marks it illegal.
    let review =
        pending(&anna).await.into_iter().find(|v| v.shop.arm_enabled).expect("an ARM shop's review").review;
    let marking =
        IllegalMarking { provision: "§ 185 StGB".into(), explanation: "Insults the owner.".into() };
    let mut d = decide(review.id, ReviewAction::Reject { reason: RejectionReason::Insult });
    d.grounds.illegal = Some(marking.clone());
    let made = anna.record_decision(d, Utc::now()).await.unwrap();
    assert_eq!(anna_client.push(&anna).await.unwrap().applied, 1);
    let (ground,): (String,) = sqlx::query_as("SELECT statement FROM statements WHERE decision_id = $1")
        .bind(made.id.to_string())
        .fetch_one(&srv.db.read)
        .await
        .unwrap();
    let ground: serde_json::Value = serde_json::from_str(&ground).unwrap();
    assert_eq!(ground["ground"]["kind"], "illegal", "{ground}");
    assert_eq!(ground["ground"]["provision"], "§ 185 StGB");

    // Staff enter the reviewer's complaint.
    let admin = trustdesk_central::auth::add_user(&srv.db, "Ada", Role::Admin).await.unwrap();
    let opened: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/v1/complaints", srv.base))
        .bearer_auth(&admin)
        .json(&serde_json::json!({"review_id": review.id.to_string(), "text": "<i>Ich habe nur kritisiert.</i>"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let complaint_id = opened["id"].as_str().expect("a complaint case").to_owned();

    for (store, client) in [(&anna, &anna_client), (&ben, &ben_client), (&carl, &carl_client)] {
        client.pull(store).await.unwrap();
    }
    let on_review = ben.complaints_on_review(review.id).await.unwrap();
    assert_eq!(on_review.len(), 1);
    assert_eq!(on_review[0].case.text, "<i>Ich habe nur kritisiert.</i>");
    assert_eq!(on_review[0].case.decision_id, made.id);
    assert_eq!(ben.complaints().await.unwrap().len(), 1);

    // Anna cannot decide it, not even offline.
    let uphold = ComplaintChange::Decide {
        outcome: ComplaintOutcome::Upheld,
        reasons: "Criticism is allowed.".into(),
    };
    let err = anna.record_complaint_change(&complaint_id, &uphold, &anna_id, Utc::now()).await.unwrap_err();
    assert!(err.to_string().contains("another moderator decides"), "{err}");

    // Ben and Carl both decide it offline; Ben's reaches the server first.
    let ben_id = ben_client.me().await.unwrap().user_id;
    let carl_id = carl_client.me().await.unwrap().user_id;
    ben.record_complaint_change(&complaint_id, &uphold, &ben_id, Utc::now()).await.unwrap();
    let dismiss =
        ComplaintChange::Decide { outcome: ComplaintOutcome::Dismissed, reasons: "It stands.".into() };
    carl.record_complaint_change(&complaint_id, &dismiss, &carl_id, Utc::now()).await.unwrap();
    let local = ben.complaints().await.unwrap().remove(0);
    assert_eq!((local.case.status, local.pending_changes), (ComplaintStatus::Upheld, 1), "shows at once");

    let pushed = ben_client.push_cases(&ben).await.unwrap();
    assert_eq!((pushed.applied, pushed.rejected), (1, 0));
    assert_eq!(ben.pending_case_count().await.unwrap(), 0);
    ben_client.pull(&ben).await.unwrap();
    let after = ben.complaints_on_review(review.id).await.unwrap().remove(0);
    assert_eq!(
        (after.case.status, after.pending_changes, after.server_version),
        (ComplaintStatus::Upheld, 0, 2)
    );
    assert_eq!(
        ben.get_review(review.id).await.unwrap().review.status,
        ReviewStatus::Published,
        "upheld publishes"
    );

    // Carl's arrives second: kept, marked with the server's answer, never applied.
    let pushed = carl_client.push_cases(&carl).await.unwrap();
    assert_eq!((pushed.applied, pushed.rejected), (0, 1));
    carl_client.pull(&carl).await.unwrap();
    let seen = carl.complaints().await.unwrap().remove(0);
    assert_eq!(seen.case.status, ComplaintStatus::Upheld, "the server's outcome");
    assert_eq!(seen.unresolved.len(), 1);
    assert_eq!(seen.unresolved[0].code.as_deref(), Some("illegal_state"));
    assert!(seen.unresolved[0].change.contains("It stands."));
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM complaint_outcomes WHERE complaint_id = $1")
        .bind(&complaint_id)
        .fetch_one(&srv.db.read)
        .await
        .unwrap();
    assert_eq!(n, 1);
}

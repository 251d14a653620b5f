//! Mediation through the store and the sync client against the real central
//! service: a case worked offline (stage, message, proposal, decision) lands on
//! the server once and in order, and only a mediator may change it.

use chrono::{Duration, Utc};
use trustdesk_api::Role;
use trustdesk_central::seed;

mod support;
use support::{server_with, station, Server};
use trustdesk_domain::dispute::{DisputeChange, FeeTerms, Party, Recipient, Remedy};
use trustdesk_domain::{DisputeOutcome, DisputeStage, MessageId, Money, ProposalId};

async fn server() -> Server {
    server_with(seed::SeedOptions { shops: 4, reviews: 10, audits: 0, disputes: 16, seed: 9 }).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_worked_offline_reaches_the_server_in_order_and_is_final() {
    let srv = server().await;
    let (_d, store, client) = station(&srv, "Mara", Role::Mediator).await;
    client.pull(&store).await.unwrap();
    let cases = store.disputes().await.unwrap();
    assert!(!cases.is_empty(), "the mediator receives disputes");
    let view = cases
        .iter()
        .find(|v| v.case.stage == DisputeStage::Communication)
        .expect("a case still in direct communication")
        .clone();
    let id = view.case.id;
    let now = Utc::now();
    let claim = view.case.claim;
    let changes = [
        DisputeChange::MoveStage { to: DisputeStage::Mediation },
        DisputeChange::SetDeadline { due: now + Duration::days(10), reason: "Shop statement due".into() },
        DisputeChange::SendMessage {
            id: MessageId::new(),
            to: Recipient::Shop,
            body: "Please send your statement <b>by the deadline</b>.".into(),
        },
        DisputeChange::Decide {
            outcome: DisputeOutcome::ConsumerPrevails,
            remedy: Some(Remedy::Refund {
                amount: Money { minor_units: claim.minor_units, currency: claim.currency },
            }),
            reasoning: "The goods did not arrive and the shop gave no proof of delivery.".into(),
            fee: FeeTerms::default(),
        },
    ];
    for c in &changes {
        store.record_dispute_change(id, c, "Mara", now).await.unwrap();
    }
    let local = store.dispute(id).await.unwrap();
    assert_eq!(local.case.stage, DisputeStage::Closed);
    assert_eq!(local.pending_changes, 4);
    // Closed means closed, locally already.
    let late = DisputeChange::Propose { id: ProposalId::new(), text: "Too late".into(), amount: None };
    assert!(store.record_dispute_change(id, &late, "Mara", now).await.is_err());

    let (pushed, _) = client.sync(&store).await.unwrap();
    assert_eq!((pushed.applied, pushed.conflicts, pushed.rejected), (4, 0, 0), "{pushed:?}");
    let synced = store.dispute(id).await.unwrap();
    assert_eq!(synced.pending_changes, 0);
    assert_eq!(synced.server_version, view.server_version + 4);
    let case = synced.case;
    assert_eq!(case.stage, DisputeStage::Closed);
    assert_eq!(case.decision.as_ref().map(|d| d.outcome), Some(DisputeOutcome::ConsumerPrevails));
    assert!(case.messages.iter().any(|m| m.body.contains("<b>by the deadline</b>")), "stored as text");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_mediator_changes_a_dispute_and_a_settlement_needs_both_parties() {
    let srv = server().await;
    let (_m, med_store, mediator) = station(&srv, "Mara", Role::Mediator).await;
    mediator.pull(&med_store).await.unwrap();
    let view = med_store
        .disputes()
        .await
        .unwrap()
        .into_iter()
        .find(|v| v.case.stage.is_open())
        .expect("an open case");
    let id = view.case.id;
    let proposal = ProposalId::new();
    let now = Utc::now();
    med_store
        .record_dispute_change(
            id,
            &DisputeChange::Propose { id: proposal, text: "Refund half".into(), amount: None },
            "Mara",
            now,
        )
        .await
        .unwrap();
    let accept = |party| DisputeChange::RecordAcceptance { proposal_id: proposal, party, accepts: true };
    med_store.record_dispute_change(id, &accept(Party::Consumer), "Mara", now).await.unwrap();
    let settle = DisputeChange::Decide {
        outcome: DisputeOutcome::Settled,
        remedy: None,
        reasoning: "Both parties accepted the proposal.".into(),
        fee: FeeTerms::default(),
    };
    assert!(
        med_store.record_dispute_change(id, &settle, "Mara", now).await.is_err(),
        "one party is not enough"
    );
    med_store.record_dispute_change(id, &accept(Party::Shop), "Mara", now).await.unwrap();
    med_store.record_dispute_change(id, &settle, "Mara", now).await.unwrap();
    let (pushed, _) = mediator.sync(&med_store).await.unwrap();
    assert_eq!(pushed.applied, 4, "{pushed:?}");

    // A moderator's store holding another case is refused by the server.
    let other = med_store.disputes().await.unwrap().into_iter().find(|v| v.case.stage.is_open()).unwrap();
    let (_o, mod_store, moderator) = station(&srv, "Mo", Role::Moderator).await;
    let page = trustdesk_store::ServerChanges {
        shops: vec![other.shop.clone()],
        disputes: vec![other.case.clone()],
        cursor: "0".into(),
        ..Default::default()
    };
    mod_store.apply_changes(&page, "test", Utc::now()).await.unwrap();
    let msg = DisputeChange::SendMessage { id: MessageId::new(), to: Recipient::Both, body: "Hello".into() };
    mod_store.record_dispute_change(other.case.id, &msg, "Mo", now).await.unwrap();
    let pushed = moderator.push_cases(&mod_store).await.unwrap();
    assert_eq!(pushed.rejected, 1, "{pushed:?}");
    let refused = mod_store.dispute(other.case.id).await.unwrap();
    assert_eq!(refused.unresolved[0].delivery, "rejected");
    assert_eq!(refused.case.messages.len(), other.case.messages.len() + 1, "the refused message still shows");
    // Dropping it rebuilds the local copy from the server's: the message goes.
    let m: trustdesk_domain::DecisionId = refused.unresolved[0].mutation_id.parse().unwrap();
    assert_eq!(mod_store.resolve_case(m, false, "Mo", Utc::now()).await.unwrap(), None);
    let after = mod_store.dispute(other.case.id).await.unwrap();
    assert!(after.unresolved.is_empty());
    assert_eq!(after.case, other.case);
}

/// An attachment reaches a colleague's workstation as a file it can open
/// offline; one the server never received (its sender failed half-way) is
/// listed without its file and does not stop the sync.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_reach_colleagues_and_a_missing_file_does_not_stop_the_sync() {
    use trustdesk_domain::dispute::Author;
    let srv = server().await;
    let (_a, mara, mara_client) = station(&srv, "Mara", Role::Mediator).await;
    let (_b, nils, nils_client) = station(&srv, "Nils", Role::Mediator).await;
    mara_client.pull(&mara).await.unwrap();
    let id = mara
        .disputes()
        .await
        .unwrap()
        .into_iter()
        .find(|v| v.case.stage != DisputeStage::Closed)
        .expect("an open case")
        .case
        .id;

    // Mara attaches a real file (kept locally, uploaded with the change).
    let photo = b"%PDF-1.4\n% a receipt\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n".to_vec();
    let cache = trustdesk_sync::evidence::EvidenceCache::beside(mara.path());
    let sha = cache.put(&photo).unwrap();
    let attach =
        DisputeChange::Attach { sha256: sha.clone(), name: "receipt.pdf".into(), from: Author::Consumer };
    mara.record_dispute_change(id, &attach, "Mara", Utc::now()).await.unwrap();
    // And one naming a file nobody uploaded, sent straight to the server.
    let ghost = "ab".repeat(32);
    let other = trustdesk_central::auth::add_user(&srv.db, "Olga", Role::Mediator).await.unwrap();
    mara_client.sync(&mara).await.unwrap();
    let current = {
        nils_client.pull(&nils).await.unwrap();
        nils.dispute(id).await.unwrap().server_version
    };
    let body = serde_json::json!({"mutations": [{
        "id": trustdesk_domain::DecisionId::new().to_string(), "base_version": current,
        "op": {"type": "dispute", "dispute_id": id.to_string(),
               "change": {"change": "attach", "sha256": ghost, "name": "lost.png", "from": "shop"}}
    }]});
    let r: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/v1/mutations", srv.base))
        .bearer_auth(&other)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["results"][0]["result"], "applied", "{r}");

    // Nils syncs: the real file arrives intact, the missing one is skipped.
    nils_client.sync(&nils).await.unwrap();
    let case = nils.dispute(id).await.unwrap().case;
    assert_eq!(case.attachments.len(), 2);
    let theirs = trustdesk_sync::evidence::EvidenceCache::beside(nils.path());
    assert_eq!(theirs.get(&sha).unwrap().as_deref(), Some(&photo[..]));
    assert!(!theirs.contains(&ghost));
}

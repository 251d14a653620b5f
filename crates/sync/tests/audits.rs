//! Audit work through the store and the sync client against the real central
//! service: offline changes with evidence reach the server once, in order, and
//! the server's rules (roles, confirmation) hold.

use chrono::Utc;
use trustdesk_api::Role;
use trustdesk_central::seed;

mod support;
use support::{server_with, station, Server};
use trustdesk_domain::audit::AuditChange;
use trustdesk_domain::{AuditOutcome, ChecklistStatus, EvidenceRef};
use trustdesk_sync::evidence::EvidenceCache;

async fn server() -> Server {
    server_with(seed::SeedOptions { shops: 4, reviews: 10, audits: 12, disputes: 0, seed: 5 }).await
}

fn png() -> Vec<u8> {
    // A valid 1x1 PNG: the server checks types by content.
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    v.extend_from_slice(&[
        0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0, 0x90, 0x77, 0x53, 0xde,
        0, 0, 0, 12, b'I', b'D', b'A', b'T', 8, 0xd7, 0x63, 0xf8, 0xcf, 0xc0, 0, 0, 3, 1, 1, 0, 0x18, 0xdd,
        0x8d, 0xb0, 0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xae, 0x42, 0x60, 0x82,
    ]);
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_audit_done_offline_with_evidence_lands_once_and_is_final_after_confirmation() {
    let srv = server().await;
    let (_d, store, client) = station(&srv, "Aude", Role::Auditor).await;
    client.pull(&store).await.unwrap();
    let audits = store.audits().await.unwrap();
    assert!(!audits.is_empty(), "the auditor receives audits");
    // An audit with nothing checked yet.
    let view = audits
        .iter()
        .find(|v| {
            v.case.confirmed.is_none() && v.case.items.iter().all(|i| i.status == ChecklistStatus::Open)
        })
        .expect("an untouched audit in the seed")
        .clone();
    let id = view.case.id;

    // Offline: every item decided, one failed with a screenshot and a URL.
    let cache = EvidenceCache::beside(store.path());
    let shot = png();
    let sha = cache.put(&shot).unwrap();
    let evidence = vec![
        EvidenceRef::File { sha256: sha.clone(), name: "checkout.png".into() },
        EvidenceRef::Url { url: "https://shop.example/checkout".into() },
    ];
    let failed = view.case.items[0].criterion_id.clone();
    for (k, item) in view.case.items.iter().enumerate() {
        let status = if k == 0 { ChecklistStatus::Fail } else { ChecklistStatus::Pass };
        let change = AuditChange::Item {
            criterion_id: item.criterion_id.clone(),
            status,
            note: format!("note {k}"),
            evidence: evidence.clone(),
        };
        store.record_audit_change(id, &change, "Aude", Utc::now()).await.unwrap();
    }
    let outcome = AuditOutcome::ImprovementsRequired { failed: vec![failed.clone()] };
    let confirm = AuditChange::Confirm { outcome: outcome.clone(), recommendation: None };
    store.record_audit_change(id, &confirm, "Aude", Utc::now()).await.unwrap();
    // Autosaved and final locally at once.
    let local = store.audit(id).await.unwrap();
    assert_eq!(local.case.outcome(), outcome);
    assert!(local.case.confirmed.is_some());
    assert_eq!(local.pending_changes as usize, view.case.items.len() + 1);
    assert!(store.record_audit_change(id, &confirm, "Aude", Utc::now()).await.is_err(), "final means final");

    let (pushed, _) = client.sync(&store).await.unwrap();
    assert_eq!(pushed.applied as usize, view.case.items.len() + 1, "{pushed:?}");
    assert_eq!(pushed.conflicts + pushed.rejected, 0);
    let synced = store.audit(id).await.unwrap();
    assert_eq!(synced.pending_changes, 0);
    assert_eq!(synced.server_version, view.server_version + view.case.items.len() as i64 + 1);
    let on_server = synced.case;
    assert_eq!(on_server.items[0].status, ChecklistStatus::Fail);
    assert_eq!(on_server.items[0].evidence, evidence);
    assert_eq!(on_server.confirmed.as_ref().map(|c| &c.outcome), Some(&outcome));
    assert_eq!(store.pending_count().await.unwrap(), 0);

    // A second workstation of another auditor gets the file into its own cache.
    let (_d2, store2, client2) = station(&srv, "Bert", Role::Auditor).await;
    client2.sync(&store2).await.unwrap();
    let cache2 = EvidenceCache::beside(store2.path());
    assert_eq!(cache2.get(&sha).unwrap(), Some(shot));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_refuses_audit_changes_from_a_moderator_and_the_refusal_stays_visible() {
    let srv = server().await;
    let (_a, auditor_store, auditor) = station(&srv, "Aude", Role::Auditor).await;
    auditor.pull(&auditor_store).await.unwrap();
    let view = auditor_store.audits().await.unwrap().remove(0);
    // The moderator's store holds the audit (copied here, as if leaked) but the
    // server decides by role.
    let (_m, mod_store, moderator) = station(&srv, "Mo", Role::Moderator).await;
    let page = trustdesk_store::ServerChanges {
        shops: vec![view.shop.clone()],
        audits: vec![view.case.clone()],
        cursor: "0".into(),
        ..Default::default()
    };
    mod_store.apply_changes(&page, "test", Utc::now()).await.unwrap();
    let change = AuditChange::Item {
        criterion_id: view.case.items[0].criterion_id.clone(),
        status: ChecklistStatus::Pass,
        note: String::new(),
        evidence: vec![],
    };
    mod_store.record_audit_change(view.case.id, &change, "Mo", Utc::now()).await.unwrap();
    let pushed = moderator.push_cases(&mod_store).await.unwrap();
    assert_eq!(pushed.rejected, 1, "{pushed:?}");
    let after = mod_store.audit(view.case.id).await.unwrap();
    assert_eq!(after.unresolved.len(), 1);
    assert_eq!(after.unresolved[0].delivery, "rejected");
    assert!(after.unresolved[0].code.is_some());
    assert_eq!(mod_store.unresolved_count().await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_auditor_claims_open_audits_no_colleague_is_handed() {
    let srv = server().await;
    let mut claimed = Vec::new();
    for name in ["Aude", "Bert"] {
        let (dir, store, client) = station(&srv, name, Role::Auditor).await;
        let session = trustdesk_store::Session {
            server: srv.base.clone(),
            user_id: name.into(),
            user_name: name.into(),
            role: "auditor".into(),
            signed_in_at: Utc::now(),
            last_sync_at: None,
        };
        store.set_session(&session).await.unwrap();
        client.sync(&store).await.unwrap();
        let ids = store.claimed_ids("audit", Utc::now()).await.unwrap();
        for id in &ids {
            let view = store.audit(id.parse().unwrap()).await.unwrap();
            assert!(
                view.case.items.iter().any(|i| i.status == ChecklistStatus::Open),
                "only open work is claimed"
            );
        }
        claimed.push((ids, dir));
    }
    assert!(!claimed[0].0.is_empty(), "the first auditor holds a claim");
    assert!(claimed[0].0.is_disjoint(&claimed[1].0), "claimed work is not handed to a colleague");
}

//! The HTTP API against a real server on a loopback port, each test on SQLite
//! and on PostgreSQL.

mod support;

use std::collections::{HashMap, HashSet};

use serde_json::{json, Value};
use support::{batch, review_decision, Backend};
use trustdesk_api::{ChangesPage, Claim, Entity, EntityKind, Me, MutationOutcome, MutationResponse, Role};

on_both_backends!(
    health_me_and_tokens,
    role_matrix,
    feed_pages_and_resumes_under_concurrent_writes,
    same_mutation_id_applies_once_even_concurrently,
    stale_versions_conflict,
    every_rejection_path,
    decisions_are_recorded_with_grounds_and_trail,
    claims_leases_and_expiry,
    concurrent_claims_never_overlap,
    bad_input_gets_clear_4xx,
    evidence_is_content_addressed_and_typed,
    openapi_describes_the_api,
    audit_and_dispute_mutations,
    deletions_travel_the_feed_in_order,
    ingestion_validates_scans_and_signals,
    ingestion_refuses_malformed_items,
    mutations_on_one_entity_chain_within_a_batch,
);

async fn health_me_and_tokens(b: Backend) {
    let s = support::start(b).await;
    let h = s.get(None, "/v1/health").await;
    assert_eq!(h.status, 200);
    assert_eq!(h.body["database"], if b == Backend::Sqlite { "sqlite" } else { "postgres" });
    for role in Role::ALL {
        let t = s.user(role).await;
        let me: Me = s.get(Some(&t), "/v1/me").await.json();
        assert_eq!(me.role, role);
        assert_eq!(me.name, format!("{} user", role.as_str()));
    }
    s.get(None, "/v1/me").await.expect_error(401, "unauthorized");
    s.get(Some("tdc_not-a-real-token"), "/v1/me").await.expect_error(401, "unauthorized");
    let basic = s.send(s.http.get(format!("{}/v1/me", s.base)).header("authorization", "Basic YTpi")).await;
    basic.expect_error(401, "unauthorized");
    // Only the hash is stored.
    let t = s.user(Role::Moderator).await;
    use sqlx::Row;
    let stored: Vec<String> = sqlx::query("SELECT token_sha256 FROM users")
        .fetch_all(&s.db.read)
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get(0).unwrap())
        .collect();
    assert!(!stored.contains(&t));
    assert!(stored.contains(&trustdesk_central::auth::token_hash(&t)));
}

async fn all_changes(s: &support::Server, token: &str, limit: u32) -> Vec<trustdesk_api::Change> {
    let mut since = "0".to_owned();
    let mut out = Vec::new();
    loop {
        let page: ChangesPage =
            s.get(Some(token), &format!("/v1/changes?since={since}&limit={limit}")).await.json();
        out.extend(page.items);
        since = page.next_cursor;
        if !page.has_more {
            return out;
        }
    }
}

async fn role_matrix(b: Backend) {
    let s = support::start(b).await;
    s.seed(4, 30, 4, 4).await;
    let tokens: HashMap<Role, String> =
        futures_join(Role::ALL.iter().map(|r| async { (*r, s.user(*r).await) })).await.into_iter().collect();
    // Feed visibility.
    for (role, token) in &tokens {
        let kinds: HashSet<EntityKind> = all_changes(&s, token, 1000).await.iter().map(|c| c.kind).collect();
        let want: HashSet<EntityKind> = match role {
            // The seed opens no complaints.
            Role::Admin => EntityKind::ALL.into_iter().filter(|k| *k != EntityKind::Complaint).collect(),
            Role::Moderator => [EntityKind::Shop, EntityKind::Review].into(),
            Role::Auditor => [EntityKind::Shop, EntityKind::Audit].into(),
            Role::Mediator => [EntityKind::Shop, EntityKind::Dispute].into(),
        };
        assert_eq!(kinds, want, "{role:?}");
    }
    // Claims: each role only its own kind of work; admin all.
    for (role, token) in &tokens {
        for kind in ["review", "audit", "dispute"] {
            let r = s
                .post(Some(token), "/v1/claims", &json!({"kind": kind, "limit": 1, "lease_seconds": 60}))
                .await;
            let allowed = matches!(
                (role, kind),
                (Role::Admin, _)
                    | (Role::Moderator, "review")
                    | (Role::Auditor, "audit")
                    | (Role::Mediator, "dispute")
            );
            if allowed {
                assert_eq!(r.status, 200, "{role:?} {kind}: {}", r.body);
                let c: Claim = r.json();
                s.delete(token, &format!("/v1/claims/{}", c.claim_id)).await;
            } else {
                r.expect_error(403, "forbidden");
            }
        }
    }
    // Mutations: a mediator cannot decide reviews, a moderator cannot touch disputes, ...
    let review = s.ids_in_state("review", "pending").await[0].clone();
    let dispute = s.ids_in_state("dispute", "communication").await[0].clone();
    let audit = s.ids_in_state("audit", "incomplete").await[0].clone();
    for (role, token) in &tokens {
        let muts = vec![
            review_decision(&review, 999, json!({"action": "publish"})),
            json!({"id": uuid::Uuid::now_v7(), "base_version": 999,
                   "op": {"type": "dispute_escalate", "dispute_id": dispute}}),
            json!({"id": uuid::Uuid::now_v7(), "base_version": 999,
                   "op": {"type": "audit_item", "audit_id": audit, "criterion_id": "eu.identity.trader_details", "status": "pass"}}),
        ];
        let resp: MutationResponse = s.post(Some(token), "/v1/mutations", &batch(muts)).await.json();
        let forbidden: Vec<bool> = resp
            .results
            .iter()
            .map(|r| matches!(&r.outcome, MutationOutcome::Rejected { code, .. } if code == "forbidden"))
            .collect();
        let want = match role {
            Role::Admin => [false, false, false],
            Role::Moderator => [false, true, true],
            Role::Mediator => [true, false, true],
            Role::Auditor => [true, true, false],
        };
        assert_eq!(forbidden, want, "{role:?}: {:?}", resp.results);
        // Allowed ones reach the version check (999 is stale).
        for (r, f) in resp.results.iter().zip(want) {
            if !f {
                assert!(matches!(r.outcome, MutationOutcome::Conflict { .. }), "{:?}", r.outcome);
            }
        }
    }
}

async fn futures_join<F: std::future::Future>(fs: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut out = Vec::new();
    for f in fs {
        out.push(f.await);
    }
    out
}

async fn feed_pages_and_resumes_under_concurrent_writes(b: Backend) {
    let s = std::sync::Arc::new(support::start(b).await);
    s.seed(5, 400, 0, 0).await;
    let reader = s.user(Role::Moderator).await;
    let writer = s.user(Role::Moderator).await;
    let pending = s.ids_in_state("review", "pending").await;
    assert!(pending.len() > 150);

    // Writers publish reviews while the reader pages through the feed.
    let mut writers = Vec::new();
    for part in pending.chunks(pending.len() / 4 + 1).map(<[String]>::to_vec) {
        let s = s.clone();
        let writer = writer.clone();
        writers.push(tokio::spawn(async move {
            for chunk in part.chunks(5) {
                let muts =
                    chunk.iter().map(|id| review_decision(id, 1, json!({"action": "publish"}))).collect();
                let r: MutationResponse = s.post(Some(&writer), "/v1/mutations", &batch(muts)).await.json();
                for res in r.results {
                    assert!(matches!(res.outcome, MutationOutcome::Applied { new_version: 2 }), "{res:?}");
                }
            }
        }));
    }
    let mut seen: Vec<trustdesk_api::Change> = Vec::new();
    let mut cursors: Vec<String> = Vec::new();
    let mut since = "0".to_owned();
    let mut writers_done = false;
    loop {
        let page: ChangesPage =
            s.get(Some(&reader), &format!("/v1/changes?since={since}&limit=23")).await.json();
        cursors.push(since.clone());
        seen.extend(page.items);
        since = page.next_cursor;
        if !page.has_more {
            if writers_done {
                break;
            }
            // Catch up once more after the writers have finished.
            for w in writers.drain(..) {
                w.await.unwrap();
            }
            writers_done = true;
        }
    }
    // Strictly increasing cursors: no change is ever repeated.
    let seqs: Vec<i64> = seen.iter().map(|c| c.cursor.parse().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "cursors must increase");
    // Folding the feed gives exactly the server state: nothing was skipped.
    let mut last: HashMap<String, (i64, Option<Entity>)> = HashMap::new();
    for c in &seen {
        last.insert(c.id.clone(), (c.version, c.entity.clone()));
    }
    for id in &pending {
        let (v, e) = &last[id];
        assert_eq!(*v, 2, "review {id} ends at version 2");
        match e {
            Some(Entity::Review(r)) => assert_eq!(r.status.state_name(), "published"),
            other => panic!("{other:?}"),
        }
    }
    use sqlx::Row;
    let total: i64 = sqlx::query("SELECT COUNT(*) FROM entities WHERE kind IN ('shop', 'review')")
        .fetch_one(&s.db.read)
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(last.len() as i64, total);

    // Resuming from any returned cursor yields exactly the rest, in order.
    for cursor in cursors.iter().step_by(5) {
        let from: i64 = cursor.parse().unwrap();
        let rest = {
            let mut since = cursor.clone();
            let mut out = Vec::new();
            loop {
                let page: ChangesPage =
                    s.get(Some(&reader), &format!("/v1/changes?since={since}&limit=97")).await.json();
                out.extend(page.items.into_iter().map(|c| c.cursor.parse::<i64>().unwrap()));
                since = page.next_cursor;
                if !page.has_more {
                    break out;
                }
            }
        };
        // The compacted feed, now: every entity's latest change after the cursor.
        let mut expect: Vec<i64> = Vec::new();
        for c in &seen {
            let seq: i64 = c.cursor.parse().unwrap();
            let latest = seen.iter().filter(|o| o.id == c.id).map(|o| o.cursor.parse::<i64>().unwrap()).max();
            if seq > from && latest == Some(seq) {
                expect.push(seq);
            }
        }
        assert_eq!(rest, expect, "resuming from {cursor}");
    }
    // Caught up: an empty page keeps the cursor.
    let end: ChangesPage = s.get(Some(&reader), &format!("/v1/changes?since={since}")).await.json();
    assert!(end.items.is_empty() && !end.has_more && end.next_cursor == since);
}

async fn same_mutation_id_applies_once_even_concurrently(b: Backend) {
    let s = std::sync::Arc::new(support::start(b).await);
    s.seed(2, 40, 0, 0).await;
    let t = s.user(Role::Moderator).await;
    let pending = s.ids_in_state("review", "pending").await;

    // Twice in a row.
    let m = review_decision(&pending[0], 1, json!({"action": "publish"}));
    let first: MutationResponse = s.post(Some(&t), "/v1/mutations", &batch(vec![m.clone()])).await.json();
    assert_eq!(first.results[0].outcome, MutationOutcome::Applied { new_version: 2 });
    let again: MutationResponse = s.post(Some(&t), "/v1/mutations", &batch(vec![m.clone()])).await.json();
    assert_eq!(
        again.results[0].outcome,
        MutationOutcome::Duplicate { original: Box::new(MutationOutcome::Applied { new_version: 2 }) }
    );
    // Twice in one batch.
    let m2 = review_decision(&pending[1], 1, json!({"action": "publish"}));
    let both: MutationResponse = s.post(Some(&t), "/v1/mutations", &batch(vec![m2.clone(), m2])).await.json();
    assert!(matches!(both.results[0].outcome, MutationOutcome::Applied { .. }));
    assert!(matches!(both.results[1].outcome, MutationOutcome::Duplicate { .. }));

    // The same id from many connections at once.
    for id in &pending[2..6] {
        let m = review_decision(id, 1, json!({"action": "reject", "reason": "insult"}));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let s = s.clone();
                let t = t.clone();
                let m = m.clone();
                tokio::spawn(async move { s.post(Some(&t), "/v1/mutations", &batch(vec![m])).await })
            })
            .collect();
        let mut applied = 0;
        for task in tasks {
            let r: MutationResponse = task.await.unwrap().json();
            match &r.results[0].outcome {
                MutationOutcome::Applied { new_version: 2 } => applied += 1,
                MutationOutcome::Duplicate { original } => {
                    assert_eq!(**original, MutationOutcome::Applied { new_version: 2 })
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(applied, 1, "exactly one request applies");
        assert_eq!(s.version_of("review", id).await, 2);
    }
    use sqlx::Row;
    let decisions: i64 = sqlx::query("SELECT COUNT(*) FROM decisions")
        .fetch_one(&s.db.read)
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(decisions, 6);
    // Another user reusing an id does not get someone else's result.
    let other = s.user(Role::Moderator).await;
    let r: MutationResponse = s.post(Some(&other), "/v1/mutations", &batch(vec![m])).await.json();
    assert!(
        matches!(&r.results[0].outcome, MutationOutcome::Rejected { code, .. } if code == "mutation_id_in_use")
    );
}

async fn stale_versions_conflict(b: Backend) {
    let s = support::start(b).await;
    s.seed(2, 20, 0, 0).await;
    let t = s.user(Role::Moderator).await;
    let id = s.ids_in_state("review", "pending").await[0].clone();
    let r: MutationResponse = s
        .post(Some(&t), "/v1/mutations", &batch(vec![review_decision(&id, 1, json!({"action": "publish"}))]))
        .await
        .json();
    assert_eq!(r.results[0].outcome, MutationOutcome::Applied { new_version: 2 });
    // Another moderator decided offline on version 1.
    let other = s.user(Role::Moderator).await;
    let m = review_decision(&id, 1, json!({"action": "reject", "reason": "insult"}));
    let r: MutationResponse = s.post(Some(&other), "/v1/mutations", &batch(vec![m])).await.json();
    match &r.results[0].outcome {
        MutationOutcome::Conflict { current_version, current: Some(current) } => {
            let Entity::Review(review) = current.as_ref() else { panic!("{current:?}") };
            assert_eq!(*current_version, 2);
            assert_eq!(review.version, 2);
            assert_eq!(review.status.state_name(), "published");
        }
        other => panic!("{other:?}"),
    }
    // Versions from the future conflict too.
    let r: MutationResponse = s
        .post(Some(&t), "/v1/mutations", &batch(vec![review_decision(&id, 7, json!({"action": "publish"}))]))
        .await
        .json();
    assert!(matches!(r.results[0].outcome, MutationOutcome::Conflict { current_version: 2, .. }));
    assert_eq!(s.version_of("review", &id).await, 2);
}

fn rejected_code(r: &MutationResponse, i: usize) -> String {
    match &r.results[i].outcome {
        MutationOutcome::Rejected { code, message } => {
            assert!(!message.is_empty());
            code.clone()
        }
        other => panic!("item {i}: expected a rejection, got {other:?}"),
    }
}

async fn every_rejection_path(b: Backend) {
    let s = support::start(b).await;
    s.seed(3, 60, 2, 8).await;
    let t = s.user(Role::Moderator).await;
    let mediator = s.user(Role::Mediator).await;
    let pending = s.ids_in_state("review", "pending").await;
    let published = s.ids_in_state("review", "published").await;
    let received = s.ids_in_state("review", "evidence_received").await;
    let past = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339();
    let future = (chrono::Utc::now() + chrono::Duration::days(14)).to_rfc3339();
    let mut v4 = review_decision(&pending[4], 1, json!({"action": "publish"}));
    v4["id"] = json!(uuid::Uuid::new_v4());
    let cases = vec![
        (review_decision(&published[0], 1, json!({"action": "publish"})), "illegal_transition"),
        (
            review_decision(&pending[0], 1, json!({"action": "reject", "reason": "not_real_experience"})),
            "illegal_transition",
        ),
        (
            review_decision(&pending[1], 1, json!({"action": "request_evidence", "deadline": past})),
            "illegal_transition",
        ),
        // Requesting evidence needs a message to the reviewer.
        (
            review_decision(&pending[2], 1, json!({"action": "request_evidence", "deadline": future})),
            "invalid",
        ),
        // Refusing evidence withholds the review: its facts must be stated.
        (review_decision(&received[0], 1, json!({"action": "refuse_evidence"})), "invalid"),
        (review_decision(&uuid::Uuid::now_v7().to_string(), 1, json!({"action": "publish"})), "not_found"),
        (v4, "invalid"),
        (
            json!({"id": uuid::Uuid::now_v7(), "base_version": 1,
                "op": {"type": "dispute_escalate", "dispute_id": uuid::Uuid::now_v7()}}),
            "forbidden",
        ),
    ];
    let (muts, want): (Vec<Value>, Vec<&str>) = cases.into_iter().unzip();
    let r: MutationResponse = s.post(Some(&t), "/v1/mutations", &batch(muts)).await.json();
    for (i, w) in want.iter().enumerate() {
        assert_eq!(rejected_code(&r, i), *w, "case {i}");
    }
    // Nothing changed.
    assert_eq!(s.version_of("review", &published[0]).await, 1);
    assert_eq!(s.version_of("review", &pending[0]).await, 1);

    // With a message, the evidence request goes through; with facts, refusal too.
    let mut ok = review_decision(&pending[2], 1, json!({"action": "request_evidence", "deadline": future}));
    ok["op"]["message"] = json!("Please send the order confirmation.");
    let mut refuse = review_decision(&received[0], 1, json!({"action": "refuse_evidence"}));
    refuse["op"]["grounds"]["facts"] = json!("The receipt names a different shop.");
    let r: MutationResponse = s.post(Some(&t), "/v1/mutations", &batch(vec![ok, refuse])).await.json();
    assert!(
        r.results.iter().all(|x| matches!(x.outcome, MutationOutcome::Applied { new_version: 2 })),
        "{r:?}"
    );

    // Dispute rules: empty reasoning, escalating past arbitration, writing to a closed case.
    let referred = s.ids_in_state("dispute", "arbitration_referral").await[0].clone();
    let closed = s.ids_in_state("dispute", "closed").await[0].clone();
    let d = |op: Value| json!({"id": uuid::Uuid::now_v7(), "base_version": 1, "op": op});
    let r: MutationResponse = s
        .post(
            Some(&mediator),
            "/v1/mutations",
            &batch(vec![
                d(json!({"type": "dispute_decide", "dispute_id": referred, "outcome": "settled", "reasoning": " "})),
                d(json!({"type": "dispute_escalate", "dispute_id": referred})),
                d(json!({"type": "dispute_message", "dispute_id": closed, "author": "mediator", "body": "Hello"})),
            ]),
        )
        .await
        .json();
    assert_eq!(rejected_code(&r, 0), "invalid");
    assert_eq!(rejected_code(&r, 1), "illegal_transition");
    assert_eq!(rejected_code(&r, 2), "illegal_transition");

    // An unknown checklist criterion.
    let auditor = s.user(Role::Auditor).await;
    let audit = s.ids_in_state("audit", "incomplete").await[0].clone();
    let r: MutationResponse = s
        .post(
            Some(&auditor),
            "/v1/mutations",
            &batch(vec![d(
                json!({"type": "audit_item", "audit_id": audit, "criterion_id": "no.such", "status": "pass"}),
            )]),
        )
        .await
        .json();
    assert_eq!(rejected_code(&r, 0), "not_found");
}

async fn decisions_are_recorded_with_grounds_and_trail(b: Backend) {
    let s = support::start(b).await;
    s.seed(2, 20, 0, 0).await;
    let t = s.user(Role::Moderator).await;
    let me: Me = s.get(Some(&t), "/v1/me").await.json();
    let id = s.ids_in_state("review", "pending").await[0].clone();
    let mut m = review_decision(&id, 1, json!({"action": "reject", "reason": "personal_data"}));
    m["op"]["grounds"] = json!({"facts": "Names an employee.", "filter_rules": ["general.personal_data.name"], "rule_pack_version": "2026.11.1"});
    let r: MutationResponse = s.post(Some(&t), "/v1/mutations", &batch(vec![m.clone()])).await.json();
    assert_eq!(r.results[0].outcome, MutationOutcome::Applied { new_version: 2 });
    use sqlx::Row;
    let row = sqlx::query("SELECT record, decided_by FROM decisions WHERE id = $1")
        .bind(m["id"].as_str().unwrap())
        .fetch_one(&s.db.read)
        .await
        .unwrap();
    let record: trustdesk_domain::ReviewDecision =
        serde_json::from_str(&row.try_get::<String, _>(0).unwrap()).unwrap();
    assert_eq!(record.id.to_string(), m["id"].as_str().unwrap());
    assert_eq!(record.decided_by, me.user_id);
    assert_eq!(record.grounds.filter_rules, vec!["general.personal_data.name".to_owned()]);
    assert_eq!(record.from.state_name(), "pending");
    assert_eq!(record.to.state_name(), "rejected");
    assert_eq!(record.base_version, 1);
    // Immutable and append-only, enforced by the database itself.
    assert!(sqlx::query("UPDATE decisions SET message = 'x'").execute(&s.db.write).await.is_err());
    assert!(sqlx::query("DELETE FROM decisions").execute(&s.db.write).await.is_err());
    let trail =
        sqlx::query("SELECT user_id, action, mutation_id, detail FROM audit_trail WHERE entity_id = $1")
            .bind(&id)
            .fetch_all(&s.db.read)
            .await
            .unwrap();
    assert_eq!(trail.len(), 1);
    assert_eq!(trail[0].try_get::<String, _>(0).unwrap(), me.user_id);
    assert_eq!(trail[0].try_get::<String, _>(1).unwrap(), "review.reject");
    assert_eq!(trail[0].try_get::<String, _>(2).unwrap(), m["id"].as_str().unwrap());
    let detail: String = trail[0].try_get(3).unwrap();
    assert!(!detail.contains("employee"), "no free text in the trail");
    assert!(sqlx::query("DELETE FROM audit_trail").execute(&s.db.write).await.is_err());
}

async fn claims_leases_and_expiry(b: Backend) {
    let s = support::start(b).await;
    s.seed(3, 80, 0, 0).await;
    let a = s.user(Role::Moderator).await;
    let bee = s.user(Role::Moderator).await;
    let open: HashSet<String> = s
        .ids_in_state("review", "pending")
        .await
        .into_iter()
        .chain(s.ids_in_state("review", "evidence_received").await)
        .collect();

    let ca: Claim = s
        .post(Some(&a), "/v1/claims", &json!({"kind": "review", "limit": 5, "lease_seconds": 2}))
        .await
        .json();
    assert_eq!(ca.ids.len(), 5);
    assert!(ca.ids.iter().all(|id| open.contains(id)));
    let cb: Claim = s
        .post(Some(&bee), "/v1/claims", &json!({"kind": "review", "limit": 10, "lease_seconds": 600}))
        .await
        .json();
    assert_eq!(cb.ids.len(), 10);
    assert!(ca.ids.iter().all(|id| !cb.ids.contains(id)), "claims are disjoint");

    // B cannot decide A's items while the lease lives; A can.
    let m = review_decision(&ca.ids[0], 1, json!({"action": "publish"}));
    let r: MutationResponse = s.post(Some(&bee), "/v1/mutations", &batch(vec![m])).await.json();
    assert_eq!(rejected_code(&r, 0), "claimed_by_other");
    let r: MutationResponse = s
        .post(
            Some(&a),
            "/v1/mutations",
            &batch(vec![review_decision(&ca.ids[0], 1, json!({"action": "publish"}))]),
        )
        .await
        .json();
    assert!(matches!(r.results[0].outcome, MutationOutcome::Applied { .. }));

    // Only the owner may extend or release.
    s.post(Some(&bee), &format!("/v1/claims/{}/extend", ca.claim_id), &json!({"lease_seconds": 60}))
        .await
        .expect_error(403, "forbidden");
    s.delete(&bee, &format!("/v1/claims/{}", ca.claim_id)).await.expect_error(403, "forbidden");
    s.delete(&a, "/v1/claims/nope").await.expect_error(404, "not_found");
    s.post(Some(&a), &format!("/v1/claims/{}/extend", ca.claim_id), &json!({"lease_seconds": 0}))
        .await
        .expect_error(400, "bad_request");

    // Let A's two-second lease run out: its undecided items go to the next claimer.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let cb2: Claim = s
        .post(Some(&bee), "/v1/claims", &json!({"kind": "review", "limit": 200, "lease_seconds": 600}))
        .await
        .json();
    let a_rest: HashSet<&String> = ca.ids[1..].iter().collect();
    assert!(a_rest.iter().all(|id| cb2.ids.contains(id)), "expired items are handed out again");
    assert!(!cb2.ids.contains(&ca.ids[0]), "decided items are no longer open");
    assert!(cb.ids.iter().all(|id| !cb2.ids.contains(id)), "B's live claim is not re-handed");
    // Extending A's expired claim keeps nothing that B took meanwhile.
    let ext: Claim = s
        .post(Some(&a), &format!("/v1/claims/{}/extend", ca.claim_id), &json!({"lease_seconds": 60}))
        .await
        .json();
    assert!(ext.ids.is_empty(), "{:?}", ext.ids);

    // Releasing makes items claimable at once.
    assert_eq!(s.delete(&bee, &format!("/v1/claims/{}", cb.claim_id)).await.status, 204);
    let c3: Claim = s.post(Some(&a), "/v1/claims", &json!({"kind": "review", "limit": 200})).await.json();
    assert!(cb.ids.iter().all(|id| c3.ids.contains(id)));
    s.delete(&bee, &format!("/v1/claims/{}", cb.claim_id)).await.expect_error(404, "not_found");

    // Filters narrow the queue.
    let shop: String = {
        use sqlx::Row;
        sqlx::query("SELECT shop_id FROM entities WHERE kind = 'review' AND open = 1 LIMIT 1")
            .fetch_one(&s.db.read)
            .await
            .unwrap()
            .try_get(0)
            .unwrap()
    };
    s.delete(&a, &format!("/v1/claims/{}", c3.claim_id)).await;
    let f: Claim = s
        .post(Some(&a), "/v1/claims", &json!({"kind": "review", "limit": 500, "filter": {"shop_id": shop}}))
        .await
        .json();
    assert!(!f.ids.is_empty());
    for id in &f.ids {
        use sqlx::Row;
        let sid: String = sqlx::query("SELECT shop_id FROM entities WHERE id = $1")
            .bind(id)
            .fetch_one(&s.db.read)
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        assert_eq!(sid, shop);
    }
    // Bad claim requests.
    s.post(Some(&a), "/v1/claims", &json!({"kind": "review", "limit": 0}))
        .await
        .expect_error(400, "bad_request");
    s.post(Some(&a), "/v1/claims", &json!({"kind": "review", "limit": 5, "lease_seconds": 99999999}))
        .await
        .expect_error(400, "bad_request");
}

async fn concurrent_claims_never_overlap(b: Backend) {
    let s = std::sync::Arc::new(support::start(b).await);
    s.seed(3, 320, 0, 0).await;
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let t = s.user(Role::Moderator).await;
            let mut ids = Vec::new();
            for _ in 0..4 {
                let c: Claim =
                    s.post(Some(&t), "/v1/claims", &json!({"kind": "review", "limit": 7})).await.json();
                ids.extend(c.ids);
            }
            ids
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let unique: HashSet<&String> = all.iter().collect();
    assert_eq!(unique.len(), all.len(), "no item handed to two claimers");
    assert_eq!(all.len(), 6 * 4 * 7);
}

async fn bad_input_gets_clear_4xx(b: Backend) {
    let s = support::start_with(b, |mut c| {
        c.max_body_bytes = 64 * 1024;
        c
    })
    .await;
    let t = s.user(Role::Moderator).await;
    let post = |body: Vec<u8>| s.post_raw(Some(&t), "/v1/mutations", body);
    post(b"{\"mutations\": [".to_vec()).await.expect_error(400, "bad_request");
    post(b"".to_vec()).await.expect_error(400, "bad_request");
    post(b"{\"mutations\": 5}".to_vec()).await.expect_error(400, "bad_request");
    post(b"{\"mutations\": [], \"extra\": true}".to_vec()).await.expect_error(400, "bad_request");
    post(b"{\"mutations\": [{\"id\": \"\xff\xfe\"}]}".to_vec()).await.expect_error(400, "bad_request");
    post(b"[1, 2, 3]".to_vec()).await.expect_error(400, "bad_request");
    let m = review_decision(&uuid::Uuid::now_v7().to_string(), -5, json!({"action": "fly"}));
    post(serde_json::to_vec(&batch(vec![m])).unwrap()).await.expect_error(400, "bad_request");
    let mut huge = b"{\"mutations\": [], \"pad\": \"".to_vec();
    huge.resize(200 * 1024, b'x');
    post(huge).await.expect_error(413, "payload_too_large");
    let many: Vec<Value> = (0..1001)
        .map(|_| review_decision(&uuid::Uuid::now_v7().to_string(), 1, json!({"action": "publish"})))
        .collect();
    let s2 = support::start(b).await;
    let t2 = s2.user(Role::Moderator).await;
    s2.post(Some(&t2), "/v1/mutations", &batch(many)).await.expect_error(400, "bad_request");

    for q in ["since=-1", "since=abc", "since=1e3", "since=", "since=%2B5"] {
        s.get(Some(&t), &format!("/v1/changes?{q}")).await.expect_error(400, "bad_cursor");
    }
    // Well-formed but never handed out by this (empty) server.
    for q in ["since=5", "since=99999999999999999999999"] {
        s.get(Some(&t), &format!("/v1/changes?{q}")).await.expect_error(409, "bad_cursor");
    }
    for q in [
        "limit=0",
        "limit=-3",
        "limit=5001",
        "limit=99999999999999999999",
        "limit=x",
        "cursor=1",
        "since=0&since=0",
    ] {
        s.get(Some(&t), &format!("/v1/changes?{q}")).await.expect_error(400, "bad_request");
    }
    s.get(Some(&t), "/v1/nothing-here").await.expect_error(404, "not_found");
    let r = s.send(s.http.put(format!("{}/v1/changes", s.base)).bearer_auth(&t)).await;
    r.expect_error(405, "method_not_allowed");
    s.post(Some(&t), "/v1/claims", &json!({"kind": "parcel", "limit": 1}))
        .await
        .expect_error(400, "bad_request");
}

async fn evidence_is_content_addressed_and_typed(b: Backend) {
    let s = support::start_with(b, |mut c| {
        c.max_file_bytes = 4096;
        c
    })
    .await;
    let t = s.user(Role::Moderator).await;
    let upload = |bytes: Vec<u8>, name: &'static str| {
        s.send(
            s.http
                .post(format!("{}/v1/evidence", s.base))
                .bearer_auth(&t)
                .header("content-type", "image/png")
                .header("x-file-name", name)
                .body(bytes),
        )
    };
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(b"\0\0\0\rIHDR-test-bytes");
    let r = upload(png.clone(), "receipt.png").await;
    assert_eq!(r.status, 201, "{}", r.body);
    let info: trustdesk_api::EvidenceInfo = r.json();
    assert_eq!(info.content_type, "image/png");
    assert_eq!(info.size, png.len() as u64);
    assert_eq!(info.sha256, {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&png))
    });
    assert_eq!(upload(png.clone(), "again.png").await.status, 200);
    let got = s.get(Some(&t), &format!("/v1/evidence/{}", info.sha256)).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.bytes, png);
    assert_eq!(got.content_type, "image/png");
    // The name says PNG, the content is a program: refused.
    upload(b"MZ\x90\0\x03\0\0\0\x04\0".to_vec(), "receipt.png")
        .await
        .expect_error(415, "unsupported_media_type");
    upload(b"<html><script>alert(1)</script>".to_vec(), "a.txt")
        .await
        .expect_error(415, "unsupported_media_type");
    upload(vec![b'a'; 5000], "big.txt").await.expect_error(413, "payload_too_large");
    upload(vec![b'a'; 200_000], "bigger.txt").await.expect_error(413, "payload_too_large");
    upload(Vec::new(), "empty").await.expect_error(400, "bad_request");
    s.get(Some(&t), "/v1/evidence/not-a-hash").await.expect_error(400, "bad_request");
    s.get(Some(&t), &format!("/v1/evidence/{}", "0".repeat(64))).await.expect_error(404, "not_found");
    s.get(None, &format!("/v1/evidence/{}", info.sha256)).await.expect_error(401, "unauthorized");
}

async fn openapi_describes_the_api(b: Backend) {
    let s = support::start(b).await;
    let doc = s.get(None, "/openapi.json").await;
    assert_eq!(doc.status, 200);
    for path in [
        "/v1/health",
        "/v1/me",
        "/v1/changes",
        "/v1/mutations",
        "/v1/claims",
        "/v1/evidence",
        "/v1/packs/{kind}/current",
        "/v1/ingest/reviews",
        "/v1/reviews/{id}",
        "/v1/statements/export",
        "/v1/complaints",
        "/v1/complaints/{id}/decide",
        "/v1/samples",
        "/v1/fairness",
        "/v1/calibration",
        "/v1/calibration/{id}",
    ] {
        assert!(doc.body["paths"][path].is_object(), "{path} missing");
    }
    // The settle body's pattern names exactly the labels the server accepts.
    let pattern = doc.body["components"]["schemas"]["SettleCalibration"]["properties"]["decision"]["pattern"]
        .as_str()
        .unwrap()
        .to_owned();
    for reason in trustdesk_domain::RejectionReason::ALL {
        let label = format!("reject:{}", reason.code());
        assert!(trustdesk_domain::fairness::is_outcome_label(&label));
        assert!(
            pattern.contains(&format!("|{}", reason.code()))
                || pattern.contains(&format!("({}", reason.code())),
            "{label} missing from {pattern}"
        );
    }
    // Texts the server refuses with NUL characters say so in their schema.
    let schemas = &doc.body["components"]["schemas"];
    for (schema, field) in [("NewComplaint", "text"), ("DecideComplaint", "reasons")] {
        let p = schemas[schema]["properties"][field]["pattern"].as_str().unwrap_or_default();
        assert!(p.contains("\\u0000"), "{schema}.{field}: {p}");
    }
    let alternatives = pattern.matches('|').count();
    assert_eq!(alternatives, 2 + trustdesk_domain::RejectionReason::ALL.len() - 1, "{pattern}");
    assert!(doc.body["components"]["schemas"]["MutationBatch"].is_object());
    for variant in doc.body["components"]["schemas"]["MutationOp"]["oneOf"].as_array().unwrap() {
        assert_eq!(variant["additionalProperties"], false, "{variant}");
    }
    assert_eq!(doc.body["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
}

async fn audit_and_dispute_mutations(b: Backend) {
    let s = support::start(b).await;
    s.seed(3, 0, 4, 8).await;
    let auditor = s.user(Role::Auditor).await;
    let mediator = s.user(Role::Mediator).await;
    let audit = s.ids_in_state("audit", "incomplete").await[0].clone();
    let m = json!({"id": uuid::Uuid::now_v7(), "base_version": 1,
        "op": {"type": "audit_item", "audit_id": audit, "criterion_id": "eu.withdrawal.online_function",
               "status": "fail", "note": "No withdrawal button in the account area."}});
    let r: MutationResponse = s.post(Some(&auditor), "/v1/mutations", &batch(vec![m])).await.json();
    assert_eq!(r.results[0].outcome, MutationOutcome::Applied { new_version: 2 });

    let dispute = s.ids_in_state("dispute", "communication").await[0].clone();
    let d = |v: i64, op: Value| json!({"id": uuid::Uuid::now_v7(), "base_version": v, "op": op});
    let r: MutationResponse = s
        .post(
            Some(&mediator),
            "/v1/mutations",
            &batch(vec![
                d(1, json!({"type": "dispute_message", "dispute_id": dispute, "author": "mediator", "body": "I will mediate."})),
                d(2, json!({"type": "dispute_escalate", "dispute_id": dispute})),
                d(3, json!({"type": "dispute_escalate", "dispute_id": dispute})),
                d(4, json!({"type": "dispute_decide", "dispute_id": dispute, "outcome": "consumer_prevails",
                    "reasoning": "The shop could not show delivery.", "remedy": "refund",
                    "remedy_amount": null})),
            ]),
        )
        .await
        .json();
    for (i, res) in r.results.iter().enumerate() {
        assert_eq!(res.outcome, MutationOutcome::Applied { new_version: i as i64 + 2 }, "{i}");
    }
    let changes = all_changes(&s, &mediator, 500).await;
    let last = changes.iter().rfind(|c| c.id == dispute).unwrap();
    match &last.entity {
        Some(Entity::Dispute(case)) => {
            assert_eq!(case.stage, trustdesk_domain::DisputeStage::Closed);
            let fee = case.decision.as_ref().unwrap().fee.as_ref().unwrap();
            assert_eq!(fee.amount.minor_units, 2500, "the losing shop pays the arbitration fee");
            assert!(case.messages.iter().any(|m| m.body == "I will mediate."));
        }
        other => panic!("{other:?}"),
    }
}

async fn feed_tail(s: &support::Server, token: &str, since: &str) -> (Vec<trustdesk_api::Change>, String) {
    let mut since = since.to_owned();
    let mut out = Vec::new();
    loop {
        let page: ChangesPage =
            s.get(Some(token), &format!("/v1/changes?since={since}&limit=7")).await.json();
        out.extend(page.items);
        since = page.next_cursor;
        if !page.has_more {
            return (out, since);
        }
    }
}

async fn deletions_travel_the_feed_in_order(b: Backend) {
    let s = support::start(b).await;
    s.seed(3, 60, 0, 0).await;
    let admin = s.user(Role::Admin).await;
    let moderator = s.user(Role::Moderator).await;
    let (_, start) = feed_tail(&s, &moderator, "0").await;
    let pending = s.ids_in_state("review", "pending").await;
    let (a, gone, c) = (&pending[0], &pending[1], &pending[2]);

    // Only an admin deletes; a malformed or unknown id names no review.
    s.delete(&moderator, &format!("/v1/reviews/{gone}")).await.expect_error(403, "forbidden");
    s.delete(&admin, "/v1/reviews/not-a-uuid").await.expect_error(404, "not_found");
    s.delete(&admin, &format!("/v1/reviews/{}", uuid::Uuid::now_v7())).await.expect_error(404, "not_found");

    // Upsert, delete, upsert: the feed keeps that order.
    let publish = |id: &str| batch(vec![review_decision(id, 1, json!({"action": "publish"}))]);
    s.post(Some(&moderator), "/v1/mutations", &publish(a)).await;
    assert_eq!(s.delete(&admin, &format!("/v1/reviews/{gone}")).await.status, 204);
    s.post(Some(&moderator), "/v1/mutations", &publish(c)).await;
    s.delete(&admin, &format!("/v1/reviews/{gone}")).await.expect_error(404, "not_found");

    let (tail, end) = feed_tail(&s, &moderator, &start).await;
    let seen: Vec<(&str, trustdesk_api::ChangeOp)> = tail.iter().map(|c| (c.id.as_str(), c.op)).collect();
    use trustdesk_api::ChangeOp::{Delete, Upsert};
    assert_eq!(seen, vec![(a.as_str(), Upsert), (gone.as_str(), Delete), (c.as_str(), Upsert)]);
    let deletion = &tail[1];
    assert_eq!((deletion.kind, deletion.version, deletion.entity.is_none()), (EntityKind::Review, 2, true));
    // Resuming right after the first change gives the rest, once.
    let (rest, _) = feed_tail(&s, &moderator, &tail[0].cursor).await;
    assert_eq!(
        rest.iter().map(|c| c.cursor.clone()).collect::<Vec<_>>(),
        vec![tail[1].cursor.clone(), tail[2].cursor.clone()]
    );
    // From the start the deletion replaces the review (the feed is compacted).
    let all = all_changes(&s, &moderator, 1000).await;
    let of_gone: Vec<_> = all.iter().filter(|c| c.id == *gone).collect();
    assert_eq!(of_gone.len(), 1);
    assert_eq!(of_gone[0].op, Delete);
    // Nothing new after the end.
    let (none, _) = feed_tail(&s, &moderator, &end).await;
    assert!(none.is_empty());

    // A deleted review can no longer be decided or claimed, and the trail says who deleted it.
    let r: MutationResponse = s
        .post(
            Some(&moderator),
            "/v1/mutations",
            &batch(vec![review_decision(gone, 2, json!({"action": "publish"}))]),
        )
        .await
        .json();
    assert_eq!(rejected_code(&r, 0), "not_found");
    let claim: Claim =
        s.post(Some(&moderator), "/v1/claims", &json!({"kind": "review", "limit": 1000})).await.json();
    assert!(!claim.ids.contains(gone));
    use sqlx::Row;
    let trail: i64 =
        sqlx::query("SELECT COUNT(*) FROM audit_trail WHERE action = 'review.delete' AND entity_id = $1")
            .bind(gone)
            .fetch_one(&s.db.read)
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
    assert_eq!(trail, 1);
}

fn new_review(shop: &str, text: &str) -> Value {
    json!({
        "shop_id": shop, "stars": 4, "text": text, "language": "de",
        "submitted_at": "2026-10-02T08:00:00Z", "order_reference": "ORD-1",
        "reviewer_reference": "cust-1", "source": "invitation"
    })
}

async fn ingestion_validates_scans_and_signals(b: Backend) {
    let s = support::start(b).await;
    s.seed(2, 10, 0, 0).await;
    let admin = s.user(Role::Admin).await;
    let moderator = s.user(Role::Moderator).await;
    let sid = s.arm_shop().await;
    use sqlx::Row;
    let (_, start) = feed_tail(&s, &moderator, "0").await;

    let mut items = Vec::new();
    for k in 0..3 {
        let mut r = new_review(&sid, &format!("Lieferung Nummer {k} kam pünktlich und gut verpackt an."));
        r["submitted_at"] = json!(format!("2026-10-02T08:{:02}:00Z", 10 * k));
        r["ip"] = json!("192.0.2.44");
        items.push(r);
    }
    items[1]["email"] = json!("someone@Throwaway-Mail.example");
    items[2]["text"] = json!("Der Fahrer ist ein Idiot.");
    items[2]["order_reference"] = json!("");
    let fixed_id = uuid::Uuid::now_v7().to_string();
    items[0]["id"] = json!(fixed_id);
    let mut unknown_shop = new_review(&uuid::Uuid::now_v7().to_string(), "Alles bestens, gerne wieder.");
    unknown_shop["reviewer_reference"] = json!("cust-2");
    items.push(unknown_shop);
    let mut future = new_review(&sid, "Sehr freundlich am Telefon.");
    future["submitted_at"] = json!("2999-01-01T00:00:00Z");
    items.push(future);
    let mut late_experience = new_review(&sid, "Sehr freundlich am Telefon.");
    late_experience["experience_date"] = json!("2026-10-03");
    items.push(late_experience);

    // Moderators may not ingest.
    s.post(Some(&moderator), "/v1/ingest/reviews", &json!({ "reviews": items }))
        .await
        .expect_error(403, "forbidden");
    let r = s.post(Some(&admin), "/v1/ingest/reviews", &json!({ "reviews": items })).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let answer: trustdesk_api::IngestResponse = r.json();
    use trustdesk_api::IngestOutcome as O;
    use trustdesk_domain::review::FakeSignal;
    let outcomes: Vec<&O> = answer.results.iter().map(|r| &r.outcome).collect();
    assert_eq!(answer.results.iter().map(|r| r.index).collect::<Vec<_>>(), vec![0, 1, 2, 3, 4, 5]);
    assert_eq!(answer.results[0].id.as_deref(), Some(fixed_id.as_str()));
    let signals = |i: usize| match outcomes[i] {
        O::Created { fake_signals, .. } => fake_signals.clone(),
        other => panic!("{other:?}"),
    };
    let ids: Vec<trustdesk_domain::ReviewId> =
        (0..3).map(|i| answer.results[i].id.as_ref().unwrap().parse().unwrap()).collect();
    let burst = FakeSignal::SameIpBurst {
        reviews: 3,
        window_minutes: 60,
        ip: "192.0.2.44".into(),
        review_ids: ids.clone(),
    };
    assert_eq!(signals(0), vec![burst.clone()]);
    assert_eq!(
        signals(1),
        vec![burst.clone(), FakeSignal::DisposableEmail { domain: "throwaway-mail.example".into() }]
    );
    assert_eq!(signals(2), vec![burst.clone(), FakeSignal::NoConfirmedPurchase]);
    match outcomes[2] {
        O::Created { categories, .. } => assert_eq!(categories, &vec![trustdesk_domain::ArmCategory::Insult]),
        other => panic!("{other:?}"),
    }
    assert!(matches!(outcomes[3], O::Rejected { code, .. } if code == "not_found"));
    assert!(
        matches!(outcomes[4], O::Rejected { code, message } if code == "invalid" && message.contains("future"))
    );
    assert!(matches!(outcomes[5], O::Rejected { code, .. } if code == "invalid"));

    // Stored with their signals, in the feed, claimable by category.
    let (tail, _) = feed_tail(&s, &moderator, &start).await;
    assert_eq!(tail.len(), 3);
    match &tail[0].entity {
        Some(Entity::Review(r)) => {
            assert_eq!(r.flags.fake_signals, vec![burst]);
            assert_eq!(r.status, trustdesk_domain::ReviewStatus::Pending);
        }
        other => panic!("{other:?}"),
    }
    let claim: Claim = s
        .post(
            Some(&admin),
            "/v1/claims",
            &json!({"kind": "review", "limit": 10, "filter": {"category": "insult"}}),
        )
        .await
        .json();
    assert!(claim.ids.contains(&ids[2].to_string()), "{claim:?}");
    assert!(!claim.ids.contains(&ids[0].to_string()) && !claim.ids.contains(&ids[1].to_string()));

    // Resending the batch: the one with a fixed id is a duplicate, nothing is stored twice.
    let again: trustdesk_api::IngestResponse =
        s.post(Some(&admin), "/v1/ingest/reviews", &json!({ "reviews": [items[0].clone()] })).await.json();
    assert_eq!(again.results[0].outcome, O::Duplicate);
    let count: i64 = sqlx::query("SELECT COUNT(*) FROM entities WHERE kind = 'review' AND id = $1")
        .bind(&fixed_id)
        .fetch_one(&s.db.read)
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(count, 1);

    // A day far above the shop's usual rate, measured against what is stored.
    let day: Vec<Value> = (0..12)
        .map(|k| {
            let mut r = new_review(&sid, &format!("Bewertung {k}: alles in Ordnung, danke schön."));
            r["submitted_at"] = json!(format!("2026-10-20T{:02}:00:00Z", k + 6));
            r["reviewer_reference"] = json!(format!("cust-burst-{k}"));
            r
        })
        .collect();
    let answer: trustdesk_api::IngestResponse =
        s.post(Some(&admin), "/v1/ingest/reviews", &json!({ "reviews": day })).await.json();
    for r in &answer.results {
        match &r.outcome {
            O::Created { fake_signals, .. } => assert!(
                fake_signals.iter().any(|f| matches!(f, FakeSignal::DailyRateBurst { reviews: 12, .. })),
                "{fake_signals:?}"
            ),
            other => panic!("{other:?}"),
        }
    }
}

async fn ingestion_refuses_malformed_items(b: Backend) {
    let s = support::start_with(b, |mut c| {
        c.max_body_bytes = 256 * 1024;
        c
    })
    .await;
    s.seed(1, 0, 0, 0).await;
    let admin = s.user(Role::Admin).await;
    let sid = uuid::Uuid::now_v7().to_string();
    let good = new_review(&sid, "Gut.");
    let mut bad = Vec::new();
    let mut long = good.clone();
    long["text"] = json!("x".repeat(10_001));
    bad.push(long);
    let mut v = good.clone();
    v["stars"] = json!(6);
    v["language"] = json!("deu");
    bad.push(v);
    let mut v = good.clone();
    v["submitted_at"] = json!("yesterday");
    v["experience_date"] = json!("2026-13-01");
    v["shop_id"] = json!("shop-1");
    bad.push(v);
    let mut v = good.clone();
    v["id"] = json!(uuid::Uuid::new_v4().to_string());
    v["email"] = json!("no-at-sign");
    v["ip"] = json!("not an ip");
    v["reviewer_reference"] = json!("");
    v["text"] = json!("");
    bad.push(v);
    bad.push(good.clone());
    let r = s.post(Some(&admin), "/v1/ingest/reviews", &json!({ "reviews": bad })).await;
    r.expect_error(422, "invalid");
    let errors: Vec<(u64, String)> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["index"].as_u64().unwrap(), e["field"].as_str().unwrap().to_owned()))
        .collect();
    let want: Vec<(u64, String)> = [
        (0, "text"),
        (1, "stars"),
        (1, "language"),
        (2, "shop_id"),
        (2, "submitted_at"),
        (2, "experience_date"),
        (3, "id"),
        (3, "text"),
        (3, "reviewer_reference"),
        (3, "ip"),
        (3, "email"),
    ]
    .iter()
    .map(|(i, f)| (*i, f.to_string()))
    .collect();
    assert_eq!(errors, want, "{}", r.body);
    use sqlx::Row;
    let stored: i64 = sqlx::query("SELECT COUNT(*) FROM entities WHERE kind = 'review'")
        .fetch_one(&s.db.read)
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(stored, 0, "a malformed batch stores nothing");

    // Shapes serde refuses: wrong types, unknown fields, unknown enum values; and limits.
    let post =
        |body: Value| s.post_raw(Some(&admin), "/v1/ingest/reviews", serde_json::to_vec(&body).unwrap());
    let mut v = good.clone();
    v["stars"] = json!("four");
    post(json!({ "reviews": [v] })).await.expect_error(400, "bad_request");
    let mut v = good.clone();
    v["mood"] = json!("happy");
    post(json!({ "reviews": [v] })).await.expect_error(400, "bad_request");
    let mut v = good.clone();
    v["source"] = json!("carrier_pigeon");
    post(json!({ "reviews": [v] })).await.expect_error(400, "bad_request");
    post(json!({ "reviews": {} })).await.expect_error(400, "bad_request");
    post(json!({ "reviews": vec![good.clone(); 501] })).await.expect_error(400, "bad_request");
    let mut huge = good.clone();
    huge["text"] = json!("x".repeat(300 * 1024));
    post(json!({ "reviews": [huge] })).await.expect_error(413, "payload_too_large");
    s.post_raw(Some(&admin), "/v1/ingest/reviews", b"{\"reviews\": [\xff]}".to_vec())
        .await
        .expect_error(400, "bad_request");
    s.post(None, "/v1/ingest/reviews", &json!({ "reviews": [] })).await.expect_error(401, "unauthorized");
    let empty: trustdesk_api::IngestResponse = post(json!({ "reviews": [] })).await.json();
    assert!(empty.results.is_empty());
}

async fn mutations_on_one_entity_chain_within_a_batch(b: Backend) {
    let s = support::start(b).await;
    s.seed(1, 20, 0, 0).await;
    let t = s.user(Role::Moderator).await;
    let id = s.ids_in_state("review", "pending").await[0].clone();
    let deadline = (chrono::Utc::now() + chrono::Duration::days(14)).to_rfc3339();
    let mut ask = review_decision(&id, 1, json!({"action": "request_evidence", "deadline": deadline}));
    ask["op"]["message"] = json!("Please send the invoice.");
    let muts = vec![
        ask,
        // Still based on version 1: the first one moved it on.
        review_decision(&id, 1, json!({"action": "publish"})),
        review_decision(&id, 2, json!({"action": "publish"})),
    ];
    let r: MutationResponse = s.post(Some(&t), "/v1/mutations", &batch(muts)).await.json();
    assert_eq!(r.results[0].outcome, MutationOutcome::Applied { new_version: 2 });
    assert!(matches!(r.results[1].outcome, MutationOutcome::Conflict { current_version: 2, .. }));
    assert!(
        matches!(&r.results[2].outcome, MutationOutcome::Rejected { code, .. } if code == "illegal_transition")
    );
    assert_eq!(s.version_of("review", &id).await, 2);
    let tail = all_changes(&s, &t, 1000).await;
    let of_it: Vec<_> = tail.iter().filter(|c| c.id == id).collect();
    assert_eq!(of_it.len(), 1);
    match &of_it[0].entity {
        Some(Entity::Review(r)) => assert_eq!(r.status.state_name(), "evidence_requested"),
        other => panic!("{other:?}"),
    }
}

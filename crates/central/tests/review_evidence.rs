//! A reviewer's reply to an evidence request reaches the review: the files
//! (uploaded first, content-addressed) are recorded with it, the review moves
//! to "evidence received" by the domain's rule, the feed carries it, and the
//! same reply sent again is answered the same way.

mod support;

use chrono::{Duration, Utc};
use serde_json::json;
use support::{batch, review_decision, Backend, Server};
use trustdesk_api::{Entity, EvidenceRecorded, Role};

on_both_backends!(evidence_replies_are_recorded_once_by_the_rules);

async fn upload(s: &Server, token: &str, bytes: &[u8]) -> String {
    let r =
        s.send(s.http.post(format!("{}/v1/evidence", s.base)).bearer_auth(token).body(bytes.to_vec())).await;
    assert!(r.status == 201 || r.status == 200, "{}", r.body);
    r.body["sha256"].as_str().unwrap().to_owned()
}

/// Asks for evidence on a pending review (deadline `days` ahead) and returns its id.
async fn requested(s: &Server, moderator: &str, index: usize, days: i64) -> String {
    let id = s.ids_in_state("review", "pending").await[index].clone();
    let deadline = (Utc::now() + Duration::days(days)).to_rfc3339();
    let mut ask = review_decision(
        &id,
        s.version_of("review", &id).await,
        json!({"action": "request_evidence", "deadline": deadline}),
    );
    ask["op"]["message"] = json!("Please send the order confirmation.");
    let r = s.post(Some(moderator), "/v1/mutations", &batch(vec![ask])).await;
    assert_eq!(r.body["results"][0]["result"], "applied", "{}", r.body);
    id
}

async fn evidence_replies_are_recorded_once_by_the_rules(b: Backend) {
    let s = support::start(b).await;
    s.seed(1, 12, 0, 0).await;
    let admin = s.user(Role::Admin).await;
    let moderator = s.user(Role::Moderator).await;
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(b"\0\0\0\rIHDR-evidence");
    let png = upload(&s, &admin, &png).await;
    let pdf = upload(&s, &admin, b"%PDF-1.4\n% order confirmation\n").await;
    let id = requested(&s, &moderator, 0, 14).await;
    let before = s.version_of("review", &id).await;
    let path = format!("/v1/reviews/{id}/evidence");
    let reply = json!({"files": [
        {"sha256": png, "name": "<img src=x onerror=alert(1)>.png"},
        {"sha256": pdf, "name": "Bestellbestätigung.pdf"},
    ]});

    // Who may send it, and what must be in it.
    s.post(Some(&moderator), &path, &reply).await.expect_error(403, "forbidden");
    s.post(None, &path, &reply).await.expect_error(401, "unauthorized");
    s.post(Some(&admin), &path, &json!({"files": []})).await.expect_error(400, "bad_request");
    let never_uploaded = json!({"files": [{"sha256": "ab".repeat(32), "name": "x.png"}]});
    let r = s.post(Some(&admin), &path, &never_uploaded).await;
    r.expect_error(400, "bad_request");
    assert!(r.body["message"].as_str().unwrap().contains("POST /v1/evidence"));
    let control = json!({"files": [{"sha256": png, "name": "a\u{0}b.png"}]});
    s.post(Some(&admin), &path, &control).await.expect_error(400, "bad_request");
    s.post(Some(&admin), "/v1/reviews/not-a-uuid/evidence", &reply).await.expect_error(404, "not_found");
    let unknown = format!("/v1/reviews/{}/evidence", uuid::Uuid::now_v7());
    s.post(Some(&admin), &unknown, &reply).await.expect_error(404, "not_found");
    // A review nobody asked evidence for cannot receive any.
    let pending = s.ids_in_state("review", "pending").await[0].clone();
    s.post(Some(&admin), &format!("/v1/reviews/{pending}/evidence"), &reply)
        .await
        .expect_error(409, "illegal_transition");
    assert_eq!(s.version_of("review", &id).await, before, "nothing refused changed the review");

    let r = s.post(Some(&admin), &path, &reply).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let recorded: EvidenceRecorded = r.json();
    assert_eq!((recorded.version, recorded.files), (before + 1, 2));
    // Sent again after a lost answer: the same answer, nothing added.
    let again: EvidenceRecorded = s.post(Some(&admin), &path, &reply).await.json();
    assert_eq!(again, recorded);
    // The feed carries the review with its files, in the order sent.
    let page: trustdesk_api::ChangesPage = s.get(Some(&moderator), "/v1/changes?limit=5000").await.json();
    let review = page
        .items
        .iter()
        .find_map(|c| match &c.entity {
            Some(Entity::Review(r)) if r.id.to_string() == id => Some(r.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(review.status.state_name(), "evidence_received");
    assert_eq!(review.version, before + 1);
    let files: Vec<(&str, &str)> =
        review.flags.evidence_files.iter().map(|f| (f.sha256.as_str(), f.name.as_str())).collect();
    assert_eq!(
        files,
        vec![(png.as_str(), "<img src=x onerror=alert(1)>.png"), (pdf.as_str(), "Bestellbestätigung.pdf")]
    );
    // A different reply to a review that already received evidence is refused.
    let other = json!({"files": [{"sha256": pdf, "name": "another.pdf"}]});
    s.post(Some(&admin), &path, &other).await.expect_error(409, "illegal_transition");
}

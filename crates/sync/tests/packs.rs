//! Data packs reach the workstation: fetched when the server's version differs
//! (an ETag otherwise), checked, kept locally, and used for the statements the
//! workstation builds and the checklist it shows; the built-in ones before that.

use chrono::Utc;
use trustdesk_api::Role;
use trustdesk_central::seed::SeedOptions;
use trustdesk_domain::decision::Grounds;
use trustdesk_domain::{RejectionReason, ReviewAction};
use trustdesk_store::{NewDecision, ReviewQuery};
use trustdesk_sync::workstation;

mod support;
use support::{server_with, station};

const STATEMENTS: &str = include_str!("../../domain/data/statements/statements.toml");
const CHECKLIST: &str = include_str!("../../domain/data/checklists/code-of-conduct.toml");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packs_published_on_the_server_replace_the_built_in_ones() {
    let srv = server_with(SeedOptions { shops: 2, reviews: 10, audits: 0, disputes: 0, seed: 3 }).await;
    let (_d, store, client) = station(&srv, "Nina", Role::Moderator).await;
    assert_eq!(client.fetch_packs(&store).await.unwrap(), 0, "none published");
    let shipped = workstation::statement_templates(&store).await.unwrap();
    assert_eq!(shipped.version(), "2026-11.1");
    assert_eq!(workstation::checklist_template(&store).await.unwrap().version(), 1);

    let admin = trustdesk_central::auth::add_user(&srv.db, "Ada", Role::Admin).await.unwrap();
    let http = reqwest::Client::new();
    for (kind, source) in [
        (
            "statement_templates",
            STATEMENTS.replacen("version = \"2026-11.1\"", "version = \"2027-03.1\"", 1).replacen(
                "Your options: {redress}",
                "Your options (from the server): {redress}",
                1,
            ),
        ),
        ("checklist", CHECKLIST.replacen("version = 1", "version = 4", 1)),
    ] {
        let r = http
            .post(format!("{}/v1/packs/{kind}", srv.base))
            .bearer_auth(&admin)
            .json(&serde_json::json!({ "source": source }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }

    assert_eq!(client.fetch_packs(&store).await.unwrap(), 2);
    assert_eq!(store.pack_version("statement_templates").await.unwrap().as_deref(), Some("2027-03.1"));
    assert_eq!(client.fetch_packs(&store).await.unwrap(), 0, "unchanged: nothing fetched again");
    let templates = workstation::statement_templates(&store).await.unwrap();
    assert_eq!(templates.version(), "2027-03.1");
    assert_eq!(workstation::checklist_template(&store).await.unwrap().version(), 4);

    // A decision with a note to the reviewer: its statement is built here with
    // the templates in force and reaches the server as built.
    client.pull(&store).await.unwrap();
    let q = ReviewQuery { state: Some("pending".into()), limit: 10, ..Default::default() };
    let review = store.list_reviews(&q, Utc::now()).await.unwrap().items.remove(0).review;
    let preview = workstation::preview_statement(
        &store.get_review(review.id).await.unwrap(),
        ReviewAction::Reject { reason: RejectionReason::SpamDuplicate },
        Some("Posted twice."),
        None,
        "Nina",
        &templates,
    )
    .unwrap()
    .unwrap();
    assert!(preview.contains("Posted twice."));
    let decision = store
        .record_decision(
            NewDecision {
                review_id: review.id,
                action: ReviewAction::Reject { reason: RejectionReason::SpamDuplicate },
                grounds: Grounds::default(),
                decided_by: "Nina".into(),
                message: Some("Posted twice.".into()),
            },
            Utc::now(),
        )
        .await
        .unwrap();
    let (pushed, _) = client.sync(&store).await.unwrap();
    assert_eq!(pushed.applied, 1);
    let (statement,): (String,) = sqlx::query_as("SELECT statement FROM statements WHERE decision_id = $1")
        .bind(decision.id.to_string())
        .fetch_one(&srv.db.read)
        .await
        .unwrap();
    let statement: serde_json::Value = serde_json::from_str(&statement).unwrap();
    assert_eq!(statement["template_version"], "2027-03.1");
    assert_eq!(statement["free_text"], "Posted twice.");
}

/// The built-in rule packs as a bundle, with one German insult added.
fn rule_bundle(version: &str) -> String {
    let sources: Vec<(String, String)> = trustdesk_filters::RulePacks::builtin_sources()
        .iter()
        .map(|(n, t)| {
            let mut t = t.to_string();
            if *n == "de/insult.toml" {
                t.push_str("\n[[rule]]\nid = \"de.insult.9001\"\ndescription = \"Added centrally\"\nwords = [\"quarkfink\"]\n");
            }
            (n.to_string(), t)
        })
        .collect();
    trustdesk_filters::RulePacks::bundle(version, sources.iter().map(|(n, t)| (n.as_str(), t.as_str())))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rule_packs_published_on_the_server_rescan_the_local_queue() {
    let srv = server_with(SeedOptions { shops: 2, reviews: 20, audits: 0, disputes: 0, seed: 5 }).await;
    let (_d, store, client) = station(&srv, "Nina", Role::Moderator).await;
    let admin = trustdesk_central::auth::add_user(&srv.db, "Ada", Role::Admin).await.unwrap();
    let http = reqwest::Client::new();

    // An ARM shop of the general industry, with a review the built-in packs pass.
    let shop = trustdesk_central::seed::general_arm_shop(&srv.db).await.unwrap();
    let r = http
        .post(format!("{}/v1/ingest/reviews", srv.base))
        .bearer_auth(&admin)
        .json(&serde_json::json!({"reviews": [{
            "shop_id": shop.to_string(), "stars": 2, "text": "Der Verkäufer ist ein Quarkfink.",
            "language": "de", "submitted_at": "2026-10-02T08:00:00Z", "order_reference": "ORD-9",
            "reviewer_reference": "cust-9", "source": "invitation"
        }]}))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = r.json().await.unwrap();
    let id: trustdesk_domain::ReviewId = body["results"][0]["id"].as_str().unwrap().parse().unwrap();

    let first = workstation::sync_once(&store, &client).await.unwrap();
    let total = store.review_count().await.unwrap() as usize;
    assert_eq!(first.scanned, total);
    let builtin = trustdesk_store::scan::rules_version(&store).await.unwrap();
    assert!(builtin.starts_with("packs-"), "{builtin}");
    let view = store.get_review(id).await.unwrap();
    assert_eq!(view.rule_pack_version.as_deref(), Some(builtin.as_str()));
    assert!(view.hits.is_empty(), "{:?}", view.hits);
    assert_eq!(workstation::sync_once(&store, &client).await.unwrap().scanned, 0, "nothing new to scan");

    let r = http
        .post(format!("{}/v1/packs/arm_rules", srv.base))
        .bearer_auth(&admin)
        .json(&serde_json::json!({ "source": rule_bundle("2027.2") }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());

    // The next sync brings the set; every review is scanned again with it.
    let second = workstation::sync_once(&store, &client).await.unwrap();
    assert_eq!(second.scanned, total);
    assert_eq!(trustdesk_store::scan::rules_version(&store).await.unwrap(), "2027.2");
    let view = store.get_review(id).await.unwrap();
    assert_eq!(view.rule_pack_version.as_deref(), Some("2027.2"));
    let rules: Vec<(&str, &str)> = view.hits.iter().map(|h| (h.rule.as_str(), h.text.as_str())).collect();
    assert_eq!(rules, vec![("de.insult.9001", "Quarkfink")]);
    assert_eq!(workstation::sync_once(&store, &client).await.unwrap().scanned, 0);
}

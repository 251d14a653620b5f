//! Data packs (statement templates, the checklist): published by an admin after
//! their check, handed out with an ETag, and used for the statements the server
//! builds, while a statement made with an older version is still accepted.

mod support;

use serde_json::{json, Value};
use sqlx::Row;
use support::{batch, Backend, Server};
use trustdesk_api::Role;

on_both_backends!(
    packs_are_checked_published_and_served,
    statements_use_the_templates_in_force,
    published_rule_packs_are_compiled_first_and_scan_ingestion
);

const STATEMENTS: &str = include_str!("../../domain/data/statements/statements.toml");
const CHECKLIST: &str = include_str!("../../domain/data/checklists/code-of-conduct.toml");

/// The shipped statement templates as version `version`, with `marker` in the
/// English redress line.
fn templates(version: &str, marker: &str) -> String {
    let s = STATEMENTS.replacen("version = \"2026-11.1\"", &format!("version = \"{version}\""), 1);
    assert_ne!(s, STATEMENTS, "the shipped version line moved");
    s.replacen("Your options: {redress}", &format!("Your options ({marker}): {{redress}}"), 1)
}

async fn publish(s: &Server, token: &str, kind: &str, source: &str) -> support::Resp {
    s.post(Some(token), &format!("/v1/packs/{kind}"), &json!({ "source": source })).await
}

async fn packs_are_checked_published_and_served(b: Backend) {
    let s = support::start(b).await;
    let admin = s.user(Role::Admin).await;
    let moderator = s.user(Role::Moderator).await;
    for kind in ["statement_templates", "checklist"] {
        s.get(Some(&moderator), &format!("/v1/packs/{kind}/current")).await.expect_error(404, "not_found");
    }
    s.get(Some(&moderator), "/v1/packs/rules/current").await.expect_error(404, "not_found");
    assert_eq!(s.get(Some(&moderator), "/v1/packs").await.body, json!([]));
    s.get(None, "/v1/packs").await.expect_error(401, "unauthorized");
    s.get(None, "/v1/packs/checklist/current").await.expect_error(401, "unauthorized");
    publish(&s, &moderator, "statement_templates", &templates("2027-01.1", "m"))
        .await
        .expect_error(403, "forbidden");

    // Refused before anything is stored: an unknown placeholder, a missing text.
    let r = publish(&s, &admin, "statement_templates", &templates("2027-01.1", "{reviewer_email}")).await;
    r.expect_error(400, "bad_request");
    assert!(r.body["message"].as_str().unwrap().contains("reviewer_email"), "{}", r.body);
    let no_dutch = templates("2027-01.1", "m").replacen(
        "languages = [\"en\", \"de\", \"nl\"]",
        "languages = [\"en\", \"de\", \"nl\", \"fr\"]",
        1,
    );
    publish(&s, &admin, "statement_templates", &no_dutch).await.expect_error(400, "bad_request");
    publish(&s, &admin, "checklist", "not = [toml").await.expect_error(400, "bad_request");
    s.get(Some(&moderator), "/v1/packs/statement_templates/current").await.expect_error(404, "not_found");

    let r = publish(&s, &admin, "statement_templates", &templates("2027-01.1", "m")).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["version"], "2027-01.1");
    publish(&s, &admin, "statement_templates", &templates("2027-01.1", "other"))
        .await
        .expect_error(409, "version_exists");
    let r = publish(&s, &admin, "statement_templates", &templates("2027-02.1", "second")).await;
    assert_eq!(r.status, 201, "{}", r.body);

    // The newest is in force, with its version as the ETag.
    let url = format!("{}/v1/packs/statement_templates/current", s.base);
    let resp = s.http.get(&url).bearer_auth(&moderator).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["etag"], "\"2027-02.1\"");
    let pack: Value = resp.json().await.unwrap();
    assert_eq!(pack["version"], "2027-02.1");
    assert!(pack["source"].as_str().unwrap().contains("(second)"));
    let same = s
        .http
        .get(&url)
        .bearer_auth(&moderator)
        .header("if-none-match", "\"2027-02.1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(same.status(), 304);
    let older = s
        .http
        .get(&url)
        .bearer_auth(&moderator)
        .header("if-none-match", "\"2027-01.1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(older.status(), 200);

    // The checklist: the shipped one under a new version.
    let checklist = CHECKLIST.replacen("version = 1", "version = 2", 1);
    assert_ne!(checklist, CHECKLIST);
    let r = publish(&s, &admin, "checklist", &checklist).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["version"], "2");
    let r = s.get(Some(&moderator), "/v1/packs/checklist/current").await;
    assert_eq!(r.body["version"], "2");
    // One request names the version in force of every kind published.
    assert_eq!(
        s.get(Some(&moderator), "/v1/packs").await.body,
        json!([{"kind": "checklist", "version": "2"}, {"kind": "statement_templates", "version": "2027-02.1"}])
    );
}

async fn stored(s: &Server, decision: &str) -> (String, Value) {
    let row = sqlx::query("SELECT rendered, statement FROM statements WHERE decision_id = $1")
        .bind(decision)
        .fetch_one(&s.db.read)
        .await
        .unwrap();
    (row.try_get(0).unwrap(), serde_json::from_str(&row.try_get::<String, _>(1).unwrap()).unwrap())
}

async fn statements_use_the_templates_in_force(b: Backend) {
    let s = support::start(b).await;
    s.seed(2, 12, 0, 0).await;
    let admin = s.user(Role::Admin).await;
    let moderator = s.user(Role::Moderator).await;
    let pending = s.ids_in_state("review", "pending").await;
    let reject =
        |id: &str| support::review_decision(id, 1, json!({"action": "reject", "reason": "spam_duplicate"}));

    // Before any publication: the built-in templates.
    let m = reject(&pending[0]);
    let r = s.post(Some(&moderator), "/v1/mutations", &batch(vec![m.clone()])).await;
    assert_eq!(r.body["results"][0]["result"], "applied", "{}", r.body);
    let (_, st) = stored(&s, m["id"].as_str().unwrap()).await;
    let shipped = st["template_version"].as_str().unwrap().to_owned();
    assert_eq!(shipped, "2026-11.1");

    assert_eq!(
        publish(&s, &admin, "statement_templates", &templates("2027-01.1", "in force")).await.status,
        201
    );
    let m = reject(&pending[1]);
    let r = s.post(Some(&moderator), "/v1/mutations", &batch(vec![m.clone()])).await;
    assert_eq!(r.body["results"][0]["result"], "applied", "{}", r.body);
    let (rendered, st) = stored(&s, m["id"].as_str().unwrap()).await;
    assert_eq!(st["template_version"], "2027-01.1");
    // A review in another language falls back to English; either way the new texts are used.
    let lang = st["language"].as_str().unwrap();
    if lang == "en" {
        assert!(rendered.contains("(in force)"), "{rendered}");
    }

    // A statement made offline with the old version is still taken, as made.
    let mut m = reject(&pending[2]);
    let mut sent = st.clone();
    sent["decision_id"] = m["id"].clone();
    sent["review_id"] = json!(pending[2]);
    sent["template_version"] = json!(shipped);
    sent["free_text"] = json!("Made offline.");
    m["op"]["statement"] = sent.clone();
    let r = s.post(Some(&moderator), "/v1/mutations", &batch(vec![m.clone()])).await;
    assert_eq!(r.body["results"][0]["result"], "applied", "{}", r.body);
    let (_, st) = stored(&s, m["id"].as_str().unwrap()).await;
    assert_eq!(st["template_version"], shipped.as_str());
    // One this server never had is refused, naming it.
    let mut m = reject(&pending[3]);
    sent["decision_id"] = m["id"].clone();
    sent["review_id"] = json!(pending[3]);
    sent["template_version"] = json!("1999-01.1");
    m["op"]["statement"] = sent;
    let r = s.post(Some(&moderator), "/v1/mutations", &batch(vec![m])).await;
    assert_eq!(r.body["results"][0]["code"], "statement_invalid", "{}", r.body);
    assert!(r.body["results"][0]["message"].as_str().unwrap().contains("1999-01.1"));
}

/// The built-in rule packs as a bundle of set version `version`, with
/// `extra_word` added to the German insult lexicon (as a new pack version).
pub fn rule_bundle(version: &str, extra_word: &str) -> String {
    let extra = format!(
        "\n[[rule]]\nid = \"de.insult.9001\"\ndescription = \"Added centrally\"\nwords = [\"{extra_word}\"]\n"
    );
    let sources: Vec<(String, String)> = trustdesk_filters::RulePacks::builtin_sources()
        .iter()
        .map(|(n, t)| {
            let t = if *n == "de/insult.toml" { format!("{t}{extra}") } else { t.to_string() };
            (n.to_string(), t)
        })
        .collect();
    trustdesk_filters::RulePacks::bundle(version, sources.iter().map(|(n, t)| (n.as_str(), t.as_str())))
        .unwrap()
}

async fn published_rule_packs_are_compiled_first_and_scan_ingestion(b: Backend) {
    let s = support::start(b).await;
    s.seed(1, 2, 0, 0).await;
    let admin = s.user(Role::Admin).await;
    let moderator = s.user(Role::Moderator).await;
    let shop = s.arm_shop().await;
    s.get(Some(&moderator), "/v1/packs/arm_rules/current").await.expect_error(404, "not_found");

    // A pattern that does not compile is refused, naming the pack and the rule.
    let broken = rule_bundle("2027.1", "x").replace("words = [\"x\"]", "pattern = \"(unclosed\"");
    let r = publish(&s, &admin, "arm_rules", &broken).await;
    r.expect_error(400, "bad_request");
    let msg = r.body["message"].as_str().unwrap();
    assert!(msg.contains("de/insult.toml") && msg.contains("de.insult.9001"), "{msg}");
    publish(&s, &moderator, "arm_rules", &rule_bundle("2027.1", "quarkfink"))
        .await
        .expect_error(403, "forbidden");

    let ingest = |text: &str| {
        json!({"reviews": [{
            "shop_id": shop, "stars": 2, "text": text, "language": "de",
            "submitted_at": "2026-10-02T08:00:00Z", "order_reference": "ORD-9",
            "reviewer_reference": "cust-9", "source": "invitation"
        }]})
    };
    let categories = |r: &support::Resp| r.body["results"][0]["categories"].clone();
    // Before publication the built-in packs do not know the word.
    let r = s.post(Some(&admin), "/v1/ingest/reviews", &ingest("Der Verkäufer ist ein Quarkfink.")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(categories(&r), json!([]), "{}", r.body);

    let r = publish(&s, &admin, "arm_rules", &rule_bundle("2027.1", "quarkfink")).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["version"], "2027.1");
    let served = s.get(Some(&moderator), "/v1/packs/arm_rules/current").await;
    assert_eq!(served.body["version"], "2027.1");
    let (version, _) =
        trustdesk_filters::RulePacks::from_bundle(served.body["source"].as_str().unwrap()).unwrap();
    assert_eq!(version, "2027.1");

    // Ingestion now scans with the published set.
    let r = s.post(Some(&admin), "/v1/ingest/reviews", &ingest("Der Verkäufer ist ein Quarkfink.")).await;
    assert_eq!(categories(&r), json!(["insult"]), "{}", r.body);

    // So do the statements of review decisions: a rejection points at the passage.
    let id = r.body["results"][0]["id"].as_str().unwrap().to_owned();
    let m = support::review_decision(&id, 1, json!({"action": "reject", "reason": "insult"}));
    let r = s.post(Some(&moderator), "/v1/mutations", &batch(vec![m.clone()])).await;
    assert_eq!(r.body["results"][0]["result"], "applied", "{}", r.body);
    let (_, st) = stored(&s, m["id"].as_str().unwrap()).await;
    let rules: Vec<&str> =
        st["facts"]["passages"].as_array().unwrap().iter().map(|p| p["rule"].as_str().unwrap()).collect();
    assert_eq!(rules, vec!["de.insult.9001"], "{st}");
}

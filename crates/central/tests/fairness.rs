//! Measured fairness over HTTP, on SQLite and PostgreSQL: blind second
//! opinions, the calibration queue, agreement against an independent
//! computation, the bias guard and the per-shop removal check.

mod support;

use std::collections::HashMap;

use chrono::{Duration, Utc};
use serde_json::{json, Value};
use sqlx::Row;
use support::{batch, Backend, Server};
use trustdesk_api::fairness::{BiasState, CalibrationItem, FairnessReport, SamplesPage};
use trustdesk_api::{MutationOutcome, MutationResponse, Role};
use trustdesk_central::auth;

on_both_backends!(
    second_opinions_are_blind_and_never_change_the_review,
    agreement_matches_an_independent_computation,
    the_bias_guard_finds_a_planted_bias_and_flags_the_shop,
    seeded_history_feeds_every_figure,
);

/// A server that draws `share` of moderators' decisions for a second opinion.
async fn sampling(backend: Backend, share: f64) -> Server {
    support::start_with(backend, |mut c| {
        c.fairness.sample_share = share;
        c
    })
    .await
}

async fn user(s: &Server, name: &str, role: Role) -> String {
    auth::add_user(&s.db, name, role).await.unwrap()
}

/// Ingests one review per entry of `stars` for `shop`; returns their ids in order.
async fn ingest(s: &Server, admin: &str, shop: &str, stars: &[u8]) -> Vec<String> {
    let mut ids = Vec::new();
    for chunk in stars.chunks(400) {
        let reviews: Vec<Value> = chunk
            .iter()
            .enumerate()
            .map(|(i, st)| {
                json!({
                    "shop_id": shop, "stars": st, "language": if i % 3 == 0 { "de" } else { "en" },
                    "text": format!("Review number {} of {} about delivery and service, with {st} stars.",
                        ids.len() + i, shop),
                    "submitted_at": (Utc::now() - Duration::hours(2)).to_rfc3339(),
                    "order_reference": format!("ORD-{}-{i}", ids.len()),
                    "reviewer_reference": format!("cust-{}-{i}", ids.len()),
                    "source": "invitation"
                })
            })
            .collect();
        let r = s.post(Some(admin), "/v1/ingest/reviews", &json!({ "reviews": reviews })).await;
        assert_eq!(r.status, 200, "{}", r.body);
        for res in r.body["results"].as_array().unwrap() {
            ids.push(res["id"].as_str().unwrap().to_owned());
        }
    }
    ids
}

fn action(label: &str) -> Value {
    match label.strip_prefix("reject:") {
        Some(reason) => json!({"action": "reject", "reason": reason}),
        None => json!({"action": label}),
    }
}

fn decision(review: &str, base: i64, label: &str) -> Value {
    let mut op = json!({"type": "review_decision", "review_id": review, "action": action(label),
        "grounds": {"facts": "Checked against the rules.", "filter_rules": [], "rule_pack_version": null}});
    if label == "request_evidence" {
        op["action"] =
            json!({"action": "request_evidence", "deadline": (Utc::now() + Duration::days(14)).to_rfc3339()});
        op["message"] = json!("Please send your invoice.");
    }
    json!({"id": uuid::Uuid::now_v7().to_string(), "base_version": base, "op": op})
}

/// Decides each (id, label) at version 1 in one batch; every one must apply.
async fn decide_all(s: &Server, token: &str, items: &[(String, &str)]) {
    for chunk in items.chunks(500) {
        let ms: Vec<Value> = chunk.iter().map(|(id, l)| decision(id, 1, l)).collect();
        let r: MutationResponse = s.post(Some(token), "/v1/mutations", &batch(ms)).await.json();
        for res in &r.results {
            assert!(matches!(res.outcome, MutationOutcome::Applied { .. }), "{:?}", res.outcome);
        }
    }
}

async fn shop(s: &Server) -> String {
    s.seed(1, 0, 0, 0).await;
    s.ids_in_state("shop", "active").await.remove(0)
}

async fn second_opinions_are_blind_and_never_change_the_review(backend: Backend) {
    let s = sampling(backend, 1.0).await;
    let admin = user(&s, "Ada Admin", Role::Admin).await;
    let anna = user(&s, "Anna First", Role::Moderator).await;
    let ben = user(&s, "Ben Second", Role::Moderator).await;
    let cara = user(&s, "Cara Third", Role::Moderator).await;
    let shop = shop(&s).await;
    let ids = ingest(&s, &admin, &shop, &[2]).await;
    decide_all(&s, &anna, &[(ids[0].clone(), "publish")]).await;
    let review_version = s.version_of("review", &ids[0]).await;

    // Second opinions are given by moderators only.
    s.get(Some(&admin), "/v1/samples").await.expect_error(403, "forbidden");
    s.get(None, "/v1/samples").await.expect_error(401, "unauthorized");
    // The first decider never gets their own decision back.
    let own: SamplesPage = s.get(Some(&anna), "/v1/samples").await.json();
    assert!(own.reviews.is_empty());
    let r = s.get(Some(&ben), "/v1/samples").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let page: SamplesPage = r.json();
    assert_eq!(page.reviews.len(), 1);
    let sample = &page.reviews[0];
    assert_ne!(sample.id.to_string(), ids[0], "the sample has its own id");
    assert_eq!(sample.status, trustdesk_domain::ReviewStatus::Pending);
    assert_eq!(sample.version, 1);
    assert!(sample.text.contains("Review number 0"));
    // Blind: nothing of the first decision or its maker travels.
    let raw = r.body.to_string();
    for leak in ["Anna", "publish", "sample", &anna] {
        assert!(!raw.contains(leak), "{leak} in {raw}");
    }
    // Handed out once: the third moderator gets nothing, and cannot decide it.
    let other: SamplesPage = s.get(Some(&cara), "/v1/samples").await.json();
    assert!(other.reviews.is_empty());
    let sid = sample.id.to_string();
    let r: MutationResponse =
        s.post(Some(&cara), "/v1/mutations", &batch(vec![decision(&sid, 1, "publish")])).await.json();
    assert!(matches!(&r.results[0].outcome, MutationOutcome::Rejected { code, .. } if code == "not_found"));

    // Ben disagrees; the review itself does not move.
    decide_all(&s, &ben, &[(sid.clone(), "reject:insult")]).await;
    assert_eq!(s.version_of("review", &ids[0]).await, review_version);
    let state: String = sqlx::query("SELECT state FROM entities WHERE kind = 'review' AND id = $1")
        .bind(&ids[0])
        .fetch_one(&s.db.read)
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(state, "published");
    let again: SamplesPage = s.get(Some(&ben), "/v1/samples").await.json();
    assert!(again.reviews.is_empty());
    let r: MutationResponse =
        s.post(Some(&ben), "/v1/mutations", &batch(vec![decision(&sid, 1, "publish")])).await.json();
    assert!(
        matches!(&r.results[0].outcome, MutationOutcome::Rejected { code, .. } if code == "illegal_transition")
    );
    // Ben's second decision drew no sample of its own (it is not a first decision).
    let n: i64 =
        sqlx::query_scalar("SELECT count(*) FROM second_opinions").fetch_one(&s.db.read).await.unwrap();
    assert_eq!(n, 1);

    // The disagreement waits for an admin, with both decisions and who made them.
    s.get(Some(&ben), "/v1/calibration").await.expect_error(403, "forbidden");
    let queue: Vec<CalibrationItem> = s.get(Some(&admin), "/v1/calibration").await.json();
    assert_eq!(queue.len(), 1);
    let item = &queue[0];
    assert_eq!((item.first_decision.as_str(), item.first_by.as_str()), ("publish", "Anna First"));
    assert_eq!((item.second_decision.as_str(), item.second_by.as_str()), ("reject:insult", "Ben Second"));
    assert_eq!(item.review_id, ids[0]);
    assert_eq!(item.settled, None);
    s.post(Some(&admin), &format!("/v1/calibration/{sid}"), &json!({"decision": "<b>"}))
        .await
        .expect_error(400, "invalid");
    let settled: CalibrationItem =
        s.post(Some(&admin), &format!("/v1/calibration/{sid}"), &json!({"decision": "publish"})).await.json();
    assert_eq!(settled.settled.as_deref(), Some("publish"));
    assert_eq!(settled.settled_by.as_deref(), Some("Ada Admin"));
    s.post(
        Some(&admin),
        "/v1/calibration/0190b5b4-0000-7000-8000-000000000000",
        &json!({"decision": "publish"}),
    )
    .await
    .expect_error(404, "not_found");

    let report: FairnessReport = s.get(Some(&admin), "/v1/fairness").await.json();
    let a = report.agreement.unwrap();
    assert_eq!((a.team.samples, a.team.agreed), (1, 0));
    assert!(a.team.kappa.is_none() && a.team.note.is_some(), "one sample is too few: {:?}", a.team);
    assert_eq!(a.calibration_open, 0);
}

/// Kappa from a confusion table, written apart from the server's code.
fn independent_kappa(pairs: &[(&str, &str)]) -> (f64, f64) {
    let n = pairs.len() as f64;
    let mut table: HashMap<(&str, &str), f64> = HashMap::new();
    let mut rows: HashMap<&str, f64> = HashMap::new();
    let mut cols: HashMap<&str, f64> = HashMap::new();
    for (a, b) in pairs {
        *table.entry((a, b)).or_default() += 1.0;
        *rows.entry(a).or_default() += 1.0;
        *cols.entry(b).or_default() += 1.0;
    }
    let diagonal: f64 = rows.keys().map(|k| table.get(&(*k, *k)).copied().unwrap_or(0.0)).sum();
    let po = diagonal / n;
    let pe: f64 = rows.iter().map(|(k, r)| r * cols.get(k).copied().unwrap_or(0.0)).sum::<f64>() / (n * n);
    (po, (po - pe) / (1.0 - pe))
}

async fn agreement_matches_an_independent_computation(backend: Backend) {
    let s = sampling(backend, 1.0).await;
    let admin = user(&s, "Ada Admin", Role::Admin).await;
    let anna = user(&s, "Anna First", Role::Moderator).await;
    let ben = user(&s, "Ben Second", Role::Moderator).await;
    let shop = shop(&s).await;
    let labels = ["publish", "reject:insult", "reject:personal_data"];
    let n = 45;
    let ids = ingest(&s, &admin, &shop, &vec![3; n]).await;
    // Anna's decisions, and Ben's planned answers: agreeing on most, with a
    // known pattern of disagreements.
    let first: Vec<&str> = (0..n).map(|i| labels[i % 3]).collect();
    let second: Vec<&str> =
        (0..n).map(|i| if i % 4 == 0 { labels[(i + 1) % 3] } else { labels[i % 3] }).collect();
    let items: Vec<(String, &str)> = ids.iter().cloned().zip(first.iter().copied()).collect();
    decide_all(&s, &anna, &items).await;

    let page: SamplesPage = s.get(Some(&ben), "/v1/samples").await.json();
    assert_eq!(page.reviews.len(), n);
    // Samples carry the text; map each back to its review by the text's number.
    let number = |text: &str| -> usize {
        text.strip_prefix("Review number ").unwrap().split(' ').next().unwrap().parse().unwrap()
    };
    let answers: Vec<(String, &str)> =
        page.reviews.iter().map(|r| (r.id.to_string(), second[number(&r.text)])).collect();
    decide_all(&s, &ben, &answers).await;

    let pairs: Vec<(&str, &str)> = first.iter().copied().zip(second.iter().copied()).collect();
    let (po, kappa) = independent_kappa(&pairs);
    let report: FairnessReport = s.get(Some(&admin), "/v1/fairness").await.json();
    let a = report.agreement.unwrap();
    assert_eq!(a.team.samples as usize, n);
    assert!((a.team.raw_agreement.unwrap() - po).abs() < 1e-9, "{:?} vs {po}", a.team);
    assert!((a.team.kappa.unwrap() - kappa).abs() < 1e-9, "{:?} vs {kappa}", a.team);
    let (low, high) = (a.team.kappa_low.unwrap(), a.team.kappa_high.unwrap());
    assert!(low < kappa && kappa < high && high - low < 0.6, "{low}..{high}");
    // Both moderators took part in every pair.
    let names: Vec<&str> = a.moderators.iter().map(|m| m.label.as_str()).collect();
    assert_eq!(names, ["Anna First", "Ben Second"]);
    assert!(a.moderators.iter().all(|m| m.samples as usize == n));
    // Per language: 15 German samples are too few for a figure, 30 English are enough.
    let de = a.languages.iter().find(|l| l.label == "de").unwrap();
    assert_eq!(de.samples, 15);
    assert!(de.kappa.is_none() && de.note.as_deref().unwrap().contains("30"));
    let en = a.languages.iter().find(|l| l.label == "en").unwrap();
    let en_pairs: Vec<(&str, &str)> =
        pairs.iter().enumerate().filter(|(i, _)| i % 3 != 0).map(|(_, p)| *p).collect();
    assert!((en.kappa.unwrap() - independent_kappa(&en_pairs).1).abs() < 1e-9);
    // Per reason: samples are the pairs in which either side chose it.
    let insult = a.reasons.iter().find(|r| r.label == "reject:insult").unwrap();
    let involved = pairs.iter().filter(|(x, y)| *x == "reject:insult" || *y == "reject:insult").count();
    let both = pairs.iter().filter(|(x, y)| *x == "reject:insult" && *y == "reject:insult").count();
    assert_eq!((insult.samples as usize, insult.agreed as usize), (involved, both));
    let disagreements = pairs.iter().filter(|(x, y)| x != y).count() as u32;
    assert_eq!(a.calibration_open, disagreements);

    // A moderator sees the team and only their own row.
    let mine: FairnessReport = s.get(Some(&ben), "/v1/fairness").await.json();
    let ma = mine.agreement.unwrap();
    assert_eq!(ma.moderators.len(), 1);
    assert_eq!(ma.moderators[0].label, "Ben Second");
    assert!(mine.members.is_empty());
}

async fn the_bias_guard_finds_a_planted_bias_and_flags_the_shop(backend: Backend) {
    let s = sampling(backend, 0.0).await;
    let admin = user(&s, "Ada Admin", Role::Admin).await;
    let biased = user(&s, "Bea Biased", Role::Moderator).await;
    let fair = user(&s, "Fred Fair", Role::Moderator).await;
    let auditor = user(&s, "Otto Auditor", Role::Auditor).await;
    let mediator = user(&s, "Mia Mediator", Role::Mediator).await;
    s.seed(12, 0, 0, 0).await;
    // Two shops of one industry: the biased moderator works one, the fair one the other.
    let rows = sqlx::query("SELECT id, doc FROM entities WHERE kind = 'shop' ORDER BY id")
        .fetch_all(&s.db.read)
        .await
        .unwrap();
    let mut by_industry: HashMap<String, Vec<String>> = HashMap::new();
    for r in &rows {
        let shop: trustdesk_domain::Shop = serde_json::from_str(&r.try_get::<String, _>(1).unwrap()).unwrap();
        if let Some(i) = shop.industries.first() {
            by_industry.entry(format!("{i:?}")).or_default().push(r.try_get(0).unwrap());
        }
    }
    let pair = by_industry.values().find(|v| v.len() >= 2).expect("two shops share an industry");
    let (shop_b, shop_f) = (pair[0].clone(), pair[1].clone());

    // 60 negative and 60 positive reviews each. Bea removes 30 of the negative
    // and 3 of the positive ones; Fred 5 of each.
    let stars: Vec<u8> =
        (0..120).map(|i| if i < 60 { 1 + (i % 2) as u8 } else { 4 + (i % 2) as u8 }).collect();
    let b_ids = ingest(&s, &admin, &shop_b, &stars).await;
    let f_ids = ingest(&s, &admin, &shop_f, &stars).await;
    let plan = |ids: &[String], neg_removed: usize, pos_removed: usize| -> Vec<(String, &'static str)> {
        ids.iter()
            .enumerate()
            .map(|(i, id)| {
                let removed = if i < 60 { i < neg_removed } else { i - 60 < pos_removed };
                (id.clone(), if removed { "reject:spam_duplicate" } else { "publish" })
            })
            .collect()
    };
    decide_all(&s, &biased, &plan(&b_ids, 30, 3)).await;
    decide_all(&s, &fair, &plan(&f_ids, 5, 5)).await;

    let report: FairnessReport = s.get(Some(&admin), "/v1/fairness").await.json();
    let bias = report.bias.unwrap();
    assert_eq!((bias.alpha, bias.min_per_group, bias.window_days), (0.01, 50, 30));
    let bea = bias.moderators.iter().find(|m| m.label == "Bea Biased").unwrap();
    assert_eq!(bea.state, BiasState::Warning, "{bea:?}");
    assert_eq!(
        (bea.negative_decided, bea.negative_removed, bea.positive_decided, bea.positive_removed),
        (60, 30, 60, 3)
    );
    assert!(bea.p_value.unwrap() < 0.01);
    assert_eq!(bea.examples.len(), 5);
    assert!(bea.examples.iter().all(|e| e.stars <= 2 && b_ids.contains(&e.review_id)));
    let fred = bias.moderators.iter().find(|m| m.label == "Fred Fair").unwrap();
    assert_eq!(fred.state, BiasState::Fair, "{fred:?}");
    assert!(fred.examples.is_empty());
    // The shop whose bad reviews disappear is flagged against its industry.
    assert_eq!(report.shops.len(), 1, "{:?}", report.shops);
    let flagged = &report.shops[0];
    assert_eq!(flagged.shop_id, shop_b);
    assert_eq!((flagged.negative_decided, flagged.negative_removed), (60, 30));
    assert!((flagged.industry_rate - 5.0 / 60.0).abs() < 1e-9);
    // Admins see each moderator's last 24 hours.
    let member = report.members.iter().find(|m| m.name == "Bea Biased").unwrap();
    assert_eq!(member.per_hour.len(), 24);
    assert_eq!(member.per_hour.iter().sum::<u32>(), 120);
    // ... and their decisions by label against stars: Bea's plan, exactly.
    let by = |label: &str| member.decisions.iter().find(|d| d.decision == label).map(|d| d.by_stars.clone());
    assert_eq!(by("reject:spam_duplicate"), Some(vec![15, 15, 0, 2, 1]));
    assert_eq!(by("publish"), Some(vec![15, 15, 0, 28, 29]));

    // Fred sees his own row and the team's; the team as a whole is warned too.
    let own: FairnessReport = s.get(Some(&fair), "/v1/fairness").await.json();
    let own_bias = own.bias.unwrap();
    assert_eq!(own_bias.moderators.len(), 1);
    assert_eq!(own_bias.moderators[0].label, "Fred Fair");
    assert!(own.shops.is_empty() && own.members.is_empty());
    // Auditors get the flagged shops only; mediators nothing.
    let aud: FairnessReport = s.get(Some(&auditor), "/v1/fairness").await.json();
    assert!(aud.agreement.is_none() && aud.bias.is_none());
    assert_eq!(aud.shops.len(), 1);
    s.get(Some(&mediator), "/v1/fairness").await.expect_error(403, "forbidden");
    s.get(None, "/v1/fairness").await.expect_error(401, "unauthorized");
}

async fn seeded_history_feeds_every_figure(backend: Backend) {
    let s = support::start(backend).await;
    s.seed(40, 3000, 0, 0).await;
    let scanner = trustdesk_central::ingest::EngineScanner::builtin().unwrap();
    let h = trustdesk_central::history::history(&s.db, 42, &scanner).await.unwrap();
    assert!(h.decisions > 500 && h.second_opinions > 30 && h.open_samples > 0, "{h:?}");
    let admin = user(&s, "Ada Admin", Role::Admin).await;
    let report: FairnessReport = s.get(Some(&admin), "/v1/fairness").await.json();
    let a = report.agreement.unwrap();
    assert_eq!(a.team.samples as usize, h.second_opinions);
    assert!(a.team.kappa.is_some(), "{:?}", a.team);
    assert_eq!(report.members.len(), 4);
    // The seeded team's last member removes negative reviews more often.
    let bias = report.bias.unwrap();
    let luca = bias.moderators.iter().find(|m| m.label == "Luca Romano").unwrap();
    assert_eq!(luca.state, BiasState::Warning, "{luca:?}");
    // A moderator who signs in next gets the samples left open.
    let newcomer = user(&s, "New Moderator", Role::Moderator).await;
    let page: SamplesPage = s.get(Some(&newcomer), "/v1/samples").await.json();
    assert_eq!(page.reviews.len(), h.open_samples.min(50));
}

//! Measured fairness: blind second opinions (drawn in `mutations`, handed out
//! here), the calibration queue, agreement figures and the bias guard.
//!
//! The arithmetic lives in `trustdesk_domain::fairness`; this module reads the
//! records and decides who may see what: a moderator sees the team's figures
//! and their own row, an admin every row, an auditor the flagged shops.

use std::collections::{BTreeMap, HashMap};

use axum::http::StatusCode;
use chrono::{DateTime, Duration, DurationRound, Utc};
use sqlx::Row;
use trustdesk_api::fairness::{
    AgreementFigure, AgreementReport, BiasExample, BiasFigure, BiasReport, BiasState, CalibrationItem,
    FairnessReport, LabelStars, MemberFigure, SamplesPage, SettleCalibration, ShopRemovalFigure,
};
use trustdesk_api::{codes, Role};
use trustdesk_domain::fairness::{
    bias_verdict, cohen_kappa, is_outcome_label, outcome_label, removes, two_proportion_greater, BiasConfig,
    BiasVerdict, StarGroups,
};
use trustdesk_domain::{ReviewDecision, Shop};

use crate::auth::User;
use crate::db::{self, rfc3339, Db};
use crate::error::ApiError;

/// Second opinions needed before agreement is shown as a number.
pub const MIN_AGREEMENT_SAMPLES: u32 = 30;

/// Samples a moderator holds open at most; more are handed out as they decide.
const SAMPLES_PER_MODERATOR: i64 = 50;

/// Negative decided reviews a shop needs before its removal rate is tested.
const MIN_SHOP_NEGATIVES: u32 = 20;

/// Removed negative reviews shown with a warning.
const EXAMPLES: usize = 5;

/// Settings of sampling and the bias guard.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FairnessConfig {
    /// Share of each moderator's publish/reject decisions drawn for a second opinion.
    pub sample_share: f64,
    pub bias: BiasConfig,
    /// The bias guard's sliding window.
    pub window_days: u32,
}

impl Default for FairnessConfig {
    fn default() -> Self {
        FairnessConfig { sample_share: 0.03, bias: BiasConfig::default(), window_days: 30 }
    }
}

/// `GET /v1/samples`: hands out open samples first decided by someone else and
/// returns the caller's open ones, oldest first.
pub async fn samples(db: &Db, user: &User) -> Result<SamplesPage, ApiError> {
    if user.role != Role::Moderator {
        return Err(ApiError::forbidden("second opinions are given by moderators"));
    }
    let mut tx = db.write.begin().await?;
    let held: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM second_opinions WHERE assigned_to = $1 AND second_outcome IS NULL",
    )
    .bind(&user.id)
    .fetch_one(&mut *tx)
    .await?;
    if held < SAMPLES_PER_MODERATOR {
        // PostgreSQL re-checks `assigned_to IS NULL` on rows another request
        // assigned meanwhile, so a sample never goes to two moderators.
        sqlx::query(
            "UPDATE second_opinions SET assigned_to = $1 WHERE assigned_to IS NULL AND id IN (
                SELECT id FROM second_opinions WHERE assigned_to IS NULL AND first_by <> $1
                ORDER BY created_at, id LIMIT $2)",
        )
        .bind(&user.id)
        .bind(SAMPLES_PER_MODERATOR - held)
        .execute(&mut *tx)
        .await?;
    }
    let docs: Vec<String> = sqlx::query_scalar(
        "SELECT doc FROM second_opinions WHERE assigned_to = $1 AND second_outcome IS NULL ORDER BY created_at, id",
    )
    .bind(&user.id)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let reviews = docs
        .iter()
        .map(|d| serde_json::from_str(d))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    Ok(SamplesPage { reviews })
}

fn calibration_item(row: &sqlx::any::AnyRow) -> Result<CalibrationItem, ApiError> {
    let doc: String = row.try_get("doc")?;
    let review: trustdesk_domain::Review =
        serde_json::from_str(&doc).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    let second_at: String = row.try_get("second_at")?;
    Ok(CalibrationItem {
        sample_id: row.try_get("id")?,
        review_id: row.try_get("review_id")?,
        language: row.try_get("language")?,
        stars: review.stars.get(),
        text: review.text,
        first_decision: row.try_get("first_outcome")?,
        first_by: row.try_get::<Option<String>, _>("first_name")?.unwrap_or_default(),
        second_decision: row.try_get("second_outcome")?,
        second_by: row.try_get::<Option<String>, _>("second_name")?.unwrap_or_default(),
        second_at: db::parse_rfc3339(&second_at)?,
        settled: row.try_get("settled_outcome")?,
        settled_by: row.try_get::<Option<String>, _>("settled_name")?,
    })
}

const CALIBRATION_SELECT: &str = "SELECT s.id, s.review_id, s.language, s.first_outcome, s.second_outcome,
        s.second_at, s.settled_outcome, s.doc, u1.name AS first_name, u2.name AS second_name,
        u3.name AS settled_name
    FROM second_opinions s
    LEFT JOIN users u1 ON u1.id = s.first_by
    LEFT JOIN users u2 ON u2.id = s.second_by
    LEFT JOIN users u3 ON u3.id = s.settled_by
    WHERE s.second_outcome IS NOT NULL AND s.second_outcome <> s.first_outcome";

/// `GET /v1/calibration`: disagreements, open ones first.
pub async fn calibration(db: &Db, user: &User) -> Result<Vec<CalibrationItem>, ApiError> {
    user.require_admin()?;
    let sql = format!(
        "{CALIBRATION_SELECT} ORDER BY CASE WHEN s.settled_outcome IS NULL THEN 0 ELSE 1 END, s.second_at, s.id
         LIMIT 500"
    );
    let rows = sqlx::query(&sql).fetch_all(&db.read).await?;
    rows.iter().map(calibration_item).collect()
}

/// `POST /v1/calibration/{id}`: records the settled answer next to both decisions.
pub async fn settle(
    db: &Db,
    user: &User,
    id: &str,
    req: SettleCalibration,
) -> Result<CalibrationItem, ApiError> {
    user.require_admin()?;
    if !is_outcome_label(&req.decision) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            codes::INVALID,
            "decision must be publish, request_evidence or reject:<reason>",
        ));
    }
    let now = db::now();
    let mut tx = db.write.begin().await?;
    let done = sqlx::query(
        "UPDATE second_opinions SET settled_outcome = $1, settled_by = $2, settled_at = $3
         WHERE id = $4 AND second_outcome IS NOT NULL AND second_outcome <> first_outcome",
    )
    .bind(&req.decision)
    .bind(&user.id)
    .bind(rfc3339(now))
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(ApiError::not_found("no disagreement with this id in the calibration queue"));
    }
    sqlx::query(
        "INSERT INTO audit_trail (at, user_id, action, entity_kind, entity_id, mutation_id, detail)
         VALUES ($1, $2, 'calibration.settle', 'review', $3, NULL, $4)",
    )
    .bind(rfc3339(now))
    .bind(&user.id)
    .bind(id)
    .bind(serde_json::json!({ "settled": req.decision }).to_string())
    .execute(&mut *tx)
    .await?;
    let row =
        sqlx::query(&format!("{CALIBRATION_SELECT} AND s.id = $1")).bind(id).fetch_one(&mut *tx).await?;
    tx.commit().await?;
    calibration_item(&row)
}

/// A figure for `samples` second opinions of which `agreed` agree, with the
/// kappa of `pairs`; no number below the minimum, and a note saying why.
fn figure(label: String, samples: u32, agreed: u32, pairs: &[(&str, &str)]) -> AgreementFigure {
    let mut f = AgreementFigure {
        label,
        samples,
        agreed,
        raw_agreement: None,
        kappa: None,
        kappa_low: None,
        kappa_high: None,
        note: None,
    };
    if samples < MIN_AGREEMENT_SAMPLES {
        let s = if samples == 1 { "" } else { "s" };
        f.note =
            Some(format!("{samples} second opinion{s}; {MIN_AGREEMENT_SAMPLES} are needed for a figure"));
        return f;
    }
    let k = cohen_kappa(pairs);
    f.raw_agreement = Some(f64::from(agreed) / f64::from(samples));
    (f.kappa, f.kappa_low, f.kappa_high) = (k.kappa, k.low, k.high);
    if k.kappa.is_none() {
        f.note = Some("every decision in these samples was the same; kappa is undefined".into());
    }
    f
}

fn agreement_figure(label: String, pairs: &[(&str, &str)]) -> AgreementFigure {
    let agreed = pairs.iter().filter(|(a, b)| a == b).count() as u32;
    figure(label, pairs.len() as u32, agreed, pairs)
}

/// Agreement where one label is tested against the rest (kappa over every
/// pair); only pairs in which either side chose it count as its samples.
fn label_figure(label: &str, pairs: &[(&str, &str)]) -> AgreementFigure {
    let binary: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(a, b)| (if *a == label { "yes" } else { "no" }, if *b == label { "yes" } else { "no" }))
        .collect();
    let involved = pairs.iter().filter(|(a, b)| *a == label || *b == label).count() as u32;
    let both = pairs.iter().filter(|(a, b)| *a == label && *b == label).count() as u32;
    figure(label.to_owned(), involved, both, &binary)
}

struct Users {
    names: HashMap<String, (String, Role)>,
}

impl Users {
    async fn load(db: &Db) -> Result<Users, ApiError> {
        let mut names = HashMap::new();
        for row in sqlx::query("SELECT id, name, role FROM users").fetch_all(&db.read).await? {
            let role: String = row.try_get("role")?;
            if let Ok(role) = role.parse::<Role>() {
                names.insert(row.try_get("id")?, (row.try_get("name")?, role));
            }
        }
        Ok(Users { names })
    }
    fn name(&self, id: &str) -> String {
        self.names.get(id).map_or_else(|| id.to_owned(), |(n, _)| n.clone())
    }
}

async fn agreement(db: &Db, user: &User, users: &Users) -> Result<AgreementReport, ApiError> {
    let rows = sqlx::query(
        "SELECT first_by, second_by, first_outcome, second_outcome, language FROM second_opinions
         WHERE second_outcome IS NOT NULL ORDER BY id",
    )
    .fetch_all(&db.read)
    .await?;
    struct Pair {
        first_by: String,
        second_by: String,
        first: String,
        second: String,
        language: String,
    }
    let pairs = rows
        .iter()
        .map(|r| {
            Ok(Pair {
                first_by: r.try_get(0)?,
                second_by: r.try_get(1)?,
                first: r.try_get(2)?,
                second: r.try_get(3)?,
                language: r.try_get(4)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let all: Vec<(&str, &str)> = pairs.iter().map(|p| (p.first.as_str(), p.second.as_str())).collect();

    let mut moderators: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
    let mut languages: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
    for p in &pairs {
        let pair = (p.first.as_str(), p.second.as_str());
        moderators.entry(&p.first_by).or_default().push(pair);
        if p.second_by != p.first_by {
            moderators.entry(&p.second_by).or_default().push(pair);
        }
        languages.entry(&p.language).or_default().push(pair);
    }
    let see_all = user.role == Role::Admin;
    let mut moderator_rows: Vec<AgreementFigure> = moderators
        .iter()
        .filter(|(id, _)| see_all || **id == user.id)
        .map(|(id, v)| agreement_figure(users.name(id), v))
        .collect();
    if !see_all && moderator_rows.is_empty() {
        moderator_rows.push(agreement_figure(user.name.clone(), &[]));
    }
    moderator_rows.sort_by(|a, b| a.label.cmp(&b.label));
    let mut labels: Vec<&str> = all.iter().flat_map(|(a, b)| [*a, *b]).collect();
    labels.sort_unstable();
    labels.dedup();
    let open_samples: i64 =
        sqlx::query_scalar("SELECT count(*) FROM second_opinions WHERE second_outcome IS NULL")
            .fetch_one(&db.read)
            .await?;
    let calibration_open: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM second_opinions WHERE second_outcome IS NOT NULL
         AND second_outcome <> first_outcome AND settled_outcome IS NULL",
    )
    .fetch_one(&db.read)
    .await?;
    Ok(AgreementReport {
        team: agreement_figure("team".into(), &all),
        moderators: moderator_rows,
        reasons: labels.iter().map(|l| label_figure(l, &all)).collect(),
        languages: languages.iter().map(|(l, v)| agreement_figure((*l).to_owned(), v)).collect(),
        open_samples: open_samples as u32,
        calibration_open: calibration_open as u32,
    })
}

/// A final decision in the window, as the bias guard and the shop check see it.
struct Final {
    review_id: String,
    decided_by: String,
    decided_at: DateTime<Utc>,
    stars: u8,
    label: String,
    removed: bool,
    shop_id: Option<String>,
}

async fn finals_since(db: &Db, since: DateTime<Utc>) -> Result<Vec<Final>, ApiError> {
    let rows = sqlx::query(
        "SELECT d.record, e.shop_id FROM decisions d
         LEFT JOIN entities e ON e.kind = 'review' AND e.id = d.review_id
         WHERE d.decided_at >= $1 ORDER BY d.decided_at, d.id",
    )
    .bind(rfc3339(since))
    .fetch_all(&db.read)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let record: String = row.try_get(0)?;
        // Records are written by this service; one that does not parse is skipped
        // (and logged) rather than failing every figure.
        let Ok(d) = serde_json::from_str::<ReviewDecision>(&record) else {
            tracing::warn!("a decision record does not parse; left out of the fairness figures");
            continue;
        };
        let Some(removed) = removes(&d.action) else { continue };
        let label = outcome_label(&d.action).unwrap_or_else(|| d.action.name().to_owned());
        out.push(Final {
            review_id: d.review_id.to_string(),
            decided_by: d.decided_by,
            decided_at: d.decided_at,
            stars: d.stars.get(),
            label,
            removed,
            shop_id: row.try_get(1)?,
        });
    }
    Ok(out)
}

fn bias_figure(label: String, finals: &[&Final], config: BiasConfig) -> BiasFigure {
    let mut g = StarGroups::default();
    for f in finals {
        g.add(f.stars, f.removed);
    }
    let (state, test) = match bias_verdict(&g, config) {
        BiasVerdict::TooFew => (BiasState::TooFew, None),
        BiasVerdict::Fair(t) => (BiasState::Fair, Some(t)),
        BiasVerdict::Warning(t) => (BiasState::Warning, Some(t)),
    };
    let examples = if state == BiasState::Warning {
        finals
            .iter()
            .rev()
            .filter(|f| f.removed && f.stars <= 2)
            .take(EXAMPLES)
            .map(|f| BiasExample {
                review_id: f.review_id.clone(),
                stars: f.stars,
                decision: f.label.clone(),
                decided_at: f.decided_at,
            })
            .collect()
    } else {
        Vec::new()
    };
    BiasFigure {
        label,
        negative_decided: g.negative_decided,
        negative_removed: g.negative_removed,
        positive_decided: g.positive_decided,
        positive_removed: g.positive_removed,
        z: test.map(|t| t.z),
        p_value: test.map(|t| t.p_value),
        state,
        examples,
    }
}

fn bias(user: &User, users: &Users, finals: &[Final], config: &FairnessConfig) -> BiasReport {
    let all: Vec<&Final> = finals.iter().collect();
    let by = by_decider(finals);
    let see_all = user.role == Role::Admin;
    let mut moderators: Vec<BiasFigure> = by
        .iter()
        .filter(|(id, _)| see_all || **id == user.id)
        .map(|(id, v)| bias_figure(users.name(id), v, config.bias))
        .collect();
    if !see_all && moderators.is_empty() {
        moderators.push(bias_figure(user.name.clone(), &[], config.bias));
    }
    moderators.sort_by(|a, b| a.label.cmp(&b.label));
    BiasReport {
        window_days: config.window_days,
        alpha: config.bias.alpha,
        min_per_group: config.bias.min_per_group,
        team: bias_figure("team".into(), &all, config.bias),
        moderators,
    }
}

/// Shops whose 1-2 star reviews end removed significantly more often than at
/// the other shops of their (first) industry.
async fn shop_outliers(
    db: &Db,
    finals: &[Final],
    config: &FairnessConfig,
) -> Result<Vec<ShopRemovalFigure>, ApiError> {
    // The review's latest final decision is its outcome (a complaint can reverse one).
    let mut last: HashMap<&str, &Final> = HashMap::new();
    for f in finals.iter().filter(|f| f.stars <= 2 && f.shop_id.is_some()) {
        last.insert(&f.review_id, f);
    }
    let mut per_shop: HashMap<&str, (u32, u32)> = HashMap::new();
    for f in last.values() {
        let e = per_shop.entry(f.shop_id.as_deref().unwrap_or_default()).or_default();
        e.0 += 1;
        e.1 += u32::from(f.removed);
    }
    let mut shops: HashMap<String, Shop> = HashMap::new();
    for row in sqlx::query("SELECT id, doc FROM entities WHERE kind = 'shop' AND deleted = 0")
        .fetch_all(&db.read)
        .await?
    {
        let doc: String = row.try_get(1)?;
        if let Ok(shop) = serde_json::from_str::<Shop>(&doc) {
            shops.insert(row.try_get(0)?, shop);
        }
    }
    let industry_of =
        |id: &str| shops.get(id).and_then(|s| s.industries.first().copied()).map(|i| i.code().to_owned());
    let mut per_industry: HashMap<String, (u32, u32)> = HashMap::new();
    for (shop, (n, x)) in &per_shop {
        if let Some(ind) = industry_of(shop) {
            let e = per_industry.entry(ind).or_default();
            e.0 += n;
            e.1 += x;
        }
    }
    let mut out = Vec::new();
    for (shop, (n, x)) in &per_shop {
        let Some(industry) = industry_of(shop) else { continue };
        if *n < MIN_SHOP_NEGATIVES {
            continue;
        }
        let (ind_n, ind_x) = per_industry[&industry];
        let (other_n, other_x) = (ind_n - n, ind_x - x);
        let Some(t) = two_proportion_greater(*x, *n, other_x, other_n) else { continue };
        if t.p_value < config.bias.alpha {
            out.push(ShopRemovalFigure {
                shop_id: (*shop).to_owned(),
                shop_name: shops.get(*shop).map(|s| s.name.clone()).unwrap_or_default(),
                industry,
                negative_decided: *n,
                negative_removed: *x,
                industry_rate: t.rate2,
                p_value: t.p_value,
                flagged: true,
            });
        }
    }
    out.sort_by(|a, b| a.p_value.total_cmp(&b.p_value).then_with(|| a.shop_id.cmp(&b.shop_id)));
    Ok(out)
}

/// Final decisions grouped by who made them, in time order.
fn by_decider(finals: &[Final]) -> BTreeMap<&str, Vec<&Final>> {
    let mut by: BTreeMap<&str, Vec<&Final>> = BTreeMap::new();
    for f in finals {
        by.entry(&f.decided_by).or_default().push(f);
    }
    by
}

fn members(users: &Users, finals: &[Final], now: DateTime<Utc>) -> Vec<MemberFigure> {
    let this_hour = now.duration_trunc(Duration::hours(1)).unwrap_or(now);
    let first = this_hour - Duration::hours(23);
    let by = by_decider(finals);
    let mut out: Vec<MemberFigure> = users
        .names
        .iter()
        .filter(|(_, (_, role))| *role == Role::Moderator)
        .map(|(id, (name, role))| {
            let mine: &[&Final] = by.get(id.as_str()).map_or(&[], Vec::as_slice);
            let mut per_hour = vec![0u32; 24];
            for f in mine {
                if f.decided_at >= first {
                    let h = (f.decided_at - first).num_hours();
                    if let Some(slot) = usize::try_from(h).ok().and_then(|h| per_hour.get_mut(h)) {
                        *slot += 1;
                    }
                }
            }
            let mut decisions: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
            for f in mine {
                if let Some(slot) = decisions
                    .entry(f.label.as_str())
                    .or_insert_with(|| vec![0; 5])
                    .get_mut(usize::from(f.stars.clamp(1, 5)) - 1)
                {
                    *slot += 1;
                }
            }
            MemberFigure {
                name: name.clone(),
                role: role.as_str().to_owned(),
                per_hour,
                decisions_in_window: mine.len() as u32,
                decisions: decisions
                    .into_iter()
                    .map(|(decision, by_stars)| LabelStars { decision: decision.to_owned(), by_stars })
                    .collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// `GET /v1/fairness`.
pub async fn report(db: &Db, user: &User, config: &FairnessConfig) -> Result<FairnessReport, ApiError> {
    if user.role == Role::Mediator {
        return Err(ApiError::forbidden("fairness figures are for moderators, auditors and admins"));
    }
    let now = db::now();
    let users = Users::load(db).await?;
    let finals = finals_since(db, now - Duration::days(i64::from(config.window_days))).await?;
    let reviewers = matches!(user.role, Role::Moderator | Role::Admin);
    Ok(FairnessReport {
        generated_at: now,
        sample_share: config.sample_share,
        agreement: if reviewers { Some(agreement(db, user, &users).await?) } else { None },
        bias: reviewers.then(|| bias(user, &users, &finals, config)),
        shops: if matches!(user.role, Role::Admin | Role::Auditor) {
            shop_outliers(db, &finals, config).await?
        } else {
            Vec::new()
        },
        members: if user.role == Role::Admin { members(&users, &finals, now) } else { Vec::new() },
    })
}

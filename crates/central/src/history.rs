//! `trustdesk-central seed --history`: a team's recent work on top of the seed,
//! so the dashboards have something to show. Four moderators decide part of the
//! pending queue through the real mutation path (decision records, statements,
//! the second-opinion draw), answer some of the drawn samples, and leave the rest
//! for whoever signs in next. One of them removes negative reviews noticeably
//! more often, so the bias guard has something to find.

use sqlx::Row;
use trustdesk_api::{Mutation, MutationOp, MutationOutcome, Role};
use trustdesk_domain::decision::Grounds;
use trustdesk_domain::{ArmCategory, DecisionId, RejectionReason, ReviewAction, ReviewId};
use trustdesk_store::demo::Rng;

use crate::auth::{self, User};
use crate::db::Db;
use crate::fairness;
use crate::ingest::Scanner;
use crate::mutations;

/// The seeded team; the last one is the one the bias guard should catch.
const TEAM: [&str; 4] = ["Lena Vos", "Jonas Becker", "Marta Nowak", "Luca Romano"];

/// Share of the team's decisions drawn for a second opinion while seeding.
const SAMPLE_SHARE: f64 = 0.15;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct HistorySummary {
    pub decisions: usize,
    pub second_opinions: usize,
    pub open_samples: usize,
}

fn label_action(label: &str) -> ReviewAction {
    match label.strip_prefix("reject:") {
        Some(code) => ReviewAction::Reject {
            reason: RejectionReason::ALL
                .into_iter()
                .find(|r| r.code() == code)
                .unwrap_or(RejectionReason::SpamDuplicate),
        },
        None => ReviewAction::Publish,
    }
}

fn mutation(review: &str, base_version: i64, label: &str) -> Option<Mutation> {
    let review_id: ReviewId = review.parse().ok()?;
    let facts = if label == "publish" {
        ""
    } else {
        "Checked against the review rules; see the highlighted passage."
    };
    Some(Mutation {
        id: DecisionId::new(),
        base_version,
        op: MutationOp::ReviewDecision {
            review_id,
            action: label_action(label),
            grounds: Grounds { facts: facts.into(), ..Grounds::default() },
            message: None,
            statement: None,
        },
    })
}

async fn apply(db: &Db, user: &User, scanner: &dyn Scanner, batch: Vec<Mutation>) -> anyhow::Result<usize> {
    let mut applied = 0;
    for chunk in batch.chunks(500) {
        let results = mutations::apply_batch(db, user, scanner, SAMPLE_SHARE, chunk)
            .await
            .map_err(|e| anyhow::anyhow!("applying seeded decisions: {}", e.message))?;
        applied += results.iter().filter(|r| matches!(r.outcome, MutationOutcome::Applied { .. })).count();
    }
    Ok(applied)
}

pub async fn history(db: &Db, seed: u64, scanner: &dyn Scanner) -> anyhow::Result<HistorySummary> {
    let mut rng = Rng::new(seed ^ 0x7ea3_5eed);
    let mut team = Vec::new();
    for name in TEAM {
        // Nobody signs in as them: the token is dropped, only its hash is kept.
        let _ = auth::add_user(db, name, Role::Moderator).await?;
        let id: String =
            sqlx::query_scalar("SELECT id FROM users WHERE name = $1 ORDER BY created_at DESC, id DESC")
                .bind(name)
                .fetch_one(&db.read)
                .await?;
        team.push(User { id, name: name.to_owned(), role: Role::Moderator });
    }
    let rows = sqlx::query(
        "SELECT id, version, categories, doc FROM entities
         WHERE kind = 'review' AND state = 'pending' AND deleted = 0 ORDER BY queue_at, id",
    )
    .fetch_all(&db.read)
    .await?;
    let mut batches: Vec<Vec<Mutation>> = vec![Vec::new(); team.len()];
    for row in &rows {
        if rng.below(10) >= 4 {
            continue;
        }
        let id: String = row.try_get(0)?;
        let version: i64 = row.try_get(1)?;
        let categories: String = row.try_get(2)?;
        let doc: String = row.try_get(3)?;
        let stars =
            serde_json::from_str::<trustdesk_domain::Review>(&doc).map(|r| r.stars.get()).unwrap_or(3);
        let who = rng.below(team.len());
        let category = categories
            .split(',')
            .find_map(|c| ArmCategory::ALL.into_iter().find(|a| !c.is_empty() && a.code() == c));
        let label = match category {
            Some(c) => format!("reject:{}", RejectionReason::from(c).code()),
            None if who == team.len() - 1 && stars <= 2 && rng.below(2) == 0 => {
                "reject:spam_duplicate".into()
            }
            None if rng.below(25) == 0 => "reject:spam_duplicate".into(),
            None => "publish".into(),
        };
        batches[who].extend(mutation(&id, version, &label));
    }
    let mut summary = HistorySummary::default();
    for (user, batch) in team.iter().zip(batches) {
        summary.decisions += apply(db, user, scanner, batch).await?;
    }
    // Three of the four answer most samples handed to them, mostly agreeing;
    // the rest stay open for the next moderator who syncs.
    for user in &team[..team.len() - 1] {
        let page = fairness::samples(db, user).await.map_err(|e| anyhow::anyhow!("{}", e.message))?;
        let mut batch = Vec::new();
        // A quarter stays unanswered and goes back to the pool.
        for review in page.reviews {
            if rng.below(4) == 0 {
                continue;
            }
            let first: String = sqlx::query_scalar("SELECT first_outcome FROM second_opinions WHERE id = $1")
                .bind(review.id.to_string())
                .fetch_one(&db.read)
                .await?;
            let label = match rng.below(100) {
                0..=79 => first,
                80..=89 => "publish".to_owned(),
                _ => "reject:spam_duplicate".to_owned(),
            };
            batch.extend(mutation(&review.id.to_string(), review.version, &label));
        }
        summary.second_opinions += apply(db, user, scanner, batch).await?;
    }
    sqlx::query("UPDATE second_opinions SET assigned_to = NULL WHERE second_outcome IS NULL")
        .execute(&db.write)
        .await?;
    summary.open_samples =
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM second_opinions WHERE second_outcome IS NULL")
            .fetch_one(&db.read)
            .await? as usize;
    Ok(summary)
}

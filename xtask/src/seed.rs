//! `cargo xtask seed-local`: fills a local store with demo data.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use chrono::Utc;
use trustdesk_domain::{ReviewSource, ReviewStatus};
use trustdesk_filters::{Engine, RulePacks};
use trustdesk_store::{demo, scan, Store};

pub fn default_data_dir() -> Result<PathBuf> {
    Ok(dirs::data_dir().context("no data directory for this user")?.join(crate::APP_IDENTIFIER))
}

/// Seeds and returns a summary the end-to-end tests assert against.
pub fn seed_local(args: &[String]) -> Result<serde_json::Value> {
    let mut dir = None;
    let mut count = 400usize;
    let mut e2e = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--data-dir" => dir = Some(PathBuf::from(it.next().context("--data-dir needs a value")?)),
            "--count" => {
                count =
                    it.next().context("--count needs a value")?.parse().context("--count must be a number")?
            }
            "--e2e" => e2e = true,
            other => bail!("unknown option {other:?}"),
        }
    }
    let dir = match dir {
        Some(d) => d,
        None => default_data_dir()?,
    };
    let (shops, mut reviews) = demo::generate(2026, count, Utc::now());
    if e2e {
        // Hostile text must render as text, never as markup; the insult gives the
        // filters something to highlight.
        let arm_shop = shops.iter().find(|s| s.arm_enabled).context("no ARM shop")?.id;
        let r =
            reviews.iter_mut().find(|r| r.status == ReviewStatus::Pending).context("no pending review")?;
        r.text = concat!(
            "<img src=x onerror=\"document.title='pwned'\"><b>bold?</b> ",
            "Lieferung kam nie an, der Fahrer ist ein Idiot."
        )
        .into();
        r.submitted_at = Utc::now();
        r.source = ReviewSource::Invitation;
        r.shop_id = arm_shop;
        r.language = "de".parse().expect("valid");
    }
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let summary = rt.block_on(async {
        let store = Store::open(&dir.join("trustdesk.db")).await?;
        store.upsert_shops(&shops).await?;
        store.upsert_reviews(&reviews).await?;
        let packs = RulePacks::builtin();
        let engine = Engine::compile(&packs)?;
        let scanned =
            store.scan_unscanned(&scan::pack_set_version(&packs), |v| scan::scan_review(&engine, v)).await?;
        eprintln!("scanned {scanned} reviews with the built-in ARM rule packs");
        let total = store.review_count().await?;
        let newest_pending = store
            .list_reviews(
                &trustdesk_store::ReviewQuery {
                    state: Some("pending".into()),
                    limit: 1,
                    ..Default::default()
                },
                Utc::now(),
            )
            .await?;
        let pending = newest_pending.total;
        let first = newest_pending.items.first().map(|v| v.review.text.clone());
        store.close().await;
        anyhow::Ok(serde_json::json!({ "total": total, "pending": pending, "first_pending_text": first }))
    })?;
    eprintln!("seeded {} reviews into {} ({summary})", reviews.len(), dir.display());
    Ok(summary)
}

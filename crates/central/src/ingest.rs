//! What happens to reviews as they enter the service: the ARM content scan and
//! the suspected-fake signals.

use std::collections::HashMap;

use chrono::Duration;
use trustdesk_domain::review::FakeSignal;
use trustdesk_domain::{ArmCategory, Review, Shop};

/// Finds the ARM categories a review's text falls under for its shop; they end up
/// in `entities.categories` for queue filtering.
pub trait Scanner: Send + Sync {
    fn scan(&self, shop: &Shop, review: &Review) -> Vec<ArmCategory>;
}

/// The ARM filter engine (crates/filters) with its built-in rule packs.
pub struct EngineScanner {
    engine: trustdesk_filters::Engine,
}

impl EngineScanner {
    pub fn builtin() -> anyhow::Result<EngineScanner> {
        Ok(EngineScanner {
            engine: trustdesk_filters::Engine::compile(&trustdesk_filters::RulePacks::builtin())?,
        })
    }
}

impl Scanner for EngineScanner {
    fn scan(&self, shop: &Shop, review: &Review) -> Vec<ArmCategory> {
        let mut cats: Vec<ArmCategory> = trustdesk_store::scan::scan_text(&self.engine, review, shop)
            .into_iter()
            .map(|h| h.category)
            .collect();
        cats.sort();
        cats.dedup();
        cats
    }
}

/// A review arriving, with the facts ingestion sees but the review does not keep.
pub struct Incoming {
    pub review: Review,
    pub ip: Option<String>,
}

/// Window for "several reviews from one IP address in a short time".
pub const IP_WINDOW_MINUTES: i64 = 60;
/// That many reviews for one shop from one address within the window is suspicious.
pub const IP_BURST_MIN: usize = 3;

/// Adds fake signals to a batch of reviews arriving together: bursts from one IP
/// address for one shop, missing order references and duplicated text.
pub fn add_signals(batch: &mut [Incoming]) {
    // Same shop + IP: sliding window over submission times.
    let mut by_ip: HashMap<(String, String), Vec<usize>> = HashMap::new();
    for (i, inc) in batch.iter().enumerate() {
        if let Some(ip) = inc.ip.as_ref().filter(|ip| !ip.is_empty()) {
            by_ip.entry((inc.review.shop_id.to_string(), ip.clone())).or_default().push(i);
        }
    }
    for idx in by_ip.values_mut() {
        idx.sort_by_key(|i| batch[*i].review.submitted_at);
        let window = Duration::minutes(IP_WINDOW_MINUTES);
        for (pos, &i) in idx.iter().enumerate() {
            let t = batch[i].review.submitted_at;
            let near = idx
                .iter()
                .skip(pos.saturating_sub(50))
                .take(100)
                .filter(|j| (batch[**j].review.submitted_at - t).abs() <= window)
                .count();
            if near >= IP_BURST_MIN {
                batch[i].review.flags.fake_signals.push(FakeSignal::SameIpBurst {
                    reviews: near as u32,
                    window_minutes: IP_WINDOW_MINUTES as u32,
                });
            }
        }
    }
    let mut first_with_text: HashMap<String, usize> = HashMap::new();
    for i in 0..batch.len() {
        if batch[i].review.order_reference.trim().is_empty() {
            batch[i].review.flags.fake_signals.push(FakeSignal::NoConfirmedPurchase);
        }
        let key = normalise(&batch[i].review.text);
        if key.len() < 20 {
            continue; // "Great shop!" repeats honestly.
        }
        match first_with_text.get(&key) {
            Some(&j) => {
                let other = batch[j].review.id;
                batch[i].review.flags.fake_signals.push(FakeSignal::DuplicateText { other });
            }
            None => {
                first_with_text.insert(key, i);
            }
        }
    }
}

/// Lower-case letters and digits only, so punctuation and spacing tricks still match.
fn normalise(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

#[cfg(test)]
mod scanner_tests {
    use super::*;

    #[test]
    fn the_engine_scanner_reports_categories_for_arm_shops_only() {
        let (shops, reviews) = trustdesk_store::demo::generate(5, 1, chrono::Utc::now());
        let mut review = reviews[0].clone();
        review.text = "Der Fahrer ist ein Idiot, schreib mir an max.muster@example.de".into();
        review.language = "de".parse().unwrap();
        let scanner = EngineScanner::builtin().unwrap();
        let mut shop = shops[0].clone();
        shop.arm_enabled = true;
        let cats = scanner.scan(&shop, &review);
        assert_eq!(cats, vec![ArmCategory::Insult, ArmCategory::PersonalData]);
        shop.arm_enabled = false;
        assert!(scanner.scan(&shop, &review).is_empty());
    }
}

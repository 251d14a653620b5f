//! What happens to reviews as they enter the service: the ARM content scan and
//! the suspected-fake signals.

use std::collections::HashMap;

use chrono::Duration;
use trustdesk_domain::review::FakeSignal;
use trustdesk_domain::{ArmCategory, Review, Shop};

/// Seam for crates/filters: finds the ARM categories a review's text falls under
/// for its shop. Replace [`NoScan`] with the filters crate's scanner once it exists;
/// the categories end up in `entities.categories` for queue filtering.
pub trait Scanner: Send + Sync {
    fn scan(&self, shop: &Shop, review: &Review) -> Vec<ArmCategory>;
}

/// Finds nothing; stands in until crates/filters lands.
pub struct NoScan;

impl Scanner for NoScan {
    fn scan(&self, _shop: &Shop, _review: &Review) -> Vec<ArmCategory> {
        Vec::new()
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

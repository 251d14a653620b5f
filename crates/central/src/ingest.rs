//! What happens to reviews as they enter the service: the ARM content scan and
//! the suspected-fake signals.

use std::collections::HashMap;
use std::sync::OnceLock;

use chrono::{Duration, NaiveDate};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use trustdesk_domain::arm::ArmHit;
use trustdesk_domain::review::FakeSignal;
use trustdesk_domain::{ArmCategory, Review, ReviewId, Shop, ShopId};

/// Finds the ARM categories a review's text falls under for its shop; they end up
/// in `entities.categories` for queue filtering.
pub trait Scanner: Send + Sync {
    fn scan(&self, shop: &Shop, review: &Review) -> Vec<ArmCategory>;
    /// The hits themselves: a statement of reasons points at the passages.
    fn hits(&self, shop: &Shop, review: &Review) -> Vec<ArmHit>;
}

/// The ARM filter engine (crates/filters) with its built-in rule packs.
pub struct EngineScanner {
    engine: trustdesk_filters::Engine,
}

impl EngineScanner {
    pub fn new(engine: trustdesk_filters::Engine) -> EngineScanner {
        EngineScanner { engine }
    }

    pub fn builtin() -> anyhow::Result<EngineScanner> {
        Ok(EngineScanner {
            engine: trustdesk_filters::Engine::compile(&trustdesk_filters::RulePacks::builtin())?,
        })
    }
}

impl Scanner for EngineScanner {
    fn hits(&self, shop: &Shop, review: &Review) -> Vec<ArmHit> {
        trustdesk_store::scan::scan_text(&self.engine, &review.text, &review.language, shop)
    }

    fn scan(&self, shop: &Shop, review: &Review) -> Vec<ArmCategory> {
        let mut cats: Vec<ArmCategory> =
            trustdesk_store::scan::scan_text(&self.engine, &review.text, &review.language, shop)
                .into_iter()
                .map(|h| h.category)
                .collect();
        cats.sort();
        cats.dedup();
        cats
    }
}

/// The engine compiled on first use, so a server that never ingests never pays
/// for compiling the rule packs.
#[derive(Default)]
pub struct LazyEngineScanner {
    engine: OnceLock<EngineScanner>,
}

impl LazyEngineScanner {
    fn engine(&self) -> &EngineScanner {
        self.engine.get_or_init(|| EngineScanner::builtin().expect("the built-in rule packs compile"))
    }
}

impl Scanner for LazyEngineScanner {
    fn scan(&self, shop: &Shop, review: &Review) -> Vec<ArmCategory> {
        self.engine().scan(shop, review)
    }

    fn hits(&self, shop: &Shop, review: &Review) -> Vec<ArmHit> {
        self.engine().hits(shop, review)
    }
}

/// A review arriving, with the facts ingestion sees but the review does not keep.
pub struct Incoming {
    pub review: Review,
    pub ip: Option<String>,
    /// Only its domain is looked at (and kept, in a signal).
    pub email: Option<String>,
}

/// Window for "several reviews from one IP address in a short time".
pub const IP_WINDOW_MINUTES: i64 = 60;
/// That many reviews for one shop from one address within the window is suspicious.
pub const IP_BURST_MIN: usize = 3;
/// Days before a review's day that make up the shop's usual daily rate.
pub const RATE_BASELINE_DAYS: i64 = 28;
/// A day needs at least this many reviews for the shop to count as a burst...
pub const RATE_BURST_MIN: u32 = 10;
/// ...and this many times the shop's usual daily rate.
pub const RATE_BURST_FACTOR: u32 = 5;

/// Reviews already stored for the shops of a batch: what "usual" is measured on.
#[derive(Debug, Default, Clone)]
pub struct History {
    /// Stored reviews per shop and UTC day.
    pub daily: HashMap<(ShopId, NaiveDate), u32>,
    /// The day of each shop's first stored review.
    pub first_day: HashMap<ShopId, NaiveDate>,
}

/// Loads the stored history the batch's rate signals compare against.
pub async fn load_history(conn: &mut AnyConnection, batch: &[Incoming]) -> Result<History, sqlx::Error> {
    let mut history = History::default();
    let days = batch.iter().map(|i| i.review.submitted_at.date_naive());
    let (Some(min), Some(max)) = (days.clone().min(), days.max()) else { return Ok(history) };
    let from = (min - Duration::days(RATE_BASELINE_DAYS)).to_string();
    let until = (max + Duration::days(1)).to_string();
    let mut shops: Vec<String> = batch.iter().map(|i| i.review.shop_id.to_string()).collect();
    shops.sort();
    shops.dedup();
    for chunk in shops.chunks(300) {
        let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 3)).collect();
        let list = list.join(", ");
        // queue_at is the RFC 3339 submission time, so its first ten characters are the UTC day.
        let sql = format!(
            "SELECT shop_id, substr(queue_at, 1, 10), COUNT(*) FROM entities
             WHERE kind = 'review' AND deleted = 0 AND queue_at >= $1 AND queue_at < $2 AND shop_id IN ({list})
             GROUP BY shop_id, substr(queue_at, 1, 10)"
        );
        let mut q = sqlx::query(&sql).bind(&from).bind(&until);
        for s in chunk {
            q = q.bind(s);
        }
        for row in q.fetch_all(&mut *conn).await? {
            let (Some(shop), Some(day)) = (parse_shop(&row, 0)?, parse_day(&row, 1)?) else { continue };
            history.daily.insert((shop, day), row.try_get::<i64, _>(2)?.try_into().unwrap_or(u32::MAX));
        }
        let sql = format!(
            "SELECT shop_id, MIN(queue_at) FROM entities
             WHERE kind = 'review' AND deleted = 0 AND shop_id IN ({}) GROUP BY shop_id",
            (0..chunk.len()).map(|i| format!("${}", i + 1)).collect::<Vec<_>>().join(", ")
        );
        let mut q = sqlx::query(&sql);
        for s in chunk {
            q = q.bind(s);
        }
        for row in q.fetch_all(&mut *conn).await? {
            if let (Some(shop), Some(day)) = (parse_shop(&row, 0)?, parse_day(&row, 1)?) {
                history.first_day.insert(shop, day);
            }
        }
    }
    Ok(history)
}

fn parse_shop(row: &AnyRow, i: usize) -> Result<Option<ShopId>, sqlx::Error> {
    Ok(row.try_get::<Option<String>, _>(i)?.and_then(|s| s.parse().ok()))
}

fn parse_day(row: &AnyRow, i: usize) -> Result<Option<NaiveDate>, sqlx::Error> {
    Ok(row.try_get::<Option<String>, _>(i)?.and_then(|s| s.get(..10)?.parse().ok()))
}

/// Adds fake signals to a batch of reviews arriving together: bursts from one IP
/// address for one shop, missing order references, duplicated text, throwaway
/// e-mail domains, and days far above the shop's usual rate (measured on
/// `history` plus the batch). Each signal carries its evidence.
pub fn add_signals(batch: &mut [Incoming], history: &History) {
    same_ip_bursts(batch);
    daily_rate_bursts(batch, history);
    let mut first_with_text: HashMap<String, usize> = HashMap::new();
    for i in 0..batch.len() {
        if batch[i].review.order_reference.trim().is_empty() {
            batch[i].review.flags.fake_signals.push(FakeSignal::NoConfirmedPurchase);
        }
        if let Some(domain) = batch[i].email.as_deref().and_then(disposable_domain) {
            batch[i].review.flags.fake_signals.push(FakeSignal::DisposableEmail { domain });
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

/// Same shop + IP: a sliding window over submission times.
fn same_ip_bursts(batch: &mut [Incoming]) {
    let mut by_ip: HashMap<(ShopId, String), Vec<usize>> = HashMap::new();
    for (i, inc) in batch.iter().enumerate() {
        if let Some(ip) = inc.ip.as_ref().filter(|ip| !ip.is_empty()) {
            by_ip.entry((inc.review.shop_id, ip.clone())).or_default().push(i);
        }
    }
    let window = Duration::minutes(IP_WINDOW_MINUTES);
    for ((_, ip), idx) in by_ip.iter_mut() {
        idx.sort_by_key(|i| (batch[*i].review.submitted_at, *i));
        let mut found: Vec<(usize, Vec<ReviewId>)> = Vec::new();
        for (pos, &i) in idx.iter().enumerate() {
            let t = batch[i].review.submitted_at;
            // Sorted by time: the window is a contiguous run around `pos`.
            let lo = idx[..pos]
                .iter()
                .rposition(|j| t - batch[*j].review.submitted_at > window)
                .map_or(0, |p| p + 1);
            let hi = idx[pos..]
                .iter()
                .position(|j| batch[*j].review.submitted_at - t > window)
                .map_or(idx.len(), |p| pos + p);
            if hi - lo >= IP_BURST_MIN {
                found.push((i, idx[lo..hi].iter().map(|j| batch[*j].review.id).collect()));
            }
        }
        for (i, review_ids) in found {
            batch[i].review.flags.fake_signals.push(FakeSignal::SameIpBurst {
                reviews: review_ids.len() as u32,
                window_minutes: IP_WINDOW_MINUTES as u32,
                ip: ip.clone(),
                review_ids,
            });
        }
    }
}

/// Days on which a shop got far more reviews than it usually does. "Usual" is
/// the mean over the `RATE_BASELINE_DAYS` before the day, counted from the shop's
/// first review when it is younger (so a new shop is not measured against empty
/// days it did not exist on).
fn daily_rate_bursts(batch: &mut [Incoming], history: &History) {
    let mut daily = history.daily.clone();
    let mut first_day = history.first_day.clone();
    for inc in batch.iter() {
        let (shop, day) = (inc.review.shop_id, inc.review.submitted_at.date_naive());
        *daily.entry((shop, day)).or_default() += 1;
        first_day.entry(shop).and_modify(|d| *d = (*d).min(day)).or_insert(day);
    }
    let mut verdict: HashMap<(ShopId, NaiveDate), Option<FakeSignal>> = HashMap::new();
    for inc in batch.iter_mut() {
        let key = (inc.review.shop_id, inc.review.submitted_at.date_naive());
        let signal = verdict.entry(key).or_insert_with(|| {
            let (shop, day) = key;
            let reviews = daily[&key];
            let start = (day - Duration::days(RATE_BASELINE_DAYS)).max(first_day[&shop]);
            let baseline_days = (day - start).num_days().max(0) as u32;
            let baseline: u64 = start
                .iter_days()
                .take_while(|d| *d < day)
                .map(|d| u64::from(daily.get(&(shop, d)).copied().unwrap_or(0)))
                .sum();
            let usual = if baseline_days == 0 { 0 } else { baseline * 100 / u64::from(baseline_days) };
            let burst =
                reviews >= RATE_BURST_MIN && u64::from(reviews) * 100 >= u64::from(RATE_BURST_FACTOR) * usual;
            burst.then(|| FakeSignal::DailyRateBurst {
                day,
                reviews,
                usual_per_day_hundredths: usual.try_into().unwrap_or(u32::MAX),
                baseline_days,
            })
        });
        if let Some(s) = signal {
            inc.review.flags.fake_signals.push(s.clone());
        }
    }
}

/// The built-in throwaway-mail patterns (`data/disposable-domains.txt`).
fn disposable_patterns() -> &'static [String] {
    static PATTERNS: OnceLock<Vec<String>> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        include_str!("../data/disposable-domains.txt")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_ascii_lowercase)
            .collect()
    })
}

/// The domain of `email` when it is on the throwaway-mail list.
pub fn disposable_domain(email: &str) -> Option<String> {
    let domain = email.rsplit_once('@')?.1.trim().trim_end_matches('.').to_ascii_lowercase();
    if domain.is_empty() {
        return None;
    }
    let hit = disposable_patterns().iter().any(|p| {
        if p.contains('*') {
            glob(p.as_bytes(), domain.as_bytes())
        } else {
            domain == *p || domain.strip_suffix(p.as_str()).is_some_and(|rest| rest.ends_with('.'))
        }
    });
    hit.then_some(domain)
}

/// `*` matches any run of bytes; everything else matches itself.
fn glob(p: &[u8], t: &[u8]) -> bool {
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == b'*')
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

#[cfg(test)]
mod signal_tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn arriving(n: usize) -> Vec<Incoming> {
        let (_, reviews) = trustdesk_store::demo::generate(3, n, Utc::now());
        let shop = reviews[0].shop_id;
        reviews
            .into_iter()
            .map(|mut r| {
                r.shop_id = shop;
                r.flags.fake_signals.clear();
                r.order_reference = "A-1".into();
                Incoming { review: r, ip: None, email: None }
            })
            .collect()
    }

    fn signals(i: &Incoming) -> &[FakeSignal] {
        &i.review.flags.fake_signals
    }

    #[test]
    fn throwaway_domains_match_by_pattern_and_subdomain() {
        assert_eq!(disposable_domain("x@Gone-Tomorrow.TEST").as_deref(), Some("gone-tomorrow.test"));
        assert_eq!(disposable_domain("x@eu.gone-tomorrow.test").as_deref(), Some("eu.gone-tomorrow.test"));
        assert_eq!(disposable_domain("x@10minutemail.example").as_deref(), Some("10minutemail.example"));
        assert_eq!(disposable_domain("x@a.tempmail.example").as_deref(), Some("a.tempmail.example"));
        assert_eq!(disposable_domain("x@notgone-tomorrow.test"), None);
        assert_eq!(disposable_domain("x@post.example"), None);
        assert_eq!(disposable_domain("no-at-sign"), None);
        assert!(glob(b"a*b*c", b"axxbyyc") && !glob(b"a*b", b"ac") && glob(b"*", b""));
    }

    #[test]
    fn an_ip_burst_names_its_address_and_reviews() {
        let mut batch = arriving(5);
        let t = Utc.with_ymd_and_hms(2026, 10, 1, 10, 0, 0).unwrap();
        for (k, inc) in batch.iter_mut().enumerate() {
            inc.review.submitted_at = t + Duration::minutes(if k == 4 { 300 } else { 10 * k as i64 });
            inc.ip = Some(if k == 3 { "192.0.2.9" } else { "192.0.2.1" }.into());
        }
        add_signals(&mut batch, &History::default());
        let ids: Vec<ReviewId> = [0, 1, 2].iter().map(|k| batch[*k].review.id).collect();
        for inc in &batch[..3] {
            assert_eq!(
                signals(inc),
                &[FakeSignal::SameIpBurst {
                    reviews: 3,
                    window_minutes: 60,
                    ip: "192.0.2.1".into(),
                    review_ids: ids.clone()
                }]
            );
        }
        assert!(signals(&batch[3]).is_empty() && signals(&batch[4]).is_empty());
    }

    #[test]
    fn a_day_far_above_the_usual_rate_is_a_burst_with_its_figures() {
        let day = NaiveDate::from_ymd_opt(2026, 10, 10).unwrap();
        let mut batch = arriving(12);
        let shop = batch[0].review.shop_id;
        for (k, inc) in batch.iter_mut().enumerate() {
            inc.review.submitted_at = day.and_hms_opt(8, k as u32, 0).unwrap().and_utc();
            inc.email = Some(format!("r{k}@post.example"));
        }
        // Stored: one review a day on every other day for 28 days = 0.5 a day.
        let mut history = History::default();
        for d in (1..=28).step_by(2) {
            history.daily.insert((shop, day - Duration::days(d)), 1);
        }
        history.first_day.insert(shop, day - Duration::days(200));
        let mut burst = batch
            .iter()
            .map(|i| Incoming { review: i.review.clone(), ip: None, email: None })
            .collect::<Vec<_>>();
        add_signals(&mut burst, &history);
        let want =
            FakeSignal::DailyRateBurst { day, reviews: 12, usual_per_day_hundredths: 50, baseline_days: 28 };
        assert!(burst.iter().all(|i| signals(i) == [want.clone()]), "{:?}", signals(&burst[0]));

        // The same day against a busy shop (3 a day) is ordinary.
        for d in 1..=28 {
            history.daily.insert((shop, day - Duration::days(d)), 3);
        }
        add_signals(&mut batch, &history);
        assert!(batch.iter().all(|i| signals(i).is_empty()));

        // A shop opened two days ago with 2 stored reviews: usual is 1 a day.
        let mut young = History::default();
        young.daily.insert((shop, day - Duration::days(2)), 2);
        young.first_day.insert(shop, day - Duration::days(2));
        add_signals(&mut burst[..10], &young);
        assert!(burst[..10].iter().all(|i| signals(i).contains(&FakeSignal::DailyRateBurst {
            day,
            reviews: 10,
            usual_per_day_hundredths: 100,
            baseline_days: 2
        })));
    }

    #[test]
    fn throwaway_addresses_are_flagged_with_their_domain_only() {
        let mut batch = arriving(2);
        batch[0].email = Some("someone@trashmail.example".into());
        batch[1].email = Some("someone@post.example".into());
        add_signals(&mut batch, &History::default());
        assert_eq!(signals(&batch[0]), &[FakeSignal::DisposableEmail { domain: "trashmail.example".into() }]);
        assert!(signals(&batch[1]).is_empty());
    }
}

//! Measured fairness: how often two moderators agree on the same review
//! (Cohen's kappa over blind second opinions) and whether negative reviews are
//! removed more often than positive ones (a one-sided two-proportion test).
//!
//! Pure arithmetic over decisions; the central service feeds it from its
//! records and the tests feed it simulated streams.

use crate::lifecycle::{RejectionReason, ReviewAction};

/// z for a two-sided 95 % interval.
const Z_95: f64 = 1.959_963_984_540_054;

/// A decision as agreement compares it: the action and, for a rejection, the
/// reason ("publish", "reject:insult", "request_evidence").
pub fn outcome_label(action: &ReviewAction) -> Option<String> {
    match action {
        ReviewAction::Publish => Some("publish".into()),
        ReviewAction::Reject { reason } => Some(format!("reject:{}", reason.code())),
        ReviewAction::RequestEvidence { .. } => Some("request_evidence".into()),
        _ => None,
    }
}

/// Whether a label is one `outcome_label` can produce.
pub fn is_outcome_label(label: &str) -> bool {
    match label.strip_prefix("reject:") {
        Some(code) => RejectionReason::ALL.iter().any(|r| r.code() == code),
        None => label == "publish" || label == "request_evidence",
    }
}

/// Kappa and its large-sample 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Kappa {
    pub samples: u32,
    pub agreed: u32,
    pub observed: f64,
    pub expected: f64,
    /// `None` when both raters used one category only (chance agreement is 1).
    pub kappa: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
}

/// Cohen's kappa for two raters over paired labels. The interval uses the
/// standard error sqrt(po (1 - po) / (n (1 - pe)^2)) and is clipped to [-1, 1].
pub fn cohen_kappa<S: AsRef<str>>(pairs: &[(S, S)]) -> Kappa {
    let n = pairs.len();
    let agreed = pairs.iter().filter(|(a, b)| a.as_ref() == b.as_ref()).count();
    if n == 0 {
        return Kappa {
            samples: 0,
            agreed: 0,
            observed: 0.0,
            expected: 0.0,
            kappa: None,
            low: None,
            high: None,
        };
    }
    let mut first: Vec<(&str, usize)> = Vec::new();
    let mut second: Vec<(&str, usize)> = Vec::new();
    for (a, b) in pairs {
        count(&mut first, a.as_ref());
        count(&mut second, b.as_ref());
    }
    let nf = n as f64;
    let po = agreed as f64 / nf;
    let pe: f64 = first
        .iter()
        .map(|(label, c1)| {
            let c2 = second.iter().find(|(l, _)| l == label).map_or(0, |(_, c)| *c);
            (*c1 as f64 / nf) * (c2 as f64 / nf)
        })
        .sum();
    let (kappa, low, high) = if (1.0 - pe).abs() < 1e-12 {
        (None, None, None)
    } else {
        let k = (po - pe) / (1.0 - pe);
        let se = (po * (1.0 - po) / (nf * (1.0 - pe).powi(2))).sqrt();
        (Some(k), Some((k - Z_95 * se).max(-1.0)), Some((k + Z_95 * se).min(1.0)))
    };
    Kappa { samples: n as u32, agreed: agreed as u32, observed: po, expected: pe, kappa, low, high }
}

fn count<'a>(v: &mut Vec<(&'a str, usize)>, label: &'a str) {
    match v.iter_mut().find(|(l, _)| *l == label) {
        Some((_, c)) => *c += 1,
        None => v.push((label, 1)),
    }
}

/// Standard normal upper tail, P(Z > z).
pub fn normal_upper_tail(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// Complementary error function by its Chebyshev-fitted exponential form
/// (fractional error below 1.2e-7 everywhere), enough for p-values.
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// One-sided two-proportion z-test of "group 1's rate is higher than group 2's".
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TwoProportion {
    pub rate1: f64,
    pub rate2: f64,
    pub z: f64,
    pub p_value: f64,
}

pub fn two_proportion_greater(x1: u32, n1: u32, x2: u32, n2: u32) -> Option<TwoProportion> {
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let (p1, p2) = (f64::from(x1) / f64::from(n1), f64::from(x2) / f64::from(n2));
    let pooled = f64::from(x1 + x2) / f64::from(n1 + n2);
    let se = (pooled * (1.0 - pooled) * (1.0 / f64::from(n1) + 1.0 / f64::from(n2))).sqrt();
    let z = if se > 0.0 { (p1 - p2) / se } else { 0.0 };
    Some(TwoProportion { rate1: p1, rate2: p2, z, p_value: normal_upper_tail(z) })
}

/// Thresholds of the bias guard.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BiasConfig {
    /// Warn when the one-sided p-value is below this.
    pub alpha: f64,
    /// Decided reviews needed in each star group before any verdict.
    pub min_per_group: u32,
}

impl Default for BiasConfig {
    fn default() -> Self {
        BiasConfig { alpha: 0.01, min_per_group: 50 }
    }
}

/// Removals among decided 1-2 star and 4-5 star reviews.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StarGroups {
    pub negative_decided: u32,
    pub negative_removed: u32,
    pub positive_decided: u32,
    pub positive_removed: u32,
}

impl StarGroups {
    /// Counts one final decision; 3-star reviews belong to neither group.
    pub fn add(&mut self, stars: u8, removed: bool) {
        match stars {
            1 | 2 => {
                self.negative_decided += 1;
                self.negative_removed += u32::from(removed);
            }
            4 | 5 => {
                self.positive_decided += 1;
                self.positive_removed += u32::from(removed);
            }
            _ => {}
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BiasVerdict {
    /// Fewer than `min_per_group` in a group: no verdict.
    TooFew,
    Fair(TwoProportion),
    /// Negative reviews are removed significantly more often.
    Warning(TwoProportion),
}

pub fn bias_verdict(g: &StarGroups, config: BiasConfig) -> BiasVerdict {
    if g.negative_decided < config.min_per_group || g.positive_decided < config.min_per_group {
        return BiasVerdict::TooFew;
    }
    match two_proportion_greater(
        g.negative_removed,
        g.negative_decided,
        g.positive_removed,
        g.positive_decided,
    ) {
        Some(t) if t.p_value < config.alpha => BiasVerdict::Warning(t),
        Some(t) => BiasVerdict::Fair(t),
        None => BiasVerdict::TooFew,
    }
}

/// Whether a final review decision removes the review (for the bias guard);
/// `None` for steps that are not final (an evidence request).
pub fn removes(action: &ReviewAction) -> Option<bool> {
    match action {
        ReviewAction::Publish | ReviewAction::AcceptEvidence => Some(false),
        ReviewAction::Reject { .. } | ReviewAction::RefuseEvidence | ReviewAction::ExpireDeadline => {
            Some(true)
        }
        _ => None,
    }
}

/// Whether a decision is drawn for a second opinion, given a fresh random
/// draw. The server draws (never the client, which chooses its decision ids and
/// could otherwise steer clear of sampling).
pub fn sampled(draw: u64, share: f64) -> bool {
    ((draw >> 11) as f64 / (1u64 << 53) as f64) < share
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SplitMix64: a small deterministic generator for simulated streams.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
        fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    #[test]
    fn kappa_of_a_textbook_table() {
        // 2x2 table: yes/yes 20, yes/no 5, no/yes 10, no/no 15 (n = 50).
        let mut pairs = Vec::new();
        pairs.extend(std::iter::repeat_n(("yes", "yes"), 20));
        pairs.extend(std::iter::repeat_n(("yes", "no"), 5));
        pairs.extend(std::iter::repeat_n(("no", "yes"), 10));
        pairs.extend(std::iter::repeat_n(("no", "no"), 15));
        let k = cohen_kappa(&pairs);
        // po = 0.7; pe = 0.5*0.6 + 0.5*0.4 = 0.5; kappa = 0.4.
        assert!((k.observed - 0.7).abs() < 1e-12);
        assert!((k.expected - 0.5).abs() < 1e-12);
        assert!((k.kappa.unwrap() - 0.4).abs() < 1e-12);
        let se = (0.7f64 * 0.3 / (50.0 * 0.25)).sqrt();
        assert!((k.low.unwrap() - (0.4 - 1.959_963_984_540_054 * se)).abs() < 1e-9);
        assert_eq!((k.samples, k.agreed), (50, 35));
    }

    #[test]
    fn kappa_is_undefined_when_everyone_says_the_same() {
        let k = cohen_kappa(&[("publish", "publish"), ("publish", "publish")]);
        assert_eq!(k.kappa, None);
        assert_eq!(k.observed, 1.0);
        assert_eq!(cohen_kappa::<&str>(&[]).kappa, None);
    }

    #[test]
    fn normal_tail_matches_known_quantiles() {
        for (z, p) in [(0.0, 0.5), (1.644_853_626_951, 0.05), (2.326_347_874, 0.01), (-1.959_963_985, 0.975)]
        {
            assert!((normal_upper_tail(z) - p).abs() < 1e-6, "z={z}");
        }
    }

    #[test]
    fn labels_round_trip() {
        for r in RejectionReason::ALL {
            let l = outcome_label(&ReviewAction::Reject { reason: r }).unwrap();
            assert!(is_outcome_label(&l), "{l}");
        }
        assert!(is_outcome_label("publish"));
        assert!(!is_outcome_label("reject:nonsense"));
        assert!(!is_outcome_label("<b>"));
    }

    fn stream(rng: &mut Rng, negatives: u32, positives: u32, p_neg: f64, p_pos: f64) -> StarGroups {
        let mut g = StarGroups::default();
        for _ in 0..negatives {
            let stars = if rng.unit() < 0.5 { 1 } else { 2 };
            g.add(stars, rng.unit() < p_neg);
        }
        for _ in 0..positives {
            let stars = if rng.unit() < 0.5 { 4 } else { 5 };
            g.add(stars, rng.unit() < p_pos);
        }
        g
    }

    #[test]
    fn fair_streams_rarely_raise_the_alarm() {
        let mut rng = Rng(20261126);
        let mut alarms = 0;
        let runs = 1000;
        for i in 0..runs {
            // Varying sizes and base rates, identical for both groups.
            let p = 0.03 + 0.3 * rng.unit();
            let g = stream(&mut rng, 60 + (i % 7) * 40, 100 + (i % 5) * 90, p, p);
            if matches!(bias_verdict(&g, BiasConfig::default()), BiasVerdict::Warning(_)) {
                alarms += 1;
            }
        }
        let rate = f64::from(alarms) / f64::from(runs);
        println!("false-alarm rate on {runs} fair streams: {rate:.3} ({alarms} alarms)");
        assert!(rate <= 0.02, "false-alarm rate {rate}");
    }

    #[test]
    fn a_planted_bias_is_found() {
        let mut rng = Rng(7);
        let mut found = 0;
        for _ in 0..200 {
            let g = stream(&mut rng, 200, 400, 0.22, 0.08);
            if matches!(bias_verdict(&g, BiasConfig::default()), BiasVerdict::Warning(_)) {
                found += 1;
            }
        }
        assert!(found >= 190, "planted bias found in {found} of 200 streams");
        // The reverse bias (positive reviews removed more) is not this guard's alarm.
        let g = stream(&mut rng, 200, 400, 0.05, 0.30);
        assert!(matches!(bias_verdict(&g, BiasConfig::default()), BiasVerdict::Fair(_)));
    }

    #[test]
    fn small_groups_get_no_verdict() {
        let g = StarGroups {
            negative_decided: 49,
            negative_removed: 49,
            positive_decided: 500,
            positive_removed: 0,
        };
        assert_eq!(bias_verdict(&g, BiasConfig::default()), BiasVerdict::TooFew);
    }

    #[test]
    fn sampling_share_is_close_to_the_setting() {
        let mut rng = Rng(3);
        let n = 20_000;
        let hits = (0..n).filter(|_| sampled(rng.next(), 0.03)).count();
        let share = hits as f64 / f64::from(n);
        assert!((0.025..0.035).contains(&share), "share {share}");
        assert!(!sampled(u64::MAX, 0.0));
        assert!(sampled(u64::MAX, 1.0));
    }
}

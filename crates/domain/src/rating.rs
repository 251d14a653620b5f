//! The shop's overall rating and its label (seed 003).
//!
//! Overall rating = simple average of the stars of the verified, published reviews
//! submitted in the 12 months up to now. Imported reviews never count.
//!
//! Rounding rule: the exact average (a fraction of integers) is rounded to two
//! decimals, half away from zero ("round half up": 4.495 -> 4.50, 4.4949 -> 4.49),
//! in integer arithmetic so no float error can move a band edge. The label is
//! taken from that rounded value, the one the profile shows.

use chrono::{DateTime, Months, Utc};
use serde::{Deserialize, Serialize};

use crate::lifecycle::ReviewStatus;
use crate::review::{Review, ReviewSource, Stars};

/// The seed's five bands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum RatingLabel {
    Excellent,
    Good,
    Fair,
    Poor,
    VeryPoor,
}

impl RatingLabel {
    /// The band of an average given in hundredths (450 = 4.50). `None` outside 1.00-5.00.
    pub fn for_hundredths(h: u16) -> Option<RatingLabel> {
        Some(match h {
            450..=500 => RatingLabel::Excellent,
            350..=449 => RatingLabel::Good,
            250..=349 => RatingLabel::Fair,
            150..=249 => RatingLabel::Poor,
            100..=149 => RatingLabel::VeryPoor,
            _ => return None,
        })
    }

    pub fn english(self) -> &'static str {
        match self {
            RatingLabel::Excellent => "Excellent",
            RatingLabel::Good => "Good",
            RatingLabel::Fair => "Fair",
            RatingLabel::Poor => "Poor",
            RatingLabel::VeryPoor => "Very poor",
        }
    }
}

/// `sum / count` rounded half-up to hundredths. `count` must be positive.
pub fn average_hundredths(sum: u64, count: u64) -> u16 {
    assert!(count > 0, "average of nothing");
    // floor((sum * 100 + count / 2) / count) is half-up for positive fractions;
    // doubling avoids losing the half when count is odd.
    let h = (2 * sum * 100 + count) / (2 * count);
    u16::try_from(h).unwrap_or(u16::MAX)
}

/// Formats hundredths with two decimals: 449 -> "4.49".
pub fn format_hundredths(h: u16) -> String {
    format!("{}.{:02}", h / 100, h % 100)
}

/// A shop's rating at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ShopRating {
    /// Rounded average in hundredths; `None` when no review counts.
    pub average_hundredths: Option<u16>,
    pub label: Option<RatingLabel>,
    /// Reviews that entered the average.
    pub counted: u32,
    /// Imported reviews in the window, shown to the user but never counted.
    pub imported_excluded: u32,
}

impl ShopRating {
    /// Applies seed 003 to `reviews` (of one shop) as of `now`.
    pub fn compute<'a>(reviews: impl IntoIterator<Item = &'a Review>, now: DateTime<Utc>) -> ShopRating {
        ShopRating::from_entries(reviews.into_iter().map(RatingEntry::of), now)
    }

    /// Seed 003 over slim entries (what a database query returns). The window is
    /// the 12 calendar months before `now`, exclusive of the start instant:
    /// `now - 12 months < submitted_at <= now`.
    pub fn from_entries(entries: impl IntoIterator<Item = RatingEntry>, now: DateTime<Utc>) -> ShopRating {
        let start = now.checked_sub_months(Months::new(12)).unwrap_or(DateTime::<Utc>::MIN_UTC);
        let (mut sum, mut counted, mut imported) = (0u64, 0u32, 0u32);
        for e in entries {
            if !e.published || e.submitted_at <= start || e.submitted_at > now {
                continue;
            }
            if e.source.is_verified() {
                sum += u64::from(e.stars.get());
                counted += 1;
            } else {
                imported += 1;
            }
        }
        let average_hundredths = (counted > 0).then(|| average_hundredths(sum, counted.into()));
        ShopRating {
            average_hundredths,
            label: average_hundredths.and_then(RatingLabel::for_hundredths),
            counted,
            imported_excluded: imported,
        }
    }
}

/// What the rating needs to know of one review.
#[derive(Debug, Clone, Copy)]
pub struct RatingEntry {
    pub stars: Stars,
    pub source: ReviewSource,
    pub published: bool,
    pub submitted_at: DateTime<Utc>,
}

impl RatingEntry {
    pub fn of(r: &Review) -> RatingEntry {
        RatingEntry {
            stars: r.stars,
            source: r.source,
            published: r.status == ReviewStatus::Published,
            submitted_at: r.submitted_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ReviewId, ShopId};
    use crate::review::ReviewFlags;
    use chrono::{Duration, NaiveDate, TimeZone};
    use proptest::prelude::*;

    #[test]
    fn band_edges() {
        // (sum, count, rounded hundredths, label)
        let cases: &[(u64, u64, u16, Option<RatingLabel>)] = &[
            (5, 1, 500, Some(RatingLabel::Excellent)),
            (9, 2, 450, Some(RatingLabel::Excellent)),
            (899, 200, 450, Some(RatingLabel::Excellent)), // 4.495 rounds up
            (44949, 10000, 449, Some(RatingLabel::Good)),  // 4.4949 rounds down
            (449, 100, 449, Some(RatingLabel::Good)),
            (7, 2, 350, Some(RatingLabel::Good)),
            (6989, 2000, 349, Some(RatingLabel::Fair)), // 3.4945
            (699, 200, 350, Some(RatingLabel::Good)),   // 3.495
            (5, 2, 250, Some(RatingLabel::Fair)),
            (499, 200, 250, Some(RatingLabel::Fair)),       // 2.495
            (4989, 2000, 249, Some(RatingLabel::Poor)),     // 2.4945
            (3, 2, 150, Some(RatingLabel::Poor)),           // 1.5
            (299, 200, 150, Some(RatingLabel::Poor)),       // 1.495
            (2989, 2000, 149, Some(RatingLabel::VeryPoor)), // 1.4945
            (1, 1, 100, Some(RatingLabel::VeryPoor)),       // 1.0
            (4, 3, 133, Some(RatingLabel::VeryPoor)),       // 1.333..
            (14, 3, 467, Some(RatingLabel::Excellent)),     // 4.666.. rounds up
        ];
        for &(sum, count, h, label) in cases {
            assert_eq!(average_hundredths(sum, count), h, "{sum}/{count}");
            assert_eq!(RatingLabel::for_hundredths(h), label, "{h}");
        }
        assert_eq!(RatingLabel::for_hundredths(99), None);
        assert_eq!(RatingLabel::for_hundredths(501), None);
        assert_eq!(format_hundredths(449), "4.49");
        assert_eq!(format_hundredths(100), "1.00");
        assert_eq!(format_hundredths(450), "4.50");
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap()
    }

    fn review(stars: u8, source: ReviewSource, status: ReviewStatus, submitted_at: DateTime<Utc>) -> Review {
        Review {
            id: ReviewId::new(),
            shop_id: ShopId::new(),
            order_reference: "O-1".into(),
            reviewer_reference: "c-1".into(),
            stars: Stars::new(stars).unwrap(),
            text: "ok".into(),
            language: "en".parse().unwrap(),
            experience_date: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            submitted_at,
            source,
            status,
            flags: ReviewFlags::default(),
            version: 1,
        }
    }

    #[test]
    fn no_reviews_means_no_rating() {
        let r = ShopRating::compute(std::iter::empty(), now());
        assert_eq!(r, ShopRating { average_hundredths: None, label: None, counted: 0, imported_excluded: 0 });
    }

    #[test]
    fn only_verified_published_reviews_of_the_last_12_months_count() {
        let t = now();
        let pub_ = ReviewStatus::Published;
        let year_ago = Utc.with_ymd_and_hms(2025, 11, 26, 12, 0, 0).unwrap();
        let reviews = vec![
            review(5, ReviewSource::Invitation, pub_, t - Duration::days(1)),
            review(4, ReviewSource::ConsumerAccount, pub_, t),
            review(1, ReviewSource::Imported, pub_, t - Duration::days(2)), // excluded, labelled
            review(1, ReviewSource::Invitation, ReviewStatus::Pending, t - Duration::days(2)),
            review(
                1,
                ReviewSource::Invitation,
                ReviewStatus::Rejected { reason: crate::RejectionReason::Insult },
                t,
            ),
            review(1, ReviewSource::DirectDoubleOptIn, pub_, year_ago), // exactly 12 months: outside
            review(3, ReviewSource::DirectDoubleOptIn, pub_, year_ago + Duration::seconds(1)), // inside
            review(1, ReviewSource::Invitation, pub_, t + Duration::seconds(1)), // future
        ];
        let r = ShopRating::compute(&reviews, t);
        assert_eq!(r.counted, 3);
        assert_eq!(r.imported_excluded, 1);
        assert_eq!(r.average_hundredths, Some(400));
        assert_eq!(r.label, Some(RatingLabel::Good));
    }

    proptest! {
        /// The integer rounding agrees with exact decimal rounding and stays in range.
        #[test]
        fn rounding_matches_exact_arithmetic(stars in proptest::collection::vec(1u64..=5, 1..500)) {
            let sum: u64 = stars.iter().sum();
            let n = stars.len() as u64;
            let h = average_hundredths(sum, n);
            // |h/100 - sum/n| <= 1/200, with ties going up.
            let diff = (h as i128) * (n as i128) * 2 - (sum as i128) * 200; // 200n(h/100 - avg)
            prop_assert!(diff > -(n as i128) && diff <= n as i128, "h={h} sum={sum} n={n}");
            prop_assert!((100..=500).contains(&h));
            prop_assert!(RatingLabel::for_hundredths(h).is_some());
        }

        /// Adding an imported review never changes the average.
        #[test]
        fn imported_reviews_never_move_the_rating(stars in proptest::collection::vec(1u8..=5, 0..40), imported in 1u8..=5) {
            let t = now();
            let mut reviews: Vec<Review> = stars.iter()
                .map(|s| review(*s, ReviewSource::Invitation, ReviewStatus::Published, t - Duration::days(3)))
                .collect();
            let before = ShopRating::compute(&reviews, t);
            reviews.push(review(imported, ReviewSource::Imported, ReviewStatus::Published, t - Duration::days(3)));
            let after = ShopRating::compute(&reviews, t);
            prop_assert_eq!(before.average_hundredths, after.average_hundredths);
            prop_assert_eq!(after.imported_excluded, before.imported_excluded + 1);
        }
    }
}

//! Reviews: a consumer's stars and words about one real purchase or service.

use chrono::{DateTime, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{ReviewId, ShopId};
use crate::lifecycle::ReviewStatus;
use crate::shop::LanguageCode;

/// Star rating, 1 to 5 inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "number"))]
pub struct Stars(u8);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stars must be between 1 and 5, got {0}")]
pub struct StarsError(pub i64);

impl Stars {
    pub fn new(n: u8) -> Result<Self, StarsError> {
        if (1..=5).contains(&n) {
            Ok(Self(n))
        } else {
            Err(StarsError(n.into()))
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for Stars {
    type Error = StarsError;
    fn try_from(n: u8) -> Result<Self, StarsError> {
        Stars::new(n)
    }
}

impl TryFrom<i64> for Stars {
    type Error = StarsError;
    fn try_from(n: i64) -> Result<Self, StarsError> {
        u8::try_from(n).map_err(|_| StarsError(n)).and_then(Stars::new)
    }
}

impl From<Stars> for u8 {
    fn from(s: Stars) -> u8 {
        s.0
    }
}

/// How a review reached us. Only the first three are tied to a verified purchase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ReviewSource {
    /// Invitation mailed to the purchase e-mail address after an order.
    Invitation,
    /// Rated from the consumer's account, on a documented purchase.
    ConsumerAccount,
    /// Submitted on the profile with e-mail + order reference, confirmed by double opt-in.
    DirectDoubleOptIn,
    /// Imported from another platform; labelled and never counted in the rating.
    Imported,
}

impl ReviewSource {
    pub fn is_verified(self) -> bool {
        !matches!(self, ReviewSource::Imported)
    }
}

/// Why the shop flagged a review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ShopFlag {
    pub reason: String,
    pub flagged_at: DateTime<Utc>,
}

/// One signal that a review may not rest on a real experience.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum FakeSignal {
    /// Several reviews for one shop from one IP address within a short window.
    SameIpBurst {
        /// How many reviews fell in the window, this one included.
        reviews: u32,
        window_minutes: u32,
        /// The address they came from (empty in records made before it was kept).
        #[serde(default)]
        ip: String,
        /// The reviews in the window, this one included.
        #[serde(default)]
        review_ids: Vec<ReviewId>,
    },
    /// No confirmed purchase matches the order reference.
    NoConfirmedPurchase,
    /// Text nearly identical to another review.
    DuplicateText { other: ReviewId },
    /// The reviewer's e-mail address is at a throwaway-mail domain.
    DisposableEmail {
        /// The domain of the address (the address itself is not kept).
        domain: String,
    },
    /// Far more reviews for the shop on one (UTC) day than it usually gets.
    DailyRateBurst {
        day: NaiveDate,
        /// Reviews for the shop on that day, this one included.
        reviews: u32,
        /// The shop's usual reviews per day over the `baseline_days` before, in
        /// hundredths (integers keep the record exact: 0.25/day is 25).
        usual_per_day_hundredths: u32,
        baseline_days: u32,
    },
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReviewFlags {
    pub shop_flag: Option<ShopFlag>,
    /// Empty when nothing suggests a fake.
    pub fake_signals: Vec<FakeSignal>,
    /// What the reviewer sent when evidence was requested (order confirmation,
    /// photos), in the order received.
    #[serde(default)]
    pub evidence_files: Vec<EvidenceFile>,
}

/// A file a reviewer sent as evidence. The bytes live once, by SHA-256, in the
/// central evidence store and every workstation's cache, so it opens offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EvidenceFile {
    pub sha256: String,
    /// The file name as sent (untrusted text).
    pub name: String,
    pub received_at: DateTime<Utc>,
}

/// A consumer review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Review {
    pub id: ReviewId,
    pub shop_id: ShopId,
    pub order_reference: String,
    /// Pseudonymous reference to the purchase e-mail; reviews are never anonymous.
    pub reviewer_reference: String,
    pub stars: Stars,
    pub text: String,
    pub language: LanguageCode,
    pub experience_date: NaiveDate,
    pub submitted_at: DateTime<Utc>,
    pub source: ReviewSource,
    pub status: ReviewStatus,
    pub flags: ReviewFlags,
    /// Server version; a decision names the version it was made on.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub version: i64,
}

/// Result of the 6-month experience rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ExperienceCheck {
    Ok,
    /// The experience lies more than 6 calendar months before submission.
    TooOld {
        earliest_allowed: NaiveDate,
    },
    /// The experience is dated after the submission.
    InFuture,
}

/// Seed 003: the experience must be no earlier than 6 months before submission.
/// "6 months" is calendar months on the submission's UTC date; when the day does
/// not exist in the earlier month, chrono clamps to its last day (31 Aug -> 28/29 Feb).
pub fn check_experience_date(experience: NaiveDate, submitted_at: DateTime<Utc>) -> ExperienceCheck {
    let submitted = submitted_at.date_naive();
    if experience > submitted {
        return ExperienceCheck::InFuture;
    }
    let earliest = submitted.checked_sub_months(Months::new(6)).unwrap_or(NaiveDate::MIN);
    if experience < earliest {
        ExperienceCheck::TooOld { earliest_allowed: earliest }
    } else {
        ExperienceCheck::Ok
    }
}

impl Review {
    pub fn experience_check(&self) -> ExperienceCheck {
        check_experience_date(self.experience_date, self.submitted_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn at(y: i32, m: u32, day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, day, 12, 0, 0).unwrap()
    }

    #[test]
    fn stars_accept_only_one_to_five() {
        for n in 1..=5u8 {
            assert_eq!(Stars::new(n).unwrap().get(), n);
        }
        assert!(Stars::new(0).is_err());
        assert!(Stars::new(6).is_err());
        assert!(Stars::try_from(-1i64).is_err());
        assert!(Stars::try_from(300i64).is_err());
        assert!(serde_json::from_str::<Stars>("0").is_err());
        assert_eq!(serde_json::from_str::<Stars>("4").unwrap().get(), 4);
    }

    #[test]
    fn only_imported_reviews_are_unverified() {
        assert!(ReviewSource::Invitation.is_verified());
        assert!(ReviewSource::ConsumerAccount.is_verified());
        assert!(ReviewSource::DirectDoubleOptIn.is_verified());
        assert!(!ReviewSource::Imported.is_verified());
    }

    #[test]
    fn six_month_rule_at_its_edges() {
        let cases = [
            (d(2026, 5, 15), at(2026, 11, 15), ExperienceCheck::Ok),
            (d(2026, 5, 14), at(2026, 11, 15), ExperienceCheck::TooOld { earliest_allowed: d(2026, 5, 15) }),
            (d(2026, 11, 15), at(2026, 11, 15), ExperienceCheck::Ok),
            (d(2026, 11, 16), at(2026, 11, 15), ExperienceCheck::InFuture),
            // 31 August minus six months clamps to the end of February.
            (d(2026, 2, 28), at(2026, 8, 31), ExperienceCheck::Ok),
            (d(2026, 2, 27), at(2026, 8, 31), ExperienceCheck::TooOld { earliest_allowed: d(2026, 2, 28) }),
            (d(2024, 2, 29), at(2024, 8, 31), ExperienceCheck::Ok),
            // Across a year boundary.
            (d(2026, 7, 1), at(2027, 1, 1), ExperienceCheck::Ok),
            (d(2026, 6, 30), at(2027, 1, 1), ExperienceCheck::TooOld { earliest_allowed: d(2026, 7, 1) }),
        ];
        for (exp, sub, want) in cases {
            assert_eq!(check_experience_date(exp, sub), want, "{exp} vs {sub}");
        }
    }

    #[test]
    fn submission_late_in_the_utc_day_uses_the_utc_date() {
        let sub = Utc.with_ymd_and_hms(2026, 11, 15, 23, 59, 59).unwrap();
        assert_eq!(check_experience_date(d(2026, 5, 15), sub), ExperienceCheck::Ok);
    }
}

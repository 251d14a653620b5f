//! Consumer disputes: communication, mediation, referral to binding arbitration.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{DisputeId, MessageId, ShopId};
use crate::shop::{CurrencyCode, LanguageCode};

/// An amount of money in integer minor units (cents). Never a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Money {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub minor_units: i64,
    pub currency: CurrencyCode,
}

impl Money {
    pub fn eur(minor_units: i64) -> Money {
        Money { minor_units, currency: "EUR".parse().expect("valid code") }
    }
}

/// The default fixed arbitration fee (seed 000: a small fixed fee, e.g. EUR 25).
pub fn default_arbitration_fee() -> Money {
    Money::eur(2500)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum DisputeStage {
    Communication,
    Mediation,
    ArbitrationReferral,
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Party {
    Consumer,
    Shop,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Author {
    Consumer,
    Shop,
    Mediator,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DisputeMessage {
    pub id: MessageId,
    pub author: Author,
    pub sent_at: DateTime<Utc>,
    pub body: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum DisputeOutcome {
    ConsumerPrevails,
    ShopPrevails,
    /// Both sides agreed; nobody lost.
    Settled,
}

impl DisputeOutcome {
    pub fn losing_party(self) -> Option<Party> {
        match self {
            DisputeOutcome::ConsumerPrevails => Some(Party::Shop),
            DisputeOutcome::ShopPrevails => Some(Party::Consumer),
            DisputeOutcome::Settled => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FeeCharge {
    pub payer: Party,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DisputeDecision {
    pub outcome: DisputeOutcome,
    pub reasoning: String,
    /// What the shop owes, e.g. a refund, if anything.
    pub remedy: Option<String>,
    pub remedy_amount: Option<Money>,
    /// Borne by the losing party when the case went to arbitration.
    pub fee: Option<FeeCharge>,
    pub decided_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DisputeCase {
    pub id: DisputeId,
    pub shop_id: ShopId,
    pub consumer_reference: String,
    pub order_reference: String,
    pub claim: Money,
    pub language: LanguageCode,
    pub stage: DisputeStage,
    pub messages: Vec<DisputeMessage>,
    /// When the current stage's next answer is due.
    pub deadline: Option<DateTime<Utc>>,
    pub decision: Option<DisputeDecision>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DisputeError {
    #[error("cannot move a dispute from {from:?} to {to:?}")]
    IllegalStage { from: DisputeStage, to: DisputeStage },
    #[error("the case is closed")]
    Closed,
    #[error("a decision needs its reasoning")]
    NoReasoning,
    #[error("amounts must be positive and in the claim's currency")]
    BadAmount,
}

impl DisputeCase {
    /// Escalates one stage: communication -> mediation -> arbitration referral.
    pub fn escalate(&mut self) -> Result<DisputeStage, DisputeError> {
        let next = match self.stage {
            DisputeStage::Communication => DisputeStage::Mediation,
            DisputeStage::Mediation => DisputeStage::ArbitrationReferral,
            from @ (DisputeStage::ArbitrationReferral | DisputeStage::Closed) => {
                return Err(DisputeError::IllegalStage { from, to: next_of(from) })
            }
        };
        self.stage = next;
        Ok(next)
    }

    /// Records the decision and closes the case. When the case was referred to
    /// arbitration, the fee is charged to the losing party.
    pub fn decide(
        &mut self,
        outcome: DisputeOutcome,
        reasoning: String,
        remedy: Option<String>,
        remedy_amount: Option<Money>,
        arbitration_fee: Money,
        now: DateTime<Utc>,
    ) -> Result<&DisputeDecision, DisputeError> {
        if self.stage == DisputeStage::Closed {
            return Err(DisputeError::Closed);
        }
        if reasoning.trim().is_empty() {
            return Err(DisputeError::NoReasoning);
        }
        if let Some(m) = remedy_amount {
            if m.minor_units <= 0 || m.currency != self.claim.currency {
                return Err(DisputeError::BadAmount);
            }
        }
        if arbitration_fee.minor_units < 0 {
            return Err(DisputeError::BadAmount);
        }
        let fee = (self.stage == DisputeStage::ArbitrationReferral)
            .then(|| outcome.losing_party())
            .flatten()
            .map(|payer| FeeCharge { payer, amount: arbitration_fee });
        self.stage = DisputeStage::Closed;
        Ok(self.decision.insert(DisputeDecision {
            outcome,
            reasoning,
            remedy,
            remedy_amount,
            fee,
            decided_at: now,
        }))
    }
}

fn next_of(s: DisputeStage) -> DisputeStage {
    match s {
        DisputeStage::Communication => DisputeStage::Mediation,
        DisputeStage::Mediation => DisputeStage::ArbitrationReferral,
        DisputeStage::ArbitrationReferral | DisputeStage::Closed => DisputeStage::Closed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn case() -> DisputeCase {
        DisputeCase {
            id: DisputeId::new(),
            shop_id: ShopId::new(),
            consumer_reference: "c-9".into(),
            order_reference: "A-1".into(),
            claim: Money::eur(4999),
            language: "nl".parse().unwrap(),
            stage: DisputeStage::Communication,
            messages: vec![],
            deadline: None,
            decision: None,
            version: 1,
        }
    }

    #[test]
    fn escalation_goes_one_way() {
        let mut c = case();
        assert_eq!(c.escalate(), Ok(DisputeStage::Mediation));
        assert_eq!(c.escalate(), Ok(DisputeStage::ArbitrationReferral));
        assert!(c.escalate().is_err());
    }

    #[test]
    fn the_loser_pays_the_arbitration_fee() {
        let mut c = case();
        c.escalate().unwrap();
        c.escalate().unwrap();
        let d = c
            .decide(
                DisputeOutcome::ConsumerPrevails,
                "Goods never arrived.".into(),
                Some("refund".into()),
                Some(Money::eur(4999)),
                default_arbitration_fee(),
                Utc::now(),
            )
            .unwrap()
            .clone();
        assert_eq!(d.fee, Some(FeeCharge { payer: Party::Shop, amount: Money::eur(2500) }));
        assert_eq!(c.stage, DisputeStage::Closed);
        assert_eq!(
            c.decide(
                DisputeOutcome::Settled,
                "again".into(),
                None,
                None,
                default_arbitration_fee(),
                Utc::now()
            ),
            Err(DisputeError::Closed)
        );

        let mut c = case();
        c.escalate().unwrap();
        c.escalate().unwrap();
        let d = c
            .decide(
                DisputeOutcome::ShopPrevails,
                "Delivered, signed.".into(),
                None,
                None,
                Money::eur(3000),
                Utc::now(),
            )
            .unwrap();
        assert_eq!(d.fee, Some(FeeCharge { payer: Party::Consumer, amount: Money::eur(3000) }));
    }

    #[test]
    fn no_fee_without_arbitration_or_loser() {
        let mut c = case();
        c.escalate().unwrap();
        let d = c
            .decide(
                DisputeOutcome::ConsumerPrevails,
                "Refund agreed in mediation.".into(),
                None,
                None,
                default_arbitration_fee(),
                Utc::now(),
            )
            .unwrap();
        assert_eq!(d.fee, None);
        let mut c = case();
        c.escalate().unwrap();
        c.escalate().unwrap();
        let d = c
            .decide(
                DisputeOutcome::Settled,
                "Settled.".into(),
                None,
                None,
                default_arbitration_fee(),
                Utc::now(),
            )
            .unwrap();
        assert_eq!(d.fee, None);
    }

    #[test]
    fn decisions_are_checked() {
        let mut c = case();
        assert_eq!(
            c.decide(DisputeOutcome::Settled, "  ".into(), None, None, default_arbitration_fee(), Utc::now()),
            Err(DisputeError::NoReasoning)
        );
        let usd = Money { minor_units: 100, currency: "USD".parse().unwrap() };
        assert_eq!(
            c.decide(
                DisputeOutcome::ConsumerPrevails,
                "r".into(),
                None,
                Some(usd),
                default_arbitration_fee(),
                Utc::now()
            ),
            Err(DisputeError::BadAmount)
        );
        assert_eq!(c.stage, DisputeStage::Communication, "a refused decision changes nothing");
    }

    proptest! {
        #[test]
        fn stages_never_go_back(escalations in 0usize..6) {
            let mut c = case();
            let mut last = c.stage;
            for _ in 0..escalations {
                if let Ok(s) = c.escalate() {
                    prop_assert!(s > last);
                    last = s;
                }
            }
            prop_assert!(c.stage <= DisputeStage::ArbitrationReferral);
        }
    }
}

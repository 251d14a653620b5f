//! Consumer disputes: communication, mediation, referral to binding arbitration
//! (seed 000), and the rules a mediator works under.
//!
//! A mediator changes a case only through [`DisputeChange`] and
//! [`DisputeCase::apply`]; the workstation (drafts, offline) and the central
//! service run the same function, so what the mediator sees is what lands.
//!
//! Rules decided here:
//! - Stages only move forward: communication -> mediation -> arbitration
//!   referral. Skipping mediation, going back, or closing by a stage move is
//!   refused; a case closes only with a decision (`Decide`), a settlement being
//!   a decision with the outcome `settled`.
//! - A closed case (one with a decision) never changes again.
//! - Each stage has at most one running deadline with its full history. A
//!   deadline must lie after `now` and every change needs a reason. It may be
//!   moved earlier only while unannounced (no mediator message since it was
//!   set, so no party can have planned around it); otherwise it can only be
//!   extended. A stage move leaves the new stage without a deadline.
//! - Answers are recorded on the latest proposal only (older ones are
//!   superseded). A party may change its answer until both have accepted; from
//!   then on the settlement is agreed: no new proposals, answers or stage
//!   moves, only the `settled` decision (and messages, deadlines).
//! - Merits decisions (consumer upheld, shop upheld, partly upheld) need at
//!   least mediation; `settled` needs an agreed proposal, in any open stage.
//!   Upheld and partly upheld need a remedy, shop upheld allows none; a refund
//!   is positive, in the claim's currency and at most the claim (partly upheld:
//!   less than the claim).
//! - The arbitration fee applies only to a case decided while referred to
//!   arbitration, never to a settlement. The losing party bears it; when the
//!   claim is partly upheld the shop does unless the mediator names the payer.
//!   Default EUR 25 ([`default_arbitration_fee`]), any positive amount may be
//!   configured per decision.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{DisputeId, MessageId, ProposalId, ShopId};
use crate::shop::{CurrencyCode, LanguageCode};

/// Longest name of a party.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest message to a party.
pub const MAX_MESSAGE_CHARS: usize = 10_000;
/// Longest text of a settlement proposal.
pub const MAX_PROPOSAL_CHARS: usize = 4_000;
/// Longest reason for setting or moving a deadline.
pub const MAX_DEADLINE_REASON_CHARS: usize = 500;
/// Longest reasoning of a decision (the central service's text limit).
pub const MAX_REASONING_CHARS: usize = 20_000;
/// Longest free-text remedy.
pub const MAX_REMEDY_CHARS: usize = 1_000;
/// Bounds that keep one case document small enough to sync.
pub const MAX_MESSAGES: usize = 2_000;
pub const MAX_PROPOSALS: usize = 50;
pub const MAX_DEADLINE_CHANGES: usize = 50;

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

impl DisputeStage {
    pub const ALL: [DisputeStage; 4] = [
        DisputeStage::Communication,
        DisputeStage::Mediation,
        DisputeStage::ArbitrationReferral,
        DisputeStage::Closed,
    ];

    pub fn is_open(self) -> bool {
        self != DisputeStage::Closed
    }

    /// Whether `MoveStage` may take a case from `self` to `to`. Closing is never
    /// a stage move; it takes a decision.
    pub fn can_move_to(self, to: DisputeStage) -> bool {
        matches!(
            (self, to),
            (DisputeStage::Communication, DisputeStage::Mediation)
                | (DisputeStage::Mediation, DisputeStage::ArbitrationReferral)
        )
    }
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

/// Whom a mediator's message goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Recipient {
    Consumer,
    Shop,
    Both,
}

impl Recipient {
    pub fn parties(self) -> &'static [Party] {
        match self {
            Recipient::Consumer => &[Party::Consumer],
            Recipient::Shop => &[Party::Shop],
            Recipient::Both => &[Party::Consumer, Party::Shop],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DisputeMessage {
    pub id: MessageId,
    pub author: Author,
    pub sent_at: DateTime<Utc>,
    pub body: String,
}

/// The structured outcome. The wire names of the first three are those of
/// existing data and stay; "consumer upheld" is `consumer_prevails`, "shop
/// upheld" is `shop_prevails` (the `*_upheld` spellings are read too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum DisputeOutcome {
    /// The consumer's claim is upheld.
    #[serde(alias = "consumer_upheld")]
    ConsumerPrevails,
    /// The claim is rejected; the shop's position is upheld.
    #[serde(alias = "shop_upheld")]
    ShopPrevails,
    /// The claim is upheld in part.
    PartlyUpheld,
    /// Both sides agreed; nobody lost.
    Settled,
}

impl DisputeOutcome {
    pub const ALL: [DisputeOutcome; 4] = [
        DisputeOutcome::ConsumerPrevails,
        DisputeOutcome::ShopPrevails,
        DisputeOutcome::PartlyUpheld,
        DisputeOutcome::Settled,
    ];

    /// The party that lost outright; none for a partial outcome or a settlement.
    pub fn losing_party(self) -> Option<Party> {
        match self {
            DisputeOutcome::ConsumerPrevails => Some(Party::Shop),
            DisputeOutcome::ShopPrevails => Some(Party::Consumer),
            DisputeOutcome::PartlyUpheld | DisputeOutcome::Settled => None,
        }
    }

    /// Who bears the arbitration fee unless the mediator says otherwise. A
    /// partly upheld claim was at least partly justified, so the shop, whose
    /// refusal made arbitration necessary, bears it.
    pub fn default_fee_payer(self) -> Option<Party> {
        match self {
            DisputeOutcome::PartlyUpheld => Some(Party::Shop),
            o => o.losing_party(),
        }
    }

    /// The wire name, also the key of the reasoning templates.
    pub fn code(self) -> &'static str {
        match self {
            DisputeOutcome::ConsumerPrevails => "consumer_prevails",
            DisputeOutcome::ShopPrevails => "shop_prevails",
            DisputeOutcome::PartlyUpheld => "partly_upheld",
            DisputeOutcome::Settled => "settled",
        }
    }
}

/// What the shop owes the consumer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Remedy {
    Refund { amount: Money },
    Replacement,
    Repair,
    Other { text: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FeeCharge {
    pub payer: Party,
    pub amount: Money,
}

/// The mediator's choices about the arbitration fee in a decision; empty means
/// the default fee, borne by the default payer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FeeTerms {
    #[serde(default)]
    pub amount: Option<Money>,
    /// Only for a partly upheld claim may this differ from the losing party.
    #[serde(default)]
    pub payer: Option<Party>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DisputeDecision {
    pub outcome: DisputeOutcome,
    pub reasoning: String,
    /// Free-text remedy: the `other` text, `replacement` or `repair` for a
    /// structured remedy, or whatever a decision from before `remedy_kind` said.
    pub remedy: Option<String>,
    /// The refund amount, if any.
    pub remedy_amount: Option<Money>,
    /// Borne by the losing party when the case went to arbitration.
    pub fee: Option<FeeCharge>,
    pub decided_at: DateTime<Utc>,
    /// The structured remedy; absent in decisions written before it existed.
    #[serde(default)]
    pub remedy_kind: Option<Remedy>,
    /// The agreed proposal a settlement rests on.
    #[serde(default)]
    pub settlement: Option<ProposalId>,
    #[serde(default)]
    pub decided_by: String,
}

/// A settlement the mediator put to both parties, with their answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SettlementProposal {
    pub id: ProposalId,
    /// The mediator who proposed it.
    pub proposed_by: String,
    pub text: String,
    pub amount: Option<Money>,
    pub created_at: DateTime<Utc>,
    /// `None` until the party answered.
    pub consumer_accepts: Option<bool>,
    pub shop_accepts: Option<bool>,
}

impl SettlementProposal {
    pub fn is_agreed(&self) -> bool {
        self.consumer_accepts == Some(true) && self.shop_accepts == Some(true)
    }

    pub fn answer(&self, party: Party) -> Option<bool> {
        match party {
            Party::Consumer => self.consumer_accepts,
            Party::Shop => self.shop_accepts,
        }
    }
}

/// The deadline of one stage with how it came to be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StageDeadline {
    pub stage: DisputeStage,
    /// Always the `due` of the last history entry.
    pub due: DateTime<Utc>,
    pub history: Vec<DeadlineChange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DeadlineChange {
    pub due: DateTime<Utc>,
    /// The deadline this one replaced, if any.
    pub previous: Option<DateTime<Utc>>,
    pub reason: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum DeadlineChangeKind {
    Set,
    Extended,
    /// Moved earlier before anyone was told.
    Corrected,
}

impl DeadlineChange {
    pub fn kind(&self) -> DeadlineChangeKind {
        match self.previous {
            None => DeadlineChangeKind::Set,
            Some(p) if self.due > p => DeadlineChangeKind::Extended,
            Some(_) => DeadlineChangeKind::Corrected,
        }
    }
}

/// One entry of the case timeline besides the messages themselves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DisputeEvent {
    pub at: DateTime<Utc>,
    /// The user who made the change.
    pub by: String,
    pub what: DisputeEventKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum DisputeEventKind {
    MessageSent { message_id: MessageId, to: Recipient },
    DeadlineSet { stage: DisputeStage, due: DateTime<Utc>, previous: Option<DateTime<Utc>> },
    StageMoved { from: DisputeStage, to: DisputeStage },
    Proposed { proposal_id: ProposalId },
    AnswerRecorded { proposal_id: ProposalId, party: Party, accepts: bool },
    Decided { outcome: DisputeOutcome },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DisputeCase {
    pub id: DisputeId,
    pub shop_id: ShopId,
    pub consumer_reference: String,
    pub order_reference: String,
    pub claim: Money,
    /// The consumer's language.
    pub language: LanguageCode,
    pub stage: DisputeStage,
    pub messages: Vec<DisputeMessage>,
    /// The current stage's deadline, mirrored from `deadlines` for readers
    /// that predate them; `apply` keeps the two in step.
    pub deadline: Option<DateTime<Utc>>,
    pub decision: Option<DisputeDecision>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub version: i64,
    // Fields below were added for mediation; older documents lack them.
    #[serde(default)]
    pub consumer_name: String,
    #[serde(default)]
    pub shop_name: String,
    /// `None` when unknown; texts to the shop then use English.
    #[serde(default)]
    pub shop_language: Option<LanguageCode>,
    #[serde(default)]
    pub deadlines: Vec<StageDeadline>,
    #[serde(default)]
    pub proposals: Vec<SettlementProposal>,
    #[serde(default)]
    pub referred_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub events: Vec<DisputeEvent>,
}

/// One change a mediator makes; applied locally at once (drafts) and on the
/// server through the mutation outbox. Ids of new messages and proposals come
/// with the change so both sides create the same ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum DisputeChange {
    /// A message from the mediator.
    SendMessage {
        id: MessageId,
        to: Recipient,
        body: String,
    },
    /// Sets or moves the current stage's deadline.
    SetDeadline {
        due: DateTime<Utc>,
        reason: String,
    },
    MoveStage {
        to: DisputeStage,
    },
    Propose {
        id: ProposalId,
        text: String,
        #[serde(default)]
        amount: Option<Money>,
    },
    RecordAcceptance {
        proposal_id: ProposalId,
        party: Party,
        accepts: bool,
    },
    ReferToArbitration,
    Decide {
        outcome: DisputeOutcome,
        #[serde(default)]
        remedy: Option<Remedy>,
        reasoning: String,
        #[serde(default)]
        fee: FeeTerms,
    },
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
    #[error("a case closes only with a decision or a settlement")]
    CloseOnlyByDecision,
    #[error("the {0} is empty")]
    EmptyText(&'static str),
    #[error("the {field} may hold at most {max} characters")]
    TextTooLong { field: &'static str, max: usize },
    #[error("a case may hold at most {max} {what}")]
    TooMany { what: &'static str, max: usize },
    #[error("a deadline must lie in the future")]
    DeadlineNotInFuture,
    #[error("the deadline is already {0}")]
    DeadlineUnchanged(DateTime<Utc>),
    #[error("the parties were told the deadline {current}; it can be extended, not shortened")]
    DeadlineShortened { current: DateTime<Utc> },
    #[error("this id is already used in the case")]
    DuplicateId,
    #[error("the case has no proposal {0}")]
    UnknownProposal(ProposalId),
    #[error("only the latest proposal can be answered")]
    ProposalSuperseded,
    #[error("both parties accepted a settlement; only the settled decision can follow")]
    SettlementAgreed,
    #[error("a settlement needs a proposal both parties accepted")]
    NoAgreedSettlement,
    #[error("a decision on the merits needs mediation first")]
    MeritsNeedMediation,
    #[error("this outcome needs a remedy")]
    RemedyRequired,
    #[error("when the shop's position is upheld there is no remedy")]
    RemedyNotAllowed,
    #[error("a refund may not exceed the claim")]
    RefundExceedsClaim,
    #[error("a claim upheld in part cannot be refunded in full")]
    PartialOutcomeFullRefund,
    #[error("the arbitration fee is borne by the losing party")]
    FeePayerNotLoser,
    #[error("no arbitration fee applies: the case was not decided in arbitration, or it was settled")]
    FeeNotApplicable,
}

fn check_text(field: &'static str, text: &str, max: usize) -> Result<(), DisputeError> {
    if text.trim().is_empty() {
        return Err(DisputeError::EmptyText(field));
    }
    if text.chars().count() > max {
        return Err(DisputeError::TextTooLong { field, max });
    }
    Ok(())
}

/// Where a case sorts in the mediator's list: overdue cases first, then by the
/// next deadline (earliest first), then open cases without a deadline, closed
/// cases last; the id breaks ties so the order is stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DisputeListKey {
    rank: u8,
    due: Option<DateTime<Utc>>,
    id: DisputeId,
}

impl DisputeCase {
    /// A new case in direct communication.
    pub fn open(
        shop_id: ShopId,
        consumer_reference: String,
        order_reference: String,
        claim: Money,
        consumer_language: LanguageCode,
    ) -> DisputeCase {
        DisputeCase {
            id: DisputeId::new(),
            shop_id,
            consumer_reference,
            order_reference,
            claim,
            language: consumer_language,
            stage: DisputeStage::Communication,
            messages: Vec::new(),
            deadline: None,
            decision: None,
            version: 1,
            consumer_name: String::new(),
            shop_name: String::new(),
            shop_language: None,
            deadlines: Vec::new(),
            proposals: Vec::new(),
            referred_at: None,
            events: Vec::new(),
        }
    }

    /// The language to write to `party` in (the shop's falls back to English).
    pub fn language_of(&self, party: Party) -> LanguageCode {
        match party {
            Party::Consumer => self.language,
            Party::Shop => self.shop_language.unwrap_or_else(|| "en".parse().expect("valid code")),
        }
    }

    /// The running deadline of the current stage, if any.
    pub fn next_deadline(&self) -> Option<DateTime<Utc>> {
        if !self.stage.is_open() {
            return None;
        }
        self.stage_deadline(self.stage).map(|d| d.due).or(self.deadline)
    }

    /// Overdue once the deadline has passed; at the instant itself it is still due.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.next_deadline().is_some_and(|d| d < now)
    }

    pub fn list_key(&self, now: DateTime<Utc>) -> DisputeListKey {
        let due = self.next_deadline();
        let rank = match (self.stage.is_open(), due) {
            (false, _) => 3,
            (true, None) => 2,
            (true, Some(_)) if self.is_overdue(now) => 0,
            (true, Some(_)) => 1,
        };
        DisputeListKey { rank, due, id: self.id }
    }

    /// Sorts cases for the mediator's list (see [`DisputeListKey`]).
    pub fn sort_for_list(cases: &mut [DisputeCase], now: DateTime<Utc>) {
        cases.sort_by_cached_key(|c| c.list_key(now));
    }

    pub fn stage_deadline(&self, stage: DisputeStage) -> Option<&StageDeadline> {
        self.deadlines.iter().find(|d| d.stage == stage)
    }

    /// The latest proposal; only it can be answered.
    pub fn current_proposal(&self) -> Option<&SettlementProposal> {
        self.proposals.last()
    }

    /// The proposal both parties accepted, if any.
    pub fn agreed_proposal(&self) -> Option<&SettlementProposal> {
        self.current_proposal().filter(|p| p.is_agreed())
    }

    /// Applies one mediator's change. Every check runs before anything changes,
    /// so a refused change leaves the case as it was.
    pub fn apply(
        &mut self,
        change: &DisputeChange,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(), DisputeError> {
        if !self.stage.is_open() || self.decision.is_some() {
            return Err(DisputeError::Closed);
        }
        match change {
            DisputeChange::SendMessage { id, to, body } => {
                check_text("message", body, MAX_MESSAGE_CHARS)?;
                if self.messages.len() >= MAX_MESSAGES {
                    return Err(DisputeError::TooMany { what: "messages", max: MAX_MESSAGES });
                }
                if self.messages.iter().any(|m| m.id == *id) {
                    return Err(DisputeError::DuplicateId);
                }
                self.messages.push(DisputeMessage {
                    id: *id,
                    author: Author::Mediator,
                    sent_at: now,
                    body: body.clone(),
                });
                self.event(by, now, DisputeEventKind::MessageSent { message_id: *id, to: *to });
            }
            DisputeChange::SetDeadline { due, reason } => self.set_deadline(*due, reason, by, now)?,
            DisputeChange::MoveStage { to } => match (self.stage, *to) {
                (DisputeStage::Mediation, DisputeStage::ArbitrationReferral) => self.refer(by, now)?,
                (from, to) if from.can_move_to(to) => {
                    if self.agreed_proposal().is_some() {
                        return Err(DisputeError::SettlementAgreed);
                    }
                    self.move_to(to, by, now);
                }
                (_, DisputeStage::Closed) => return Err(DisputeError::CloseOnlyByDecision),
                (from, to) => return Err(DisputeError::IllegalStage { from, to }),
            },
            DisputeChange::Propose { id, text, amount } => {
                check_text("proposal", text, MAX_PROPOSAL_CHARS)?;
                if let Some(m) = amount {
                    self.check_amount(*m)?;
                }
                if self.agreed_proposal().is_some() {
                    return Err(DisputeError::SettlementAgreed);
                }
                if self.proposals.len() >= MAX_PROPOSALS {
                    return Err(DisputeError::TooMany { what: "proposals", max: MAX_PROPOSALS });
                }
                if self.proposals.iter().any(|p| p.id == *id) {
                    return Err(DisputeError::DuplicateId);
                }
                self.proposals.push(SettlementProposal {
                    id: *id,
                    proposed_by: by.to_owned(),
                    text: text.clone(),
                    amount: *amount,
                    created_at: now,
                    consumer_accepts: None,
                    shop_accepts: None,
                });
                self.event(by, now, DisputeEventKind::Proposed { proposal_id: *id });
            }
            DisputeChange::RecordAcceptance { proposal_id, party, accepts } => {
                let current = self.current_proposal().map(|p| p.id);
                if current != Some(*proposal_id) {
                    return Err(if self.proposals.iter().any(|p| p.id == *proposal_id) {
                        DisputeError::ProposalSuperseded
                    } else {
                        DisputeError::UnknownProposal(*proposal_id)
                    });
                }
                if self.agreed_proposal().is_some() {
                    return Err(DisputeError::SettlementAgreed);
                }
                let p = self.proposals.last_mut().expect("checked above");
                match party {
                    Party::Consumer => p.consumer_accepts = Some(*accepts),
                    Party::Shop => p.shop_accepts = Some(*accepts),
                }
                let what = DisputeEventKind::AnswerRecorded {
                    proposal_id: *proposal_id,
                    party: *party,
                    accepts: *accepts,
                };
                self.event(by, now, what);
            }
            DisputeChange::ReferToArbitration => self.refer(by, now)?,
            DisputeChange::Decide { outcome, remedy, reasoning, fee } => {
                self.decide_checked(*outcome, remedy.as_ref(), reasoning, fee, by, now)?
            }
        }
        Ok(())
    }

    fn event(&mut self, by: &str, at: DateTime<Utc>, what: DisputeEventKind) {
        self.events.push(DisputeEvent { at, by: by.to_owned(), what });
    }

    fn check_amount(&self, m: Money) -> Result<(), DisputeError> {
        if m.minor_units <= 0 || m.currency != self.claim.currency {
            return Err(DisputeError::BadAmount);
        }
        Ok(())
    }

    fn set_deadline(
        &mut self,
        due: DateTime<Utc>,
        reason: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(), DisputeError> {
        check_text("deadline reason", reason, MAX_DEADLINE_REASON_CHARS)?;
        if due <= now {
            return Err(DisputeError::DeadlineNotInFuture);
        }
        let stage = self.stage;
        let entry = self.stage_deadline(stage);
        // A deadline from before `deadlines` existed has no history: treat it
        // as announced, since nobody knows when it was set.
        let previous = entry.map(|d| d.due).or(self.deadline);
        let set_at = entry.and_then(|d| d.history.last()).map(|h| h.at);
        if let Some(current) = previous {
            if due == current {
                return Err(DisputeError::DeadlineUnchanged(current));
            }
            let announced = match set_at {
                None => true,
                Some(at) => self.messages.iter().any(|m| m.author == Author::Mediator && m.sent_at >= at),
            };
            if due < current && announced {
                return Err(DisputeError::DeadlineShortened { current });
            }
        }
        if entry.is_some_and(|d| d.history.len() >= MAX_DEADLINE_CHANGES) {
            return Err(DisputeError::TooMany { what: "deadline changes", max: MAX_DEADLINE_CHANGES });
        }
        let change = DeadlineChange { due, previous, reason: reason.to_owned(), by: by.to_owned(), at: now };
        match self.deadlines.iter_mut().find(|d| d.stage == stage) {
            Some(d) => {
                d.due = due;
                d.history.push(change);
            }
            None => self.deadlines.push(StageDeadline { stage, due, history: vec![change] }),
        }
        self.deadline = Some(due);
        self.event(by, now, DisputeEventKind::DeadlineSet { stage, due, previous });
        Ok(())
    }

    fn move_to(&mut self, to: DisputeStage, by: &str, now: DateTime<Utc>) {
        let from = self.stage;
        self.stage = to;
        self.deadline = self.stage_deadline(to).map(|d| d.due);
        self.event(by, now, DisputeEventKind::StageMoved { from, to });
    }

    fn refer(&mut self, by: &str, now: DateTime<Utc>) -> Result<(), DisputeError> {
        if self.stage != DisputeStage::Mediation {
            return Err(DisputeError::IllegalStage {
                from: self.stage,
                to: DisputeStage::ArbitrationReferral,
            });
        }
        if self.agreed_proposal().is_some() {
            return Err(DisputeError::SettlementAgreed);
        }
        self.referred_at = Some(now);
        self.move_to(DisputeStage::ArbitrationReferral, by, now);
        Ok(())
    }

    fn decide_checked(
        &mut self,
        outcome: DisputeOutcome,
        remedy: Option<&Remedy>,
        reasoning: &str,
        fee: &FeeTerms,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(), DisputeError> {
        if reasoning.trim().is_empty() {
            return Err(DisputeError::NoReasoning);
        }
        check_text("reasoning", reasoning, MAX_REASONING_CHARS)?;
        let settlement = match outcome {
            DisputeOutcome::Settled => {
                Some(self.agreed_proposal().ok_or(DisputeError::NoAgreedSettlement)?.id)
            }
            _ if self.stage == DisputeStage::Communication => return Err(DisputeError::MeritsNeedMediation),
            _ => None,
        };
        match (outcome, remedy) {
            (DisputeOutcome::ShopPrevails, Some(_)) => return Err(DisputeError::RemedyNotAllowed),
            (DisputeOutcome::ConsumerPrevails | DisputeOutcome::PartlyUpheld, None) => {
                return Err(DisputeError::RemedyRequired)
            }
            _ => {}
        }
        match remedy {
            Some(Remedy::Refund { amount }) => {
                self.check_amount(*amount)?;
                if amount.minor_units > self.claim.minor_units {
                    return Err(DisputeError::RefundExceedsClaim);
                }
                if outcome == DisputeOutcome::PartlyUpheld && amount.minor_units == self.claim.minor_units {
                    return Err(DisputeError::PartialOutcomeFullRefund);
                }
            }
            Some(Remedy::Other { text }) => check_text("remedy", text, MAX_REMEDY_CHARS)?,
            Some(Remedy::Replacement | Remedy::Repair) | None => {}
        }
        let fee_applies =
            self.stage == DisputeStage::ArbitrationReferral && outcome != DisputeOutcome::Settled;
        let fee = if fee_applies {
            let amount = fee.amount.unwrap_or_else(default_arbitration_fee);
            if amount.minor_units <= 0 {
                return Err(DisputeError::BadAmount);
            }
            let payer = match (outcome.losing_party(), fee.payer) {
                (Some(loser), Some(p)) if p != loser => return Err(DisputeError::FeePayerNotLoser),
                (_, Some(p)) => p,
                (_, None) => outcome.default_fee_payer().expect("every outcome but settled has a payer"),
            };
            Some(FeeCharge { payer, amount })
        } else {
            if *fee != FeeTerms::default() {
                return Err(DisputeError::FeeNotApplicable);
            }
            None
        };
        let (remedy_text, remedy_amount) = match remedy {
            Some(Remedy::Refund { amount }) => (None, Some(*amount)),
            Some(Remedy::Replacement) => (Some("replacement".to_owned()), None),
            Some(Remedy::Repair) => (Some("repair".to_owned()), None),
            Some(Remedy::Other { text }) => (Some(text.clone()), None),
            None => (None, None),
        };
        self.close(DisputeDecision {
            outcome,
            reasoning: reasoning.to_owned(),
            remedy: remedy_text,
            remedy_amount,
            fee,
            decided_at: now,
            remedy_kind: remedy.cloned(),
            settlement,
            decided_by: by.to_owned(),
        });
        Ok(())
    }

    fn close(&mut self, decision: DisputeDecision) {
        let (by, at, outcome) = (decision.decided_by.clone(), decision.decided_at, decision.outcome);
        self.stage = DisputeStage::Closed;
        self.deadline = None;
        self.decision = Some(decision);
        self.event(&by, at, DisputeEventKind::Decided { outcome });
    }

    /// Escalates one stage: communication -> mediation -> arbitration referral.
    ///
    /// Kept for callers that predate [`DisputeCase::apply`]; it records no
    /// event and no `referred_at` (it has no clock). Prefer `MoveStage`.
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
    ///
    /// Kept for callers that predate [`DisputeCase::apply`], with its original
    /// looser rules (any open stage, no agreed proposal needed for `settled`,
    /// free-text remedy). Prefer `Decide`.
    pub fn decide(
        &mut self,
        outcome: DisputeOutcome,
        reasoning: String,
        remedy: Option<String>,
        remedy_amount: Option<Money>,
        arbitration_fee: Money,
        now: DateTime<Utc>,
    ) -> Result<&DisputeDecision, DisputeError> {
        if self.stage == DisputeStage::Closed || self.decision.is_some() {
            return Err(DisputeError::Closed);
        }
        if reasoning.trim().is_empty() {
            return Err(DisputeError::NoReasoning);
        }
        if let Some(m) = remedy_amount {
            self.check_amount(m)?;
        }
        if arbitration_fee.minor_units < 0 {
            return Err(DisputeError::BadAmount);
        }
        let fee = (self.stage == DisputeStage::ArbitrationReferral)
            .then(|| outcome.default_fee_payer())
            .flatten()
            .map(|payer| FeeCharge { payer, amount: arbitration_fee });
        let remedy_kind = remedy_amount.map(|amount| Remedy::Refund { amount });
        self.close(DisputeDecision {
            outcome,
            reasoning,
            remedy,
            remedy_amount,
            fee,
            decided_at: now,
            remedy_kind,
            settlement: None,
            decided_by: String::new(),
        });
        Ok(self.decision.as_ref().expect("just set"))
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
        let mut c = DisputeCase::open(
            ShopId::new(),
            "c-9".into(),
            "A-1".into(),
            Money::eur(4999),
            "nl".parse().unwrap(),
        );
        c.consumer_name = "Sanne de Vries".into();
        c.shop_name = "Nordlicht Versand".into();
        c.shop_language = Some("de".parse().unwrap());
        c
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

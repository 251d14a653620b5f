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

use crate::audit::EvidenceRef;
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
/// Most files one case holds.
pub const MAX_ATTACHMENTS: usize = 200;
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
    Attached { sha256: String, from: Author },
}

/// A file a party sent (a receipt, a photo of the damage, a PDF), kept by its
/// SHA-256 in the evidence store and on every workstation, so it opens offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DisputeAttachment {
    pub sha256: String,
    /// The file name as received (untrusted text).
    pub name: String,
    /// Who sent it.
    pub from: Author,
    pub added_at: DateTime<Utc>,
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
    #[serde(default)]
    pub attachments: Vec<DisputeAttachment>,
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
    /// A file from a party (or the mediator), uploaded to the evidence store
    /// before the change is sent.
    Attach {
        sha256: String,
        name: String,
        from: Author,
    },
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
    #[error("an attachment needs a SHA-256 and a short file name")]
    BadAttachment,
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
            attachments: Vec::new(),
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
            DisputeChange::Attach { sha256, name, from } => {
                let file = EvidenceRef::File { sha256: sha256.clone(), name: name.clone() };
                if !file.is_well_formed() {
                    return Err(DisputeError::BadAttachment);
                }
                if self.attachments.len() >= MAX_ATTACHMENTS {
                    return Err(DisputeError::TooMany { what: "attachments", max: MAX_ATTACHMENTS });
                }
                if self.attachments.iter().any(|a| a.sha256 == *sha256) {
                    return Err(DisputeError::DuplicateId);
                }
                self.attachments.push(DisputeAttachment {
                    sha256: sha256.clone(),
                    name: name.clone(),
                    from: *from,
                    added_at: now,
                });
                self.event(by, now, DisputeEventKind::Attached { sha256: sha256.clone(), from: *from });
            }
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
    fn attachments_are_files_kept_once_with_their_sender() {
        let mut c = case();
        let sha = "ab".repeat(32);
        let attach = |sha: &str, name: &str| DisputeChange::Attach {
            sha256: sha.into(),
            name: name.into(),
            from: Author::Consumer,
        };
        c.apply(&attach(&sha, "receipt.pdf"), "mia", Utc::now()).unwrap();
        assert_eq!(c.attachments.len(), 1);
        assert_eq!(
            (c.attachments[0].name.as_str(), c.attachments[0].from),
            ("receipt.pdf", Author::Consumer)
        );
        assert!(matches!(c.events.last().map(|e| &e.what), Some(DisputeEventKind::Attached { .. })));
        assert_eq!(c.apply(&attach(&sha, "again.pdf"), "mia", Utc::now()), Err(DisputeError::DuplicateId));
        assert_eq!(
            c.apply(&attach("not-a-hash", "x.png"), "mia", Utc::now()),
            Err(DisputeError::BadAttachment)
        );
        assert_eq!(
            c.apply(&attach(&"cd".repeat(32), "  "), "mia", Utc::now()),
            Err(DisputeError::BadAttachment)
        );
        assert_eq!(c.attachments.len(), 1);
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

    fn t(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000 + h * 3600, 0).unwrap()
    }

    fn msg(body: &str) -> DisputeChange {
        DisputeChange::SendMessage { id: MessageId::new(), to: Recipient::Both, body: body.into() }
    }

    fn deadline(h: i64, reason: &str) -> DisputeChange {
        DisputeChange::SetDeadline { due: t(h), reason: reason.into() }
    }

    fn decide(outcome: DisputeOutcome, remedy: Option<Remedy>) -> DisputeChange {
        DisputeChange::Decide { outcome, remedy, reasoning: "Because.".into(), fee: FeeTerms::default() }
    }

    fn refund(units: i64) -> Option<Remedy> {
        Some(Remedy::Refund { amount: Money::eur(units) })
    }

    /// A case in `stage`, reached through `apply`.
    fn in_stage(stage: DisputeStage) -> DisputeCase {
        let mut c = case();
        if stage >= DisputeStage::Mediation {
            c.apply(&DisputeChange::MoveStage { to: DisputeStage::Mediation }, "mia", t(1)).unwrap();
        }
        if stage >= DisputeStage::ArbitrationReferral {
            c.apply(&DisputeChange::ReferToArbitration, "mia", t(2)).unwrap();
        }
        if stage == DisputeStage::Closed {
            c.apply(&decide(DisputeOutcome::ShopPrevails, None), "mia", t(3)).unwrap();
        }
        c
    }

    fn agree(c: &mut DisputeCase, amount: Option<Money>) -> ProposalId {
        let id = ProposalId::new();
        c.apply(&DisputeChange::Propose { id, text: "Refund half.".into(), amount }, "mia", t(4)).unwrap();
        for party in [Party::Consumer, Party::Shop] {
            c.apply(&DisputeChange::RecordAcceptance { proposal_id: id, party, accepts: true }, "mia", t(5))
                .unwrap();
        }
        id
    }

    #[test]
    fn stage_move_table() {
        use DisputeStage::*;
        for from in DisputeStage::ALL {
            for to in DisputeStage::ALL {
                let mut c = in_stage(from);
                let got = c.apply(&DisputeChange::MoveStage { to }, "mia", t(10));
                let want = match (from, to) {
                    (Closed, _) => Err(DisputeError::Closed),
                    (Communication, Mediation) | (Mediation, ArbitrationReferral) => Ok(()),
                    (_, Closed) => Err(DisputeError::CloseOnlyByDecision),
                    _ => Err(DisputeError::IllegalStage { from, to }),
                };
                assert_eq!(got, want, "{from:?} -> {to:?}");
                assert_eq!(c.stage, if want.is_ok() { to } else { from });
                assert_eq!(from.can_move_to(to), want.is_ok(), "{from:?} -> {to:?}");
            }
        }
    }

    #[test]
    fn referral_only_from_mediation_and_records_when() {
        for from in DisputeStage::ALL {
            let mut c = in_stage(from);
            let got = c.apply(&DisputeChange::ReferToArbitration, "mia", t(10));
            match from {
                DisputeStage::Mediation => {
                    assert_eq!(got, Ok(()));
                    assert_eq!(c.referred_at, Some(t(10)));
                    assert_eq!(c.stage, DisputeStage::ArbitrationReferral);
                }
                DisputeStage::Closed => assert_eq!(got, Err(DisputeError::Closed)),
                _ => assert_eq!(
                    got,
                    Err(DisputeError::IllegalStage { from, to: DisputeStage::ArbitrationReferral })
                ),
            }
        }
        // MoveStage to the referral is the same act.
        let mut c = in_stage(DisputeStage::Mediation);
        c.apply(&DisputeChange::MoveStage { to: DisputeStage::ArbitrationReferral }, "mia", t(11)).unwrap();
        assert_eq!(c.referred_at, Some(t(11)));
        assert!(matches!(
            c.events.last().map(|e| &e.what),
            Some(DisputeEventKind::StageMoved { to: DisputeStage::ArbitrationReferral, .. })
        ));
    }

    #[test]
    fn decision_table() {
        use DisputeOutcome::*;
        use DisputeStage::*;
        for stage in [Communication, Mediation, ArbitrationReferral] {
            for outcome in DisputeOutcome::ALL {
                let remedy = match outcome {
                    ShopPrevails | Settled => None,
                    ConsumerPrevails => refund(4999),
                    PartlyUpheld => refund(2000),
                };
                let mut c = in_stage(stage);
                let got = c.apply(&decide(outcome, remedy.clone()), "mia", t(10));
                let want = match (stage, outcome) {
                    (_, Settled) => Err(DisputeError::NoAgreedSettlement),
                    (Communication, _) => Err(DisputeError::MeritsNeedMediation),
                    _ => Ok(()),
                };
                assert_eq!(got, want, "{stage:?} {outcome:?}");
                if want.is_ok() {
                    let d = c.decision.as_ref().unwrap();
                    assert_eq!((c.stage, d.outcome, &d.remedy_kind), (Closed, outcome, &remedy));
                    assert_eq!(d.decided_by, "mia");
                    assert_eq!(c.next_deadline(), None);
                }
                // A settlement is possible in every open stage once agreed.
                let mut c = in_stage(stage);
                agree(&mut c, Some(Money::eur(2000)));
                c.apply(&decide(Settled, None), "mia", t(10)).unwrap();
                let d = c.decision.as_ref().unwrap();
                assert_eq!((d.fee.as_ref(), d.settlement), (None, c.proposals.last().map(|p| p.id)));
            }
        }
    }

    #[test]
    fn remedies_follow_the_outcome() {
        use DisputeOutcome::*;
        let c = in_stage(DisputeStage::Mediation);
        let try_ = |outcome, remedy| c.clone().apply(&decide(outcome, remedy), "mia", t(10));
        assert_eq!(try_(ShopPrevails, refund(100)), Err(DisputeError::RemedyNotAllowed));
        assert_eq!(try_(ConsumerPrevails, None), Err(DisputeError::RemedyRequired));
        assert_eq!(try_(PartlyUpheld, None), Err(DisputeError::RemedyRequired));
        assert_eq!(try_(ConsumerPrevails, refund(5000)), Err(DisputeError::RefundExceedsClaim));
        assert_eq!(try_(ConsumerPrevails, refund(0)), Err(DisputeError::BadAmount));
        assert_eq!(try_(ConsumerPrevails, refund(-1)), Err(DisputeError::BadAmount));
        let usd = Remedy::Refund { amount: Money { minor_units: 100, currency: "USD".parse().unwrap() } };
        assert_eq!(try_(ConsumerPrevails, Some(usd)), Err(DisputeError::BadAmount));
        assert_eq!(try_(PartlyUpheld, refund(4999)), Err(DisputeError::PartialOutcomeFullRefund));
        let empty = Remedy::Other { text: " ".into() };
        assert_eq!(try_(ConsumerPrevails, Some(empty)), Err(DisputeError::EmptyText("remedy")));
        let long = Remedy::Other { text: "x".repeat(MAX_REMEDY_CHARS + 1) };
        assert_eq!(
            try_(ConsumerPrevails, Some(long)),
            Err(DisputeError::TextTooLong { field: "remedy", max: MAX_REMEDY_CHARS })
        );
        for ok in [Remedy::Replacement, Remedy::Repair, Remedy::Other { text: "Voucher".into() }] {
            assert_eq!(try_(ConsumerPrevails, Some(ok)), Ok(()));
        }
        let mut d = c.clone();
        d.apply(&decide(ConsumerPrevails, refund(4999)), "mia", t(10)).unwrap();
        let d = d.decision.unwrap();
        assert_eq!((d.remedy, d.remedy_amount), (None, Some(Money::eur(4999))), "legacy fields mirrored");
    }

    #[test]
    fn the_fee_is_borne_by_the_loser_in_arbitration_only() {
        use DisputeOutcome::*;
        let fee_of = |stage, outcome, remedy: Option<Remedy>, fee: FeeTerms| {
            let mut c = in_stage(stage);
            c.apply(&DisputeChange::Decide { outcome, remedy, reasoning: "r".into(), fee }, "mia", t(10))
                .map(|()| c.decision.unwrap().fee)
        };
        let arb = DisputeStage::ArbitrationReferral;
        let none = FeeTerms::default();
        let eur25 = Some(FeeCharge { payer: Party::Shop, amount: Money::eur(2500) });
        assert_eq!(fee_of(arb, ConsumerPrevails, refund(4999), none.clone()), Ok(eur25.clone()));
        assert_eq!(fee_of(arb, PartlyUpheld, refund(1000), none.clone()), Ok(eur25));
        assert_eq!(
            fee_of(arb, ShopPrevails, None, none.clone()),
            Ok(Some(FeeCharge { payer: Party::Consumer, amount: Money::eur(2500) }))
        );
        // Configurable amount; the payer only for a partial outcome.
        let custom = FeeTerms { amount: Some(Money::eur(3000)), payer: None };
        assert_eq!(
            fee_of(arb, ShopPrevails, None, custom),
            Ok(Some(FeeCharge { payer: Party::Consumer, amount: Money::eur(3000) }))
        );
        let consumer_pays = FeeTerms { amount: None, payer: Some(Party::Consumer) };
        assert_eq!(
            fee_of(arb, PartlyUpheld, refund(1000), consumer_pays.clone()),
            Ok(Some(FeeCharge { payer: Party::Consumer, amount: Money::eur(2500) }))
        );
        assert_eq!(
            fee_of(arb, ConsumerPrevails, refund(1000), consumer_pays.clone()),
            Err(DisputeError::FeePayerNotLoser)
        );
        let shop_pays = FeeTerms { amount: None, payer: Some(Party::Shop) };
        assert_eq!(fee_of(arb, ConsumerPrevails, refund(1000), shop_pays).map(|f| f.is_some()), Ok(true));
        let free = FeeTerms { amount: Some(Money::eur(0)), payer: None };
        assert_eq!(fee_of(arb, ShopPrevails, None, free), Err(DisputeError::BadAmount));
        // No fee without arbitration, and saying otherwise is refused.
        let med = DisputeStage::Mediation;
        assert_eq!(fee_of(med, ConsumerPrevails, refund(4999), none), Ok(None));
        assert_eq!(
            fee_of(med, ShopPrevails, None, FeeTerms { amount: Some(Money::eur(2500)), payer: None }),
            Err(DisputeError::FeeNotApplicable)
        );
        // None when settled, even in arbitration.
        let mut c = in_stage(arb);
        agree(&mut c, None);
        let with_fee = DisputeChange::Decide {
            outcome: Settled,
            remedy: None,
            reasoning: "r".into(),
            fee: FeeTerms { amount: Some(Money::eur(2500)), payer: None },
        };
        assert_eq!(c.apply(&with_fee, "mia", t(10)), Err(DisputeError::FeeNotApplicable));
        c.apply(&decide(Settled, None), "mia", t(10)).unwrap();
        assert_eq!(c.decision.unwrap().fee, None);
        assert_eq!(default_arbitration_fee(), Money::eur(2500));
    }

    #[test]
    fn proposals_and_answers() {
        let mut c = in_stage(DisputeStage::Mediation);
        let unknown = ProposalId::new();
        let answer = |id, party, accepts| DisputeChange::RecordAcceptance { proposal_id: id, party, accepts };
        assert_eq!(
            c.apply(&answer(unknown, Party::Shop, true), "mia", t(5)),
            Err(DisputeError::UnknownProposal(unknown))
        );
        let first = ProposalId::new();
        let usd = Money { minor_units: 100, currency: "USD".parse().unwrap() };
        let propose = |id, amount| DisputeChange::Propose { id, text: "Refund of EUR 20".into(), amount };
        assert_eq!(c.apply(&propose(first, Some(usd)), "mia", t(4)), Err(DisputeError::BadAmount));
        assert_eq!(c.apply(&propose(first, Some(Money::eur(0))), "mia", t(4)), Err(DisputeError::BadAmount));
        c.apply(&propose(first, Some(Money::eur(2000))), "mia", t(4)).unwrap();
        assert_eq!(c.apply(&propose(first, None), "mia", t(4)), Err(DisputeError::DuplicateId));
        c.apply(&answer(first, Party::Consumer, true), "mia", t(5)).unwrap();
        c.apply(&answer(first, Party::Shop, false), "mia", t(5)).unwrap();
        assert_eq!(c.agreed_proposal(), None);
        let p = &c.proposals[0];
        assert_eq!(
            (p.consumer_accepts, p.shop_accepts, p.proposed_by.as_str()),
            (Some(true), Some(false), "mia")
        );
        // A party may reconsider until both agree.
        c.apply(&answer(first, Party::Shop, true), "mia", t(6)).unwrap();
        assert_eq!(c.agreed_proposal().map(|p| p.id), Some(first));
        assert_eq!(
            c.apply(&answer(first, Party::Shop, false), "mia", t(7)),
            Err(DisputeError::SettlementAgreed)
        );
        assert_eq!(
            c.apply(&propose(ProposalId::new(), None), "mia", t(7)),
            Err(DisputeError::SettlementAgreed)
        );
        assert_eq!(
            c.apply(&DisputeChange::ReferToArbitration, "mia", t(7)),
            Err(DisputeError::SettlementAgreed)
        );
        // Superseded proposals cannot be answered.
        let mut c = in_stage(DisputeStage::Mediation);
        c.apply(&propose(first, None), "mia", t(4)).unwrap();
        let second = ProposalId::new();
        c.apply(&propose(second, None), "mia", t(5)).unwrap();
        assert_eq!(
            c.apply(&answer(first, Party::Shop, true), "mia", t(6)),
            Err(DisputeError::ProposalSuperseded)
        );
        c.apply(&answer(second, Party::Shop, true), "mia", t(6)).unwrap();
        assert_eq!(
            c.apply(&decide(DisputeOutcome::Settled, None), "mia", t(7)),
            Err(DisputeError::NoAgreedSettlement)
        );
    }

    #[test]
    fn deadlines_extend_and_never_shorten_silently() {
        let mut c = case();
        assert_eq!(c.apply(&deadline(10, " "), "mia", t(1)), Err(DisputeError::EmptyText("deadline reason")));
        assert_eq!(c.apply(&deadline(1, "now"), "mia", t(1)), Err(DisputeError::DeadlineNotInFuture));
        let long = "x".repeat(MAX_DEADLINE_REASON_CHARS + 1);
        assert!(matches!(c.apply(&deadline(10, &long), "mia", t(1)), Err(DisputeError::TextTooLong { .. })));
        c.apply(&deadline(100, "Shop's statement"), "mia", t(1)).unwrap();
        assert_eq!((c.next_deadline(), c.deadline), (Some(t(100)), Some(t(100))));
        assert_eq!(
            c.apply(&deadline(100, "again"), "mia", t(2)),
            Err(DisputeError::DeadlineUnchanged(t(100)))
        );
        // Not yet announced: a typo may be corrected, and it shows as a correction.
        c.apply(&deadline(50, "Typo"), "mia", t(2)).unwrap();
        c.apply(&msg("Please answer by then."), "mia", t(3)).unwrap();
        assert_eq!(
            c.apply(&deadline(40, "Hurry"), "mia", t(4)),
            Err(DisputeError::DeadlineShortened { current: t(50) })
        );
        c.apply(&deadline(80, "Shop asked for a week more"), "mia", t(4)).unwrap();
        let history = &c.stage_deadline(DisputeStage::Communication).unwrap().history;
        let kinds: Vec<_> = history.iter().map(|h| (h.kind(), h.previous)).collect();
        assert_eq!(
            kinds,
            vec![
                (DeadlineChangeKind::Set, None),
                (DeadlineChangeKind::Corrected, Some(t(100))),
                (DeadlineChangeKind::Extended, Some(t(50)))
            ]
        );
        assert_eq!(history[2].reason, "Shop asked for a week more");
        // The next stage starts without a deadline; the old one stays on record.
        c.apply(&DisputeChange::MoveStage { to: DisputeStage::Mediation }, "mia", t(5)).unwrap();
        assert_eq!((c.next_deadline(), c.deadline), (None, None));
        assert_eq!(c.stage_deadline(DisputeStage::Communication).map(|d| d.due), Some(t(80)));
        c.apply(&deadline(200, "Mediation round"), "mia", t(5)).unwrap();
        assert_eq!(c.next_deadline(), Some(t(200)));
    }

    #[test]
    fn a_deadline_from_older_data_counts_as_announced() {
        let mut c = case();
        c.deadline = Some(t(100));
        assert_eq!(c.next_deadline(), Some(t(100)));
        assert_eq!(
            c.apply(&deadline(50, "earlier"), "mia", t(1)),
            Err(DisputeError::DeadlineShortened { current: t(100) })
        );
        c.apply(&deadline(150, "later"), "mia", t(1)).unwrap();
        assert_eq!(c.deadlines[0].history[0].previous, Some(t(100)));
    }

    #[test]
    fn overdue_cases_sort_first_then_by_deadline() {
        let mk = |due: Option<i64>, stage| {
            let mut c = in_stage(stage);
            if let Some(h) = due {
                c.apply(&deadline(h, "answer"), "mia", t(3)).unwrap();
            }
            c
        };
        let now = t(50);
        let late = mk(Some(10), DisputeStage::Mediation);
        let later = mk(Some(20), DisputeStage::Communication);
        let soon = mk(Some(60), DisputeStage::ArbitrationReferral);
        let far = mk(Some(500), DisputeStage::Mediation);
        let none = mk(None, DisputeStage::Mediation);
        let closed = mk(None, DisputeStage::Closed);
        assert!(late.is_overdue(now) && later.is_overdue(now) && !soon.is_overdue(now));
        assert!(!soon.is_overdue(t(60)), "due at the instant itself is not yet overdue");
        assert!(!none.is_overdue(now) && !closed.is_overdue(now));
        let mut cases =
            vec![closed.clone(), none.clone(), far.clone(), soon.clone(), later.clone(), late.clone()];
        DisputeCase::sort_for_list(&mut cases, now);
        let ids: Vec<_> = cases.iter().map(|c| c.id).collect();
        assert_eq!(ids, vec![late.id, later.id, soon.id, far.id, none.id, closed.id]);
        // A closed case has no next deadline, even if one was set before.
        let mut c = mk(Some(10), DisputeStage::Mediation);
        c.apply(&decide(DisputeOutcome::ShopPrevails, None), "mia", t(40)).unwrap();
        assert_eq!((c.next_deadline(), c.is_overdue(now)), (None, false));
    }

    #[test]
    fn text_limits() {
        let mut c = case();
        assert_eq!(c.apply(&msg("  "), "mia", t(1)), Err(DisputeError::EmptyText("message")));
        assert_eq!(
            c.apply(&msg(&"é".repeat(MAX_MESSAGE_CHARS + 1)), "mia", t(1)),
            Err(DisputeError::TextTooLong { field: "message", max: MAX_MESSAGE_CHARS })
        );
        c.apply(&msg(&"é".repeat(MAX_MESSAGE_CHARS)), "mia", t(1)).unwrap();
        let p = |text: String| DisputeChange::Propose { id: ProposalId::new(), text, amount: None };
        assert_eq!(
            c.apply(&p("x".repeat(MAX_PROPOSAL_CHARS + 1)), "mia", t(1)),
            Err(DisputeError::TextTooLong { field: "proposal", max: MAX_PROPOSAL_CHARS })
        );
        assert_eq!(c.apply(&p(String::new()), "mia", t(1)), Err(DisputeError::EmptyText("proposal")));
        let mut c = in_stage(DisputeStage::Mediation);
        let reasoning = |r: String| DisputeChange::Decide {
            outcome: DisputeOutcome::ShopPrevails,
            remedy: None,
            reasoning: r,
            fee: FeeTerms::default(),
        };
        assert_eq!(c.apply(&reasoning(" \n".into()), "mia", t(1)), Err(DisputeError::NoReasoning));
        assert_eq!(
            c.apply(&reasoning("x".repeat(MAX_REASONING_CHARS + 1)), "mia", t(1)),
            Err(DisputeError::TextTooLong { field: "reasoning", max: MAX_REASONING_CHARS })
        );
        let id = MessageId::new();
        let m = DisputeChange::SendMessage { id, to: Recipient::Shop, body: "Hi".into() };
        c.apply(&m, "mia", t(1)).unwrap();
        assert_eq!(c.apply(&m, "mia", t(1)), Err(DisputeError::DuplicateId));
        assert_eq!(c.messages.last().map(|m| m.author), Some(Author::Mediator));
        assert_eq!(
            c.events.last().map(|e| (&e.what, e.by.as_str())),
            Some((&DisputeEventKind::MessageSent { message_id: id, to: Recipient::Shop }, "mia"))
        );
    }

    #[test]
    fn an_issued_decision_is_final() {
        let mut c = in_stage(DisputeStage::ArbitrationReferral);
        c.apply(&decide(DisputeOutcome::ConsumerPrevails, refund(4999)), "mia", t(10)).unwrap();
        let before = c.clone();
        let all = [
            msg("hello"),
            deadline(100, "r"),
            DisputeChange::MoveStage { to: DisputeStage::Mediation },
            DisputeChange::Propose { id: ProposalId::new(), text: "p".into(), amount: None },
            DisputeChange::ReferToArbitration,
            decide(DisputeOutcome::ShopPrevails, None),
        ];
        for change in &all {
            assert_eq!(c.apply(change, "mia", t(11)), Err(DisputeError::Closed), "{change:?}");
        }
        assert!(c.decide(DisputeOutcome::Settled, "r".into(), None, None, Money::eur(1), t(11)).is_err());
        assert_eq!(c, before);
    }

    #[test]
    fn older_documents_still_read_and_the_wire_names_hold() {
        let old = serde_json::json!({
            "id": DisputeId::new(), "shop_id": ShopId::new(), "consumer_reference": "c-1",
            "order_reference": "A-1", "claim": {"minor_units": 4999, "currency": "EUR"},
            "language": "de", "stage": "closed", "messages": [], "deadline": null,
            "decision": {"outcome": "consumer_prevails", "reasoning": "r", "remedy": "refund",
                "remedy_amount": null, "fee": {"payer": "shop", "amount": {"minor_units": 2500, "currency": "EUR"}},
                "decided_at": "2026-12-01T10:00:00Z"},
            "version": 3
        });
        let c: DisputeCase = serde_json::from_value(old).unwrap();
        let d = c.decision.as_ref().unwrap();
        assert_eq!(
            (d.outcome, d.remedy_kind.as_ref(), d.decided_by.as_str()),
            (DisputeOutcome::ConsumerPrevails, None, "")
        );
        assert!(c.proposals.is_empty() && c.deadlines.is_empty() && c.shop_language.is_none());
        let back: DisputeCase = serde_json::from_value(serde_json::to_value(&c).unwrap()).unwrap();
        assert_eq!(back, c);
        for (name, o) in [
            ("\"consumer_prevails\"", DisputeOutcome::ConsumerPrevails),
            ("\"consumer_upheld\"", DisputeOutcome::ConsumerPrevails),
            ("\"shop_upheld\"", DisputeOutcome::ShopPrevails),
            ("\"partly_upheld\"", DisputeOutcome::PartlyUpheld),
            ("\"settled\"", DisputeOutcome::Settled),
        ] {
            assert_eq!(serde_json::from_str::<DisputeOutcome>(name).unwrap(), o);
        }
        for o in DisputeOutcome::ALL {
            assert_eq!(serde_json::to_string(&o).unwrap(), format!("\"{}\"", o.code()));
        }
        let change: DisputeChange = serde_json::from_str(
            r#"{"change":"decide","outcome":"partly_upheld","reasoning":"r",
                "remedy":{"kind":"refund","amount":{"minor_units":1000,"currency":"EUR"}}}"#,
        )
        .unwrap();
        assert_eq!(
            change,
            DisputeChange::Decide {
                outcome: DisputeOutcome::PartlyUpheld,
                remedy: refund(1000),
                reasoning: "r".into(),
                fee: FeeTerms::default()
            }
        );
        let json = serde_json::to_value(DisputeChange::ReferToArbitration).unwrap();
        assert_eq!(json, serde_json::json!({"change": "refer_to_arbitration"}));
    }

    #[test]
    fn legacy_decide_keeps_its_rules_and_fills_the_new_fields() {
        let mut c = case();
        c.escalate().unwrap();
        c.escalate().unwrap();
        let d = c
            .decide(
                DisputeOutcome::PartlyUpheld,
                "r".into(),
                None,
                Some(Money::eur(100)),
                Money::eur(2500),
                t(1),
            )
            .unwrap();
        assert_eq!(d.fee.as_ref().map(|f| f.payer), Some(Party::Shop));
        assert_eq!(d.remedy_kind, refund(100));
        assert_eq!((c.stage, c.deadline), (DisputeStage::Closed, None));
    }

    fn any_change() -> impl Strategy<Value = DisputeChange> {
        let stage = prop_oneof![
            Just(DisputeStage::Communication),
            Just(DisputeStage::Mediation),
            Just(DisputeStage::ArbitrationReferral),
            Just(DisputeStage::Closed),
        ];
        let outcome = proptest::sample::select(DisputeOutcome::ALL.to_vec());
        let party = prop_oneof![Just(Party::Consumer), Just(Party::Shop)];
        let remedy = prop_oneof![Just(None), (1i64..6000).prop_map(refund), Just(Some(Remedy::Repair)),];
        prop_oneof![
            "[a-z ]{0,8}".prop_map(|b| msg(&b)),
            (0i64..300, "[a-z]{0,3}").prop_map(|(h, r)| deadline(h, &r)),
            stage.prop_map(|to| DisputeChange::MoveStage { to }),
            (0i64..6000).prop_map(|u| DisputeChange::Propose {
                id: ProposalId::new(),
                text: "p".into(),
                amount: Some(Money::eur(u))
            }),
            (party, any::<bool>()).prop_map(|(party, accepts)| DisputeChange::RecordAcceptance {
                // Resolved against the case's latest proposal below.
                proposal_id: ProposalId(uuid::Uuid::nil()),
                party,
                accepts
            }),
            Just(DisputeChange::ReferToArbitration),
            (outcome, remedy, proptest::option::of(1i64..5000)).prop_map(|(outcome, remedy, fee)| {
                DisputeChange::Decide {
                    outcome,
                    remedy,
                    reasoning: "r".into(),
                    fee: FeeTerms { amount: fee.map(Money::eur), payer: None },
                }
            }),
        ]
    }

    proptest! {
        #[test]
        fn random_changes_keep_the_rules(changes in proptest::collection::vec(any_change(), 0..40)) {
            let mut c = case();
            let mut closed: Option<DisputeCase> = None;
            for (i, mut change) in changes.into_iter().enumerate() {
                if let DisputeChange::RecordAcceptance { proposal_id, .. } = &mut change {
                    if let Some(p) = c.current_proposal() {
                        *proposal_id = p.id;
                    }
                }
                let before = c.clone();
                let result = c.apply(&change, "mia", t(i as i64));
                if result.is_err() {
                    prop_assert_eq!(&c, &before, "a refused change leaves the case as it was");
                }
                prop_assert!(c.stage >= before.stage, "stages never go back");
                if let Some(fixed) = &closed {
                    prop_assert_eq!(result, Err(DisputeError::Closed));
                    prop_assert_eq!(&c, fixed);
                }
                if c.stage == DisputeStage::Closed {
                    let d = c.decision.as_ref().unwrap();
                    prop_assert!(d.fee.is_none() || c.referred_at.is_some());
                    if d.outcome == DisputeOutcome::Settled {
                        prop_assert!(d.fee.is_none() && d.settlement.is_some());
                    }
                    closed.get_or_insert_with(|| c.clone());
                }
                prop_assert_eq!(c.deadline, c.next_deadline());
            }
        }
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

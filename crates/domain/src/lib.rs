//! The rules of Trustdesk's world: shops, reviews and their lifecycle, the shop
//! rating, certification audits and consumer disputes.
//!
//! This crate does no I/O (no files, network, database or UI). Everything here is
//! a value plus the rules over it, so the workstation, the central service and the
//! tests all apply exactly the same rules.

pub mod arm;
pub mod audit;
pub mod checklist;
pub mod complaint;
pub mod decision;
pub mod dispute;
pub mod dispute_templates;
pub mod fairness;
pub mod ids;
pub mod lifecycle;
pub mod rating;
pub mod review;
pub mod shop;
pub mod statement;
pub mod templates;

pub use audit::{AuditCase, AuditKind, AuditOutcome, ChecklistItem, ChecklistStatus, EvidenceRef};
pub use checklist::{
    ChecklistCounts, ChecklistTemplate, Criterion, ImprovementPoint, ImprovementReport, ItemChange,
    ReAuditItem, Severity, SpotCheckReason, SpotCheckRecommendation,
};
pub use complaint::{ComplaintCase, ComplaintChange, ComplaintError, ComplaintOutcome, ComplaintStatus};
pub use decision::{DecisionError, DecisionInput, Grounds, ReviewDecision};
pub use dispute::{
    DisputeCase, DisputeChange, DisputeDecision, DisputeError, DisputeOutcome, DisputeStage, Money, Remedy,
};
pub use ids::{AuditId, DecisionId, DisputeId, MessageId, ProposalId, ReviewId, ShopId};
pub use lifecycle::{ArmCategory, RejectionReason, ReviewAction, ReviewStatus, TransitionError};
pub use rating::{RatingLabel, ShopRating};
pub use review::{Review, ReviewSource, Stars};
pub use shop::{CountryCode, Industry, LanguageCode, Shop};
pub use statement::{DsaSorRecord, StatementOfReasons, StatementReason, StatementTemplates};

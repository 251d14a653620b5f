//! Wire types of the central service's HTTP API (`/v1`), shared by the server
//! (crates/central) and the workstation's sync client.
//!
//! Entities travel as the domain types themselves (ids as UUID strings), so both
//! ends apply exactly the same rules. Request types refuse unknown fields: a typo
//! in a field name must fail loudly rather than be silently ignored.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use trustdesk_domain::audit::ChecklistStatus;
use trustdesk_domain::dispute::{Author, DisputeOutcome};
use trustdesk_domain::{
    ArmCategory, AuditCase, AuditId, AuditOutcome, DecisionId, DisputeCase, DisputeChange, DisputeId,
    EvidenceRef, Grounds, LanguageCode, Money, Review, ReviewAction, ReviewId, Shop, ShopId,
    SpotCheckRecommendation,
};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// Largest page of the change feed a client may ask for.
pub const MAX_CHANGES_LIMIT: u32 = 5000;
/// Page size when the client names none.
pub const DEFAULT_CHANGES_LIMIT: u32 = 500;
/// Most mutations in one batch.
pub const MAX_MUTATIONS_PER_BATCH: usize = 1000;
/// Most items one claim may take.
pub const MAX_CLAIM_ITEMS: u32 = 1000;
/// Longest lease a claim may ask for (a long offline trip).
pub const MAX_LEASE_SECONDS: u32 = 7 * 24 * 3600;
/// Lease when the client names none.
pub const DEFAULT_LEASE_SECONDS: u32 = 8 * 3600;
/// Most reviews in one ingestion batch.
pub const MAX_INGEST_REVIEWS: usize = 500;
/// Longest review text accepted, in characters (Unicode scalar values).
pub const MAX_REVIEW_TEXT_CHARS: usize = 10_000;
/// Longest order or reviewer reference, in characters.
pub const MAX_REFERENCE_CHARS: usize = 200;
pub use trustdesk_domain::complaint::{MAX_COMPLAINT_REASONS_CHARS, MAX_COMPLAINT_TEXT_CHARS};
/// Largest page of the statement export.
pub const MAX_EXPORT_LIMIT: u32 = 1000;
/// Export page size when the client names none.
pub const DEFAULT_EXPORT_LIMIT: u32 = 100;

/// Body of every error response: `{ "code": "...", "message": "..." }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ErrorBody {
    /// Stable machine-readable code; see [`codes`].
    pub code: String,
    /// Human-readable explanation (English).
    pub message: String,
}

/// Error and rejection codes that clients branch on.
pub mod fairness;

pub mod codes {
    /// Missing, malformed or unknown bearer token (401).
    pub const UNAUTHORIZED: &str = "unauthorized";
    /// The caller's role may not do this (403, or a rejected mutation).
    pub const FORBIDDEN: &str = "forbidden";
    /// The addressed thing does not exist (404, or a rejected mutation).
    pub const NOT_FOUND: &str = "not_found";
    /// Malformed request: bad JSON, wrong types, unknown fields, bad parameters (400).
    pub const BAD_REQUEST: &str = "bad_request";
    /// The `since` cursor is malformed (400) or ahead of this server (409): restart the feed.
    pub const BAD_CURSOR: &str = "bad_cursor";
    /// Body or file over the size limit (413).
    pub const PAYLOAD_TOO_LARGE: &str = "payload_too_large";
    /// File content of a type the service does not keep (415).
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "unsupported_media_type";
    /// Mutation: the domain rules forbid this transition.
    pub const ILLEGAL_TRANSITION: &str = "illegal_transition";
    /// Mutation: the decision's grounds or fields are invalid.
    pub const INVALID: &str = "invalid";
    /// Mutation: the item is claimed by someone else under a live lease.
    pub const CLAIMED_BY_OTHER: &str = "claimed_by_other";
    /// Mutation: the id was already used by another user.
    pub const MUTATION_ID_IN_USE: &str = "mutation_id_in_use";
    /// Mutation: the statement of reasons sent with a decision is refused (unknown
    /// template version, note too long, reason not following from the decision,
    /// or sent with a decision that owes none).
    pub const STATEMENT_INVALID: &str = "statement_invalid";
    /// Mutation: the decision owes a statement of reasons and none could be made
    /// (e.g. the review's shop is unknown or the line could not be exported).
    pub const STATEMENT_UNAVAILABLE: &str = "statement_unavailable";
    /// A text field is longer than its limit (400); the message names field and limit.
    pub const TEXT_TOO_LONG: &str = "text_too_long";
    /// The moderator who made a decision may not claim or decide the complaint against it (403).
    pub const OWN_DECISION: &str = "own_decision";
    /// A complaint against this decision exists already (409).
    pub const COMPLAINT_EXISTS: &str = "complaint_exists";
    /// The complaint or review is not in a state that allows this (409).
    pub const ILLEGAL_STATE: &str = "illegal_state";
    /// A stored statement cannot be exported within the DSA schema (500); the
    /// message names the decision. Nothing is exported silently.
    pub const EXPORT_INVALID: &str = "export_invalid";
}

/// Most files one evidence reply may carry.
pub const MAX_EVIDENCE_FILES: usize = 20;

/// `POST /v1/reviews/{id}/evidence` (admin: the intake that receives reviewers'
/// replies): the reviewer answered an evidence request with these files, each
/// uploaded first with `POST /v1/evidence`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct EvidenceArrived {
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 20))]
    pub files: Vec<ArrivedFile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ArrivedFile {
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9a-f]{64}$"))]
    pub sha256: String,
    /// The file name as the reviewer sent it.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub name: String,
}

/// The review after the evidence was recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct EvidenceRecorded {
    pub review_id: String,
    pub version: i64,
    pub files: u32,
}

/// `POST /v1/ingest/reviews` (admin): reviews entering the service from outside.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct IngestBatch {
    #[cfg_attr(feature = "openapi", schema(max_items = 500))]
    pub reviews: Vec<NewReview>,
}

/// One review to ingest. Fields are checked one by one so that a bad item is
/// named with its field (see [`IngestErrors`]); it is stored as pending.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct NewReview {
    /// Client-chosen UUIDv7, so a batch can be resent: a known id is answered
    /// `duplicate`. Absent: the server picks one.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$"
        )
    )]
    pub id: Option<String>,
    #[cfg_attr(feature = "openapi", schema(format = Uuid))]
    pub shop_id: String,
    #[serde(deserialize_with = "whole::i64")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 5))]
    pub stars: i64,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 10000))]
    pub text: String,
    /// ISO 639-1.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z]{2}$"))]
    pub language: String,
    /// RFC 3339; not in the future.
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub submitted_at: String,
    /// Default: the submission's UTC date; not after it.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub experience_date: Option<String>,
    /// Empty when the reviewer named no order (a fake signal).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub order_reference: String,
    /// Pseudonymous reference to the reviewer.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub reviewer_reference: String,
    #[cfg_attr(feature = "openapi", schema(value_type = doc::ReviewSource))]
    pub source: trustdesk_domain::ReviewSource,
    /// The submitting address as text (IPv4 or IPv6), compared as given; used
    /// for the same-IP signal and not kept otherwise.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9A-Fa-f:.]{2,45}$"))]
    pub ip: Option<String>,
    /// The reviewer's address: only its domain is looked at (throwaway-mail
    /// signal) and only a matching domain is kept.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 254, pattern = "^[^@]+@[^@]+$"))]
    pub email: Option<String>,
}

/// How one ingested review ended, in request order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub enum IngestOutcome {
    /// Stored as pending, with what the scan and the signals found.
    Created {
        #[cfg_attr(feature = "openapi", schema(value_type = Vec<doc::ArmCategory>))]
        categories: Vec<ArmCategory>,
        #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
        fake_signals: Vec<trustdesk_domain::review::FakeSignal>,
    },
    /// A review with this id exists already; nothing changed.
    Duplicate,
    /// Well-formed but not acceptable (unknown shop, dates in the future); see [`codes`].
    Rejected { code: String, message: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct IngestResult {
    pub index: u32,
    /// The review's id (absent for a rejected item that named none).
    pub id: Option<String>,
    #[serde(flatten)]
    pub outcome: IngestOutcome,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct IngestResponse {
    pub results: Vec<IngestResult>,
}

/// 422 from `POST /v1/ingest/reviews`: items whose fields are malformed. Nothing of
/// the batch was stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct IngestErrors {
    /// Always "invalid".
    pub code: String,
    pub message: String,
    pub errors: Vec<ItemError>,
}

/// One malformed field of one item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ItemError {
    /// Position in `reviews`.
    pub index: u32,
    pub field: String,
    pub message: String,
}

/// What a user may do; see the role matrix in crates/central.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub enum Role {
    Moderator,
    Auditor,
    Mediator,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Moderator, Role::Auditor, Role::Mediator, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Moderator => "moderator",
            Role::Auditor => "auditor",
            Role::Mediator => "mediator",
            Role::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role {s:?}: expected moderator, auditor, mediator or admin"))
    }
}

/// `GET /v1/health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Health {
    /// Always "ok" on a 200.
    pub status: String,
    /// "sqlite" or "postgres".
    pub database: String,
}

/// `GET /v1/me`: who the bearer token belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Me {
    pub user_id: String,
    pub name: String,
    pub role: Role,
}

/// The kinds of entity the service holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub enum EntityKind {
    Shop,
    Review,
    Audit,
    Dispute,
    /// A reviewer's complaint against a decision (DSA Art. 20).
    Complaint,
}

impl EntityKind {
    pub const ALL: [EntityKind; 5] =
        [EntityKind::Shop, EntityKind::Review, EntityKind::Audit, EntityKind::Dispute, EntityKind::Complaint];

    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Shop => "shop",
            EntityKind::Review => "review",
            EntityKind::Audit => "audit",
            EntityKind::Dispute => "dispute",
            EntityKind::Complaint => "complaint",
        }
    }
}

impl std::str::FromStr for EntityKind {
    type Err = String;
    fn from_str(s: &str) -> Result<EntityKind, String> {
        EntityKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| format!("unknown kind {s:?}"))
    }
}

/// One entity's current server state, tagged by kind: `{"review": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
// A wire value that lives briefly per feed item; boxing the larger cases would
// only add allocations.
#[allow(clippy::large_enum_variant)]
pub enum Entity {
    Shop(Shop),
    Review(Review),
    Audit(AuditCase),
    Dispute(DisputeCase),
    Complaint(ComplaintCase),
}

impl Entity {
    pub fn kind(&self) -> EntityKind {
        match self {
            Entity::Shop(_) => EntityKind::Shop,
            Entity::Review(_) => EntityKind::Review,
            Entity::Audit(_) => EntityKind::Audit,
            Entity::Dispute(_) => EntityKind::Dispute,
            Entity::Complaint(_) => EntityKind::Complaint,
        }
    }
}

pub use trustdesk_domain::complaint::{ComplaintCase, ComplaintOutcome, ComplaintStatus};

/// `POST /v1/complaints` (admin or moderator): staff enter a reviewer's complaint.
/// Name the decision, or the review (its latest decision with a statement).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct NewComplaint {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = Uuid))]
    pub decision_id: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = Uuid))]
    pub review_id: Option<String>,
    /// At least one character that is not white space; no NUL characters
    /// (PostgreSQL cannot store them).
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 5000, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")
    )]
    pub text: String,
    /// When the reviewer's message arrived; default: now. Not in the future.
    #[serde(default)]
    pub received_at: Option<DateTime<Utc>>,
}

/// `POST /v1/complaints/{id}/decide`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DecideComplaint {
    #[cfg_attr(feature = "openapi", schema(value_type = doc::ComplaintOutcome))]
    pub outcome: ComplaintOutcome,
    /// Required when dismissed; sent to the reviewer as plain text. No NUL
    /// characters (PostgreSQL cannot store them).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 5000, pattern = "^[^\\u0000]*$"))]
    pub reasons: String,
    /// A UUID the client chose: the decision is applied once under it, and a
    /// repeated request (a lost answer) gets the case as it stands.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = Uuid))]
    pub mutation_id: Option<String>,
}

/// `GET /v1/statements/export` (admin): one page of DSA Transparency Database lines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct StatementExportPage {
    /// `DsaSorRecord`s, fields exactly as crates/domain/data/dsa-sor.schema.json.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub items: Vec<trustdesk_domain::DsaSorRecord>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
    pub has_more: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub enum ChangeOp {
    Upsert,
    Delete,
}

/// One entry of the change feed: the entity's state as of `cursor`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Change {
    /// Resuming from this cursor continues right after this change.
    pub cursor: String,
    pub kind: EntityKind,
    pub id: String,
    pub version: i64,
    pub op: ChangeOp,
    /// Absent for deletions.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub entity: Option<Entity>,
}

/// `GET /v1/changes?since=CURSOR&limit=N`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ChangesPage {
    pub items: Vec<Change>,
    /// Pass as `since` for the next page; equals `since` when nothing was new.
    pub next_cursor: String,
    /// Whether another page is ready right now.
    pub has_more: bool,
    /// Changes in the feed after this page, for a progress display: an upper
    /// bound (changes to kinds this user does not see count too).
    #[serde(default)]
    pub remaining: u64,
}

/// `POST /v1/mutations`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct MutationBatch {
    pub mutations: Vec<Mutation>,
}

/// One change a client asks for, applied at most once per `id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Mutation {
    /// Client-generated UUIDv7; also the id of the resulting decision record.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Uuid))]
    pub id: DecisionId,
    /// The entity version the client saw when deciding.
    #[serde(deserialize_with = "whole::i64")]
    pub base_version: i64,
    pub op: MutationOp,
}

/// What to change. Review decisions reuse the domain's [`ReviewAction`]
/// (`{"action": "reject", "reason": "insult"}`) and [`Grounds`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub enum MutationOp {
    ReviewDecision {
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Uuid))]
        review_id: ReviewId,
        #[serde(deserialize_with = "strict::review_action")]
        #[cfg_attr(feature = "openapi", schema(value_type = doc::ReviewAction))]
        action: ReviewAction,
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(value_type = doc::Grounds))]
        grounds: Grounds,
        /// For `request_evidence`: what the reviewer is asked to show.
        #[serde(default)]
        message: Option<String>,
        /// For decisions that keep the review off the profile (reject, refuse
        /// evidence, deadline expiry): the statement of reasons the moderator saw,
        /// with their edited `free_text`. The server rebuilds the structured part
        /// from its own records, keeping the moderator's choices (illegal-content
        /// marking, evidence missing, note); absent, it builds one itself. A
        /// `StatementOfReasons` as JSON: read per item, so one that does not
        /// parse is that item's `statement_invalid`, not a refused batch.
        #[serde(default, deserialize_with = "strict::optional_object")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
        statement: Option<serde_json::Value>,
    },
    AuditItem {
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Uuid))]
        audit_id: AuditId,
        criterion_id: String,
        #[cfg_attr(feature = "openapi", schema(value_type = doc::ChecklistStatus))]
        status: ChecklistStatus,
        #[serde(default)]
        note: String,
        /// Files (by SHA-256, uploaded first) and URLs backing the finding.
        #[serde(default, deserialize_with = "strict::tagged")]
        #[cfg_attr(feature = "openapi", schema(value_type = Vec<doc::EvidenceRef>))]
        evidence: Vec<EvidenceRef>,
    },
    /// The auditor confirms the outcome the checklist gives (and, for a spot
    /// check, the recommendation on the shop's mark); the audit is then final.
    AuditConfirm {
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Uuid))]
        audit_id: AuditId,
        #[serde(deserialize_with = "strict::tagged")]
        #[cfg_attr(feature = "openapi", schema(value_type = doc::AuditOutcome))]
        outcome: AuditOutcome,
        #[serde(default, deserialize_with = "strict::tagged")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<doc::SpotCheckRecommendation>))]
        recommendation: Option<SpotCheckRecommendation>,
    },
    /// Any mediator's change under the domain's rules (messages, deadlines,
    /// stages, proposals and answers, referral, the decision).
    Dispute {
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Uuid))]
        dispute_id: DisputeId,
        #[serde(deserialize_with = "strict::tagged")]
        #[cfg_attr(feature = "openapi", schema(value_type = doc::DisputeChange))]
        change: DisputeChange,
    },
    DisputeMessage {
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Uuid))]
        dispute_id: DisputeId,
        #[cfg_attr(feature = "openapi", schema(value_type = doc::Author))]
        author: Author,
        body: String,
    },
    /// Communication -> mediation -> referral to binding arbitration.
    DisputeEscalate {
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Uuid))]
        dispute_id: DisputeId,
    },
    DisputeDecide {
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Uuid))]
        dispute_id: DisputeId,
        #[cfg_attr(feature = "openapi", schema(value_type = doc::DisputeOutcome))]
        outcome: DisputeOutcome,
        reasoning: String,
        #[serde(default)]
        remedy: Option<String>,
        #[serde(default, deserialize_with = "strict::money")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<doc::Money>))]
        remedy_amount: Option<Money>,
    },
}

impl MutationOp {
    pub fn target(&self) -> (EntityKind, uuid::Uuid) {
        match self {
            MutationOp::ReviewDecision { review_id, .. } => (EntityKind::Review, review_id.0),
            MutationOp::AuditItem { audit_id, .. } | MutationOp::AuditConfirm { audit_id, .. } => {
                (EntityKind::Audit, audit_id.0)
            }
            MutationOp::Dispute { dispute_id, .. }
            | MutationOp::DisputeMessage { dispute_id, .. }
            | MutationOp::DisputeEscalate { dispute_id }
            | MutationOp::DisputeDecide { dispute_id, .. } => (EntityKind::Dispute, dispute_id.0),
        }
    }
}

/// How one mutation ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub enum MutationOutcome {
    /// Applied now; the entity is at `new_version`.
    Applied { new_version: i64 },
    /// The id was seen before; `original` is what happened then.
    Duplicate {
        #[cfg_attr(feature = "openapi", schema(value_type = Object))]
        original: Box<MutationOutcome>,
    },
    /// `base_version` is stale: here is the server's state to rebase on.
    Conflict {
        current_version: i64,
        #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
        current: Option<Box<Entity>>,
    },
    /// Refused for a reason that retrying will not fix; see [`codes`].
    Rejected { code: String, message: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct MutationResult {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Uuid))]
    pub id: DecisionId,
    #[serde(flatten)]
    pub outcome: MutationOutcome,
}

/// Results in the order of the request's mutations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct MutationResponse {
    pub results: Vec<MutationResult>,
}

/// Kinds of work that can be claimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub enum WorkKind {
    /// Reviews awaiting a moderator (pending or evidence received).
    Review,
    /// Audits with open checklist items.
    Audit,
    /// Disputes not yet closed.
    Dispute,
    /// Open complaints (never claimable by the moderator who made the decision).
    Complaint,
}

impl WorkKind {
    pub fn entity_kind(self) -> EntityKind {
        match self {
            WorkKind::Review => EntityKind::Review,
            WorkKind::Audit => EntityKind::Audit,
            WorkKind::Dispute => EntityKind::Dispute,
            WorkKind::Complaint => EntityKind::Complaint,
        }
    }
}

/// Narrows a claim to part of the queue.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct QueueFilter {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Uuid))]
    pub shop_id: Option<ShopId>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, pattern = "^[A-Za-z]{2}$"))]
    pub language: Option<LanguageCode>,
    /// Reviews whose ingestion scan found this ARM category.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<doc::ArmCategory>))]
    pub category: Option<ArmCategory>,
}

/// `POST /v1/claims`: claim the next `limit` open items of a queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ClaimRequest {
    pub kind: WorkKind,
    #[serde(deserialize_with = "whole::u32")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1000))]
    pub limit: u32,
    #[serde(default, deserialize_with = "whole::opt_u32")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 604800))]
    pub lease_seconds: Option<u32>,
    #[serde(default, deserialize_with = "strict::object")]
    pub filter: QueueFilter,
}

/// `POST /v1/claims/{id}/extend`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ExtendClaim {
    #[serde(deserialize_with = "whole::u32")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 604800))]
    pub lease_seconds: u32,
}

/// A lease on a batch of work items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Claim {
    pub claim_id: String,
    pub kind: WorkKind,
    /// Ids of the claimed entities, oldest first.
    pub ids: Vec<String>,
    pub expires_at: DateTime<Utc>,
}

/// An uploaded file, addressed by the SHA-256 of its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct EvidenceInfo {
    /// Lower-case hex.
    pub sha256: String,
    pub size: u64,
    /// Determined from the content, never from a name or header.
    pub content_type: String,
}

/// Versioned data the central service hands to every workstation, like rule
/// packs: the newest published version is the one in force, the one built into
/// a release is the fallback. Each kind is checked before it is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub enum PackKind {
    /// Statement-of-reasons templates (TOML, `StatementTemplates`).
    StatementTemplates,
    /// The code-of-conduct checklist template (TOML, `ChecklistTemplate`).
    Checklist,
    /// The ARM filters' rule packs, the whole set as one bundle
    /// (`trustdesk_filters::RulePacks::from_bundle`).
    ArmRules,
}

impl PackKind {
    pub const ALL: [PackKind; 3] = [PackKind::StatementTemplates, PackKind::Checklist, PackKind::ArmRules];

    pub fn as_str(self) -> &'static str {
        match self {
            PackKind::StatementTemplates => "statement_templates",
            PackKind::Checklist => "checklist",
            PackKind::ArmRules => "arm_rules",
        }
    }

    /// Checks a pack's source with the domain's own parser and returns the
    /// version it declares; the error says what is wrong (e.g. an unknown
    /// placeholder), for the publisher.
    pub fn check(self, source: &str) -> Result<String, String> {
        match self {
            PackKind::StatementTemplates => trustdesk_domain::StatementTemplates::parse(source)
                .map(|t| t.version().to_owned())
                .map_err(|e| e.to_string()),
            PackKind::Checklist => trustdesk_domain::ChecklistTemplate::parse(source)
                .map(|t| t.version().to_string())
                .map_err(|e| e.to_string()),
            // Compiled, not only parsed: a pattern that does not compile must be
            // refused here rather than stop every workstation's scan.
            PackKind::ArmRules => {
                let (version, packs) =
                    trustdesk_filters::RulePacks::from_bundle(source).map_err(|e| e.to_string())?;
                trustdesk_filters::Engine::compile(&packs).map_err(|e| e.to_string())?;
                Ok(version)
            }
        }
    }
}

impl std::str::FromStr for PackKind {
    type Err = String;
    fn from_str(s: &str) -> Result<PackKind, String> {
        PackKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| format!("unknown pack kind {s:?}"))
    }
}

/// Largest pack source accepted, in bytes.
pub const MAX_PACK_BYTES: usize = 1024 * 1024;

/// One published version of a pack (`GET /v1/packs/{kind}/current`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DataPack {
    pub kind: PackKind,
    pub version: String,
    pub published_at: DateTime<Utc>,
    /// The pack as its kind defines it (TOML text).
    pub source: String,
}

/// `GET /v1/packs`: the version in force of each kind published, so a client
/// asks for the packs it lacks in one request per sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PackVersion {
    pub kind: PackKind,
    pub version: String,
}

/// `POST /v1/packs/{kind}` (admin): publish a new version; the version is the
/// one the source declares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PublishPack {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 1048576))]
    pub source: String,
}

/// Integers that JSON writes as `5.0` are still integers (JSON Schema agrees).
mod whole {
    use serde::{Deserialize, Deserializer};

    fn number<'de, D: Deserializer<'de>>(d: D) -> Result<serde_json::Number, D::Error> {
        serde_json::Number::deserialize(d)
    }

    fn to_i128(n: &serde_json::Number) -> Option<i128> {
        if let Some(i) = n.as_i64() {
            return Some(i.into());
        }
        if let Some(u) = n.as_u64() {
            return Some(u.into());
        }
        n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 1e18).map(|f| f as i128)
    }

    pub fn i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        let n = number(d)?;
        to_i128(&n)
            .and_then(|i| i64::try_from(i).ok())
            .ok_or_else(|| serde::de::Error::custom(format!("expected a whole number, got {n}")))
    }

    pub fn u32<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        let n = number(d)?;
        to_i128(&n).and_then(|i| u32::try_from(i).ok()).ok_or_else(|| {
            serde::de::Error::custom(format!("expected a whole number from 0 to {}, got {n}", u32::MAX))
        })
    }

    pub fn opt_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
        let v = Option::<serde_json::Number>::deserialize(d)?;
        match v {
            None => Ok(None),
            Some(n) => u32(n).map(Some).map_err(serde::de::Error::custom),
        }
    }
}

/// Serde accepts more than JSON Schema says (a struct from an array, an enum tag
/// given as its variant index); these refuse such input where it can mislead.
mod strict {
    use serde::de::{DeserializeOwned, Error};
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    pub fn object<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<T, D::Error> {
        let v = Value::deserialize(d)?;
        if !v.is_object() {
            return Err(D::Error::custom("expected a JSON object"));
        }
        serde_json::from_value(v).map_err(D::Error::custom)
    }

    /// An amount whose minor units may be written as a whole float (`250.0`).
    pub fn money<'de, D: Deserializer<'de>>(d: D) -> Result<Option<trustdesk_domain::Money>, D::Error> {
        let mut v = Value::deserialize(d)?;
        if let Some(units) = v.get_mut("minor_units") {
            if let Some(f) = units.as_f64().filter(|f| !units.is_i64() && f.fract() == 0.0 && f.abs() < 1e15)
            {
                *units = Value::from(f as i64);
            }
        }
        serde_json::from_value(v).map_err(D::Error::custom)
    }

    /// Tag fields of the domain's internally tagged enums that requests carry.
    const TAGS: [&str; 4] = ["change", "kind", "outcome", "action"];
    /// The fields of those values that are lists.
    const LISTS: [&str; 3] = ["open", "failed", "reasons"];
    /// Every field name of those values (see the `doc` mirrors).
    const KNOWN: [&str; 29] = [
        "change",
        "id",
        "to",
        "body",
        "due",
        "reason",
        "text",
        "amount",
        "proposal_id",
        "party",
        "accepts",
        "outcome",
        "remedy",
        "reasoning",
        "fee",
        "payer",
        "minor_units",
        "currency",
        "kind",
        "sha256",
        "name",
        "url",
        "open",
        "failed",
        "action",
        "reasons",
        "criterion_id",
        "severity",
        "repeated",
    ];

    /// Brings a JSON value to what the domain's derives read exactly as the
    /// schema means it: whole floats become integers (JSON Schema counts `5.0`
    /// as an integer), and a tag must be a name (serde would also take a
    /// variant's index).
    fn normalise(v: &mut Value, parent: &str) -> Result<(), String> {
        match v {
            Value::Number(n) if !n.is_i64() && !n.is_u64() => {
                if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9e15) {
                    *v = Value::from(f as i64);
                }
                Ok(())
            }
            Value::Array(items) => items.iter_mut().try_for_each(|i| normalise(i, parent)),
            Value::Object(map) => {
                for tag in TAGS {
                    if map.get(tag).is_some_and(|t| !t.is_string()) {
                        return Err(format!("\"{tag}\" must be a name"));
                    }
                }
                // Plain structs allow no other fields in the schema (amounts
                // aside); variants of tagged enums do, and we ignore those.
                let tagged = TAGS.iter().any(|t| map.contains_key(*t));
                if !tagged && parent != "amount" {
                    if let Some(k) = map.keys().find(|k| !KNOWN.contains(&k.as_str())) {
                        return Err(format!("unknown field \"{k}\""));
                    }
                }
                for (k, v) in map.iter_mut().filter(|(k, _)| KNOWN.contains(&k.as_str())) {
                    // serde also reads a struct from a list; the schema does not.
                    if v.is_array() && !LISTS.contains(&k.as_str()) {
                        return Err(format!("\"{k}\" must not be a list"));
                    }
                    normalise(v, k)?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// A domain value (or list or option of them) read through [`normalise`].
    pub fn tagged<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<T, D::Error> {
        let mut v = Value::deserialize(d)?;
        normalise(&mut v, "").map_err(D::Error::custom)?;
        serde_json::from_value(v).map_err(D::Error::custom)
    }

    /// An optional JSON object (or null), kept as a value for the caller to read.
    pub fn optional_object<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
        match Option::<Value>::deserialize(d)? {
            Some(v) if !v.is_object() => Err(D::Error::custom("expected a JSON object")),
            v => Ok(v),
        }
    }

    pub fn review_action<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<trustdesk_domain::ReviewAction, D::Error> {
        let v = Value::deserialize(d)?;
        if !v.get("action").is_some_and(Value::is_string) {
            return Err(D::Error::custom("expected an object with an \"action\" name"));
        }
        serde_json::from_value(v).map_err(D::Error::custom)
    }
}

/// Schema-only mirrors of the domain types that requests carry, so the OpenAPI
/// document states exactly what the server accepts. A test keeps them in step
/// with the domain; the wire format is the domain's.
#[cfg(feature = "openapi")]
pub mod doc {
    use chrono::{DateTime, Utc};
    use serde::Serialize;
    use utoipa::ToSchema;

    #[derive(Serialize, ToSchema, Clone, Copy)]
    #[serde(rename_all = "snake_case")]
    #[schema(as = ComplaintStatus)]
    pub enum ComplaintStatus {
        Open,
        /// The complaint was right: the review was published.
        Upheld,
        /// The decision stands; the reasons say why.
        Dismissed,
    }

    #[derive(Serialize, ToSchema, Clone, Copy)]
    #[serde(rename_all = "snake_case")]
    #[schema(as = ComplaintOutcome)]
    pub enum ComplaintOutcome {
        Upheld,
        Dismissed,
    }

    /// A reviewer's complaint against a decision that kept their review off the
    /// profile (DSA Art. 20). Decided by a person other than the one who decided.
    #[derive(Serialize, ToSchema)]
    #[schema(as = ComplaintCase)]
    pub struct ComplaintCase {
        #[schema(format = Uuid)]
        pub id: String,
        /// The contested decision; its statement of reasons has the same id.
        #[schema(format = Uuid)]
        pub decision_id: String,
        #[schema(format = Uuid)]
        pub review_id: String,
        #[schema(format = Uuid)]
        pub shop_id: String,
        pub language: String,
        /// Who made the contested decision: never the one who decides the complaint.
        pub decision_by: String,
        /// The moderator the case was routed to (none when no other moderator
        /// exists: then any staff member other than `decision_by` may take it).
        pub assigned_to: Option<String>,
        /// The reviewer's complaint, plain text.
        pub text: String,
        pub received_at: DateTime<Utc>,
        pub entered_by: String,
        pub status: ComplaintStatus,
        /// Set once decided.
        pub decided_by: Option<String>,
        pub decided_at: Option<DateTime<Utc>>,
        pub reasons: Option<String>,
        /// For an upheld complaint: the decision record that published the review.
        #[schema(format = Uuid)]
        pub publish_decision_id: Option<String>,
        pub version: i64,
    }

    #[derive(Serialize, ToSchema)]
    #[serde(tag = "action", rename_all = "snake_case")]
    #[schema(as = ReviewAction)]
    pub enum ReviewAction {
        Publish,
        Reject { reason: RejectionReason },
        RequestEvidence { deadline: DateTime<Utc> },
        ReceiveEvidence,
        AcceptEvidence,
        RefuseEvidence,
        ExpireDeadline,
    }

    #[derive(Serialize, ToSchema, Clone, Copy)]
    #[serde(rename_all = "snake_case")]
    #[schema(as = RejectionReason)]
    pub enum RejectionReason {
        Insult,
        PersonalData,
        BankDetails,
        InsuranceNumber,
        ProductReference,
        TobaccoUse,
        DrugEffect,
        BeforeAfter,
        ModeOfAction,
        AlcoholAdvertising,
        ExperienceTooOld,
        NotRealExperience,
        SpamDuplicate,
    }

    #[derive(Serialize, ToSchema, Clone, Copy)]
    #[serde(rename_all = "snake_case")]
    #[schema(as = ReviewSource)]
    pub enum ReviewSource {
        Invitation,
        ConsumerAccount,
        DirectDoubleOptIn,
        Imported,
    }

    #[derive(Serialize, ToSchema, Clone, Copy)]
    #[serde(rename_all = "snake_case")]
    #[schema(as = ArmCategory)]
    pub enum ArmCategory {
        Insult,
        PersonalData,
        BankDetails,
        InsuranceNumber,
        ProductReference,
        TobaccoUse,
        DrugEffect,
        BeforeAfter,
        ModeOfAction,
        AlcoholAdvertising,
    }

    #[derive(Serialize, ToSchema)]
    #[schema(as = Grounds)]
    pub struct Grounds {
        /// Up to 4000 characters; longer facts are rejected per mutation.
        pub facts: String,
        pub filter_rules: Vec<String>,
        pub rule_pack_version: Option<String>,
        /// Only on a rejection the moderator marks as illegal content.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub illegal: Option<IllegalMarking>,
    }

    #[derive(Serialize, ToSchema)]
    #[schema(as = IllegalMarking)]
    pub struct IllegalMarking {
        /// The legal provision, e.g. "§ 130 StGB"; up to 500 characters.
        pub provision: String,
        /// Why the content is illegal under it; up to 2000 characters.
        pub explanation: String,
    }

    #[derive(Serialize, ToSchema, Clone, Copy)]
    #[serde(rename_all = "snake_case")]
    #[schema(as = ChecklistStatus)]
    pub enum ChecklistStatus {
        Open,
        Pass,
        Fail,
        NotApplicable,
    }

    #[derive(Serialize, ToSchema, Clone, Copy)]
    #[serde(rename_all = "snake_case")]
    #[schema(as = Author)]
    pub enum Author {
        Consumer,
        Shop,
        Mediator,
    }

    #[derive(Serialize, ToSchema, Clone, Copy)]
    #[serde(rename_all = "snake_case")]
    #[schema(as = DisputeOutcome)]
    pub enum DisputeOutcome {
        ConsumerPrevails,
        ShopPrevails,
        PartlyUpheld,
        Settled,
    }

    #[derive(Serialize, ToSchema)]
    #[schema(as = Money)]
    pub struct Money {
        pub minor_units: i64,
        #[schema(pattern = "^[A-Za-z]{3}$")]
        pub currency: String,
    }

    #[derive(Serialize, ToSchema)]
    #[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
    #[schema(as = EvidenceRef)]
    pub enum EvidenceRef {
        File { sha256: String, name: String },
        Url { url: String },
    }

    #[derive(Serialize, ToSchema)]
    #[serde(tag = "outcome", rename_all = "snake_case", deny_unknown_fields)]
    #[schema(as = AuditOutcome)]
    pub enum AuditOutcome {
        Incomplete { open: Vec<String> },
        ImprovementsRequired { failed: Vec<String> },
        Certified,
    }

    #[derive(Serialize, ToSchema, Clone, Copy)]
    #[serde(rename_all = "snake_case")]
    #[schema(as = Severity)]
    pub enum Severity {
        Minor,
        Major,
    }

    #[derive(Serialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    #[schema(as = SpotCheckReason)]
    pub struct SpotCheckReason {
        pub criterion_id: String,
        pub severity: Severity,
        pub repeated: bool,
    }

    #[derive(Serialize, ToSchema)]
    #[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
    #[schema(as = SpotCheckRecommendation)]
    pub enum SpotCheckRecommendation {
        Keep,
        Warn { reasons: Vec<SpotCheckReason> },
        Suspend { reasons: Vec<SpotCheckReason> },
        Revoke { reasons: Vec<SpotCheckReason> },
    }

    #[derive(Serialize, ToSchema, Clone, Copy)]
    #[serde(rename_all = "snake_case")]
    #[schema(as = Recipient)]
    pub enum Recipient {
        Consumer,
        Shop,
        Both,
    }

    #[derive(Serialize, ToSchema, Clone, Copy)]
    #[serde(rename_all = "snake_case")]
    #[schema(as = Party)]
    pub enum Party {
        Consumer,
        Shop,
    }

    #[derive(Serialize, ToSchema, Clone, Copy)]
    #[serde(rename_all = "snake_case")]
    #[schema(as = DisputeStage)]
    pub enum DisputeStage {
        Communication,
        Mediation,
        ArbitrationReferral,
        Closed,
    }

    #[derive(Serialize, ToSchema)]
    #[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
    #[schema(as = Remedy)]
    pub enum Remedy {
        Refund { amount: Money },
        Replacement,
        Repair,
        Other { text: String },
    }

    #[derive(Serialize, ToSchema, Default)]
    #[serde(deny_unknown_fields)]
    #[schema(as = FeeTerms)]
    pub struct FeeTerms {
        #[serde(default)]
        pub amount: Option<Money>,
        #[serde(default)]
        pub payer: Option<Party>,
    }

    #[derive(Serialize, ToSchema)]
    #[serde(tag = "change", rename_all = "snake_case", deny_unknown_fields)]
    #[schema(as = DisputeChange)]
    pub enum DisputeChange {
        SendMessage {
            #[schema(format = Uuid)]
            id: String,
            to: Recipient,
            body: String,
        },
        SetDeadline {
            due: DateTime<Utc>,
            reason: String,
        },
        MoveStage {
            to: DisputeStage,
        },
        Propose {
            #[schema(format = Uuid)]
            id: String,
            text: String,
            #[serde(default)]
            amount: Option<Money>,
        },
        RecordAcceptance {
            #[schema(format = Uuid)]
            proposal_id: String,
            party: Party,
            accepts: bool,
        },
        ReferToArbitration,
        /// A file (uploaded first with `POST /v1/evidence`) from a party or the
        /// mediator: `sha256` in lower-case hex, `name` 1 to 200 characters; an
        /// item breaking that is rejected on its own, like every change here.
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
}

#[cfg(test)]
mod tests {
    #[test]
    fn large_whole_floats_read_exactly() {
        // Found by schemathesis: without exact float parsing this read as ...927.25.
        let m: Result<Mutation, _> = serde_json::from_str(
            r#"{"id": "0190b5b4-0000-7000-8000-000000000001", "base_version": -2150107553862927.0,
                "op": {"type": "dispute_escalate", "dispute_id": "0190b5b4-0000-7000-8000-000000000002"}}"#,
        );
        assert_eq!(m.unwrap().base_version, -2_150_107_553_862_927);
    }

    use super::*;
    use trustdesk_domain::RejectionReason;

    #[test]
    fn a_mutation_reads_as_documented() {
        let json = r#"{"id":"01936c5e-7b7a-7c3e-9f00-000000000001","base_version":3,
            "op":{"type":"review_decision","review_id":"01936c5e-7b7a-7c3e-9f00-000000000002",
                  "action":{"action":"reject","reason":"insult"},"grounds":{"facts":"",
                  "filter_rules":[],"rule_pack_version":null}}}"#;
        let m: Mutation = serde_json::from_str(json).unwrap();
        assert_eq!(m.base_version, 3);
        match m.op {
            MutationOp::ReviewDecision { action, .. } => {
                assert_eq!(action, ReviewAction::Reject { reason: RejectionReason::Insult })
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_decision_without_a_statement_still_reads() {
        let json = r#"{"id":"01936c5e-7b7a-7c3e-9f00-000000000001","base_version":1,
            "op":{"type":"review_decision","review_id":"01936c5e-7b7a-7c3e-9f00-000000000002",
                  "action":{"action":"reject","reason":"insult"}}}"#;
        let m: Mutation = serde_json::from_str(json).unwrap();
        assert!(matches!(m.op, MutationOp::ReviewDecision { statement: None, .. }));
        // A fragment still reads: the server refuses it for that item alone.
        let with =
            json.replace(r#""reason":"insult"}"#, r#""reason":"insult"},"statement":{"free_text":"x"}"#);
        let m: Mutation = serde_json::from_str(&with).unwrap();
        assert!(matches!(m.op, MutationOp::ReviewDecision { statement: Some(_), .. }));
        assert!(serde_json::from_value::<trustdesk_domain::StatementOfReasons>(
            serde_json::json!({"free_text": "x"})
        )
        .is_err());
    }

    #[test]
    fn complaint_requests_refuse_unknown_fields() {
        let ok: DecideComplaint = serde_json::from_str(r#"{"outcome":"dismissed","reasons":"r"}"#).unwrap();
        assert_eq!(ok.outcome, ComplaintOutcome::Dismissed);
        assert!(serde_json::from_str::<DecideComplaint>(r#"{"outcome":"upheld","x":1}"#).is_err());
        assert!(serde_json::from_str::<NewComplaint>(r#"{"review_id":"r","text":"t","by":"me"}"#).is_err());
        assert_eq!(EntityKind::Complaint.as_str().parse::<EntityKind>().unwrap(), EntityKind::Complaint);
    }

    #[test]
    fn whole_numbers_may_be_written_as_floats() {
        let c: ClaimRequest =
            serde_json::from_str(r#"{"kind":"review","limit":5.0,"lease_seconds":60}"#).unwrap();
        assert_eq!((c.limit, c.lease_seconds), (5, Some(60)));
        let c: ClaimRequest = serde_json::from_str(r#"{"kind":"review","limit":5}"#).unwrap();
        assert_eq!(c.lease_seconds, None);
        assert!(serde_json::from_str::<ClaimRequest>(r#"{"kind":"review","limit":5.5}"#).is_err());
        assert!(serde_json::from_str::<ClaimRequest>(r#"{"kind":"review","limit":-1}"#).is_err());
        assert!(serde_json::from_str::<ClaimRequest>(r#"{"kind":"review","limit":"5"}"#).is_err());
        assert!(serde_json::from_str::<ExtendClaim>(r#"{"lease_seconds":1e300}"#).is_err());
    }

    #[test]
    fn lenient_serde_shapes_are_refused() {
        let base = r#"{"id":"01936c5e-7b7a-7c3e-9f00-000000000001","base_version":1,
            "op":{"type":"review_decision","review_id":"01936c5e-7b7a-7c3e-9f00-000000000002","action":ACTION}}"#;
        assert!(serde_json::from_str::<Mutation>(&base.replace("ACTION", r#"{"action":"publish"}"#)).is_ok());
        assert!(serde_json::from_str::<Mutation>(&base.replace("ACTION", r#"{"action":0}"#)).is_err());
        assert!(serde_json::from_str::<Mutation>(&base.replace("ACTION", r#"["publish"]"#)).is_err());
        assert!(serde_json::from_str::<ClaimRequest>(
            r#"{"kind":"review","limit":1,"filter":[null,null,null]}"#
        )
        .is_err());
        let c: ClaimRequest =
            serde_json::from_str(r#"{"kind":"review","limit":1,"filter":{"language":"de"}}"#).unwrap();
        assert_eq!(c.filter.language.map(|l| l.to_string()), Some("de".into()));
        assert!(
            serde_json::from_str::<ClaimRequest>(r#"{"kind":"review","limit":1,"filter":{"x":1}}"#).is_err()
        );
    }

    #[test]
    fn unknown_fields_are_refused() {
        let json = r#"{"id":"01936c5e-7b7a-7c3e-9f00-000000000001","base_version":3,"extra":1,
            "op":{"type":"dispute_escalate","dispute_id":"01936c5e-7b7a-7c3e-9f00-000000000002"}}"#;
        assert!(serde_json::from_str::<Mutation>(json).is_err());
        let json = r#"{"id":"01936c5e-7b7a-7c3e-9f00-000000000001","base_version":3,
            "op":{"type":"dispute_escalate","dispute_id":"01936c5e-7b7a-7c3e-9f00-000000000002","x":1}}"#;
        assert!(serde_json::from_str::<Mutation>(json).is_err());
    }

    #[test]
    fn results_are_flat_and_round_trip() {
        let r = MutationResult {
            id: DecisionId::new(),
            outcome: MutationOutcome::Duplicate {
                original: Box::new(MutationOutcome::Rejected {
                    code: codes::FORBIDDEN.into(),
                    message: "no".into(),
                }),
            },
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["result"], "duplicate");
        assert_eq!(v["original"]["result"], "rejected");
        assert_eq!(serde_json::from_value::<MutationResult>(v).unwrap(), r);
        let applied = serde_json::to_value(MutationOutcome::Applied { new_version: 4 }).unwrap();
        assert_eq!(applied, serde_json::json!({"result": "applied", "new_version": 4}));
    }

    /// The schema mirrors must describe exactly what the domain accepts.
    #[cfg(feature = "openapi")]
    #[test]
    fn schema_mirrors_match_the_domain() {
        use trustdesk_domain::audit::ChecklistStatus;
        use trustdesk_domain::dispute::{Author, DisputeOutcome};
        fn same<D: Serialize, T: serde::de::DeserializeOwned + Serialize>(d: &D) {
            let v = serde_json::to_value(d).unwrap();
            let t: T = serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{v}: {e}"));
            assert_eq!(serde_json::to_value(t).unwrap(), v);
        }
        use chrono::TimeZone;
        let money = || doc::Money { minor_units: 4990, currency: "EUR".into() };
        same::<_, trustdesk_domain::dispute::DisputeChange>(&doc::DisputeChange::Decide {
            outcome: doc::DisputeOutcome::PartlyUpheld,
            remedy: Some(doc::Remedy::Refund { amount: money() }),
            reasoning: "r".into(),
            fee: doc::FeeTerms { amount: Some(money()), payer: Some(doc::Party::Shop) },
        });
        same::<_, trustdesk_domain::dispute::DisputeChange>(&doc::DisputeChange::SetDeadline {
            due: chrono::Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap(),
            reason: "x".into(),
        });
        same::<_, trustdesk_domain::dispute::DisputeChange>(&doc::DisputeChange::SendMessage {
            id: "0190f5e2-7a4b-7c3d-8e9f-0a1b2c3d4e5f".into(),
            to: doc::Recipient::Both,
            body: "b".into(),
        });
        same::<_, trustdesk_domain::dispute::DisputeChange>(&doc::DisputeChange::Attach {
            sha256: "ab".repeat(32),
            name: "receipt.png".into(),
            from: doc::Author::Consumer,
        });
        same::<_, trustdesk_domain::dispute::DisputeChange>(&doc::DisputeChange::MoveStage {
            to: doc::DisputeStage::ArbitrationReferral,
        });
        same::<_, AuditOutcome>(&doc::AuditOutcome::ImprovementsRequired { failed: vec!["a".into()] });
        same::<_, SpotCheckRecommendation>(&doc::SpotCheckRecommendation::Suspend {
            reasons: vec![doc::SpotCheckReason {
                criterion_id: "a".into(),
                severity: doc::Severity::Major,
                repeated: true,
            }],
        });
        same::<_, EvidenceRef>(&doc::EvidenceRef::File { sha256: "ab".repeat(32), name: "n.png".into() });
        use doc::RejectionReason as R;
        let reasons = [
            R::Insult,
            R::PersonalData,
            R::BankDetails,
            R::InsuranceNumber,
            R::ProductReference,
            R::TobaccoUse,
            R::DrugEffect,
            R::BeforeAfter,
            R::ModeOfAction,
            R::AlcoholAdvertising,
            R::ExperienceTooOld,
            R::NotRealExperience,
            R::SpamDuplicate,
        ];
        assert_eq!(reasons.len(), RejectionReason::ALL.len());
        for r in reasons {
            same::<_, RejectionReason>(&r);
            same::<_, ReviewAction>(&doc::ReviewAction::Reject { reason: r });
        }
        use doc::ArmCategory as C;
        let cats = [
            C::Insult,
            C::PersonalData,
            C::BankDetails,
            C::InsuranceNumber,
            C::ProductReference,
            C::TobaccoUse,
            C::DrugEffect,
            C::BeforeAfter,
            C::ModeOfAction,
            C::AlcoholAdvertising,
        ];
        assert_eq!(cats.len(), ArmCategory::ALL.len());
        for c in cats {
            same::<_, ArmCategory>(&c);
        }
        for a in [
            doc::ReviewAction::Publish,
            doc::ReviewAction::RequestEvidence { deadline: chrono::Utc::now() },
            doc::ReviewAction::ReceiveEvidence,
            doc::ReviewAction::AcceptEvidence,
            doc::ReviewAction::RefuseEvidence,
            doc::ReviewAction::ExpireDeadline,
        ] {
            same::<_, ReviewAction>(&a);
        }
        for (status, outcome) in [
            (doc::ComplaintStatus::Open, doc::ComplaintOutcome::Upheld),
            (doc::ComplaintStatus::Dismissed, doc::ComplaintOutcome::Dismissed),
            (doc::ComplaintStatus::Upheld, doc::ComplaintOutcome::Upheld),
        ] {
            same::<_, ComplaintOutcome>(&outcome);
            same::<_, ComplaintCase>(&doc::ComplaintCase {
                id: uuid::Uuid::now_v7().to_string(),
                decision_id: uuid::Uuid::now_v7().to_string(),
                review_id: uuid::Uuid::now_v7().to_string(),
                shop_id: uuid::Uuid::now_v7().to_string(),
                language: "nl".into(),
                decision_by: "u1".into(),
                assigned_to: Some("u2".into()),
                text: "t".into(),
                received_at: chrono::Utc::now(),
                entered_by: "u3".into(),
                status,
                decided_by: None,
                decided_at: None,
                reasons: Some("r".into()),
                publish_decision_id: Some(uuid::Uuid::now_v7().to_string()),
                version: 3,
            });
        }
        same::<_, Grounds>(&doc::Grounds {
            facts: "f".into(),
            filter_rules: vec!["r".into()],
            rule_pack_version: None,
            illegal: None,
        });
        same::<_, Grounds>(&doc::Grounds {
            facts: String::new(),
            filter_rules: vec![],
            rule_pack_version: Some("v".into()),
            illegal: Some(doc::IllegalMarking { provision: "p".into(), explanation: "e".into() }),
        });
        for s in [
            doc::ChecklistStatus::Open,
            doc::ChecklistStatus::Pass,
            doc::ChecklistStatus::Fail,
            doc::ChecklistStatus::NotApplicable,
        ] {
            same::<_, ChecklistStatus>(&s);
        }
        for a in [doc::Author::Consumer, doc::Author::Shop, doc::Author::Mediator] {
            same::<_, Author>(&a);
        }
        for o in [
            doc::DisputeOutcome::ConsumerPrevails,
            doc::DisputeOutcome::ShopPrevails,
            doc::DisputeOutcome::PartlyUpheld,
            doc::DisputeOutcome::Settled,
        ] {
            same::<_, DisputeOutcome>(&o);
        }
        same::<_, Money>(&doc::Money { minor_units: 2500, currency: "EUR".into() });
        use doc::ReviewSource as S;
        for s in [S::Invitation, S::ConsumerAccount, S::DirectDoubleOptIn, S::Imported] {
            same::<_, trustdesk_domain::ReviewSource>(&s);
        }
    }

    #[test]
    fn roles_and_kinds_parse_their_wire_names() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
        assert!("root".parse::<Role>().is_err());
        for k in EntityKind::ALL {
            assert_eq!(k.as_str().parse::<EntityKind>().unwrap(), k);
        }
    }
}

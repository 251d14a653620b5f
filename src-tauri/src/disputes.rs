//! Dispute commands: the mediator's case list, the case with its timeline, the
//! changes the domain allows (messages from templates, deadlines, stages,
//! proposals, referral, the decision) and the documents. Adapters only.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tauri::State;
use trustdesk_domain::dispute::{Author, DisputeChange, FeeTerms, Party, Recipient, Remedy};
use trustdesk_domain::dispute_templates::{render_message, MessageTemplateId, MessageVars};
use trustdesk_domain::{
    DisputeCase, DisputeId, DisputeOutcome, DisputeStage, LanguageCode, MessageId, Money, ProposalId,
};
use trustdesk_store::DisputeView;
use trustdesk_sync::evidence::{sniff, EvidenceCache};
use ts_rs::TS;

use crate::audits::{CaseIssue, ExportedReport};
use crate::state::{opened, Opened};
use crate::sync::SyncState;
use crate::IpcError;

#[derive(Debug, Clone, Serialize, TS)]
pub struct DisputeRow {
    pub id: String,
    pub shop_name: String,
    pub consumer_name: String,
    pub order_reference: String,
    pub stage: DisputeStage,
    pub next_deadline: Option<DateTime<Utc>>,
    pub overdue: bool,
    pub claim: Money,
    pub pending_changes: u32,
    pub needs_attention: u32,
    /// This workstation holds the server's claim on it.
    pub claimed: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct DisputeDetail {
    pub row: DisputeRow,
    pub case: DisputeCase,
    pub consumer_language: String,
    pub shop_language: String,
    pub issues: Vec<CaseIssue>,
}

/// What the mediator asks for; ids of new messages and proposals are made here.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum DisputeAction {
    SendMessage { to: Recipient, body: String },
    SetDeadline { due: DateTime<Utc>, reason: String },
    MoveStage { to: DisputeStage },
    Propose { text: String, amount: Option<Money> },
    RecordAcceptance { proposal_id: String, party: Party, accepts: bool },
    ReferToArbitration,
    Decide { outcome: DisputeOutcome, remedy: Option<Remedy>, reasoning: String, fee: FeeTerms },
}

fn dispute_id(s: &str) -> Result<DisputeId, IpcError> {
    s.parse().map_err(|_| IpcError::new("bad_request", "dispute_id is not a valid id"))
}

fn row(v: &DisputeView, now: DateTime<Utc>, claimed: &std::collections::HashSet<String>) -> DisputeRow {
    let c = &v.case;
    DisputeRow {
        id: c.id.to_string(),
        shop_name: if c.shop_name.is_empty() { v.shop.name.clone() } else { c.shop_name.clone() },
        consumer_name: c.consumer_name.clone(),
        order_reference: c.order_reference.clone(),
        stage: c.stage,
        next_deadline: c.next_deadline(),
        overdue: c.is_overdue(now),
        claim: c.claim,
        pending_changes: v.pending_changes,
        needs_attention: v.unresolved.len() as u32,
        claimed: claimed.contains(&c.id.to_string()),
    }
}

fn detail(v: DisputeView, claimed: &std::collections::HashSet<String>) -> DisputeDetail {
    let shop_language = v.case.language_of(Party::Shop).to_string();
    DisputeDetail {
        row: row(&v, Utc::now(), claimed),
        consumer_language: v.case.language.to_string(),
        shop_language,
        issues: crate::audits::case_issues(&v.unresolved),
        case: v.case,
    }
}

/// Open cases with the overdue first, then by the next deadline; closed last.
#[tauri::command]
pub async fn list_disputes(state: State<'_, Opened>) -> Result<Vec<DisputeRow>, IpcError> {
    let s = opened(&state)?;
    let now = Utc::now();
    let mut views = s.store.disputes().await?;
    views.sort_by_key(|v| v.case.list_key(now));
    let claimed = s.store.claimed_ids("dispute", now).await?;
    Ok(views.iter().map(|v| row(v, now, &claimed)).collect())
}

#[tauri::command]
pub async fn dispute_detail(state: State<'_, Opened>, dispute_id: String) -> Result<DisputeDetail, IpcError> {
    let s = opened(&state)?;
    let claimed = s.store.claimed_ids("dispute", Utc::now()).await?;
    Ok(detail(s.store.dispute(self::dispute_id(&dispute_id)?).await?, &claimed))
}

/// Applies one change locally at once (kept offline) and queues it for the server.
#[tauri::command]
pub async fn apply_dispute_action(
    state: State<'_, Opened>,
    sync: State<'_, Arc<SyncState>>,
    dispute_id: String,
    action: DisputeAction,
) -> Result<DisputeDetail, IpcError> {
    let s = opened(&state)?;
    let id = self::dispute_id(&dispute_id)?;
    let change = match action {
        DisputeAction::SendMessage { to, body } => {
            DisputeChange::SendMessage { id: MessageId::new(), to, body }
        }
        DisputeAction::SetDeadline { due, reason } => DisputeChange::SetDeadline { due, reason },
        DisputeAction::MoveStage { to } => DisputeChange::MoveStage { to },
        DisputeAction::Propose { text, amount } => {
            DisputeChange::Propose { id: ProposalId::new(), text, amount }
        }
        DisputeAction::RecordAcceptance { proposal_id, party, accepts } => DisputeChange::RecordAcceptance {
            proposal_id: proposal_id
                .parse()
                .map_err(|_| IpcError::new("bad_request", "not a proposal id"))?,
            party,
            accepts,
        },
        DisputeAction::ReferToArbitration => DisputeChange::ReferToArbitration,
        DisputeAction::Decide { outcome, remedy, reasoning, fee } => {
            DisputeChange::Decide { outcome, remedy, reasoning, fee }
        }
    };
    s.store.record_dispute_change(id, &change, &s.user().await?, Utc::now()).await?;
    sync.poke();
    let claimed = s.store.claimed_ids("dispute", Utc::now()).await?;
    Ok(detail(s.store.dispute(id).await?, &claimed))
}

/// A message template filled for this case, in the recipient's language, for
/// the mediator to edit before sending.
#[tauri::command]
pub async fn dispute_message_template(
    state: State<'_, Opened>,
    dispute_id: String,
    template: MessageTemplateId,
    to: Recipient,
) -> Result<String, IpcError> {
    let s = opened(&state)?;
    let v = s.store.dispute(self::dispute_id(&dispute_id)?).await?;
    let language: LanguageCode = match to {
        Recipient::Shop => v.case.language_of(Party::Shop),
        Recipient::Consumer | Recipient::Both => v.case.language,
    };
    let mut vars = MessageVars::from_case(&v.case, &s.user().await?);
    // Older cases lack names: the reference and the shop's record stand in.
    vars.consumer_name.get_or_insert_with(|| v.case.consumer_reference.clone());
    vars.shop_name.get_or_insert_with(|| v.shop.name.clone());
    render_message(template, language, &vars).map_err(|e| IpcError::new("template", e.to_string()))
}

/// Attaches a file a party sent (or the mediator's own): the raw bytes are the
/// request body, the sender and name come as headers. The file goes to the
/// local content-addressed cache (so it opens offline) and is uploaded with
/// the change.
#[tauri::command]
pub async fn attach_dispute_file(
    request: tauri::ipc::Request<'_>,
    state: State<'_, Opened>,
    sync: State<'_, Arc<SyncState>>,
) -> Result<DisputeDetail, IpcError> {
    let s = opened(&state)?;
    let id = dispute_id(&crate::audits::header(&request, "dispute-id")?)?;
    let from: Author = match crate::audits::header(&request, "from")?.as_str() {
        "consumer" => Author::Consumer,
        "shop" => Author::Shop,
        "mediator" => Author::Mediator,
        other => return Err(IpcError::new("bad_request", format!("unknown sender {other:?}"))),
    };
    let name: String =
        crate::audits::header(&request, "file-name")?.chars().filter(|c| !c.is_control()).take(200).collect();
    let tauri::ipc::InvokeBody::Raw(bytes) = request.body() else {
        return Err(IpcError::new("bad_request", "the file must be sent as raw bytes"));
    };
    if sniff(bytes).is_none() {
        return Err(IpcError::new(
            "bad_request",
            "attachments must be a PNG, JPEG, GIF, WebP image or a PDF",
        ));
    }
    let sha256 = EvidenceCache::beside(s.store.path()).put(bytes)?;
    let change = DisputeChange::Attach { sha256, name, from };
    s.store.record_dispute_change(id, &change, &s.user().await?, Utc::now()).await?;
    sync.poke();
    let claimed = s.store.claimed_ids("dispute", Utc::now()).await?;
    Ok(detail(s.store.dispute(id).await?, &claimed))
}

/// Saves a copy of an attachment (from this workstation's own copy, so offline
/// too) into the data directory's `reports` folder, for a viewer of the user's
/// choice: the app shows images itself, not PDFs.
#[tauri::command]
pub async fn save_dispute_attachment(
    state: State<'_, Opened>,
    dispute_id: String,
    sha256: String,
) -> Result<ExportedReport, IpcError> {
    let s = opened(&state)?;
    let v = s.store.dispute(self::dispute_id(&dispute_id)?).await?;
    let a = v
        .case
        .attachments
        .iter()
        .find(|a| a.sha256 == sha256)
        .ok_or_else(|| IpcError::new("not_found", "the case has no such attachment"))?;
    crate::evidence::save_copy(&s.store, "attachment", &a.sha256, &a.name)
}

/// Writes the decision (in the consumer's or the shop's language) or the
/// arbitration case file as PDF into the data directory's `reports` folder.
#[tauri::command]
pub async fn export_dispute_document(
    state: State<'_, Opened>,
    dispute_id: String,
    document: String,
    party: Party,
) -> Result<ExportedReport, IpcError> {
    let s = opened(&state)?;
    let v = s.store.dispute(self::dispute_id(&dispute_id)?).await?;
    let lang = v.case.language_of(party).to_string();
    let ctx = trustdesk_reports::DisputeContext {
        shop_name: if v.case.shop_name.is_empty() { v.shop.name.clone() } else { v.case.shop_name.clone() },
        consumer_name: v.case.consumer_name.clone(),
        mediator: s.user().await?,
        date: Utc::now().date_naive(),
        // The case file carries every attachment this workstation holds.
        attachments: {
            let cache = EvidenceCache::beside(s.store.path());
            let mut files = Vec::new();
            for a in &v.case.attachments {
                if let Some(bytes) = cache.get(&a.sha256)? {
                    files.push((a.name.clone(), bytes));
                }
            }
            files
        },
    };
    let report_error = |e: trustdesk_reports::ReportError| IpcError::new("report", e.to_string());
    let doc = match document.as_str() {
        "decision" => trustdesk_reports::dispute_decision(&v.case, &ctx, &lang).map_err(report_error)?,
        "case_file" => trustdesk_reports::arbitration_case_file(&v.case, &ctx, &lang),
        other => return Err(IpcError::new("bad_request", format!("unknown document {other:?}"))),
    };
    let bytes = trustdesk_reports::to_pdf(&doc).map_err(report_error)?;
    let party_name = if party == Party::Shop { "shop" } else { "consumer" };
    let order = v.case.order_reference.replace(|c: char| !c.is_ascii_alphanumeric(), "-");
    let name = format!("dispute-{order}-{document}-{party_name}-{lang}.pdf");
    crate::audits::write_report(&s.store, &name, &bytes)
}

/// Resolves a change the server did not apply: keep mine (send it again on the
/// server's current version) or accept theirs (drop it).
#[tauri::command]
pub async fn resolve_dispute_change(
    state: State<'_, Opened>,
    sync: State<'_, Arc<SyncState>>,
    dispute_id: String,
    mutation_id: String,
    keep_mine: bool,
) -> Result<DisputeDetail, IpcError> {
    let s = opened(&state)?;
    let m: trustdesk_domain::DecisionId =
        mutation_id.parse().map_err(|_| IpcError::new("bad_request", "mutation_id is not a valid id"))?;
    s.store.resolve_case(m, keep_mine, &s.user().await?, Utc::now()).await?;
    sync.poke();
    let claimed = s.store.claimed_ids("dispute", Utc::now()).await?;
    Ok(detail(s.store.dispute(self::dispute_id(&dispute_id)?).await?, &claimed))
}

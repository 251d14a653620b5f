//! Audit commands: the auditor's list, the checklist, evidence, confirmation
//! and the report. Rules live in the domain (`AuditCase::apply`, the checklist
//! template); these are adapters.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tauri::ipc::{InvokeBody, Request};
use tauri::State;
use trustdesk_domain::audit::{AuditChange, AuditConfirmation};
use trustdesk_domain::checklist::{ChecklistCounts, Severity, SpotCheckRecommendation};
use trustdesk_domain::{
    AuditId, AuditKind, AuditOutcome, ChecklistStatus, DecisionId, EvidenceRef, LanguageCode,
};
use trustdesk_store::{AuditChangeError, AuditView};
use trustdesk_sync::evidence::{sniff, EvidenceCache};
use ts_rs::TS;

use crate::state::{opened, AppState, Opened};
use crate::sync::SyncState;
use crate::IpcError;
use std::sync::Arc;

#[derive(Debug, Clone, Serialize, TS)]
pub struct AuditRow {
    pub id: String,
    pub shop_name: String,
    pub kind: AuditKind,
    /// `open` (nothing checked), `in_progress`, `ready` (all checked), `confirmed`.
    pub stage: String,
    pub due: DateTime<Utc>,
    pub countries: Vec<String>,
    pub counts: ChecklistCounts,
    pub pending_changes: u32,
    pub needs_attention: u32,
    /// This workstation holds the server's claim on it.
    pub claimed: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct PreviousFinding {
    pub status: ChecklistStatus,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ChecklistRow {
    pub criterion_id: String,
    pub title: String,
    pub check: String,
    pub why: String,
    pub guidance: String,
    pub severity: Option<Severity>,
    pub evidence_required: bool,
    pub status: ChecklistStatus,
    pub note: String,
    pub evidence: Vec<EvidenceRef>,
    /// For a re-audit: what the audit it follows up found.
    pub previous: Option<PreviousFinding>,
    pub previously_failed: bool,
}

/// What a group of the checklist holds; the UI names the first two kinds itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum GroupKind {
    /// A re-audit's criteria that failed last time (shown first).
    FailedBefore,
    /// One topic of the checklist; `title` names it.
    Topic,
    /// Criteria the checklist in force does not know.
    Other,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct CriterionGroup {
    pub kind: GroupKind,
    /// The topic's title in the UI's language (empty for the other kinds).
    pub title: String,
    pub items: Vec<ChecklistRow>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct CaseIssue {
    pub mutation_id: String,
    /// `conflict` or `rejected`.
    pub delivery: String,
    pub code: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct AuditDetail {
    pub row: AuditRow,
    pub shop_language: String,
    pub groups: Vec<CriterionGroup>,
    pub outcome: AuditOutcome,
    /// For a spot check: what the checklist suggests for the shop's mark.
    pub recommendation: Option<SpotCheckRecommendation>,
    /// Items marked pass or fail that still need evidence.
    pub missing_evidence: Vec<String>,
    pub confirmed: Option<AuditConfirmation>,
    pub issues: Vec<CaseIssue>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ExportedReport {
    pub path: String,
    #[ts(type = "number")]
    pub bytes: u64,
}

fn audit_id(s: &str) -> Result<AuditId, IpcError> {
    s.parse().map_err(|_| IpcError::new("bad_request", "audit_id is not a valid id"))
}

impl From<AuditChangeError> for IpcError {
    fn from(e: AuditChangeError) -> Self {
        match e {
            AuditChangeError::Rule(r) => IpcError::new("invalid", r.to_string()),
            AuditChangeError::Store(s) => s.into(),
        }
    }
}

/// Local case changes the server did not apply, as the UI shows them.
pub(crate) fn case_issues(unresolved: &[trustdesk_store::CaseAttention]) -> Vec<CaseIssue> {
    unresolved
        .iter()
        .map(|u| CaseIssue {
            mutation_id: u.mutation_id.clone(),
            delivery: u.delivery.clone(),
            code: u.code.clone(),
            message: u.message.clone(),
        })
        .collect()
}

fn stage(view: &AuditView) -> &'static str {
    let c = ChecklistCounts::of(&view.case.items);
    if view.case.confirmed.is_some() {
        "confirmed"
    } else if c.open == c.total {
        "open"
    } else if c.open == 0 {
        "ready"
    } else {
        "in_progress"
    }
}

fn row(view: &AuditView, claimed: &std::collections::HashSet<String>) -> AuditRow {
    AuditRow {
        id: view.case.id.to_string(),
        shop_name: view.shop.name.clone(),
        kind: view.case.kind,
        stage: stage(view).to_owned(),
        due: view.case.due,
        countries: view.case.target_countries.iter().map(ToString::to_string).collect(),
        counts: ChecklistCounts::of(&view.case.items),
        pending_changes: view.pending_changes,
        needs_attention: view.unresolved.len() as u32,
        claimed: claimed.contains(&view.case.id.to_string()),
    }
}

async fn detail(s: &AppState, id: AuditId) -> Result<AuditDetail, IpcError> {
    let view = s.store.audit(id).await?;
    // The checklist in force: the server's as last synced, else the built-in one.
    let template = trustdesk_sync::workstation::checklist_template(&s.store).await?;
    let lang = s.ui_language();
    // A re-audit opens with what failed last time, when that audit is here.
    let previous = match view.case.previous_audit {
        Some(p) => s.store.audit(p).await.ok().map(|v| v.case),
        None => None,
    };
    let before: HashMap<&str, &trustdesk_domain::ChecklistItem> = previous
        .as_ref()
        .map(|p| p.items.iter().map(|i| (i.criterion_id.as_str(), i)).collect())
        .unwrap_or_default();
    let mut failed_before = Vec::new();
    let mut by_topic: Vec<((GroupKind, String), Vec<ChecklistRow>)> = Vec::new();
    for item in &view.case.items {
        let criterion = template.criterion(&item.criterion_id);
        let prev = before.get(item.criterion_id.as_str());
        let r = ChecklistRow {
            criterion_id: item.criterion_id.clone(),
            title: criterion.map_or_else(|| item.criterion_id.clone(), |c| c.title.get(lang).to_owned()),
            check: criterion.map(|c| c.check.get(lang).to_owned()).unwrap_or_default(),
            why: criterion.map(|c| c.why.get(lang).to_owned()).unwrap_or_default(),
            guidance: criterion.map(|c| c.guidance.get(lang).to_owned()).unwrap_or_default(),
            severity: criterion.map(|c| c.severity),
            evidence_required: criterion.is_some_and(|c| c.evidence_required),
            status: item.status,
            note: item.note.clone(),
            evidence: item.evidence.clone(),
            previous: prev.map(|p| PreviousFinding { status: p.status, note: p.note.clone() }),
            previously_failed: prev.is_some_and(|p| p.status == ChecklistStatus::Fail),
        };
        if r.previously_failed {
            failed_before.push(r);
            continue;
        }
        let topic = criterion
            .and_then(|c| template.topic(&c.topic))
            .map_or((GroupKind::Other, String::new()), |t| (GroupKind::Topic, t.title.get(lang).to_owned()));
        match by_topic.iter_mut().find(|(t, _)| *t == topic) {
            Some((_, items)) => items.push(r),
            None => by_topic.push((topic, vec![r])),
        }
    }
    let mut groups = Vec::new();
    if !failed_before.is_empty() {
        groups.push(CriterionGroup {
            kind: GroupKind::FailedBefore,
            title: String::new(),
            items: failed_before,
        });
    }
    groups.extend(by_topic.into_iter().map(|((kind, title), items)| CriterionGroup { kind, title, items }));
    let shop_language = view.shop.languages.first().map_or_else(|| "en".to_owned(), ToString::to_string);
    let claimed = s.store.claimed_ids("audit", Utc::now()).await?;
    Ok(AuditDetail {
        row: row(&view, &claimed),
        shop_language,
        groups,
        outcome: view.case.outcome(),
        recommendation: template.spot_check_recommendation(&view.case, previous.as_ref()),
        missing_evidence: template.missing_evidence(&view.case).into_iter().map(str::to_owned).collect(),
        confirmed: view.case.confirmed.clone(),
        issues: case_issues(&view.unresolved),
    })
}

/// The UI's language, for the checklist's texts (en, de or nl; others read as English).
#[tauri::command]
pub async fn set_ui_language(state: State<'_, Opened>, language: String) -> Result<(), IpcError> {
    let s = opened(&state)?;
    let lang: LanguageCode = match language.as_str() {
        "de" | "nl" => language.parse().map_err(|_| IpcError::new("bad_request", "not a language code"))?,
        _ => "en".parse().expect("en is a language code"),
    };
    s.set_ui_language(lang);
    Ok(())
}

#[tauri::command]
pub async fn list_audits(state: State<'_, Opened>) -> Result<Vec<AuditRow>, IpcError> {
    let s = opened(&state)?;
    let claimed = s.store.claimed_ids("audit", Utc::now()).await?;
    Ok(s.store.audits().await?.iter().map(|v| row(v, &claimed)).collect())
}

#[tauri::command]
pub async fn audit_detail(state: State<'_, Opened>, audit_id: String) -> Result<AuditDetail, IpcError> {
    detail(opened(&state)?, self::audit_id(&audit_id)?).await
}

async fn change_item(
    s: &AppState,
    id: AuditId,
    criterion_id: &str,
    f: impl FnOnce(&mut ChecklistStatus, &mut String, &mut Vec<EvidenceRef>) -> Result<(), IpcError>,
) -> Result<AuditDetail, IpcError> {
    let view = s.store.audit(id).await?;
    let item = view
        .case
        .items
        .iter()
        .find(|i| i.criterion_id == criterion_id)
        .ok_or_else(|| IpcError::new("not_found", format!("the audit has no item {criterion_id}")))?;
    let (mut status, mut note, mut evidence) = (item.status, item.note.clone(), item.evidence.clone());
    f(&mut status, &mut note, &mut evidence)?;
    let change = AuditChange::Item { criterion_id: criterion_id.to_owned(), status, note, evidence };
    s.store.record_audit_change(id, &change, &s.user().await?, Utc::now()).await?;
    detail(s, id).await
}

/// Sets an item's finding and note (autosaved, queued for the server).
#[tauri::command]
pub async fn set_audit_item(
    state: State<'_, Opened>,
    sync: State<'_, Arc<SyncState>>,
    audit_id: String,
    criterion_id: String,
    status: ChecklistStatus,
    note: String,
) -> Result<AuditDetail, IpcError> {
    let s = opened(&state)?;
    let d = change_item(s, self::audit_id(&audit_id)?, &criterion_id, |st, n, _| {
        *st = status;
        *n = note;
        Ok(())
    })
    .await?;
    sync.poke();
    Ok(d)
}

/// Adds a URL as evidence.
#[tauri::command]
pub async fn add_audit_evidence_url(
    state: State<'_, Opened>,
    sync: State<'_, Arc<SyncState>>,
    audit_id: String,
    criterion_id: String,
    url: String,
) -> Result<AuditDetail, IpcError> {
    let url = url.trim().to_owned();
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() <= 2000
        && !url.contains(char::is_whitespace);
    if !ok {
        return Err(IpcError::new(
            "bad_request",
            "evidence links are http(s) addresses of at most 2,000 characters",
        ));
    }
    let s = opened(&state)?;
    let d = change_item(s, self::audit_id(&audit_id)?, &criterion_id, |_, _, ev| {
        ev.push(EvidenceRef::Url { url });
        Ok(())
    })
    .await?;
    sync.poke();
    Ok(d)
}

/// File names travel percent-encoded: headers are ASCII.
fn decode_header_value(raw: &str) -> String {
    percent_encoding::percent_decode_str(raw).decode_utf8_lossy().into_owned()
}

pub(crate) fn header(request: &Request<'_>, name: &str) -> Result<String, IpcError> {
    let raw = request
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| IpcError::new("bad_request", format!("missing {name}")))?;
    Ok(decode_header_value(raw))
}

/// Attaches a file (from disk or pasted) as evidence: the raw bytes are the
/// request body; the file goes to the local content-addressed cache and is
/// uploaded with the change.
#[tauri::command]
pub async fn attach_audit_evidence(
    request: Request<'_>,
    state: State<'_, Opened>,
    sync: State<'_, Arc<SyncState>>,
) -> Result<AuditDetail, IpcError> {
    let s = opened(&state)?;
    let id = audit_id(&header(&request, "audit-id")?)?;
    let criterion_id = header(&request, "criterion-id")?;
    let name: String = header(&request, "file-name")?.chars().filter(|c| !c.is_control()).take(200).collect();
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(IpcError::new("bad_request", "the file must be sent as raw bytes"));
    };
    if sniff(bytes).is_none() {
        return Err(IpcError::new("bad_request", "evidence must be a PNG, JPEG, GIF, WebP image or a PDF"));
    }
    let sha256 = EvidenceCache::beside(s.store.path()).put(bytes)?;
    let d = change_item(s, id, &criterion_id, |_, _, ev| {
        if !ev.iter().any(|e| matches!(e, EvidenceRef::File { sha256: h, .. } if *h == sha256)) {
            ev.push(EvidenceRef::File { sha256, name });
        }
        Ok(())
    })
    .await?;
    sync.poke();
    Ok(d)
}

#[tauri::command]
pub async fn remove_audit_evidence(
    state: State<'_, Opened>,
    sync: State<'_, Arc<SyncState>>,
    audit_id: String,
    criterion_id: String,
    index: u32,
) -> Result<AuditDetail, IpcError> {
    let s = opened(&state)?;
    let d = change_item(s, self::audit_id(&audit_id)?, &criterion_id, |_, _, ev| {
        if (index as usize) < ev.len() {
            ev.remove(index as usize);
            Ok(())
        } else {
            Err(IpcError::new("not_found", "no such evidence"))
        }
    })
    .await?;
    sync.poke();
    Ok(d)
}

/// Confirms the outcome the checklist gives (and a spot check's recommendation).
#[tauri::command]
pub async fn confirm_audit(
    state: State<'_, Opened>,
    sync: State<'_, Arc<SyncState>>,
    audit_id: String,
) -> Result<AuditDetail, IpcError> {
    let s = opened(&state)?;
    let id = self::audit_id(&audit_id)?;
    let d = detail(s, id).await?;
    let change = AuditChange::Confirm { outcome: d.outcome, recommendation: d.recommendation };
    s.store.record_audit_change(id, &change, &s.user().await?, Utc::now()).await?;
    sync.poke();
    detail(s, id).await
}

/// Resolves a change the server did not apply: keep mine (send again on the
/// server's current version) or accept theirs.
#[tauri::command]
pub async fn resolve_audit_change(
    state: State<'_, Opened>,
    sync: State<'_, Arc<SyncState>>,
    audit_id: String,
    mutation_id: String,
    keep_mine: bool,
) -> Result<AuditDetail, IpcError> {
    let s = opened(&state)?;
    let m: DecisionId =
        mutation_id.parse().map_err(|_| IpcError::new("bad_request", "mutation_id is not a valid id"))?;
    s.store.resolve_case(m, keep_mine, &s.user().await?, Utc::now()).await?;
    sync.poke();
    detail(s, self::audit_id(&audit_id)?).await
}

/// Writes the shop's report (PDF or HTML, in the shop's language) into the
/// data directory's `reports` folder and returns where.
#[tauri::command]
pub async fn export_audit_report(
    state: State<'_, Opened>,
    audit_id: String,
    format: String,
) -> Result<ExportedReport, IpcError> {
    let s = opened(&state)?;
    let id = self::audit_id(&audit_id)?;
    let view = s.store.audit(id).await?;
    let language: LanguageCode =
        view.shop.languages.first().copied().unwrap_or_else(|| "en".parse().expect("en is a language code"));
    let report =
        trustdesk_sync::workstation::checklist_template(&s.store).await?.report(&view.case, language);
    let cache = EvidenceCache::beside(s.store.path());
    let mut evidence = HashMap::new();
    for item in &view.case.items {
        for e in &item.evidence {
            if let EvidenceRef::File { sha256, .. } = e {
                if let Some(b) = cache.get(sha256)? {
                    evidence.insert(sha256.clone(), b);
                }
            }
        }
    }
    let date =
        view.case.confirmed.as_ref().map_or_else(|| Utc::now().date_naive(), |c| c.confirmed_at.date_naive());
    let ctx = trustdesk_reports::AuditReportContext {
        shop_name: view.shop.name.clone(),
        auditor: view.case.confirmed.as_ref().map_or(s.user().await?, |c| c.confirmed_by.clone()),
        date,
        improvements_due: None,
        evidence,
    };
    let doc = trustdesk_reports::audit_report(&report, &ctx);
    let (bytes, ext) = match format.as_str() {
        "pdf" => {
            (trustdesk_reports::to_pdf(&doc).map_err(|e| IpcError::new("report", e.to_string()))?, "pdf")
        }
        "html" => (trustdesk_reports::to_html(&doc).into_bytes(), "html"),
        other => return Err(IpcError::new("bad_request", format!("unknown report format {other:?}"))),
    };
    let slug: String = view
        .shop
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    write_report(&s.store, &format!("audit-{slug}-{date}.{ext}"), &bytes)
}

/// Writes an exported document into the data directory's `reports` folder.
pub(crate) fn write_report(
    store: &trustdesk_store::Store,
    name: &str,
    bytes: &[u8],
) -> Result<ExportedReport, IpcError> {
    let dir = store.path().parent().unwrap_or(std::path::Path::new(".")).join("reports");
    std::fs::create_dir_all(&dir).map_err(|e| IpcError::new("io", e.to_string()))?;
    let path = dir.join(name);
    std::fs::write(&path, bytes).map_err(|e| IpcError::new("io", e.to_string()))?;
    Ok(ExportedReport { path: path.display().to_string(), bytes: bytes.len() as u64 })
}

#[cfg(test)]
mod tests {
    #[test]
    fn header_values_are_percent_decoded() {
        assert_eq!(super::decode_header_value("Stra%C3%9Fe%20shot.png"), "Straße shot.png");
        assert_eq!(super::decode_header_value("100%"), "100%");
        assert_eq!(super::decode_header_value("%zz"), "%zz");
    }
}

//! Statements of reasons (DSA Art. 17) stored with the decisions that owe them,
//! and their export for the DSA Transparency Database (Art. 24(5)).
//!
//! The server is authoritative for the structured part: it rebuilds every
//! statement with `StatementOfReasons::build` from its own decision, review, shop
//! and ARM hits. From a statement the workstation sent it keeps only the
//! moderator's choices (illegal-content marking, "evidence missing", the note),
//! after checking that it was made with templates this server knows and for this
//! decision. The export line is computed once, at decision time, and stored with
//! the rendered text; both are immutable.

use chrono::{Duration, NaiveDate};
use sqlx::{AnyPool, Row};
use trustdesk_api::{codes, MutationOutcome};
use trustdesk_domain::arm::ArmHit;
use trustdesk_domain::statement::{
    eea_scope, owes_statement, DsaDecisionGround, IllegalMarking, StatementGround, StatementInput,
    StatementReason, EEA_COUNTRIES, MAX_DECISION_FACTS_CHARS, MAX_EXPLANATION_CHARS, MAX_PROVISION_CHARS,
};
use trustdesk_domain::{DsaSorRecord, Review, ReviewDecision, StatementOfReasons, StatementTemplates};

use crate::body::query_pairs;
use crate::error::ApiError;

/// A statement ready to be written with its decision.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub statement: StatementOfReasons,
    /// Plain text in the statement's language (the review's, else English).
    pub rendered: String,
    pub record: DsaSorRecord,
}

fn refuse(code: &str, message: impl Into<String>) -> MutationOutcome {
    MutationOutcome::Rejected { code: code.into(), message: message.into() }
}

/// The statement `decision` owes, if any. `shop_name` is `None` when the review's
/// shop is unknown; `hits` are the review's ARM hits.
pub fn prepare(
    decision: &ReviewDecision,
    review: &Review,
    shop_name: Option<&str>,
    hits: &[ArmHit],
    sent: Option<&StatementOfReasons>,
    known: &crate::packs::TemplateSet,
) -> Result<Option<Prepared>, MutationOutcome> {
    if !owes_statement(decision.action) {
        if decision.grounds.illegal.is_some() {
            return Err(refuse(
                codes::STATEMENT_INVALID,
                format!(
                    "a {} decision keeps the review on the profile and marks nothing illegal",
                    decision.action.name()
                ),
            ));
        }
        return match sent {
            None => Ok(None),
            Some(_) => Err(refuse(
                codes::STATEMENT_INVALID,
                format!(
                    "a {} decision keeps the review on the profile and owes no statement",
                    decision.action.name()
                ),
            )),
        };
    }
    // Errors about what the client sent are theirs to fix; errors building our
    // own statement mean the decision cannot be recorded as the DSA requires.
    let code = if sent.is_some() { codes::STATEMENT_INVALID } else { codes::STATEMENT_UNAVAILABLE };
    // A sent statement is rebuilt with the templates it was made with (any
    // version this server has); otherwise with the ones in force.
    let templates: &StatementTemplates = match sent {
        None => &known.current,
        Some(s) => known.get(&s.template_version).ok_or_else(|| {
            refuse(
                code,
                format!(
                    "the statement was made with templates {:?}, which this server does not know (in force: {:?}): rebuild it",
                    s.template_version,
                    known.current.version()
                ),
            )
        })?,
    };
    let (illegal, evidence_missing, free_text) = match sent {
        None => (decision.grounds.illegal.clone(), false, String::new()),
        Some(s) => {
            if s.decision_id != decision.id || s.review_id != decision.review_id {
                return Err(refuse(code, "the statement was made for another decision or review"));
            }
            if s.automated_decision {
                return Err(refuse(
                    code,
                    "the statement claims an automated decision; a person decides here",
                ));
            }
            let illegal = match &s.ground {
                StatementGround::Contractual { .. } => None,
                StatementGround::Illegal { provision, explanation, .. } => {
                    Some(IllegalMarking { provision: provision.clone(), explanation: explanation.clone() })
                }
            };
            // The record and its statement must tell one story (a statement
            // alone may carry the marking: clients before grounds held it).
            if decision.grounds.illegal.is_some() && illegal != decision.grounds.illegal {
                return Err(refuse(
                    code,
                    "the statement's illegal-content marking differs from the decision's grounds",
                ));
            }
            (illegal, s.reason == StatementReason::EvidenceMissing, s.free_text.clone())
        }
    };
    let Some(shop_name) = shop_name else {
        return Err(refuse(
            codes::STATEMENT_UNAVAILABLE,
            "the review's shop is unknown; no statement can be made",
        ));
    };
    let built = StatementOfReasons::build(
        StatementInput { decision, review, shop_name, hits, illegal, evidence_missing, free_text },
        templates,
    )
    .map_err(|e| refuse(code, format!("statement of reasons: {e}")))?;
    if let Some(s) = sent {
        if s.reason != built.reason {
            return Err(refuse(
                code,
                format!(
                    "the statement gives the reason {}, the decision makes it {}",
                    s.reason.code(),
                    built.reason.code()
                ),
            ));
        }
    }
    let rendered = built.render(templates).map_err(|e| refuse(code, format!("statement of reasons: {e}")))?;
    // Every text of the statement ends up in `rendered`; PostgreSQL cannot store a NUL.
    if rendered.contains('\0') {
        return Err(refuse(
            code,
            "the statement's texts (note, facts, provision) must not contain NUL characters",
        ));
    }
    let record = built
        .dsa_record(templates, &eea_scope())
        .map_err(|e| refuse(code, format!("the statement cannot be exported for the DSA database: {e}")))?;
    Ok(Some(Prepared { statement: built, rendered, record }))
}

/// Range and page of an export.
#[derive(Debug, Clone)]
pub struct ExportQuery {
    /// First day (UTC) of decisions to export.
    pub since: NaiveDate,
    /// Last day (UTC), inclusive; none: up to now.
    pub until: Option<NaiveDate>,
    /// Continue after this statement (`seq`); 0 from the start.
    pub after: i64,
    pub limit: u32,
}

pub fn parse_date(field: &str, v: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map_err(|_| format!("{field} must be a date YYYY-MM-DD, got {v:?}"))
}

/// `since`, `until`, `cursor`, `limit` of `GET /v1/statements/export`.
pub fn parse_query(raw: Option<&str>) -> Result<ExportQuery, ApiError> {
    let mut since = None;
    let mut q = ExportQuery {
        since: NaiveDate::MIN,
        until: None,
        after: 0,
        limit: trustdesk_api::DEFAULT_EXPORT_LIMIT,
    };
    for (k, v) in query_pairs(raw, &["since", "until", "cursor", "limit"])? {
        match k.as_str() {
            "since" => since = Some(parse_date("since", &v).map_err(ApiError::bad_request)?),
            "until" => q.until = Some(parse_date("until", &v).map_err(ApiError::bad_request)?),
            "cursor" => {
                q.after = v.parse().ok().filter(|n: &i64| *n >= 0).ok_or_else(|| {
                    ApiError::bad_request("cursor must be a next_cursor returned by this endpoint")
                })?
            }
            _ => {
                let max = trustdesk_api::MAX_EXPORT_LIMIT;
                q.limit = v
                    .parse()
                    .ok()
                    .filter(|n: &u32| (1..=max).contains(n))
                    .ok_or_else(|| ApiError::bad_request(format!("limit must be 1 to {max}")))?
            }
        }
    }
    q.since = since.ok_or_else(|| ApiError::bad_request("since (YYYY-MM-DD) is required"))?;
    // A period that ends before it starts is empty, not an error.
    Ok(q)
}

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportFailure {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    /// A stored line is outside the schema: reported, never exported.
    #[error("the statement of decision {decision_id} cannot be exported: {message}")]
    Invalid { decision_id: String, message: String },
}

impl From<ExportFailure> for ApiError {
    fn from(e: ExportFailure) -> ApiError {
        match e {
            ExportFailure::Db(e) => e.into(),
            ExportFailure::Invalid { .. } => ApiError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                codes::EXPORT_INVALID,
                e.to_string(),
            ),
        }
    }
}

pub struct ExportPage {
    pub records: Vec<DsaSorRecord>,
    /// `seq` of the last record, for the next page.
    pub last: Option<i64>,
    pub has_more: bool,
}

/// One page of export lines, in the order statements were stored.
pub async fn export_page(pool: &AnyPool, q: &ExportQuery) -> Result<ExportPage, ExportFailure> {
    // decided_at is RFC 3339 UTC with a fixed format, so text order is time order.
    let from = q.since.format("%Y-%m-%d").to_string();
    let to = match q.until.and_then(|u| u.checked_add_signed(Duration::days(1))) {
        Some(d) => d.format("%Y-%m-%d").to_string(),
        None => "9999".to_owned(),
    };
    let rows = sqlx::query(
        "SELECT seq, decision_id, dsa_record FROM statements
         WHERE decided_at >= $1 AND decided_at < $2 AND seq > $3 ORDER BY seq LIMIT $4",
    )
    .bind(from)
    .bind(to)
    .bind(q.after)
    .bind(i64::from(q.limit) + 1)
    .fetch_all(pool)
    .await?;
    let has_more = rows.len() > q.limit as usize;
    let mut page = ExportPage { records: Vec::with_capacity(rows.len()), last: None, has_more };
    for row in rows.iter().take(q.limit as usize) {
        let decision_id: String = row.try_get(1)?;
        let stored: String = row.try_get(2)?;
        let record =
            check_record(&stored).map_err(|message| ExportFailure::Invalid { decision_id, message })?;
        page.records.push(record);
        page.last = Some(row.try_get(0)?);
    }
    Ok(page)
}

/// Reads a stored line back and checks it against the schema's rules: every
/// enumeration (by the typed record), no field the schema lacks, the text
/// limits, dates and the territorial scope.
pub fn check_record(stored: &str) -> Result<DsaSorRecord, String> {
    let value: serde_json::Value = serde_json::from_str(stored).map_err(|e| format!("not JSON: {e}"))?;
    let record: DsaSorRecord = serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
    if serde_json::to_value(&record).map_err(|e| e.to_string())? != value {
        return Err("the line has fields or values outside the schema".into());
    }
    let text = |field: &str, v: &Option<String>, max: usize, needed: bool| -> Result<(), String> {
        match v {
            None if needed => Err(format!("{field} is required for this decision ground")),
            Some(t) if t.trim().is_empty() => Err(format!("{field} is empty")),
            Some(t) if t.chars().count() > max => Err(format!("{field} is longer than {max} characters")),
            _ => Ok(()),
        }
    };
    let illegal = record.decision_ground == DsaDecisionGround::IllegalContent;
    text("illegal_content_legal_ground", &record.illegal_content_legal_ground, MAX_PROVISION_CHARS, illegal)?;
    text("illegal_content_explanation", &record.illegal_content_explanation, MAX_EXPLANATION_CHARS, illegal)?;
    text("incompatible_content_ground", &record.incompatible_content_ground, MAX_PROVISION_CHARS, !illegal)?;
    text(
        "incompatible_content_explanation",
        &record.incompatible_content_explanation,
        MAX_EXPLANATION_CHARS,
        !illegal,
    )?;
    text("decision_facts", &Some(record.decision_facts.clone()), MAX_DECISION_FACTS_CHARS, true)?;
    if record.decision_visibility.is_empty() || record.content_type.is_empty() {
        return Err("decision_visibility and content_type need at least one value".into());
    }
    for (field, d) in [("content_date", &record.content_date), ("application_date", &record.application_date)]
    {
        parse_date(field, d)?;
    }
    let lang = &record.content_language;
    if lang.len() != 2 || !lang.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(format!("content_language {lang:?} is not an upper-case ISO 639-1 code"));
    }
    if record.territorial_scope.is_empty() {
        return Err("territorial_scope is empty".into());
    }
    if let Some(c) = record.territorial_scope.iter().find(|c| !EEA_COUNTRIES.contains(&c.as_str())) {
        return Err(format!("territorial_scope {c:?} is not an EU/EEA country"));
    }
    let puid_ok = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if record.puid.is_empty() || record.puid.len() > 500 || !record.puid.chars().all(puid_ok) {
        return Err("puid must be 1 to 500 letters, digits, '-' or '_'".into());
    }
    Ok(record)
}

/// The stored statement of a decision: (rendered text, statement).
pub async fn of_decision(
    pool: &AnyPool,
    decision_id: &str,
) -> Result<Option<(String, StatementOfReasons)>, sqlx::Error> {
    let row = sqlx::query("SELECT rendered, statement FROM statements WHERE decision_id = $1")
        .bind(decision_id)
        .fetch_optional(pool)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let doc: String = row.try_get(1)?;
    let s = serde_json::from_str(&doc).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    Ok(Some((row.try_get(0)?, s)))
}

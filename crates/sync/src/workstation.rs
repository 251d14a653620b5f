//! What the app and the `trustdesk` command line both do, in one place: sign in
//! and out, sync once, report status, list the queue, record a decision. The
//! command line is a support and verification tool, so it must take exactly the
//! app's code paths.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use trustdesk_api::PackKind;
use trustdesk_domain::arm::ArmHit;
use trustdesk_domain::decision::{DecisionInput, Grounds};
use trustdesk_domain::statement::{owes_statement, IllegalMarking, StatementInput};
use trustdesk_domain::{ChecklistTemplate, StatementOfReasons, StatementTemplates};
use trustdesk_domain::{ReviewAction, ReviewDecision, ReviewId};
use trustdesk_store::{NewDecision, ReviewQuery, ReviewView, Session, Store};

use crate::{credentials, Client, ClientOptions, PullReport, PushReport, SyncError, FEED};

/// Environment variable a headless machine may hold the token in instead of the
/// keyring (the command line only; the app always uses the keyring).
pub const TOKEN_ENV: &str = "TRUSTDESK_TOKEN";

/// Checks `server` + `token` with `GET /v1/me`, keeps the token in the keyring
/// (when `keep_in_keyring`) and records the session. A workstation holding
/// unsent decisions for another server refuses, so they are never orphaned.
pub async fn sign_in(
    store: &Store,
    server: &str,
    token: &str,
    options: &ClientOptions,
    keep_in_keyring: bool,
) -> Result<Session, SyncError> {
    let server = normalise_server(server)?;
    if let Some(old) = store.session().await? {
        if old.server != server && store.pending_count().await? > 0 {
            return Err(SyncError::Refused(format!(
                "decisions for {} are not sent yet; sync them before signing in to another server",
                old.server
            )));
        }
    }
    let client = Client::with_options(&server, token, options)?;
    let me = client.me().await?;
    if keep_in_keyring {
        credentials::save_token(&server, token)?;
    }
    let previous = store.session().await?.filter(|s| s.server == server);
    let session = Session {
        server,
        user_id: me.user_id,
        user_name: me.name,
        role: me.role.as_str().to_owned(),
        signed_in_at: Utc::now(),
        last_sync_at: previous.and_then(|p| p.last_sync_at),
    };
    store.set_session(&session).await?;
    tracing::info!(user = %session.user_name, role = %session.role, "signed in");
    Ok(session)
}

/// Removes the token from the keyring and forgets the session. Local data and
/// unsent decisions stay for the next sign-in to the same server.
pub async fn sign_out(store: &Store) -> Result<(), SyncError> {
    if let Some(s) = store.session().await? {
        // Best effort: offline, the leases simply run out.
        if let Ok(client) = connect(store, None, &ClientOptions::from_env()).await {
            if let Err(e) = client.release_claims(store).await {
                tracing::info!(error = %e, "claims not released at sign-out; their leases run out");
            }
        }
        credentials::delete_token(&s.server)?;
    }
    store.clear_session().await?;
    Ok(())
}

/// A client for the signed-in session; the token comes from `token` when given
/// (the command line's environment), else from the keyring.
pub async fn connect(
    store: &Store,
    token: Option<String>,
    options: &ClientOptions,
) -> Result<Client, SyncError> {
    let session = store.session().await?.ok_or(SyncError::SignedOut)?;
    let token = match token {
        Some(t) => t,
        None => credentials::load_token(&session.server)?.ok_or(SyncError::SignedOut)?,
    };
    Client::with_options(&session.server, &token, options)
}

/// One push + pull, then the local filter scan of what arrived.
pub async fn sync_once(store: &Store, client: &Client) -> Result<SyncReport, SyncError> {
    let (pushed, pulled) = client.sync(store).await?;
    let scanned = trustdesk_store::scan::scan_pending(store).await?;
    store.record_sync(Utc::now()).await?;
    Ok(SyncReport { pushed, pulled, scanned })
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub pushed: PushReport,
    pub pulled: PullReport,
    pub scanned: usize,
}

/// What `trustdesk status --json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub server: Option<String>,
    pub user: Option<String>,
    pub role: Option<String>,
    pub reviews_by_status: std::collections::BTreeMap<String, u64>,
    pub pending_decisions: u64,
    pub conflicts: u64,
    pub last_sync: Option<DateTime<Utc>>,
    pub cursor: Option<String>,
}

pub async fn status(store: &Store) -> Result<Status, SyncError> {
    let session = store.session().await?;
    Ok(Status {
        server: session.as_ref().map(|s| s.server.clone()),
        user: session.as_ref().map(|s| s.user_name.clone()),
        role: session.as_ref().map(|s| s.role.clone()),
        reviews_by_status: store.state_counts().await?.into_iter().collect(),
        pending_decisions: store.pending_count().await?,
        conflicts: store.unresolved_count().await?,
        last_sync: session.and_then(|s| s.last_sync_at),
        cursor: store.cursor(FEED).await?,
    })
}

/// One queue entry as `trustdesk queue --json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct QueueItem {
    pub id: String,
    pub shop_id: String,
    pub shop_name: String,
    pub stars: u8,
    pub language: String,
    pub text: String,
    pub status: String,
    pub submitted_at: DateTime<Utc>,
    pub source: String,
    pub pending_decisions: u32,
    pub hits: Vec<ArmHit>,
}

impl From<ReviewView> for QueueItem {
    fn from(v: ReviewView) -> QueueItem {
        QueueItem {
            id: v.review.id.to_string(),
            shop_id: v.review.shop_id.to_string(),
            shop_name: v.shop.name,
            stars: v.review.stars.get(),
            language: v.review.language.to_string(),
            text: v.review.text,
            status: v.effective_status.state_name().to_owned(),
            submitted_at: v.review.submitted_at,
            source: serde_json::to_value(v.review.source)
                .ok()
                .and_then(|s| s.as_str().map(str::to_owned))
                .unwrap_or_default(),
            pending_decisions: v.pending_decisions,
            hits: v.hits,
        }
    }
}

/// The pending queue, oldest first (the order a moderator works it).
pub async fn queue(store: &Store, limit: u32) -> Result<Vec<QueueItem>, SyncError> {
    let q = ReviewQuery {
        state: Some("pending".into()),
        sort: trustdesk_store::Sort::Oldest,
        limit,
        ..ReviewQuery::default()
    };
    Ok(store.list_reviews(&q, Utc::now()).await?.items.into_iter().map(Into::into).collect())
}

/// Who local decisions are recorded as: the signed-in user, or the OS user
/// marked as local before any sign-in.
pub async fn decider(store: &Store) -> Result<String, SyncError> {
    Ok(match store.session().await? {
        Some(s) => s.user_name,
        None => {
            let os = std::env::var("USER")
                .or_else(|_| std::env::var("USERNAME"))
                .unwrap_or_else(|_| "unknown".into());
            format!("local:{os}")
        }
    })
}

/// A moderator's decision as both front ends build it. Evidence arrives from the
/// reviewer and deadlines expire by the clock: those come from the server only.
pub fn moderator_decision(
    review_id: ReviewId,
    action: ReviewAction,
    facts: Option<String>,
    message: Option<String>,
    illegal: Option<IllegalMarking>,
    decided_by: String,
) -> Result<NewDecision, SyncError> {
    if matches!(action, ReviewAction::ReceiveEvidence | ReviewAction::ExpireDeadline) {
        return Err(SyncError::Refused(format!("{} is not a moderator's decision", action.name())));
    }
    if illegal.is_some() && !matches!(action, ReviewAction::Reject { .. }) {
        return Err(SyncError::Refused("only a rejection can mark content illegal".into()));
    }
    let grounds = Grounds { facts: facts.unwrap_or_default(), illegal, ..Grounds::default() };
    Ok(NewDecision { review_id, action, grounds, decided_by, message })
}

/// Records one decision durably (the outbox), exactly as the app does.
pub async fn decide(store: &Store, decision: NewDecision) -> Result<ReviewDecision, SyncError> {
    Ok(store.record_decision(decision, Utc::now()).await?)
}

/// The statement of reasons a decision owes the reviewer (DSA Art. 17), built by
/// the domain from the review as the workstation holds it; `None` when the
/// decision keeps nothing off the profile. The note is the moderator's free text.
pub fn statement_for(
    view: &ReviewView,
    decision: &ReviewDecision,
    note: Option<&str>,
    templates: &StatementTemplates,
) -> Result<Option<StatementOfReasons>, SyncError> {
    if !owes_statement(decision.action) {
        return Ok(None);
    }
    let input = StatementInput {
        decision,
        review: &view.review,
        shop_name: &view.shop.name,
        hits: &view.hits,
        illegal: decision.grounds.illegal.clone(),
        evidence_missing: false,
        free_text: note.unwrap_or_default().trim().to_owned(),
    };
    StatementOfReasons::build(input, templates).map(Some).map_err(|e| SyncError::Refused(e.to_string()))
}

/// What the reviewer would be told if the moderator took `action` now: the
/// statement rendered in the review's language (English fallback). Also the
/// check that an illegal-content marking holds before it is recorded.
pub fn preview_statement(
    view: &ReviewView,
    action: ReviewAction,
    note: Option<&str>,
    illegal: Option<IllegalMarking>,
    decided_by: &str,
    templates: &StatementTemplates,
) -> Result<Option<String>, SyncError> {
    let input = DecisionInput {
        review_id: view.review.id,
        current: view.effective_status,
        base_version: view.review.version,
        stars: view.review.stars,
        action,
        grounds: Grounds { illegal, ..Grounds::default() },
        decided_by: decided_by.to_owned(),
        message: None,
    };
    let decision = ReviewDecision::make(input, Utc::now()).map_err(|e| SyncError::Refused(e.to_string()))?;
    match statement_for(view, &decision, note, templates)? {
        Some(s) => s.render(templates).map(Some).map_err(|e| SyncError::Refused(e.to_string())),
        None => Ok(None),
    }
}

/// End of the given day in UTC: an evidence deadline given as a date.
pub fn deadline_end_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(23, 59, 59).expect("valid time").and_utc()
}

/// `https://host/` and `https://host` are one server (one keyring entry).
pub fn normalise_server(server: &str) -> Result<String, SyncError> {
    let s = server.trim().trim_end_matches('/');
    let rest = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => Ok(s.to_owned()),
        _ => Err(SyncError::Refused(format!("{server:?} is not an http(s) server address"))),
    }
}

static PARSED_STATEMENTS: LazyLock<Mutex<HashMap<String, Arc<StatementTemplates>>>> =
    LazyLock::new(Default::default);
static PARSED_CHECKLISTS: LazyLock<Mutex<HashMap<String, Arc<ChecklistTemplate>>>> =
    LazyLock::new(Default::default);

/// A pack parsed once per version (versions are immutable), or the built-in one.
/// Reads the version held, and the source only for a version not parsed yet:
/// previews ask for the templates on every keystroke pause.
async fn pack_in_force<T>(
    store: &Store,
    kind: PackKind,
    cache: &Mutex<HashMap<String, Arc<T>>>,
    parse: impl Fn(&str) -> Option<T>,
    builtin: impl Fn() -> T,
) -> Result<Arc<T>, SyncError> {
    // The built-in one is cached under the empty version.
    let version = store.pack_version(kind.as_str()).await?.unwrap_or_default();
    if let Some(t) = cache.lock().expect("pack cache").get(&version) {
        return Ok(t.clone());
    }
    let source = if version.is_empty() {
        None
    } else {
        store.pack(kind.as_str()).await?.filter(|(v, _)| *v == version).map(|(_, s)| s)
    };
    // Checked when fetched; a local copy that no longer parses (edited by
    // hand, older format) gives way to the built-in one rather than block work.
    let parsed = match source.as_deref().and_then(&parse) {
        Some(t) => Arc::new(t),
        None => {
            if source.is_some() {
                tracing::warn!(
                    kind = kind.as_str(),
                    version,
                    "local pack does not parse; using the built-in one"
                );
            }
            Arc::new(builtin())
        }
    };
    cache.lock().expect("pack cache").insert(version, parsed.clone());
    Ok(parsed)
}

/// The statement templates in force on this workstation: the server's as last
/// fetched, else the ones built into this release.
pub async fn statement_templates(store: &Store) -> Result<Arc<StatementTemplates>, SyncError> {
    pack_in_force(
        store,
        PackKind::StatementTemplates,
        &PARSED_STATEMENTS,
        |s| StatementTemplates::parse(s).ok(),
        || StatementTemplates::shipped().clone(),
    )
    .await
}

/// The checklist template in force on this workstation (as above).
pub async fn checklist_template(store: &Store) -> Result<Arc<ChecklistTemplate>, SyncError> {
    pack_in_force(
        store,
        PackKind::Checklist,
        &PARSED_CHECKLISTS,
        |s| ChecklistTemplate::parse(s).ok(),
        || trustdesk_domain::checklist::builtin().clone(),
    )
    .await
}

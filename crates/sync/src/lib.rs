//! The workstation's client of the central service: pulls the change feed into
//! the local store page by page (each page and its cursor in one transaction) and
//! pushes the outbox in the order decisions were made, settling each result.
//!
//! Promise: a decision reaches the server exactly once (its id is the mutation
//! id), and nothing leaves the outbox unless the server applied it; conflicts and
//! refusals stay visible for the user.

pub mod backoff;
pub mod credentials;
pub mod evidence;
pub mod workstation;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;
use trustdesk_api::{
    ChangeOp, ChangesPage, Entity, Me, Mutation, MutationBatch, MutationOp, MutationOutcome, MutationResponse,
};
use trustdesk_api::{Claim, ClaimRequest, ComplaintCase, DataPack, DecideComplaint, PackVersion, WorkKind};
use trustdesk_domain::audit::AuditChange;
use trustdesk_domain::complaint::ComplaintChange;
use trustdesk_domain::dispute::DisputeChange;
use trustdesk_domain::{AuditId, DisputeId, EvidenceRef, ReviewId};
use trustdesk_store::{ServerChanges, Store, StoreError};

/// The store's feed name for the central change feed.
pub const FEED: &str = "central";
/// The feed cursor at which the evidence cache was last completed.
const EVIDENCE_FETCHED: &str = "central/evidence";
/// The figures-cache entry holding the last `GET /v1/fairness` answer.
pub const FAIRNESS_CACHE: &str = "fairness";
/// The fairness figures are fetched again once the cached ones are this old.
pub const FAIRNESS_MAX_AGE: chrono::Duration = chrono::Duration::minutes(5);
/// Items asked for per feed page: the most the server gives. Each page is one
/// local transaction, so larger pages mean fewer commits; 5,000 instead of
/// 1,000 took an initial sync's apply of 100,000 reviews from about 9.5 s to
/// 6 s. A page of 5,000 reviews is about 5 MB of JSON.
pub const PAGE_SIZE: u32 = 5000;
/// Tries of one GET before its failure fails the sync.
const GET_ATTEMPTS: u32 = 3;
/// First pause before a GET is tried again; it doubles, with jitter.
const GET_RETRY_BASE: Duration = Duration::from_millis(50);
/// Decisions sent per request.
pub const PUSH_BATCH: u32 = 200;
/// Items claimed at a time for the user's queue.
pub const CLAIM_BATCH: u32 = 200;
/// Claims last a working day, so a workstation can go offline with its work.
pub const CLAIM_LEASE_SECONDS: u32 = 8 * 3600;
/// A held claim with less lease left than this is extended on the next sync.
pub const CLAIM_EXTEND_BEFORE: chrono::Duration = chrono::Duration::hours(2);

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("the server cannot be reached: {0}")]
    Offline(String),
    #[error("the server refused the sign-in token")]
    Unauthorized,
    #[error("the server answered {status}: {code}: {message}")]
    Server { status: u16, code: String, message: String },
    #[error("the server's answer could not be understood: {0}")]
    Protocol(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the OS keyring failed: {0}")]
    Keyring(String),
    #[error("not signed in")]
    SignedOut,
    #[error("{0}")]
    Refused(String),
    #[error("cannot use the CA file {}: {reason}", .path.display())]
    CaFile { path: PathBuf, reason: String },
}

impl SyncError {
    /// Stable code the UI translates.
    pub fn code(&self) -> &'static str {
        match self {
            SyncError::Offline(_) => "offline",
            SyncError::Unauthorized => "unauthorized",
            SyncError::Server { .. } => "server",
            SyncError::Protocol(_) => "protocol",
            SyncError::Store(_) => "storage",
            SyncError::Keyring(_) => "keyring",
            SyncError::SignedOut => "signed_out",
            SyncError::Refused(_) => "bad_request",
            SyncError::CaFile { .. } => "ca_file",
        }
    }
}

fn transport(e: reqwest::Error) -> SyncError {
    // Never include the URL's query or headers: only the kind of failure.
    if e.is_decode() {
        SyncError::Protocol(e.without_url().to_string())
    } else {
        SyncError::Offline(e.without_url().to_string())
    }
}

/// Cursors are opaque to us but travel in a URL: accept only URL-safe ones.
fn cursor_param(cursor: &str) -> Result<&str, SyncError> {
    if !cursor.is_empty() && cursor.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        Ok(cursor)
    } else {
        Err(SyncError::Protocol(format!("unusable feed cursor {cursor:?}")))
    }
}

/// What one pull did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullReport {
    pub pages: u32,
    pub items: u64,
}

/// Where a pull's progress goes: (items pulled so far, of about how many).
pub type Progress = tokio::sync::mpsc::UnboundedSender<(u64, u64)>;

/// What one push did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushReport {
    pub applied: u32,
    pub duplicates: u32,
    pub conflicts: u32,
    pub rejected: u32,
}

/// How the outbox settles one answered mutation (a duplicate settles as the
/// answer it repeats).
enum Settled {
    Applied(i64),
    /// The server's current copy, as JSON, to keep next to the local change.
    Conflict(String),
    Rejected {
        code: String,
        message: String,
    },
}

impl PushReport {
    /// Counts one answer and says how to settle it.
    fn count(&mut self, outcome: MutationOutcome) -> Result<Settled, SyncError> {
        let outcome = match outcome {
            MutationOutcome::Duplicate { original } => {
                self.duplicates += 1;
                *original
            }
            other => other,
        };
        Ok(match outcome {
            MutationOutcome::Applied { new_version } => {
                self.applied += 1;
                Settled::Applied(new_version)
            }
            MutationOutcome::Conflict { current, .. } => {
                self.conflicts += 1;
                Settled::Conflict(
                    serde_json::to_string(&current).map_err(|e| SyncError::Protocol(e.to_string()))?,
                )
            }
            MutationOutcome::Rejected { code, message } => {
                self.rejected += 1;
                Settled::Rejected { code, message }
            }
            MutationOutcome::Duplicate { .. } => {
                return Err(SyncError::Protocol("a duplicate of a duplicate".into()));
            }
        })
    }
}

/// How to reach the server beyond its address.
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    /// Extra trusted root certificate (PEM) for a self-hosted server's private CA;
    /// the platform's roots stay trusted and certificate checks stay on.
    pub ca_file: Option<PathBuf>,
    /// Whole-request timeout; 60 s when unset.
    pub timeout: Option<Duration>,
    /// Feed items asked for per page; [`PAGE_SIZE`] when unset.
    pub page_size: Option<u32>,
}

/// Variable naming a CA file, for both front ends (self-hosted servers).
pub const CA_FILE_ENV: &str = "TRUSTDESK_CA_FILE";

impl ClientOptions {
    pub fn from_env() -> ClientOptions {
        ClientOptions {
            ca_file: std::env::var_os(CA_FILE_ENV).map(PathBuf::from),
            ..ClientOptions::default()
        }
    }
}

fn load_ca(path: &Path) -> Result<reqwest::Certificate, SyncError> {
    let pem = std::fs::read(path)
        .map_err(|e| SyncError::CaFile { path: path.to_path_buf(), reason: e.to_string() })?;
    reqwest::Certificate::from_pem(&pem)
        .map_err(|e| SyncError::CaFile { path: path.to_path_buf(), reason: e.to_string() })
}

pub struct Client {
    base: String,
    token: String,
    http: reqwest::Client,
    page_size: u32,
}

impl Client {
    /// A client for the server at `base` (e.g. `http://127.0.0.1:8480`).
    pub fn new(base: &str, token: &str) -> Result<Client, SyncError> {
        Client::with_options(base, token, &ClientOptions::default())
    }

    pub fn with_options(base: &str, token: &str, options: &ClientOptions) -> Result<Client, SyncError> {
        // reqwest is built without a bundled crypto provider; install ring once
        // per process (an already installed provider is fine).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(options.timeout.unwrap_or(Duration::from_secs(60)))
            .https_only(false);
        if let Some(ca) = &options.ca_file {
            builder = builder.add_root_certificate(load_ca(ca)?);
        }
        let http = builder.build().map_err(transport)?;
        Ok(Client {
            base: base.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
            http,
            page_size: options.page_size.unwrap_or(PAGE_SIZE),
        })
    }

    async fn check(resp: reqwest::Response) -> Result<reqwest::Response, SyncError> {
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        if status.as_u16() == 401 {
            return Err(SyncError::Unauthorized);
        }
        let body: serde_json::Value = resp.json().await.unwrap_or(serde_json::Value::Null);
        Err(SyncError::Server {
            status: status.as_u16(),
            code: body["code"].as_str().unwrap_or("unknown").to_owned(),
            message: body["message"].as_str().unwrap_or("").to_owned(),
        })
    }

    /// Sends an authorised request for `path` (with an optional JSON body) and
    /// returns the checked answer: one place for the token, errors and codes.
    async fn send<B: serde::Serialize>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<reqwest::Response, SyncError> {
        let mut req = self.http.request(method, format!("{}{path}", self.base)).bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(b);
        }
        Self::check(req.send().await.map_err(transport)?).await
    }

    /// GETs `path` whole. A GET changes nothing, so one lost to the network (a
    /// dropped connection, a cut body, a 5xx from a restarting server) is asked
    /// again a few times, briefly: a sync then fails only when the server stays
    /// unreachable, rather than restarting its chain of requests for every blip.
    async fn get_bytes(&self, path: &str) -> Result<impl AsRef<[u8]>, SyncError> {
        let mut backoff = backoff::Backoff::new(GET_RETRY_BASE, GET_RETRY_BASE * 8);
        loop {
            let got = match self.send::<()>(reqwest::Method::GET, path, None).await {
                Ok(resp) => resp.bytes().await.map_err(transport),
                Err(e) => Err(e),
            };
            match got {
                Err(SyncError::Offline(_) | SyncError::Server { status: 500.., .. })
                    if backoff.failures() + 1 < GET_ATTEMPTS =>
                {
                    tokio::time::sleep(backoff.failed()).await;
                }
                other => return other,
            }
        }
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, SyncError> {
        let body = self.get_bytes(path).await?;
        serde_json::from_slice(body.as_ref())
            .map_err(|e| SyncError::Protocol(format!("the answer to a GET: {e}")))
    }

    async fn post_json<B: serde::Serialize, T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, SyncError> {
        self.send(reqwest::Method::POST, path, Some(body)).await?.json().await.map_err(transport)
    }

    /// Who the token belongs to (the sign-in check).
    pub async fn me(&self) -> Result<Me, SyncError> {
        self.get_json("/v1/me").await
    }

    /// Pulls every change since the stored cursor.
    pub async fn pull(&self, store: &Store) -> Result<PullReport, SyncError> {
        self.pull_with_progress(store, None).await
    }

    /// As [`Client::pull`], telling `progress` (items pulled, of about how
    /// many) after each page is applied.
    pub async fn pull_with_progress(
        &self,
        store: &Store,
        progress: Option<&Progress>,
    ) -> Result<PullReport, SyncError> {
        let mut report = PullReport::default();
        let mut since = store.cursor(FEED).await?.unwrap_or_else(|| "0".into());
        loop {
            let page: ChangesPage = self
                .get_json(&format!("/v1/changes?since={}&limit={}", cursor_param(&since)?, self.page_size))
                .await?;
            let (items, remaining) = (page.items.len() as u64, page.remaining);
            let last = !page.has_more || page.next_cursor == since;
            let changes = into_changes(page)?;
            store.apply_changes(&changes, FEED, Utc::now()).await?;
            report.pages += 1;
            report.items += items;
            if let Some(p) = progress {
                // A closed receiver (the UI went away) is no reason to stop.
                let _ = p.send((report.items, report.items + remaining));
            }
            if last {
                return Ok(report);
            }
            since = changes.cursor;
        }
    }

    /// Sends the outbox in order, in batches, and settles every result.
    pub async fn push(&self, store: &Store) -> Result<PushReport, SyncError> {
        let mut report = PushReport::default();
        let templates = workstation::statement_templates(store).await?;
        loop {
            let pending = store.pending_outbox(PUSH_BATCH).await?;
            if pending.is_empty() {
                return Ok(report);
            }
            let mut mutations = Vec::with_capacity(pending.len());
            for e in &pending {
                // A decision with the moderator's note to the reviewer or an
                // illegal-content marking carries its statement (the server keeps
                // those choices and rebuilds the rest); otherwise the server builds
                // it alone.
                let chose = e.decision.message.is_some() || e.decision.grounds.illegal.is_some();
                let statement = match (chose, trustdesk_domain::statement::owes_statement(e.decision.action))
                {
                    (true, true) => {
                        let view = store.get_review(e.decision.review_id).await?;
                        // A statement that cannot be built here (e.g. a note over the
                        // limit) must not block the outbox: the server builds its own.
                        match workstation::statement_for(
                            &view,
                            &e.decision,
                            e.decision.message.as_deref(),
                            &templates,
                        ) {
                            Ok(s) => s.and_then(|s| serde_json::to_value(s).ok()),
                            Err(err) => {
                                tracing::warn!(code = err.code(), "statement left to the server: {err}");
                                None
                            }
                        }
                    }
                    _ => None,
                };
                mutations.push(Mutation {
                    id: e.decision.id,
                    base_version: e.decision.base_version,
                    op: MutationOp::ReviewDecision {
                        review_id: e.decision.review_id,
                        action: e.decision.action,
                        grounds: e.decision.grounds.clone(),
                        message: e.decision.message.clone(),
                        statement,
                    },
                });
            }
            let answer = self.post_mutations(&MutationBatch { mutations }).await?;
            let now = Utc::now();
            // Applied ones are settled together, one durable commit per run of
            // them (one fsync each was most of a large push's time); the journal
            // keeps the server's order.
            let mut applied = Vec::with_capacity(answer.results.len());
            for result in answer.results {
                let settled = report.count(result.outcome)?;
                if !matches!(settled, Settled::Applied(_)) && !applied.is_empty() {
                    store.acknowledge_all(&std::mem::take(&mut applied), now).await?;
                }
                match settled {
                    Settled::Applied(v) => applied.push((result.id, Some(v))),
                    Settled::Conflict(copy) => store.mark_conflict(result.id, &copy, now).await?,
                    Settled::Rejected { code, message } => {
                        store.mark_rejected(result.id, &code, &message, now).await?
                    }
                }
            }
            store.acknowledge_all(&applied, now).await?;
        }
    }

    /// Sends the case outbox (audit changes) in order, uploading the evidence
    /// files a change names first, and settles every result.
    pub async fn push_cases(&self, store: &Store) -> Result<PushReport, SyncError> {
        let cache = evidence::EvidenceCache::beside(store.path());
        let mut report = PushReport::default();
        loop {
            let pending = store.pending_case_outbox(PUSH_BATCH).await?;
            if pending.is_empty() {
                return Ok(report);
            }
            let mut mutations = Vec::with_capacity(pending.len());
            for e in &pending {
                let bad = |what: &str| {
                    SyncError::Protocol(format!("bad {what} in the case outbox: {:?}", e.entity_id))
                };
                if e.entity_kind == "complaint" {
                    // Complaints have their own endpoint (upholding one also
                    // publishes the review); the mutation id makes it exactly-once.
                    let ComplaintChange::Decide { outcome, reasons } =
                        serde_json::from_str(&e.change).map_err(|_| bad("change"))?;
                    let body =
                        DecideComplaint { outcome, reasons, mutation_id: Some(e.mutation_id.to_string()) };
                    let path = format!("/v1/complaints/{}/decide", e.entity_id);
                    match self.post_json::<_, ComplaintCase>(&path, &body).await {
                        Ok(case) => {
                            report.applied += 1;
                            store.acknowledge_case(e.mutation_id, Some(case.version), Utc::now()).await?;
                        }
                        Err(SyncError::Server { status, code, message }) if (400..500).contains(&status) => {
                            report.rejected += 1;
                            store.mark_case_rejected(e.mutation_id, &code, &message, Utc::now()).await?;
                        }
                        Err(other) => return Err(other),
                    }
                    continue;
                }
                if e.entity_kind == "dispute" {
                    let change: DisputeChange = serde_json::from_str(&e.change).map_err(|_| bad("change"))?;
                    if let DisputeChange::Attach { sha256, .. } = &change {
                        self.upload_evidence(&cache, sha256).await?;
                    }
                    let dispute_id: DisputeId = e.entity_id.parse().map_err(|_| bad("dispute id"))?;
                    let op = MutationOp::Dispute { dispute_id, change };
                    mutations.push(Mutation { id: e.mutation_id, base_version: e.base_version, op });
                    continue;
                }
                let change: AuditChange = serde_json::from_str(&e.change).map_err(|_| bad("change"))?;
                let audit_id: AuditId = e.entity_id.parse().map_err(|_| bad("audit id"))?;
                let op = match change {
                    AuditChange::Item { criterion_id, status, note, evidence } => {
                        for r in &evidence {
                            if let EvidenceRef::File { sha256, .. } = r {
                                self.upload_evidence(&cache, sha256).await?;
                            }
                        }
                        MutationOp::AuditItem { audit_id, criterion_id, status, note, evidence }
                    }
                    AuditChange::Confirm { outcome, recommendation } => {
                        MutationOp::AuditConfirm { audit_id, outcome, recommendation }
                    }
                };
                mutations.push(Mutation { id: e.mutation_id, base_version: e.base_version, op });
            }
            if mutations.is_empty() {
                continue;
            }
            let batch = MutationBatch { mutations };
            let answer = self.post_mutations(&batch).await?;
            let now = Utc::now();
            for result in answer.results {
                match report.count(result.outcome)? {
                    Settled::Applied(v) => store.acknowledge_case(result.id, Some(v), now).await?,
                    Settled::Conflict(copy) => store.mark_case_conflict(result.id, &copy, now).await?,
                    Settled::Rejected { code, message } => {
                        store.mark_case_rejected(result.id, &code, &message, now).await?
                    }
                }
            }
        }
    }

    async fn post_mutations(&self, batch: &MutationBatch) -> Result<MutationResponse, SyncError> {
        let answer: MutationResponse = self.post_json("/v1/mutations", batch).await?;
        if answer.results.len() != batch.mutations.len() {
            return Err(SyncError::Protocol("the server answered a different number of results".into()));
        }
        Ok(answer)
    }

    /// Uploads a cached file (the server keeps one copy per content).
    async fn upload_evidence(&self, cache: &evidence::EvidenceCache, sha: &str) -> Result<(), SyncError> {
        let bytes = cache.get(sha)?.ok_or_else(|| {
            SyncError::Refused(format!("evidence file {sha} is missing from this workstation"))
        })?;
        let resp = self
            .http
            .post(format!("{}/v1/evidence", self.base))
            .bearer_auth(&self.token)
            .body(bytes)
            .send()
            .await
            .map_err(transport)?;
        Self::check(resp).await?;
        Ok(())
    }

    /// Downloads the evidence files the local audits name and the cache lacks,
    /// verifying each against its SHA-256, so they can be viewed offline.
    pub async fn fetch_evidence(&self, store: &Store) -> Result<u32, SyncError> {
        let cache = evidence::EvidenceCache::beside(store.path());
        let mut wanted: Vec<String> = Vec::new();
        for view in store.audits().await? {
            for item in &view.case.items {
                for r in &item.evidence {
                    if let EvidenceRef::File { sha256, .. } = r {
                        wanted.push(sha256.clone());
                    }
                }
            }
        }
        for view in store.disputes().await? {
            wanted.extend(view.case.attachments.iter().map(|a| a.sha256.clone()));
        }
        wanted.extend(store.review_evidence_hashes().await?);
        let mut fetched = 0;
        for sha256 in wanted {
            if cache.contains(&sha256) {
                continue;
            }
            let bytes = match self.get_bytes(&format!("/v1/evidence/{sha256}")).await {
                Ok(b) => b,
                // Named but never uploaded (a sender that failed half-way): the
                // rest still arrive; the file shows as missing.
                Err(SyncError::Server { status: 404, .. }) => {
                    tracing::warn!(sha256, "an evidence file named in a case is not on the server");
                    continue;
                }
                Err(e) => return Err(e),
            };
            if evidence::sha256_hex(bytes.as_ref()) != sha256 {
                return Err(SyncError::Protocol(format!("evidence {sha256} arrived damaged")));
            }
            cache.put(bytes.as_ref())?;
            fetched += 1;
        }
        Ok(fetched)
    }

    /// Keeps a claim on the next work of `kind` for this user: extends the live
    /// one while it has time left, else takes a new batch. Colleagues are not
    /// handed claimed work until the lease ends, so it can be done offline.
    pub async fn refresh_claim(&self, store: &Store, kind: WorkKind) -> Result<usize, SyncError> {
        let code =
            serde_json::to_value(kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        let now = Utc::now();
        let held = store.claim(&code).await?;
        let live = held.filter(|c| c.expires_at > now + chrono::Duration::minutes(10));
        let extended = match &live {
            // Plenty of lease left: nothing to do.
            Some(c) if c.expires_at > now + CLAIM_EXTEND_BEFORE => return Ok(c.ids.len()),
            // Still working on it: keep the same items a while longer.
            Some(c) => self.extend_claim(&c.claim_id).await?,
            None => None,
        };
        let claim: Claim = match extended {
            Some(c) => c,
            None => {
                let req = ClaimRequest {
                    kind,
                    limit: CLAIM_BATCH,
                    lease_seconds: Some(CLAIM_LEASE_SECONDS),
                    filter: Default::default(),
                };
                self.post_json("/v1/claims", &req).await?
            }
        };
        let n = claim.ids.len();
        store
            .set_claim(&trustdesk_store::HeldClaim {
                kind: code,
                claim_id: claim.claim_id,
                ids: claim.ids,
                expires_at: claim.expires_at,
            })
            .await?;
        Ok(n)
    }

    /// Blind second-opinion samples handed to this moderator, stored like any
    /// pending review (their ids are the samples'). Nothing marks them locally
    /// either: the moderator decides them as they would any review.
    pub async fn fetch_samples(&self, store: &Store) -> Result<usize, SyncError> {
        let page: trustdesk_api::fairness::SamplesPage = self.get_json("/v1/samples").await?;
        store.upsert_reviews(&page.reviews).await?;
        Ok(page.reviews.len())
    }

    /// The team's fairness figures, kept for the dashboard (shown offline with
    /// their age). Kept as the server's JSON: the dashboard parses it.
    pub async fn fetch_fairness(&self, store: &Store) -> Result<(), SyncError> {
        let report: trustdesk_api::fairness::FairnessReport = self.get_json("/v1/fairness").await?;
        let body = serde_json::to_string(&report).map_err(|e| SyncError::Protocol(e.to_string()))?;
        store.put_cached_figures(FAIRNESS_CACHE, &body, Utc::now()).await?;
        Ok(())
    }

    /// Extends a claim by a full lease; `None` when the server no longer has it
    /// (expired and cleaned up, or released elsewhere), so a new one is taken.
    async fn extend_claim(&self, claim_id: &str) -> Result<Option<Claim>, SyncError> {
        let extend = trustdesk_api::ExtendClaim { lease_seconds: CLAIM_LEASE_SECONDS };
        match self.post_json(&format!("/v1/claims/{claim_id}/extend"), &extend).await {
            Ok(claim) => Ok(Some(claim)),
            Err(SyncError::Server { status: 404 | 409, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Releases every claim this workstation holds (on sign-out), so colleagues
    /// get the items at once instead of when the lease runs out.
    pub async fn release_claims(&self, store: &Store) -> Result<usize, SyncError> {
        let mut released = 0;
        for kind in ["review", "audit", "dispute"] {
            let Some(held) = store.claim(kind).await? else { continue };
            match self
                .send::<()>(reqwest::Method::DELETE, &format!("/v1/claims/{}", held.claim_id), None)
                .await
            {
                Ok(_) => released += 1,
                // Gone already: nothing to release.
                Err(SyncError::Server { status: 404, .. }) => {}
                Err(e) => return Err(e),
            }
            store.drop_claim(kind).await?;
        }
        Ok(released)
    }

    /// The admin's calibration queue: disagreements, open ones first.
    pub async fn calibration(&self) -> Result<Vec<trustdesk_api::fairness::CalibrationItem>, SyncError> {
        self.get_json("/v1/calibration").await
    }

    /// Records the settled answer of a disagreement (admins).
    pub async fn settle_calibration(
        &self,
        sample_id: &str,
        decision: &str,
    ) -> Result<trustdesk_api::fairness::CalibrationItem, SyncError> {
        let settle = trustdesk_api::fairness::SettleCalibration { decision: decision.to_owned() };
        self.post_json(&format!("/v1/calibration/{sample_id}"), &settle).await
    }

    /// Fetches the data packs in force (statement templates, the checklist,
    /// the ARM rule packs) that differ from the local ones, checks each with
    /// its kind's parser and replaces the local copy whole. Returns how many
    /// were replaced. One request when nothing changed: every sync makes it.
    pub async fn fetch_packs(&self, store: &Store) -> Result<usize, SyncError> {
        let in_force: Vec<PackVersion> = self.get_json("/v1/packs").await?;
        let mut replaced = 0;
        for PackVersion { kind, version } in in_force {
            if store.pack_version(kind.as_str()).await?.as_deref() == Some(version.as_str()) {
                continue;
            }
            let pack: DataPack = self.get_json(&format!("/v1/packs/{}/current", kind.as_str())).await?;
            let declared = kind.check(&pack.source).map_err(|e| {
                SyncError::Protocol(format!(
                    "the server's {} pack does not pass its check: {e}",
                    kind.as_str()
                ))
            })?;
            if declared != pack.version || pack.kind != kind {
                return Err(SyncError::Protocol(format!(
                    "the server's {} pack is mislabelled",
                    kind.as_str()
                )));
            }
            store.put_pack(kind.as_str(), &pack.version, &pack.source, Utc::now()).await?;
            replaced += 1;
        }
        Ok(replaced)
    }

    /// Packs, push, then pull: the server's new versions replace the local overlay.
    pub async fn sync(&self, store: &Store) -> Result<(PushReport, PullReport), SyncError> {
        self.sync_with_progress(store, None).await
    }

    /// As [`Client::sync`], reporting the pull's progress.
    pub async fn sync_with_progress(
        &self,
        store: &Store,
        progress: Option<&Progress>,
    ) -> Result<(PushReport, PullReport), SyncError> {
        // First, so the statements pushed are built with the templates in force.
        self.fetch_packs(store).await?;
        let mut pushed = self.push(store).await?;
        let cases = self.push_cases(store).await?;
        pushed.applied += cases.applied;
        pushed.duplicates += cases.duplicates;
        pushed.conflicts += cases.conflicts;
        pushed.rejected += cases.rejected;
        let pulled = self.pull_with_progress(store, progress).await?;
        // Listing the files the local cases and reviews name reads every one of
        // them (most of a sync with nothing new at 100,000 reviews), so it runs
        // only when the feed moved since the last complete fetch.
        if let Some(feed_at) = store.cursor(FEED).await? {
            if store.cursor(EVIDENCE_FETCHED).await?.as_deref() != Some(feed_at.as_str()) {
                self.fetch_evidence(store).await?;
                store.set_cursor(EVIDENCE_FETCHED, &feed_at, Utc::now()).await?;
            }
        }
        // The signed-in role's work is claimed for this workstation.
        let role = store.session().await?.map(|s| s.role);
        let kind = match role.as_deref() {
            Some("moderator") => Some(WorkKind::Review),
            Some("auditor") => Some(WorkKind::Audit),
            Some("mediator") => Some(WorkKind::Dispute),
            _ => None,
        };
        if let Some(kind) = kind {
            self.refresh_claim(store, kind).await?;
        }
        if role.as_deref() == Some("moderator") {
            self.fetch_samples(store).await?;
        }
        let stale = match store.cached_figures(FAIRNESS_CACHE).await? {
            Some((_, at)) => Utc::now() - at > FAIRNESS_MAX_AGE,
            None => true,
        };
        // The server computes these over the whole window: not on every sync.
        if stale && matches!(role.as_deref(), Some("moderator" | "admin" | "auditor")) {
            // The figures are a view, not work: a server without them (older
            // version) or a failure computing them must not stop the sync.
            if let Err(e) = self.fetch_fairness(store).await {
                if matches!(e, SyncError::Offline(_) | SyncError::Unauthorized) {
                    return Err(e);
                }
                tracing::warn!(error = %e, "fairness figures not fetched");
            }
        }
        Ok((pushed, pulled))
    }
}

/// Sorts a feed page into what the store applies, taking the entities out of
/// the page rather than copying them.
fn into_changes(page: ChangesPage) -> Result<ServerChanges, SyncError> {
    let mut changes = ServerChanges { cursor: page.next_cursor, ..ServerChanges::default() };
    for c in page.items {
        match (c.op, c.entity) {
            (ChangeOp::Upsert, Some(Entity::Shop(s))) => changes.shops.push(s),
            (ChangeOp::Upsert, Some(Entity::Review(r))) => changes.reviews.push(r),
            (ChangeOp::Upsert, Some(Entity::Audit(a))) => changes.audits.push(a),
            (ChangeOp::Upsert, Some(Entity::Dispute(d))) => changes.disputes.push(d),
            (ChangeOp::Upsert, Some(Entity::Complaint(k))) => changes.complaints.push(k),
            (ChangeOp::Delete, _) if c.kind == trustdesk_api::EntityKind::Review => {
                let id: ReviewId =
                    c.id.parse().map_err(|_| SyncError::Protocol(format!("bad review id {:?}", c.id)))?;
                changes.deleted_reviews.push(id);
            }
            _ => {}
        }
    }
    Ok(changes)
}

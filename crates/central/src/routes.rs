//! The HTTP surface: routes, handlers, request logging and the OpenAPI document.

use std::time::Instant;

use axum::extract::{DefaultBodyLimit, Path, RawQuery, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use trustdesk_api::{
    ChangesPage, Claim, ClaimRequest, ComplaintCase, DecideComplaint, ErrorBody, EvidenceInfo, ExtendClaim,
    Health, IngestBatch, IngestErrors, IngestResponse, Me, MutationBatch, MutationResponse, NewComplaint,
    StatementExportPage, MAX_MUTATIONS_PER_BATCH,
};
use trustdesk_api::{DataPack, EvidenceArrived, EvidenceRecorded, PackKind, PackVersion, PublishPack};
use utoipa::openapi::schema::{AdditionalProperties, Schema};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::RefOr;
use utoipa::OpenApi;

use crate::auth::User;
use crate::body::{read_limited, JsonBody};
use crate::error::ApiError;
use crate::{claims, complaints, evidence, fairness, feed, mutations, packs, reviews, statements, AppState};
use trustdesk_api::fairness::{CalibrationItem, FairnessReport, SamplesPage, SettleCalibration};

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/openapi.json", get(openapi_json))
        .route("/v1/health", get(health))
        .route("/v1/me", get(me))
        .route("/v1/changes", get(changes))
        .route("/v1/mutations", post(post_mutations))
        .route("/v1/claims", post(post_claim))
        .route("/v1/claims/{id}/extend", post(extend_claim))
        .route("/v1/claims/{id}", axum::routing::delete(release_claim))
        .route("/v1/evidence", post(upload_evidence))
        .route("/v1/evidence/{sha256}", get(download_evidence))
        .route("/v1/packs", get(pack_versions))
        .route("/v1/packs/{kind}/current", get(current_pack))
        .route("/v1/packs/{kind}", post(publish_pack))
        .route("/v1/ingest/reviews", post(ingest_reviews))
        .route("/v1/reviews/{id}", axum::routing::delete(delete_review))
        .route("/v1/reviews/{id}/evidence", post(evidence_arrived))
        .route("/v1/statements/export", get(export_statements))
        .route("/v1/complaints", post(open_complaint))
        .route("/v1/complaints/{id}/decide", post(decide_complaint))
        .route("/v1/samples", get(get_samples))
        .route("/v1/fairness", get(get_fairness))
        .route("/v1/calibration", get(get_calibration))
        .route("/v1/calibration/{id}", post(settle_calibration))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // Limits are enforced (and oversized bodies drained) by body::read_limited.
        .layer(DefaultBodyLimit::disable())
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

/// One line per request: method, path, status, time. Never headers, query
/// values or bodies (tokens, review text).
async fn log_request(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().chars().take(120).collect::<String>();
    let resp = next.run(req).await;
    tracing::info!(%method, path, status = resp.status().as_u16(), micros = started.elapsed().as_micros() as u64);
    resp
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "method not allowed on this endpoint")
}

#[utoipa::path(get, path = "/v1/health", responses(
    (status = 200, body = Health), (status = 503, body = ErrorBody)))]
async fn health(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state.db.ping().await?;
    Ok(Json(Health { status: "ok".into(), database: state.db.backend.name().into() }))
}

#[utoipa::path(get, path = "/v1/me", security(("bearer" = [])), responses(
    (status = 200, body = Me), (status = 401, body = ErrorBody)))]
async fn me(user: User) -> Json<Me> {
    Json(Me { user_id: user.id, name: user.name, role: user.role })
}

#[utoipa::path(get, path = "/v1/changes", security(("bearer" = [])),
    params(
        ("since" = Option<String>, Query, pattern = "^[0-9]{1,18}$",
            description = "cursor from a previous page; absent = from the start"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 5000, description = "page size"),
    ),
    responses((status = 200, body = ChangesPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "the cursor is ahead of this server: restart the feed")))]
async fn changes(
    State(state): State<AppState>,
    user: User,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = feed::parse_query(raw.as_deref())?;
    let body = feed::page(&state, &user, q).await?;
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response())
}

#[utoipa::path(post, path = "/v1/mutations", security(("bearer" = [])), request_body = MutationBatch,
    responses((status = 200, body = MutationResponse), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 413, body = ErrorBody)))]
async fn post_mutations(
    State(state): State<AppState>,
    user: User,
    JsonBody(batch): JsonBody<MutationBatch>,
) -> Result<Json<MutationResponse>, ApiError> {
    if batch.mutations.len() > MAX_MUTATIONS_PER_BATCH {
        return Err(ApiError::bad_request(format!("at most {MAX_MUTATIONS_PER_BATCH} mutations per batch")));
    }
    let results = mutations::apply_batch(
        &state.db,
        &user,
        state.scanner.as_ref(),
        state.config.fairness.sample_share,
        &batch.mutations,
    )
    .await?;
    Ok(Json(MutationResponse { results }))
}

#[utoipa::path(post, path = "/v1/claims", security(("bearer" = [])), request_body = ClaimRequest,
    responses((status = 200, body = Claim), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
async fn post_claim(
    State(state): State<AppState>,
    user: User,
    JsonBody(req): JsonBody<ClaimRequest>,
) -> Result<Json<Claim>, ApiError> {
    claims::claim(&state.db, &user, req).await.map(Json)
}

#[utoipa::path(post, path = "/v1/claims/{id}/extend", security(("bearer" = [])), request_body = ExtendClaim,
    params(("id" = String, Path)),
    responses((status = 200, body = Claim), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn extend_claim(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<ExtendClaim>,
) -> Result<Json<Claim>, ApiError> {
    claims::extend(&state.db, &user, &id, req).await.map(Json)
}

#[utoipa::path(delete, path = "/v1/claims/{id}", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn release_claim(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    claims::release(&state.db, &user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/v1/evidence", security(("bearer" = [])),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = EvidenceInfo), (status = 200, body = EvidenceInfo, description = "already stored"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody)))]
async fn upload_evidence(
    State(state): State<AppState>,
    user: User,
    req: Request,
) -> Result<Response, ApiError> {
    let bytes = read_limited(req, state.config.max_file_bytes).await?;
    let (info, created) = evidence::store(&state.db, &state.config.data_dir, &user, &bytes).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(info)).into_response())
}

#[utoipa::path(get, path = "/v1/evidence/{sha256}", security(("bearer" = [])), params(("sha256" = String, Path, pattern = "^[0-9a-f]{64}$")),
    responses((status = 200, description = "the file, with the type found when it was uploaded",
            content(("application/pdf"), ("image/png"), ("image/jpeg"), ("image/gif"), ("image/webp"),
                ("text/plain; charset=utf-8"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn download_evidence(
    State(state): State<AppState>,
    _user: User,
    Path(sha): Path<String>,
) -> Result<Response, ApiError> {
    let (content_type, bytes) = evidence::load(&state.db, &state.config.data_dir, &sha).await?;
    let ct =
        HeaderValue::from_str(&content_type).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    Ok((
        [
            (header::CONTENT_TYPE, ct),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            (header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment")),
        ],
        bytes,
    )
        .into_response())
}

fn pack_kind(kind: &str) -> Result<PackKind, ApiError> {
    kind.parse().map_err(|_| ApiError::not_found(format!("no pack kind {kind:?}")))
}

#[utoipa::path(get, path = "/v1/packs", security(("bearer" = [])),
    description = "The version in force of each pack kind published so far (kinds never published are \
        absent: the release's built-in version applies). One request tells a client which packs it lacks.",
    responses((status = 200, body = [PackVersion]), (status = 401, body = ErrorBody)))]
async fn pack_versions(
    State(state): State<AppState>,
    _user: User,
) -> Result<Json<Vec<PackVersion>>, ApiError> {
    let mut conn = state.db.read.acquire().await?;
    Ok(Json(packs::in_force(&mut conn).await?))
}

#[utoipa::path(get, path = "/v1/packs/{kind}/current", security(("bearer" = [])),
    params(("kind" = PackKind, Path), ("If-None-Match" = Option<String>, Header, description = "the ETag of the copy held")),
    description = "The version in force. Its ETag is the quoted version; a client holding it gets 304. \
        404 when none was published: the release's built-in version applies.",
    responses((status = 200, body = DataPack), (status = 304), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn current_pack(
    State(state): State<AppState>,
    _user: User,
    Path(kind): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    let kind = pack_kind(&kind)?;
    let mut conn = state.db.read.acquire().await?;
    let pack = packs::current(&mut conn, kind)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no {} pack has been published", kind.as_str())))?;
    let etag = format!("\"{}\"", pack.version);
    let held = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok());
    let etag_value = HeaderValue::from_str(&etag).map_err(|_| ApiError::bad_request("unusable version"))?;
    if held == Some(etag.as_str()) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag_value)]).into_response());
    }
    Ok(([(header::ETAG, etag_value)], Json(pack)).into_response())
}

#[utoipa::path(post, path = "/v1/packs/{kind}", security(("bearer" = [])), request_body = PublishPack,
    params(("kind" = PackKind, Path)),
    description = "Admins: publishes a new version, checked by the kind's parser first (every reason and \
        language present, no unknown placeholder). The version is the one the source declares.",
    responses((status = 201, body = DataPack), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn publish_pack(
    State(state): State<AppState>,
    user: User,
    Path(kind): Path<String>,
    JsonBody(req): JsonBody<PublishPack>,
) -> Result<(StatusCode, Json<DataPack>), ApiError> {
    let kind = pack_kind(&kind)?;
    packs::publish(&state.db, &user, kind, req.source).await.map(|p| (StatusCode::CREATED, Json(p)))
}

#[utoipa::path(post, path = "/v1/ingest/reviews", security(("bearer" = [])), request_body = IngestBatch,
    description = "Admin only. Ingests reviews as pending: scanned by the ARM filters, with fake signals \
        computed against the shop's stored reviews. Malformed fields anywhere refuse the whole batch (422, \
        every bad field named); well-formed items are answered one by one (created, duplicate by id, or \
        rejected for an unknown shop or dates in the future).",
    responses((status = 200, body = IngestResponse), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = IngestErrors)))]
async fn ingest_reviews(
    State(state): State<AppState>,
    user: User,
    JsonBody(batch): JsonBody<IngestBatch>,
) -> Result<Response, ApiError> {
    let published = packs::published_rules(&mut *state.db.read.acquire().await?).await?;
    let scanner = published.as_deref().unwrap_or(state.scanner.as_ref());
    Ok(match reviews::ingest(&state.db, &user, scanner, &batch.reviews).await? {
        reviews::Ingested::Done(r) => Json(r).into_response(),
        reviews::Ingested::Malformed(e) => (StatusCode::UNPROCESSABLE_ENTITY, Json(e)).into_response(),
    })
}

#[utoipa::path(delete, path = "/v1/reviews/{id}", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    description = "Admin only. The change feed then carries the review as a deletion.",
    responses((status = 204), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_review(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    reviews::delete(&state.db, &user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/v1/reviews/{id}/evidence", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = EvidenceArrived,
    description = "Admin only (the intake of reviewers' replies). Records the files a reviewer sent for an \
        evidence request, each uploaded first with POST /v1/evidence: the review moves to evidence_received \
        while the deadline runs (409 illegal_transition otherwise). Repeating the same files returns the \
        same answer.",
    responses((status = 200, body = EvidenceRecorded), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn evidence_arrived(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<EvidenceArrived>,
) -> Result<Json<EvidenceRecorded>, ApiError> {
    reviews::evidence_arrived(&state.db, &user, &id, req).await.map(Json)
}

#[utoipa::path(get, path = "/v1/statements/export", security(("bearer" = [])),
    description = "Admin only. Statements of reasons as lines for the DSA Transparency Database \
        (statement submission API v2; fields exactly as crates/domain/data/dsa-sor.schema.json), decided \
        from `since` to `until` (UTC days, both inclusive), in the order they were stored. A stored line \
        outside the schema stops the export with 500 `export_invalid` naming the decision: nothing is \
        exported silently.",
    params(
        ("since" = String, Query, format = Date, description = "first day, YYYY-MM-DD"),
        ("until" = Option<String>, Query, format = Date, description = "last day, YYYY-MM-DD (inclusive)"),
        ("cursor" = Option<String>, Query, pattern = "^[0-9]{1,18}$", description = "next_cursor of the previous page"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "page size (default 100)"),
    ),
    responses((status = 200, body = StatementExportPage), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 500, body = ErrorBody)))]
async fn export_statements(
    State(state): State<AppState>,
    user: User,
    RawQuery(raw): RawQuery,
) -> Result<Json<StatementExportPage>, ApiError> {
    user.require_admin()?;
    let q = statements::parse_query(raw.as_deref())?;
    let page = statements::export_page(&state.db.read, &q).await?;
    Ok(Json(StatementExportPage {
        items: page.records,
        next_cursor: page.last.filter(|_| page.has_more).map(|s| s.to_string()),
        has_more: page.has_more,
    }))
}

#[utoipa::path(post, path = "/v1/complaints", security(("bearer" = [])), request_body = NewComplaint,
    description = "Moderators and admins enter a reviewer's complaint (DSA Art. 20) against a decision with a \
        statement of reasons, named by its id or by the review (its latest such decision). The case is \
        routed to a moderator other than the one who decided, who can never claim or decide it.",
    responses((status = 201, body = trustdesk_api::doc::ComplaintCase), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "complaint_exists")))]
async fn open_complaint(
    State(state): State<AppState>,
    user: User,
    JsonBody(req): JsonBody<NewComplaint>,
) -> Result<(StatusCode, Json<ComplaintCase>), ApiError> {
    let case = complaints::open(&state.db, &user, req).await?;
    Ok((StatusCode::CREATED, Json(case)))
}

#[utoipa::path(post, path = "/v1/complaints/{id}/decide", security(("bearer" = [])), request_body = DecideComplaint,
    params(("id" = String, Path, format = Uuid)),
    description = "Upheld: the review is published (a new decision record, trail entry and review version in \
        the feed). Dismissed: the decision stands, with the reasons. Refused (403 `own_decision`) for the \
        user who made the contested decision.",
    responses((status = 200, body = trustdesk_api::doc::ComplaintCase), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn decide_complaint(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<DecideComplaint>,
) -> Result<Json<ComplaintCase>, ApiError> {
    complaints::decide(&state.db, &user, &id, req).await.map(Json)
}

#[utoipa::path(get, path = "/v1/samples", security(("bearer" = [])),
    description = "Moderators: decided reviews drawn for a blind second opinion, handed to this moderator \
        (never the first decider). Each looks like a pending review under the sample's own id; decide it \
        with `POST /v1/mutations` as any review. The second decision never changes the review.",
    responses((status = 200, body = SamplesPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn get_samples(State(state): State<AppState>, user: User) -> Result<Json<SamplesPage>, ApiError> {
    fairness::samples(&state.db, &user).await.map(Json)
}

#[utoipa::path(get, path = "/v1/fairness", security(("bearer" = [])),
    description = "Agreement of second opinions (kappa with a 95 % interval), the bias guard over the sliding \
        window, shops whose negative reviews are removed unusually often, and team members' recent work. \
        Moderators see the team and their own rows; admins everything; auditors the flagged shops.",
    responses((status = 200, body = FairnessReport), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn get_fairness(State(state): State<AppState>, user: User) -> Result<Json<FairnessReport>, ApiError> {
    fairness::report(&state.db, &user, &state.config.fairness).await.map(Json)
}

#[utoipa::path(get, path = "/v1/calibration", security(("bearer" = [])),
    description = "Admins: second opinions that disagreed with the first decision, open ones first.",
    responses((status = 200, body = Vec<CalibrationItem>), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
async fn get_calibration(
    State(state): State<AppState>,
    user: User,
) -> Result<Json<Vec<CalibrationItem>>, ApiError> {
    fairness::calibration(&state.db, &user).await.map(Json)
}

#[utoipa::path(post, path = "/v1/calibration/{id}", security(("bearer" = [])), request_body = SettleCalibration,
    params(("id" = String, Path, format = Uuid)),
    description = "Admins: records the settled answer of a disagreement next to both decisions.",
    responses((status = 200, body = CalibrationItem), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn settle_calibration(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<SettleCalibration>,
) -> Result<Json<CalibrationItem>, ApiError> {
    fairness::settle(&state.db, &user, &id, req).await.map(Json)
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Trustdesk central service", description = "Change feed, claims, idempotent decisions, evidence and rule packs."),
    paths(health, me, changes, post_mutations, post_claim, extend_claim, release_claim, upload_evidence,
        download_evidence, evidence_arrived, ingest_reviews, delete_review,
        export_statements, open_complaint, decide_complaint, get_samples, get_fairness, get_calibration,
        settle_calibration, pack_versions, current_pack, publish_pack),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        // Request types refuse unknown fields; utoipa marks structs so but not the
        // variants of a tagged enum, so say it for MutationOp's variants here.
        if let Some(RefOr::T(Schema::OneOf(one_of))) = components.schemas.get_mut("MutationOp") {
            for item in &mut one_of.items {
                if let RefOr::T(Schema::Object(obj)) = item {
                    obj.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
                }
            }
        }
    }
}

async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

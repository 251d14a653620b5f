//! Versioned data packs (statement templates, the checklist, the ARM rule
//! packs) published by an
//! admin and handed to every workstation. A pack is checked by its kind's
//! parser before it is stored, so a template with an unknown placeholder is
//! refused at publication, never discovered in a statement.
//!
//! Versions are immutable; parsed statement templates are cached by version
//! (process-wide, safe across instances for that reason).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use axum::http::StatusCode;
use sqlx::{AnyConnection, Row};
use trustdesk_api::{codes, DataPack, PackKind, PackVersion, MAX_PACK_BYTES};
use trustdesk_domain::StatementTemplates;

use crate::auth::User;
use crate::db::{self, Db};
use crate::error::ApiError;
use crate::ingest::{EngineScanner, Scanner};

/// The version in force of every kind published at least once.
pub async fn in_force(conn: &mut AnyConnection) -> Result<Vec<PackVersion>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT kind, version FROM packs p WHERE seq = (SELECT MAX(seq) FROM packs q WHERE q.kind = p.kind)
         ORDER BY kind",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let kind: String = r.try_get("kind")?;
        // A kind this build does not know (a newer server) is not for it.
        if let Ok(kind) = kind.parse::<PackKind>() {
            out.push(PackVersion { kind, version: r.try_get("version")? });
        }
    }
    Ok(out)
}

/// The newest published version of `kind`, if any.
pub async fn current(conn: &mut AnyConnection, kind: PackKind) -> Result<Option<DataPack>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT version, published_at, source FROM packs WHERE kind = $1 ORDER BY seq DESC, version DESC LIMIT 1",
    )
    .bind(kind.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| pack(kind, &r)).transpose()
}

fn pack(kind: PackKind, r: &sqlx::any::AnyRow) -> Result<DataPack, sqlx::Error> {
    let published: String = r.try_get("published_at")?;
    Ok(DataPack {
        kind,
        version: r.try_get("version")?,
        published_at: published.parse().map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        source: r.try_get("source")?,
    })
}

/// `POST /v1/packs/{kind}`.
pub async fn publish(db: &Db, user: &User, kind: PackKind, source: String) -> Result<DataPack, ApiError> {
    user.require_admin()?;
    store(db, kind, source).await
}

/// Checks and stores a new version (the endpoint and `publish-pack`).
pub async fn store(db: &Db, kind: PackKind, source: String) -> Result<DataPack, ApiError> {
    if source.len() > MAX_PACK_BYTES {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            codes::TEXT_TOO_LONG,
            format!("the pack has {} bytes; at most {MAX_PACK_BYTES} are allowed", source.len()),
        ));
    }
    if source.contains('\0') {
        return Err(ApiError::bad_request("the pack must not contain NUL characters"));
    }
    let version = kind
        .check(&source)
        .map_err(|e| ApiError::bad_request(format!("the {} pack is refused: {e}", kind.as_str())))?;
    let now = db::now();
    let done = sqlx::query(
        "INSERT INTO packs (kind, version, published_at, seq, source)
         VALUES ($1, $2, $3, (SELECT COALESCE(MAX(seq), 0) + 1 FROM packs WHERE kind = $1), $4)
         ON CONFLICT (kind, version) DO NOTHING",
    )
    .bind(kind.as_str())
    .bind(&version)
    .bind(db::rfc3339(now))
    .bind(&source)
    .execute(&db.write)
    .await?;
    if done.rows_affected() == 0 {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "version_exists",
            format!("{} version {version:?} is published already; raise the version", kind.as_str()),
        ));
    }
    Ok(DataPack { kind, version, published_at: now, source })
}

/// The ARM rule set in force compiled, with its version; replaced when a
/// newer one is published (one engine kept, as compiled automata are large).
static ARM: LazyLock<Mutex<Option<CompiledRules>>> = LazyLock::new(Default::default);
type CompiledRules = (String, Arc<dyn Scanner>);

/// The newest published `arm_rules` set, compiled once per version; `None`
/// when none was published (the built-in packs apply). Ingestion, imports and
/// the statements of review decisions scan with it, as every workstation does,
/// so a review gets the same hits on both sides.
pub async fn published_rules(conn: &mut AnyConnection) -> Result<Option<Arc<dyn Scanner>>, sqlx::Error> {
    let in_force: Option<String> = sqlx::query_scalar(
        "SELECT version FROM packs WHERE kind = $1 ORDER BY seq DESC, version DESC LIMIT 1",
    )
    .bind(PackKind::ArmRules.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(version) = in_force else { return Ok(None) };
    if let Some((v, scanner)) = ARM.lock().expect("rule cache").as_ref() {
        if *v == version {
            return Ok(Some(scanner.clone()));
        }
    }
    let source: String = sqlx::query_scalar("SELECT source FROM packs WHERE kind = $1 AND version = $2")
        .bind(PackKind::ArmRules.as_str())
        .bind(&version)
        .fetch_one(&mut *conn)
        .await?;
    // Checked (compiled) at publication, so a failure here is a server bug,
    // reported as a decode error like a template that no longer parses.
    // Compiling takes tens of milliseconds: off the async workers.
    let scanner = tokio::task::spawn_blocking(move || {
        let (_, packs) = trustdesk_filters::RulePacks::from_bundle(&source)?;
        Ok::<_, trustdesk_filters::LoadError>(EngineScanner::new(trustdesk_filters::Engine::compile(&packs)?))
    })
    .await
    .map_err(|e| sqlx::Error::Decode(e.into()))?
    .map_err(|e| sqlx::Error::Decode(e.into()))?;
    let scanner: Arc<dyn Scanner> = Arc::new(scanner);
    *ARM.lock().expect("rule cache") = Some((version, scanner.clone()));
    Ok(Some(scanner))
}

static PARSED: LazyLock<Mutex<HashMap<String, Arc<StatementTemplates>>>> = LazyLock::new(Default::default);
static SHIPPED: LazyLock<Arc<StatementTemplates>> =
    LazyLock::new(|| Arc::new(StatementTemplates::shipped().clone()));

/// The statement templates a batch of decisions may need: the ones in force
/// and every version named by a statement the client sent.
#[derive(Clone)]
pub struct TemplateSet {
    pub current: Arc<StatementTemplates>,
    known: HashMap<String, Arc<StatementTemplates>>,
}

impl TemplateSet {
    /// The templates of `version`, if this server has them (built in or published).
    pub fn get(&self, version: &str) -> Option<&Arc<StatementTemplates>> {
        self.known.get(version)
    }

    /// Only the built-in templates (tests, tools without a database, batches
    /// without review decisions).
    pub fn shipped() -> TemplateSet {
        let shipped = SHIPPED.clone();
        TemplateSet {
            known: HashMap::from([(shipped.version().to_owned(), shipped.clone())]),
            current: shipped,
        }
    }
}

/// A published version's templates, parsed once per process (versions never
/// change); `None` when this server has no such version.
async fn parsed(
    conn: &mut AnyConnection,
    version: &str,
) -> Result<Option<Arc<StatementTemplates>>, sqlx::Error> {
    if let Some(t) = PARSED.lock().expect("pack cache").get(version) {
        return Ok(Some(t.clone()));
    }
    let source: Option<String> =
        sqlx::query_scalar("SELECT source FROM packs WHERE kind = $1 AND version = $2")
            .bind(PackKind::StatementTemplates.as_str())
            .bind(version)
            .fetch_optional(&mut *conn)
            .await?;
    let Some(source) = source else { return Ok(None) };
    // Checked at publication; a row that no longer parses is a server bug,
    // reported as a decode error.
    let t = Arc::new(StatementTemplates::parse(&source).map_err(|e| sqlx::Error::Decode(e.into()))?);
    PARSED.lock().expect("pack cache").insert(version.to_owned(), t.clone());
    Ok(Some(t))
}

/// Loads the set for the named versions (unknown ones are left out: the
/// statement naming one is refused for it). Reads the version in force, and a
/// source only for a version not parsed yet.
pub async fn templates(conn: &mut AnyConnection, named: &[String]) -> Result<TemplateSet, sqlx::Error> {
    let mut set = TemplateSet::shipped();
    let in_force: Option<String> = sqlx::query_scalar(
        "SELECT version FROM packs WHERE kind = $1 ORDER BY seq DESC, version DESC LIMIT 1",
    )
    .bind(PackKind::StatementTemplates.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    for version in named.iter().cloned().chain(in_force.clone()) {
        if set.known.contains_key(&version) {
            continue;
        }
        if let Some(t) = parsed(conn, &version).await? {
            set.known.insert(version, t);
        }
    }
    if let Some(t) = in_force.and_then(|v| set.known.get(&v).cloned()) {
        set.current = t;
    }
    Ok(set)
}

//! Database access through sqlx's `Any` driver, so one code path serves SQLite
//! and PostgreSQL. Portable SQL only: `$N` parameters (SQLite accepts them too),
//! TEXT ids and timestamps, BIGINT integers, `RETURNING`, `ON CONFLICT`.

use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, SubsecRound, Utc};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Two pools: on SQLite all writes go through one connection (SQLite has a
/// single writer anyway, and this avoids lock-upgrade `SQLITE_BUSY` errors),
/// while reads run in parallel on WAL. On PostgreSQL both are the same pool.
#[derive(Clone)]
pub struct Db {
    pub backend: Backend,
    pub read: AnyPool,
    pub write: AnyPool,
}

impl Db {
    /// Connects and brings the schema up to date.
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        if url.starts_with("sqlite:") {
            let url = if url.contains('?') { url.to_owned() } else { format!("{url}?mode=rwc") };
            let write = sqlite_pool(1).connect(&url).await.context("opening the SQLite database")?;
            SQLITE_MIGRATIONS.run(&write).await.context("migrating the SQLite database")?;
            let read = sqlite_pool(8).connect(&url).await.context("opening the SQLite database")?;
            Ok(Db { backend: Backend::Sqlite, read, write })
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = AnyPoolOptions::new()
                .max_connections(24)
                .acquire_timeout(Duration::from_secs(30))
                .connect(url)
                .await
                .context("connecting to PostgreSQL")?;
            POSTGRES_MIGRATIONS.run(&pool).await.context("migrating the PostgreSQL database")?;
            Ok(Db { backend: Backend::Postgres, read: pool.clone(), write: pool })
        } else {
            anyhow::bail!("unsupported database URL: expected sqlite://... or postgres://...")
        }
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1").execute(&self.read).await.map(|_| ())
    }
}

fn sqlite_pool(max: u32) -> AnyPoolOptions {
    AnyPoolOptions::new().max_connections(max).acquire_timeout(Duration::from_secs(30)).after_connect(
        |conn, _| {
            Box::pin(async move {
                // synchronous=FULL: an acknowledged decision must survive a power cut.
                for pragma in [
                    "PRAGMA journal_mode = WAL",
                    "PRAGMA busy_timeout = 10000",
                    "PRAGMA synchronous = FULL",
                    "PRAGMA foreign_keys = ON",
                ] {
                    sqlx::query(pragma).execute(&mut *conn).await?;
                }
                Ok(())
            })
        },
    )
}

/// Stored instants keep microseconds, as both databases and the JSON do.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

pub fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// Rows per multi-row statement on PostgreSQL (bind parameters stay far under its limit).
const POSTGRES_ROWS: usize = 300;

/// Bind parameters per statement on SQLite. sqlx looks up each parameter's name,
/// and SQLite finds a name by a linear scan, so binding n parameters costs n²:
/// with 2,500 parameters that was 40 % of a mutation batch's time. Statements are
/// in-process calls on SQLite, so more, smaller ones cost little.
pub const SQLITE_PARAMS: usize = 240;

/// Rows per multi-row statement of `cols` bound columns.
pub fn rows_per_statement(backend: Backend, cols: usize) -> usize {
    match backend {
        Backend::Postgres => POSTGRES_ROWS,
        Backend::Sqlite => (SQLITE_PARAMS / cols.max(1)).max(1),
    }
}

/// The backend a connection talks to.
pub fn backend_of(conn: &sqlx::AnyConnection) -> Backend {
    if conn.backend_name().eq_ignore_ascii_case("sqlite") {
        Backend::Sqlite
    } else {
        Backend::Postgres
    }
}

/// Reads back a time this service stored with [`rfc3339`].
pub fn parse_rfc3339(s: &str) -> Result<DateTime<Utc>, sqlx::Error> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Takes `n` numbers from the change sequence and returns the last. Call it as
/// late in the transaction as possible: the counter row stays locked until commit,
/// which is what keeps commit order equal to sequence order.
pub async fn next_change_seq(conn: &mut sqlx::AnyConnection, n: i64) -> Result<i64, sqlx::Error> {
    let row: AnyRow =
        sqlx::query("UPDATE counters SET value = value + $1 WHERE name = 'change' RETURNING value")
            .bind(n)
            .fetch_one(&mut *conn)
            .await?;
    row.try_get::<i64, _>(0)
}

pub async fn current_change_seq(pool: &AnyPool) -> Result<i64, sqlx::Error> {
    let row = sqlx::query("SELECT value FROM counters WHERE name = 'change'").fetch_one(pool).await?;
    row.try_get::<i64, _>(0)
}

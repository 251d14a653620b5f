//! Trustdesk's central service: the authoritative shops, reviews, audits and
//! disputes, served over HTTP/JSON (`/v1`) to the workstations.
//!
//! Storage goes through sqlx's `Any` driver ([`db`]) so SQLite (embedded
//! default) and PostgreSQL (production) share every query and every test.

pub mod auth;
pub mod body;
pub mod claims;
pub mod complaints;
pub mod db;
pub mod entities;
pub mod error;
pub mod evidence;
pub mod fairness;
pub mod feed;
pub mod history;
pub mod import;
pub mod ingest;
pub mod mutations;
pub mod packs;
pub mod reviews;
pub mod routes;
pub mod seed;
pub mod statements;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

pub use db::{Backend, Db};

/// Limits and places the server runs with.
#[derive(Debug, Clone)]
pub struct Config {
    /// Evidence files live under `data_dir/evidence/`.
    pub data_dir: PathBuf,
    /// Largest JSON request body.
    pub max_body_bytes: usize,
    /// Largest evidence file.
    pub max_file_bytes: usize,
    /// Second-opinion sampling and the bias guard.
    pub fairness: fairness::FairnessConfig,
}

impl Config {
    pub fn new(data_dir: PathBuf) -> Config {
        Config {
            data_dir,
            max_body_bytes: 8 << 20,
            max_file_bytes: 10 << 20,
            fairness: fairness::FairnessConfig::default(),
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    /// Scans reviews ingested over HTTP (crates/filters, compiled on first use).
    pub scanner: Arc<dyn ingest::Scanner>,
}

/// Serves on an already bound listener until the future is dropped or fails.
pub async fn serve(listener: tokio::net::TcpListener, db: Db, config: Config) -> std::io::Result<()> {
    let scanner = Arc::new(ingest::LazyEngineScanner::default());
    let app = routes::router(AppState { db, config: Arc::new(config), scanner });
    axum::serve(listener, app).await
}

/// Binds `addr` (port 0 picks a free one) and returns the listener and the address it got.
pub async fn bind(addr: &str) -> std::io::Result<(tokio::net::TcpListener, SocketAddr)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}

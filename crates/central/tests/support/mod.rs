//! Test harness: a real server on an ephemeral loopback port, over SQLite or
//! PostgreSQL, and a small HTTP client around it.

#![allow(dead_code)] // each test binary uses a different part

pub mod pg;

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::Value;
use trustdesk_api::Role;
use trustdesk_central::{auth, seed, Config, Db};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates one test per backend from `async fn NAME(backend: Backend)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name(super::support::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name(super::support::Backend::Postgres).await
                }
            )*
        }
    };
}

pub struct Server {
    pub base: String,
    /// The database the server runs on, for the CLI against the same data.
    pub url: String,
    pub db: Db,
    pub data_dir: Arc<tempfile::TempDir>,
    pub http: reqwest::Client,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn database_url(backend: Backend, dir: &std::path::Path) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.join("central.db").display()),
        Backend::Postgres => pg::fresh_database().await,
    }
}

pub async fn start(backend: Backend) -> Server {
    start_with(backend, |c| c).await
}

pub async fn start_with(backend: Backend, tweak: impl FnOnce(Config) -> Config) -> Server {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = database_url(backend, dir.path()).await;
    let db = Db::connect(&url).await.expect("connect and migrate");
    let (listener, addr) = trustdesk_central::bind("127.0.0.1:0").await.expect("bind");
    let config = tweak(Config::new(dir.path().to_owned()));
    let serve_db = db.clone();
    let task = tokio::spawn(async move {
        trustdesk_central::serve(listener, serve_db, config).await.expect("serve");
    });
    Server {
        base: format!("http://{addr}"),
        url,
        db,
        data_dir: Arc::new(dir),
        http: {
            // The workspace builds reqwest without a bundled TLS provider (the
            // sync client installs ring); tests do the same.
            let _ = rustls::crypto::ring::default_provider().install_default();
            reqwest::Client::builder().pool_max_idle_per_host(32).build().expect("client")
        },
        task,
    }
}

pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub bytes: Vec<u8>,
    pub content_type: String,
}

impl Resp {
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_value(self.body.clone()).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// Asserts an error response: status, JSON `{code, message}` with a message.
    pub fn expect_error(&self, status: u16, code: &str) -> &Self {
        assert_eq!(self.status, status, "body: {}", self.body);
        assert_eq!(self.body["code"], code, "body: {}", self.body);
        assert!(self.body["message"].as_str().is_some_and(|m| !m.is_empty()), "body: {}", self.body);
        self
    }
}

impl Server {
    pub async fn user(&self, role: Role) -> String {
        auth::add_user(&self.db, &format!("{} user", role.as_str()), role).await.expect("add user")
    }

    pub async fn seed(&self, shops: usize, reviews: usize, audits: usize, disputes: usize) {
        let opts = seed::SeedOptions { shops, reviews, audits, disputes, seed: 7 };
        seed::seed(&self.db, self.data_dir.path(), opts, trustdesk_central::db::now()).await.expect("seed");
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Resp {
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let content_type =
            resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let bytes = resp.bytes().await.expect("body").to_vec();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp { status, body, bytes, content_type }
    }

    pub async fn get(&self, token: Option<&str>, path: &str) -> Resp {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        self.send(req).await
    }

    pub async fn post(&self, token: Option<&str>, path: &str, body: &Value) -> Resp {
        self.post_raw(token, path, serde_json::to_vec(body).unwrap()).await
    }

    pub async fn post_raw(&self, token: Option<&str>, path: &str, body: Vec<u8>) -> Resp {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        self.send(req).await
    }

    pub async fn delete(&self, token: &str, path: &str) -> Resp {
        self.send(self.http.delete(format!("{}{path}", self.base)).bearer_auth(token)).await
    }

    /// Ids of stored entities of a kind in a given state, oldest queue position first.
    pub async fn ids_in_state(&self, kind: &str, state: &str) -> Vec<String> {
        use sqlx::Row;
        sqlx::query("SELECT id FROM entities WHERE kind = $1 AND state = $2 ORDER BY queue_at, id")
            .bind(kind)
            .bind(state)
            .fetch_all(&self.db.read)
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<String, _>(0).unwrap())
            .collect()
    }

    /// Turns a seeded shop into an ARM shop of the general industry (so the
    /// insult category applies) and returns its id.
    pub async fn arm_shop(&self) -> String {
        seed::general_arm_shop(&self.db).await.expect("an ARM shop").to_string()
    }

    /// The current server version of an entity.
    pub async fn version_of(&self, kind: &str, id: &str) -> i64 {
        use sqlx::Row;
        sqlx::query("SELECT version FROM entities WHERE kind = $1 AND id = $2")
            .bind(kind)
            .bind(id)
            .fetch_one(&self.db.read)
            .await
            .unwrap()
            .try_get(0)
            .unwrap()
    }
}

/// A review decision mutation as a client would send it.
pub fn review_decision(review_id: &str, base_version: i64, action: Value) -> Value {
    serde_json::json!({
        "id": uuid::Uuid::now_v7().to_string(),
        "base_version": base_version,
        "op": { "type": "review_decision", "review_id": review_id, "action": action,
                "grounds": { "facts": "", "filter_rules": [], "rule_pack_version": null } }
    })
}

pub fn batch(mutations: Vec<Value>) -> Value {
    serde_json::json!({ "mutations": mutations })
}

//! A real central service for the sync tests: in process on a loopback port
//! (SQLite backend, seeded), or as its own process for kill-and-restart tests.

#![allow(dead_code)]

use trustdesk_central::{seed, Config, Db};

pub struct Server {
    pub base: String,
    pub db: Db,
    _dir: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn server(reviews: usize) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::connect(&format!("sqlite://{}", dir.path().join("central.db").display())).await.unwrap();
    let opts = seed::SeedOptions { shops: 4, reviews, audits: 0, disputes: 0, seed: 11 };
    seed::seed(&db, opts, trustdesk_central::db::now()).await.unwrap();
    let (listener, addr) = trustdesk_central::bind("127.0.0.1:0").await.unwrap();
    let (serve_db, config) = (db.clone(), Config::new(dir.path().to_owned()));
    let task = tokio::spawn(async move {
        trustdesk_central::serve(listener, serve_db, config).await.unwrap();
    });
    Server { base: format!("http://{addr}"), db, _dir: dir, task }
}

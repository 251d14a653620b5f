//! A real central service for the sync tests: in process on a loopback port
//! (SQLite backend, seeded), killable and restartable on the same port and
//! database, plus a fault-injecting TCP proxy to put in front of it.

#![allow(dead_code)]

pub mod proxy;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use trustdesk_central::{seed, Config, Db};

pub struct Server {
    pub base: String,
    pub addr: SocketAddr,
    /// The test's own connection to the server's database (seeding, users,
    /// checks); the serving instance opens its own, as a separate process would.
    pub db: Db,
    dir: tempfile::TempDir,
    /// Share of decisions the instance draws for a second opinion.
    sample_share: f64,
    /// The serving instance runs on its own runtime: aborting the axum task
    /// alone would leave its spawned connection tasks serving, while shutting
    /// the runtime down drops every connection and in-flight request at once,
    /// like a killed process.
    instance: Option<tokio::runtime::Runtime>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(rt) = self.instance.take() {
            rt.shutdown_background();
        }
    }
}

pub async fn server(reviews: usize) -> Server {
    server_with(seed::SeedOptions { shops: 4, reviews, audits: 0, disputes: 0, seed: 11 }).await
}

/// A server seeded with `opts`, plus a workstation for a new user of `role`.
pub async fn station(
    srv: &Server,
    name: &str,
    role: trustdesk_api::Role,
) -> (tempfile::TempDir, trustdesk_store::Store, trustdesk_sync::Client) {
    let token = trustdesk_central::auth::add_user(&srv.db, name, role).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = trustdesk_store::Store::open(&dir.path().join("trustdesk.db")).await.unwrap();
    (dir, store, trustdesk_sync::Client::new(&srv.base, &token).unwrap())
}

pub async fn server_with(opts: seed::SeedOptions) -> Server {
    server_sampling(opts, 0.0).await
}

/// A seeded server that draws `share` of moderators' decisions for a second opinion.
pub async fn server_sampling(opts: seed::SeedOptions, sample_share: f64) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::connect(&db_url(&dir.path().join("central.db"))).await.unwrap();
    seed::seed(&db, dir.path(), opts, trustdesk_central::db::now()).await.unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut srv = Server { base: format!("http://{addr}"), addr, db, dir, sample_share, instance: None };
    srv.start(listener).await;
    srv
}

fn db_url(path: &std::path::Path) -> String {
    format!("sqlite://{}", path.display())
}

impl Server {
    fn db_path(&self) -> PathBuf {
        self.dir.path().join("central.db")
    }

    async fn start(&mut self, listener: std::net::TcpListener) {
        listener.set_nonblocking(true).unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("central")
            .enable_all()
            .build()
            .unwrap();
        let mut config = Config::new(self.dir.path().to_owned());
        config.fairness.sample_share = self.sample_share;
        let url = db_url(&self.db_path());
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        rt.spawn(async move {
            let db = Db::connect(&url).await.unwrap();
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let _ = ready_tx.send(());
            // An error here is the runtime going away under a kill.
            let _ = trustdesk_central::serve(listener, db, config).await;
        });
        ready_rx.await.expect("the central instance did not start");
        self.instance = Some(rt);
    }

    /// Stops the serving instance abruptly: open connections close, requests in
    /// flight are dropped (their transactions roll back unless committed).
    pub async fn kill(&mut self) {
        if let Some(rt) = self.instance.take() {
            // Waits until the workers have dropped every task, so the port is free.
            tokio::task::spawn_blocking(move || rt.shutdown_timeout(Duration::from_secs(5))).await.unwrap();
        }
    }

    /// Starts a new instance on the same port and database.
    pub async fn restart(&mut self) {
        assert!(self.instance.is_none(), "kill the running instance first");
        let mut tries = 0;
        let listener = loop {
            // std sets SO_REUSEADDR on Unix, so connections in TIME_WAIT do not block.
            match std::net::TcpListener::bind(self.addr) {
                Ok(l) => break l,
                Err(_) if tries < 100 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Err(e) => panic!("cannot bind {} again: {e}", self.addr),
            }
        };
        self.start(listener).await;
    }

    pub fn is_running(&self) -> bool {
        self.instance.is_some()
    }
}

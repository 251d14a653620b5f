//! A throwaway PostgreSQL cluster for the tests: one per test binary, on a free
//! loopback port, with its socket and data in a temporary directory. Each test
//! gets its own database in it.
//!
//! Server binaries come from the distribution's package (`postgresql`), found in
//! `$TRUSTDESK_PG_BIN` or `/usr/lib/postgresql/<version>/bin`. When they are
//! missing the tests fail with a message saying so: CI installs them.
//!
//! The cluster outlives no test run: a watchdog shell stops it (`pg_ctl stop -m
//! immediate`) and deletes the directory once the test process is gone, whether
//! it exited, panicked or was killed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

pub struct Cluster {
    pub port: u16,
}

fn bin_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("TRUSTDESK_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    found.sort();
    match found.pop() {
        Some((_, bin)) => bin,
        None => panic!(
            "PostgreSQL server binaries not found: install the Debian package `postgresql` \
             (provides /usr/lib/postgresql/<version>/bin/initdb) or set TRUSTDESK_PG_BIN"
        ),
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// PostgreSQL refuses to run as root: run its tools as the `postgres` user then.
fn pg_command(root: bool, program: &Path) -> Command {
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn run(mut c: Command, what: &str) {
    let out = c.stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

fn start() -> Cluster {
    let bin = bin_dir();
    let root = is_root();
    let dir = tempfile::Builder::new().prefix("trustdesk-pg-").tempdir().expect("temp dir").keep();
    let data = dir.join("data");
    if root {
        run(
            {
                let mut c = Command::new("chown");
                c.arg("postgres:").arg(&dir);
                c
            },
            "chown of the cluster directory to the postgres user (does the user exist?)",
        );
    }
    let mut initdb = pg_command(root, &bin.join("initdb"));
    initdb.arg("-D").arg(&data).args([
        "-A",
        "trust",
        "-U",
        "postgres",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
    ]);
    run(initdb, "initdb");

    let mut last_err = String::new();
    for _ in 0..5 {
        let port = free_port();
        let opts = format!(
            "-h 127.0.0.1 -p {port} -k {} -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
             -c max_connections=400 -c shared_buffers=64MB",
            dir.display()
        );
        let mut ctl = pg_command(root, &bin.join("pg_ctl"));
        ctl.arg("-D")
            .arg(&data)
            .args(["-w", "-t", "60", "-l"])
            .arg(dir.join("log"))
            .args(["-o", &opts, "start"]);
        let out = ctl.stdin(Stdio::null()).output().expect("run pg_ctl");
        if out.status.success() {
            watchdog(root, &bin, &dir, &data);
            return Cluster { port };
        }
        last_err = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(dir.join("log")).unwrap_or_default()
        );
    }
    panic!("PostgreSQL did not start: {last_err}");
}

fn watchdog(root: bool, bin: &Path, dir: &Path, data: &Path) {
    let stop = if root {
        format!("runuser -u postgres -- {}/pg_ctl -D {} stop -m immediate", bin.display(), data.display())
    } else {
        format!("{}/pg_ctl -D {} stop -m immediate", bin.display(), data.display())
    };
    let script = format!(
        "(while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {stop} >/dev/null 2>&1; rm -rf {dir}) &",
        pid = std::process::id(),
        dir = dir.display()
    );
    // The outer shell returns at once; the loop it leaves behind outlives us. Its
    // own session keeps it out of a process-group kill aimed at the tests.
    Command::new("setsid")
        .args(["sh", "-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("start the cluster watchdog");
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();
static NEXT_DB: AtomicU32 = AtomicU32::new(0);

/// A fresh, empty database on the shared test cluster.
pub async fn fresh_database() -> String {
    let port = tokio::task::spawn_blocking(|| CLUSTER.get_or_init(start).port).await.expect("cluster start");
    let name = format!("t{}_{}", std::process::id(), NEXT_DB.fetch_add(1, Ordering::SeqCst));
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(&format!("postgres://postgres@127.0.0.1:{port}/postgres"))
        .await
        .expect("connect to the test cluster");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.expect("create database");
    admin.close().await.ok();
    format!("postgres://postgres@127.0.0.1:{port}/{name}")
}

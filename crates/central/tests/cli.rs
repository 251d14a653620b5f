//! The real `trustdesk-central` binary: user add, seed, import and serve.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use support::Backend;
use trustdesk_api::{ChangesPage, Entity, Health, Me};

on_both_backends!(binary_adds_users_seeds_imports_and_serves);

const BIN: &str = env!("CARGO_BIN_EXE_trustdesk-central");

/// Kills the server when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn run(args: &[&str], storage: &[String]) -> String {
    let out =
        Command::new(BIN).args(args).args(storage).stdin(Stdio::null()).output().expect("run the binary");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 stdout")
}

async fn binary_adds_users_seeds_imports_and_serves(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let mut storage = vec!["--data-dir".to_owned(), dir.path().display().to_string()];
    if b == Backend::Postgres {
        storage.extend(["--database-url".to_owned(), support::pg::fresh_database().await]);
    }

    // `user add` prints the token and nothing else.
    let out = run(&["user", "add", "--name", "Ines Moderator", "--role", "moderator"], &storage);
    let token = out.trim_end_matches('\n');
    assert!(!token.contains('\n') && token.starts_with("tdc_") && token.len() > 40, "{out:?}");
    let admin = run(&["user", "add", "--name", "Root", "--role", "admin"], &storage).trim().to_owned();
    let bad = Command::new(BIN)
        .args(["user", "add", "--name", "X", "--role", "owner"])
        .args(&storage)
        .output()
        .unwrap();
    assert!(!bad.status.success() && bad.stdout.is_empty());

    run(
        &["seed", "--shops", "12", "--reviews", "300", "--audits", "8", "--disputes", "8", "--seed", "42"],
        &storage,
    );

    // `publish-pack`: checked first; a bad template is refused and names its fault.
    let pack = dir.path().join("statements.toml");
    let shipped = include_str!("../../domain/data/statements/statements.toml");
    std::fs::write(&pack, shipped.replacen("Your options: {redress}", "Your options: {reviewer_iban}", 1))
        .unwrap();
    let bad = Command::new(BIN)
        .args(["publish-pack", "--kind", "statement_templates"])
        .arg(&pack)
        .args(&storage)
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("reviewer_iban"));
    std::fs::write(&pack, shipped.replacen("version = \"2026-11.1\"", "version = \"2030-01.1\"", 1)).unwrap();
    let out = run(&["publish-pack", "--kind", "statement_templates", pack.to_str().unwrap()], &storage);
    assert_eq!(out.trim(), "published statement_templates version 2030-01.1");
    // The ARM rule packs straight from their folder, as one set.
    let packs = concat!(env!("CARGO_MANIFEST_DIR"), "/../filters/packs");
    let no_version = Command::new(BIN)
        .args(["publish-pack", "--kind", "arm_rules", packs])
        .args(&storage)
        .output()
        .unwrap();
    assert!(!no_version.status.success());
    assert!(String::from_utf8_lossy(&no_version.stderr).contains("--set-version"));
    let out = run(&["publish-pack", "--kind", "arm_rules", "--set-version", "2030.1", packs], &storage);
    assert_eq!(out.trim(), "published arm_rules version 2030.1");

    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(&storage)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the server");
    let stdout = child.stdout.take().unwrap();
    let server = Running(child);
    let first = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    let base = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line: {first:?}"))
        .to_owned();
    assert!(base.starts_with("http://127.0.0.1:") && !base.ends_with(":0"), "{base}");

    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let health: Health = http.get(format!("{base}/v1/health")).send().await.unwrap().json().await.unwrap();
    assert_eq!(health.status, "ok");
    assert_eq!(health.database, if b == Backend::Sqlite { "sqlite" } else { "postgres" });
    let me: Me =
        http.get(format!("{base}/v1/me")).bearer_auth(token).send().await.unwrap().json().await.unwrap();
    assert_eq!(me.name, "Ines Moderator");

    // Import a CSV for one of the seeded shops while the server runs.
    let page: ChangesPage = http
        .get(format!("{base}/v1/changes?limit=1"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let shop = match &page.items[0].entity {
        Some(Entity::Shop(s)) => s.id.to_string(),
        other => panic!("the feed starts with shops: {other:?}"),
    };
    let csv = dir.path().join("reviews.csv");
    std::fs::write(
        &csv,
        "stars,text,language,submitted_at,order_reference,ip,email\n\
         5,\"Schnell geliefert, gut verpackt.\",de,2026-10-02T08:00:00Z,X-1,192.0.2.7,a@post.example\n\
         2,\"Slow, but they answered my mail.\",en,2026-10-02T08:10:00Z,,192.0.2.7,b@throwawaymail.example\n\
         4,Prima service,nl,2026-10-02T08:20:00Z,X-3,192.0.2.7,\n",
    )
    .unwrap();
    let out = run(&["import", "--format", "csv", "--shop", &shop, csv.to_str().unwrap()], &storage);
    assert!(out.is_empty(), "import reports on stderr: {out:?}");
    let bad_shop = Command::new(BIN)
        .args([
            "import",
            "--format",
            "csv",
            "--shop",
            &uuid::Uuid::now_v7().to_string(),
            csv.to_str().unwrap(),
        ])
        .args(&storage)
        .output()
        .unwrap();
    assert!(!bad_shop.status.success());

    let mut since = "0".to_owned();
    let mut imported = Vec::new();
    loop {
        let page: ChangesPage = http
            .get(format!("{base}/v1/changes?since={since}&limit=500"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for c in page.items {
            if let Some(Entity::Review(r)) = c.entity {
                if r.source == trustdesk_domain::ReviewSource::Imported && r.shop_id.to_string() == shop {
                    imported.push(r);
                }
            }
        }
        since = page.next_cursor;
        if !page.has_more {
            break;
        }
    }
    let fresh: Vec<_> = imported
        .iter()
        .filter(|r| r.order_reference.starts_with('X') || r.order_reference.is_empty())
        .collect();
    assert_eq!(fresh.len(), 3, "{imported:?}");
    use trustdesk_domain::review::FakeSignal;
    assert!(fresh.iter().all(|r| r
        .flags
        .fake_signals
        .iter()
        .any(|s| matches!(s, FakeSignal::SameIpBurst { reviews: 3, .. }))));
    assert!(fresh.iter().any(|r| r.flags.fake_signals.contains(&FakeSignal::NoConfirmedPurchase)));
    let throwaway = FakeSignal::DisposableEmail { domain: "throwawaymail.example".into() };
    assert_eq!(fresh.iter().filter(|r| r.flags.fake_signals.contains(&throwaway)).count(), 1);
    drop(server);
}

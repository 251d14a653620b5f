//! Crash test: a child process records decisions in a loop and is SIGKILLed at
//! random moments. After each kill the store must reopen cleanly and hold every
//! decision the child reported as saved exactly once, with its journal entry.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use chrono::Utc;
use trustdesk_domain::decision::Grounds;
use trustdesk_domain::{ReviewAction, ReviewStatus};
use trustdesk_store::{demo, NewDecision, ReviewQuery, Store};

const KILLS: usize = 50;
const CHILD_ENV: &str = "TRUSTDESK_CRASH_CHILD_DB";

/// Runs only as the child: decides pending reviews until killed.
#[test]
fn crash_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else { return };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move {
        let store = Store::open(path.as_ref()).await.unwrap();
        let mut out = std::io::stdout().lock();
        loop {
            let page = store
                .list_reviews(
                    &ReviewQuery { state: Some("pending".into()), offset: 0, limit: 1, ..Default::default() },
                    Utc::now(),
                )
                .await
                .unwrap();
            let Some(v) = page.items.first() else { break };
            let d = store
                .record_decision(
                    NewDecision {
                        review_id: v.review.id,
                        action: ReviewAction::Publish,
                        grounds: Grounds::default(),
                        decided_by: "crash-child".into(),
                        message: None,
                    },
                    Utc::now(),
                )
                .await
                .unwrap();
            // Only now, after commit, may the decision be reported as saved.
            writeln!(out, "saved {}", d.id).unwrap();
            out.flush().unwrap();
        }
    });
}

#[test]
fn decisions_survive_sigkill() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (shops, mut reviews) = demo::generate(9, 20_000, Utc::now());
    for r in &mut reviews {
        r.status = ReviewStatus::Pending;
    }
    rt.block_on(async {
        let s = Store::open(&db).await.unwrap();
        s.upsert_shops(&shops).await.unwrap();
        s.upsert_reviews(&reviews).await.unwrap();
        s.close().await;
    });

    let exe = std::env::current_exe().unwrap();
    let mut rng = demo::Rng::new(0xC0FFEE);
    let mut reported: Vec<String> = Vec::new();
    let mut killed_while_running = 0;
    for round in 0..KILLS {
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &db)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(5 + rng.below(250) as u64));
        if child.try_wait().unwrap().is_none() {
            killed_while_running += 1;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let stdout = child.stdout.take().unwrap();
        let saved: Vec<String> = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .filter_map(|l| l.strip_prefix("saved ").map(str::to_owned))
            .collect();
        reported.extend(saved);

        rt.block_on(async {
            let s = Store::open(&db).await.unwrap_or_else(|e| panic!("round {round}: reopen failed: {e}"));
            assert_eq!(s.integrity_check().await.unwrap(), "ok", "round {round}");
            let outbox = s.outbox().await.unwrap();
            let ids: HashSet<String> = outbox.iter().map(|e| e.decision.id.to_string()).collect();
            assert_eq!(ids.len(), outbox.len(), "round {round}: a decision is in the outbox twice");
            for id in &reported {
                assert!(ids.contains(id), "round {round}: reported decision {id} was lost");
            }
            // Atomicity: no outbox row without its journal entry and vice versa.
            for id in &ids {
                assert_eq!(
                    s.journal_entries_for(id, "decision_recorded").await.unwrap(),
                    1,
                    "round {round}: journal for {id}"
                );
            }
            // Each review was decided at most once.
            let reviews: HashSet<_> = outbox.iter().map(|e| e.decision.review_id).collect();
            assert_eq!(reviews.len(), outbox.len(), "round {round}");
            s.close().await;
        });
    }
    assert!(killed_while_running >= KILLS * 4 / 5, "only {killed_while_running} kills hit a running child");
    assert!(reported.len() > KILLS, "the child saved too little to test anything: {}", reported.len());
    eprintln!("crash test: {KILLS} kills, {} decisions reported saved, all present once", reported.len());
}

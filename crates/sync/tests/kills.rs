//! The `trustdesk` process SIGKILLed at random moments of `sync` (push, pull,
//! scan), with decisions recorded by `trustdesk decide` between the kills, while
//! a colleague's decisions keep the change feed moving. After one clean sync the
//! server holds exactly the decisions made, each once, and the store is whole.
//! The seed is printed; `TRUSTDESK_FAULT_SEED` replays the choices (the timing
//! of the kills against the process stays the machine's).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use chrono::Utc;
use trustdesk_api::Role;
use trustdesk_central::auth;
use trustdesk_domain::ReviewAction;
use trustdesk_store::{ReviewQuery, Store};
use trustdesk_sync::{workstation, Client};

mod support;
use support::proxy::{Proxy, Rng};
use support::server;

/// Enough that the first pull takes several seconds and is cut many times.
const REVIEWS: usize = 8_000;
const KILLS: u32 = 50;
const MAX_ROUNDS: u32 = 200;

fn seed() -> u64 {
    std::env::var("TRUSTDESK_FAULT_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
    })
}

struct Cli<'a> {
    data: &'a Path,
    token: &'a str,
    home: &'a Path,
}

impl Cli<'_> {
    fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_trustdesk"));
        // The token comes from the environment: no keyring is involved.
        // Small feed pages, so that a pull of a few hundred changes is several
        // transactions and kills land between them too.
        cmd.arg("--data-dir")
            .arg(self.data)
            .args(["--page-size", "100"])
            .args(args)
            .env("TRUSTDESK_TOKEN", self.token)
            .env("HOME", self.home)
            .env("RUST_LOG", "warn")
            .env_remove("TRUSTDESK_DATA_DIR")
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        cmd
    }

    async fn ok(&self, args: &[&str]) -> String {
        let out = self.command(args).output().await.unwrap();
        assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }
}

/// What the workstation's store says between runs of the command line: unsent
/// decisions and the feed cursor (the server's change sequence number).
async fn local_state(path: &Path) -> (u64, i64) {
    let store = Store::open(path).await.unwrap();
    let cursor = store.cursor(trustdesk_sync::FEED).await.unwrap().map_or(0, |c| c.parse().unwrap());
    let state = (store.pending_count().await.unwrap(), cursor);
    store.close().await;
    state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_killed_during_sync_at_random_moments_loses_and_repeats_nothing() {
    let seed = seed();
    println!("kill seed {seed} (replay with TRUSTDESK_FAULT_SEED={seed})");
    let started = Instant::now();
    let mut rng = Rng::new(seed);
    let srv = server(REVIEWS).await;
    let shops: Vec<String> = sqlx::query_scalar("SELECT id FROM entities WHERE kind = 'shop' ORDER BY id")
        .fetch_all(&srv.db.read)
        .await
        .unwrap();
    // Kim (the command line) decides in the first two shops, the colleague in
    // the others, so neither runs into conflicts.
    let (mine, theirs) = (&shops[..2], &shops[2..]);
    let token = auth::add_user(&srv.db, "Kim", Role::Moderator).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let cli = Cli { data: dir.path(), token: &token, home: home.path() };
    let store_path = dir.path().join("trustdesk.db");
    // The command line talks through a (fault-free) proxy whose tripwire says
    // when a push or a feed page is under way.
    let proxy = Proxy::start(srv.addr, seed).await;
    cli.ok(&["sign-in", "--server", &proxy.base]).await;

    let colleague_token = auth::add_user(&srv.db, "Lou", Role::Moderator).await.unwrap();
    let colleague_dir = tempfile::tempdir().unwrap();
    let colleague = Store::open(&colleague_dir.path().join("trustdesk.db")).await.unwrap();
    let colleague_client = Client::new(&srv.base, &colleague_token).unwrap();
    colleague_client.pull(&colleague).await.unwrap();

    let mut made: Vec<String> = Vec::new();
    let (mut kills, mut completed, mut rounds) = (0u32, 0u32, 0u32);
    let mut landed: BTreeMap<&str, u32> = BTreeMap::new();
    let (tripped_tx, mut tripped) = tokio::sync::mpsc::unbounded_channel();
    proxy.on_trip(tripped_tx);
    // How long an uninterrupted sync took last: kills at any moment fall up to a
    // bit beyond it.
    let mut typical = Duration::from_millis(1_500);
    let mut finished = Vec::new();
    while kills < KILLS {
        rounds += 1;
        assert!(rounds <= MAX_ROUNDS, "seed {seed}: only {kills} kills in {MAX_ROUNDS} rounds");

        // The colleague's decisions give every pull something to fetch, now and
        // then several pages.
        let q = ReviewQuery {
            state: Some("pending".into()),
            shop_id: Some(theirs[rng.below(2) as usize].clone()),
            limit: if rng.chance(20) { 300 } else { 20 },
            ..ReviewQuery::default()
        };
        let batch = colleague
            .list_reviews(&q, Utc::now())
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|v| {
                workstation::moderator_decision(
                    v.review.id,
                    ReviewAction::Publish,
                    None,
                    None,
                    None,
                    "Lou".into(),
                )
                .unwrap()
            })
            .collect();
        colleague.record_decisions(batch, Utc::now()).await.unwrap();
        colleague_client.sync(&colleague).await.unwrap();

        // A quarter of the kills at any moment, the others soon after a feed
        // page or a push was asked for.
        let (trip, window): (Option<(&'static [u8], u32)>, Duration) = match rng.below(100) {
            0..25 => (None, typical * 6 / 5),
            25..65 => (Some((b"GET /v1/changes", rng.below(3) as u32)), Duration::from_millis(60)),
            _ => (Some((b"POST /v1/mutations", 0)), Duration::from_millis(15)),
        };
        let delay = Duration::from_micros(rng.below(window.as_micros() as u64 + 1));
        while tripped.try_recv().is_ok() {}
        proxy.arm_trip(trip);
        let (pending_before, _) = local_state(&store_path).await;
        let at = Instant::now();
        let mut child = cli.command(&["sync"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        let finished_first = if trip.is_some() {
            tokio::select! {
                status = child.wait() => Some(status.unwrap()),
                _ = tripped.recv() => {
                    tokio::time::sleep(delay).await;
                    None
                }
            }
        } else {
            tokio::time::timeout(delay, child.wait()).await.ok().map(Result::unwrap)
        };
        proxy.arm_trip(None);
        let status = match finished_first {
            Some(status) => status,
            None => {
                child.start_kill().unwrap(); // SIGKILL
                child.wait().await.unwrap()
            }
        };
        if std::os::unix::process::ExitStatusExt::signal(&status) == Some(9) {
            kills += 1;
            let (pending_after, cursor) = local_state(&store_path).await;
            let head: i64 = sqlx::query_scalar("SELECT MAX(change_seq) FROM entities")
                .fetch_one(&srv.db.read)
                .await
                .unwrap();
            let phase = if pending_before > 0 && pending_after == pending_before {
                "startup or push"
            } else if pending_after > 0 {
                "push (part settled)"
            } else if cursor < head {
                "startup or pull"
            } else {
                "scan"
            };
            *landed.entry(phase).or_default() += 1;
        } else {
            // Finished before the signal (or the tripwire was never reached).
            assert!(status.success(), "seed {seed}: an uninterrupted sync failed");
            typical = at.elapsed();
            finished.push(typical.as_millis());
            completed += 1;
        }

        // Between kills: decide a few of the pending reviews this workstation has.
        let queue: serde_json::Value =
            serde_json::from_str(&cli.ok(&["queue", "--json", "--limit", "60"]).await).unwrap();
        let ours: Vec<&str> = queue
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| mine.iter().any(|s| i["shop_id"] == s.as_str()))
            .map(|i| i["id"].as_str().unwrap())
            .collect();
        for id in ours.iter().take(1 + rng.below(3) as usize) {
            let out = if rng.chance(50) {
                cli.ok(&["decide", id, "publish"]).await
            } else {
                let args =
                    ["request-evidence", "--message", "Please send the invoice.", "--deadline", "2099-01-31"];
                cli.ok(&[&["decide", id][..], &args[..]].concat()).await
            };
            made.push(out.trim().to_owned());
        }
    }

    // One clean sync delivers whatever is left.
    let out = cli.command(&["sync"]).output().await.unwrap();
    assert!(out.status.success(), "seed {seed}: {}", String::from_utf8_lossy(&out.stderr));
    println!(
        "{kills} kills ({landed:?}), {completed} syncs finished first (ms: {finished:?}), {rounds} rounds, \
         {} decisions; {:.1} s",
        made.len(),
        started.elapsed().as_secs_f64()
    );
    let during = |what: &str| landed.iter().filter(|(k, _)| k.contains(what)).map(|(_, n)| n).sum::<u32>();
    // Kill timing depends on the machine's load: require some in each phase, not a share.
    assert!(during("push") >= 1, "seed {seed}: too few kills during a push: {landed:?}");
    assert!(during("pull") >= 1, "seed {seed}: too few kills during a pull: {landed:?}");

    // The server holds exactly the decisions made, each applied once.
    let kim = "SELECT id FROM users WHERE name = 'Kim'";
    let on_server: Vec<String> =
        sqlx::query_scalar(&format!("SELECT id FROM decisions WHERE decided_by IN ({kim}) ORDER BY id"))
            .fetch_all(&srv.db.read)
            .await
            .unwrap();
    let mut expected = made.clone();
    expected.sort();
    if on_server != expected {
        let missing: Vec<_> = expected.iter().filter(|d| !on_server.contains(d)).collect();
        let extra: Vec<_> = on_server.iter().filter(|d| !expected.contains(d)).collect();
        let status = cli.ok(&["status", "--json"]).await;
        let store = Store::open(&store_path).await.unwrap();
        let outbox = store.outbox().await.unwrap();
        panic!("seed {seed}: missing on the server {missing:?}, extra {extra:?}; status {status}; outbox {outbox:#?}");
    }
    let trail: HashMap<String, i64> = sqlx::query_as(&format!(
        "SELECT mutation_id, COUNT(*) FROM audit_trail
         WHERE user_id IN ({kim}) AND mutation_id IS NOT NULL GROUP BY mutation_id"
    ))
    .fetch_all(&srv.db.read)
    .await
    .unwrap()
    .into_iter()
    .collect();
    assert_eq!(trail.len(), made.len(), "seed {seed}");
    assert!(trail.values().all(|n| *n == 1), "seed {seed}: a decision was applied twice: {trail:?}");

    // The store is whole, complete and has nothing left to send.
    let status: serde_json::Value = serde_json::from_str(&cli.ok(&["status", "--json"]).await).unwrap();
    assert_eq!((status["pending_decisions"].as_u64(), status["conflicts"].as_u64()), (Some(0), Some(0)));
    let store = Store::open(&store_path).await.unwrap();
    assert_eq!(store.integrity_check().await.unwrap(), "ok");
    assert!(store.outbox().await.unwrap().is_empty());
    assert_eq!(store.review_count().await.unwrap(), REVIEWS as u64);
    let server_published: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM entities WHERE kind = 'review' AND state = 'published'")
            .fetch_one(&srv.db.read)
            .await
            .unwrap();
    let counts: HashMap<String, u64> = store.state_counts().await.unwrap().into_iter().collect();
    assert_eq!(counts.get("published").copied().unwrap_or(0), server_published as u64, "seed {seed}");
    for id in &made {
        assert_eq!(store.journal_entries_for(id, "decision_synced").await.unwrap(), 1, "{id}");
    }
    store.close().await;
}

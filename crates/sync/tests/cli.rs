//! The `trustdesk` command line against the real central service, with the
//! token in the real Secret Service (gnome-keyring in a private D-Bus session,
//! see ../shared/notes/desktop-testing-on-linux.md).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use trustdesk_api::Role;
use trustdesk_central::auth;

mod support;
use support::server;

/// A private D-Bus session with an unlocked login keyring, alive until dropped.
struct Keyring {
    session: Child,
    bus: String,
    home: tempfile::TempDir,
}

impl Keyring {
    fn start() -> Keyring {
        let home = tempfile::tempdir().unwrap();
        let script = r#"eval "$(printf 'test-pass' | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
echo "$DBUS_SESSION_BUS_ADDRESS"
read _"#;
        let mut session = Command::new("dbus-run-session")
            .args(["--", "sh", "-c", script])
            .env("HOME", home.path())
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_RUNTIME_DIR", home.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-run-session (apt: dbus, gnome-keyring) must be installed");
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(session.stdout.take().unwrap()), &mut line)
            .unwrap();
        let bus = line.trim().to_owned();
        assert!(bus.starts_with("unix:"), "no session bus address from dbus-run-session: {line:?}");
        Keyring { session, bus, home }
    }
}

impl Drop for Keyring {
    fn drop(&mut self) {
        // Closing its stdin ends the script; dbus-run-session then stops the bus,
        // and the keyring daemon leaves with its bus.
        drop(self.session.stdin.take());
        let _ = self.session.wait();
    }
}

struct Cli<'a> {
    data: PathBuf,
    keyring: &'a Keyring,
}

impl Cli<'_> {
    fn run(&self, args: &[&str], stdin: Option<&str>, env_token: Option<&str>) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_trustdesk"));
        cmd.arg("--data-dir")
            .arg(&self.data)
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.keyring.bus)
            .env("HOME", self.keyring.home.path())
            .env("RUST_LOG", "trace")
            .env_remove("TRUSTDESK_TOKEN")
            .env_remove("TRUSTDESK_DATA_DIR")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(t) = env_token {
            cmd.env("TRUSTDESK_TOKEN", t);
        }
        let mut child = cmd.spawn().unwrap();
        {
            let mut input = child.stdin.take().unwrap();
            if let Some(s) = stdin {
                std::io::Write::write_all(&mut input, s.as_bytes()).unwrap();
            }
        }
        child.wait_with_output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args, None, None);
        assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    fn json(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_str(&self.ok(args)).unwrap()
    }
}

/// Every byte of the data directory (database, WAL, shared memory, the
/// evidence cache) and what it logged.
fn assert_secret_absent(dir: &Path, secret: &str, logs: &[&[u8]]) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            assert_secret_absent(&path, secret, &[]);
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        assert!(!contains(&bytes, secret.as_bytes()), "the token is in {}", path.display());
    }
    for log in logs {
        assert!(!contains(log, secret.as_bytes()), "the token is in the log output");
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Asks the Secret Service directly (keyring in this process, not our code).
fn secret_service_lookup(keyring: &Keyring, server: &str) -> Option<String> {
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &keyring.bus);
    let entry = keyring::Entry::new(trustdesk_sync::credentials::SERVICE, server).unwrap();
    match entry.get_password() {
        Ok(t) => Some(t),
        Err(keyring::Error::NoEntry) => None,
        Err(e) => panic!("secret service lookup failed: {e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// One test, not several: the in-process keyring lookup reads the session bus
// from the environment, which parallel tests in one process would share.
async fn sign_in_keeps_the_token_in_the_keyring_only_and_the_cli_works_the_queue() {
    let srv = server(60).await;
    let token = auth::add_user(&srv.db, "Carla", Role::Moderator).await.unwrap();
    let keyring = Keyring::start();
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli { data: dir.path().to_owned(), keyring: &keyring };

    // Not signed in yet: sync says so with its code and exit status.
    let out = cli.run(&["sync"], None, None);
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains(r#""code":"signed_out""#));

    // A wrong token is refused and nothing is kept.
    let out = cli.run(&["sign-in", "--server", &srv.base], Some("not-a-token\n"), None);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains(r#""code":"unauthorized""#));

    let sign_in =
        cli.run(&["sign-in", "--server", &format!("{}/", srv.base)], Some(&format!("{token}\n")), None);
    assert!(sign_in.status.success(), "{}", String::from_utf8_lossy(&sign_in.stderr));
    assert!(String::from_utf8_lossy(&sign_in.stdout).contains("as Carla (moderator)"));

    assert_eq!(secret_service_lookup(&keyring, &srv.base).as_deref(), Some(token.as_str()));

    let sync = cli.run(&["sync"], None, None);
    assert!(sync.status.success(), "{}", String::from_utf8_lossy(&sync.stderr));
    let status = cli.json(&["status", "--json"]);
    assert_eq!(
        status["reviews_by_status"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum::<u64>(),
        60
    );
    assert_eq!(status["pending_decisions"], 0);
    assert_eq!(status["conflicts"], 0);
    assert!(status["last_sync"].is_string());
    assert!(status["cursor"].is_string());
    assert_eq!(status["user"], "Carla");
    let before = status["reviews_by_status"].clone();
    let n = |v: &serde_json::Value, k: &str| v[k].as_u64().unwrap_or(0);

    let queue = cli.json(&["queue", "--json", "--limit", "5"]);
    let items = queue.as_array().unwrap();
    assert_eq!(items.len(), 5);
    for key in ["id", "shop_id", "stars", "language", "text", "status", "hits"] {
        assert!(items[0].get(key).is_some(), "queue item lacks {key}: {}", items[0]);
    }
    assert!(items.iter().all(|i| i["status"] == "pending"));

    // Decide two the way the app does; the next sync delivers them.
    let (a, b) = (items[0]["id"].as_str().unwrap(), items[1]["id"].as_str().unwrap());
    cli.ok(&["decide", a, "publish"]);
    cli.ok(&[
        "decide",
        b,
        "request-evidence",
        "--message",
        "Please send the invoice.",
        "--deadline",
        "2099-01-31",
    ]);
    let out = cli.run(&["decide", b, "reject", "--reason", "no_such_reason"], None, None);
    assert!(!out.status.success(), "an unknown reason is refused");
    assert_eq!(cli.json(&["status", "--json"])["pending_decisions"], 2);
    let sync = cli.run(&["sync"], None, None);
    assert!(sync.status.success());
    assert!(
        String::from_utf8_lossy(&sync.stdout).starts_with("pushed: 2 applied"),
        "{}",
        String::from_utf8_lossy(&sync.stdout)
    );
    let status = cli.json(&["status", "--json"]);
    assert_eq!(status["pending_decisions"], 0);
    let after = &status["reviews_by_status"];
    assert_eq!(n(after, "published"), n(&before, "published") + 1);
    assert_eq!(n(after, "evidence_requested"), n(&before, "evidence_requested") + 1);
    assert_eq!(n(after, "pending"), n(&before, "pending") - 2);

    assert_secret_absent(dir.path(), &token, &[&sign_in.stderr, &sync.stderr, &sign_in.stdout]);

    // Sign-out removes the token from the keyring; sync is refused again.
    cli.ok(&["sign-out"]);
    assert_eq!(secret_service_lookup(&keyring, &srv.base), None);
    assert_eq!(cli.run(&["sync"], None, None).status.code(), Some(4));
    // Local data stays.
    let pending = n(&cli.json(&["status", "--json"])["reviews_by_status"], "pending");
    assert_eq!(pending, n(&before, "pending") - 2);
    assert_eq!(cli.json(&["queue", "--json", "--limit", "500"]).as_array().unwrap().len() as u64, pending);

    // A headless machine may take the token from the environment instead: it is
    // then never stored.
    let token = auth::add_user(&srv.db, "Dirk", Role::Moderator).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli { data: dir.path().to_owned(), keyring: &keyring };
    let out = cli.run(&["sign-in", "--server", &srv.base], None, Some(&token));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(secret_service_lookup(&keyring, &srv.base), None, "an environment token is not stored");
    assert_eq!(
        cli.run(&["sync"], None, None).status.code(),
        Some(4),
        "without the variable there is no token"
    );
    // A page size outside what the server gives is refused before any work.
    let out = cli.run(&["--page-size", "0", "sync"], None, Some(&token));
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--page-size"));
    assert!(cli.json(&["status", "--json"])["cursor"].is_null(), "nothing was pulled");
    // Small pages pull the same reviews, several transactions long.
    let out = cli.run(&["--page-size", "7", "sync"], None, Some(&token));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let status = cli.json(&["status", "--json"]);
    assert_eq!(status["user"], "Dirk");
    assert_eq!(
        status["reviews_by_status"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum::<u64>(),
        60
    );
}

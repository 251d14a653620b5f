//! `cargo xtask <command>`: the project's automation, in Rust so it runs the same
//! everywhere. See README.md for the two commands that matter: `demo` and `test`.

mod deps;
mod seed;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};

/// The app's bundle identifier; its data directory is named after it.
pub const APP_IDENTIFIER: &str = "eu.trustdesk.workstation";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cmd = args.first().map(String::as_str).unwrap_or("help");
    let rest = &args[args.len().min(1)..];
    match cmd {
        "test" => test(),
        "demo" => demo(),
        "seed-local" => seed::seed_local(rest).map(|_| ()),
        "build-app" => build_app(),
        "bindings" => run(cargo()
            .args(["test", "-p", "trustdesk-app", "--lib", "bindings"])
            .env("UPDATE_BINDINGS", "1")),
        "bench" => bench(rest),
        "filter-eval" => filter_eval(),
        "schemathesis" => schemathesis(),
        "e2e" => build_app().and_then(|_| e2e(rest)),
        "deps" => deps::ensure(),
        "help" | "--help" | "-h" => {
            println!("{HELP}");
            Ok(())
        }
        other => bail!("unknown command {other:?}\n\n{HELP}"),
    }
}

const HELP: &str = "\
cargo xtask <command>

  demo        set everything up and open the app on seeded demo data
  test        every check and test: fmt, clippy, Rust tests, UI check/lint/tests, end-to-end
  seed-local  [--data-dir DIR] [--count N] [--e2e]  fill a local store with demo reviews
  build-app   build the UI and the app binary with the UI embedded
  bindings    regenerate the UI's TypeScript types from the Rust types
  bench       [store|filters|central] criterion benchmarks (extra args go to criterion)
  filter-eval precision and recall of the ARM filters per category and language
  schemathesis fuzz the central service's HTTP API from its OpenAPI document
  e2e [FILE..] build the app and run only the end-to-end tests (all, or the named files)
  deps        install missing system packages, tauri-driver and npm packages";

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}

pub fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

pub fn npm(dir: &str) -> Command {
    let mut c = Command::new("npm");
    c.current_dir(root().join(dir));
    c
}

/// Runs a command, echoing it, and fails with its exit status.
pub fn run(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    eprintln!("$ {shown}");
    let status = cmd.status().with_context(|| format!("cannot start {shown}"))?;
    if !status.success() {
        bail!("{shown} failed with {status}");
    }
    Ok(())
}

fn step(name: &str, f: impl FnOnce() -> Result<()>) -> Result<()> {
    eprintln!("\n==> {name}");
    let t = Instant::now();
    f().with_context(|| format!("step `{name}` failed"))?;
    eprintln!("==> {name}: ok ({:.1} s)", t.elapsed().as_secs_f64());
    Ok(())
}

/// Path of the debug app binary with the UI embedded.
pub fn app_binary() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from);
    target.join("debug").join(if cfg!(windows) { "trustdesk-app.exe" } else { "trustdesk-app" })
}

fn build_app() -> Result<()> {
    run(npm("ui").arg("run").arg("build"))?;
    // A debug build with the UI embedded: much faster to build than release and
    // enough for the demo and the end-to-end tests.
    run(cargo().args(["build", "-p", "trustdesk-app", "--features", "custom-protocol"]))
}

fn test() -> Result<()> {
    let t = Instant::now();
    step("dependencies", deps::ensure)?;
    step("rustfmt", || run(cargo().args(["fmt", "--all", "--", "--check"])))?;
    step("ui type check", || run(npm("ui").args(["run", "check"])))?;
    step("ui lint", || run(npm("ui").args(["run", "lint"])))?;
    step("ui unit tests", || run(npm("ui").args(["test"])))?;
    step("ui component tests (Chromium)", || run(npm("ui").args(["run", "test:components"])))?;
    // Built first: the Tauri crate's build script wants the UI bundle to exist.
    step("app build", build_app)?;
    step("clippy", || run(cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"])))?;
    step("rust tests", || run(cargo().args(["test", "--workspace"])))?;
    step("API fuzzing (schemathesis)", schemathesis)?;
    step("end-to-end tests", || e2e(&[]))?;
    eprintln!("\nall checks passed in {:.0} s", t.elapsed().as_secs_f64());
    Ok(())
}

/// Fuzzes the central service's HTTP API from its own OpenAPI document with
/// schemathesis (from PyPI), on a seeded SQLite server on loopback.
fn schemathesis() -> Result<()> {
    const VERSION: &str = "4.32.5";
    let venv = root().join("target/schemathesis-venv");
    let st = venv.join("bin/schemathesis");
    if !st.exists() {
        run(Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
        run(Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .arg(format!("schemathesis=={VERSION}")))?;
    }
    let data = root().join("target/schemathesis-data");
    let _ = std::fs::remove_dir_all(&data);
    let central = Central::start(
        &data,
        &["--shops", "5", "--reviews", "200", "--audits", "5", "--disputes", "5"],
        "admin",
    )?;
    // Its report folder belongs in target/, not in the checkout.
    run(Command::new(&st)
        .current_dir(root().join("target"))
        .arg("--config-file")
        .arg(root().join("crates/central/schemathesis.toml"))
        .args(["run", &format!("{}/openapi.json", central.url), "--max-examples", "25", "-H"])
        .arg(format!("Authorization: Bearer {}", central.token)))
}

/// Path of the central service's debug binary (built by [`Central::start`]).
pub fn central_binary() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from);
    target.join("debug/trustdesk-central")
}

/// A running `trustdesk-central` on a loopback port with a seeded SQLite
/// database; stopped when dropped.
pub struct Central {
    child: std::process::Child,
    pub url: String,
    pub token: String,
}

impl Central {
    /// Builds the service, seeds `data` (when it holds no database yet), adds a
    /// user with `role` and serves on a free port.
    pub fn start(data: &Path, seed_args: &[&str], role: &str) -> Result<Central> {
        run(cargo().args(["build", "-p", "trustdesk-central"]))?;
        let bin = central_binary();
        std::fs::create_dir_all(data)?;
        if !data.join("central.db").exists() {
            run(Command::new(&bin).arg("seed").args(seed_args).arg("--data-dir").arg(data))?;
        }
        let out = Command::new(&bin)
            .args(["user", "add", "--name", "Demo moderator", "--role", role, "--data-dir"])
            .arg(data)
            .output()?;
        if !out.status.success() {
            bail!("user add failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        let token = String::from_utf8(out.stdout)?.trim().to_owned();
        let mut child = Command::new(&bin)
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data)
            .stdout(std::process::Stdio::piped())
            .spawn()?;
        let stdout = child.stdout.take().context("no server stdout")?;
        let mut reader = std::io::BufReader::new(stdout);
        let mut first = String::new();
        std::io::BufRead::read_line(&mut reader, &mut first)?;
        // Keep draining so the server never writes into a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        let Some(url) = first.trim().strip_prefix("listening on ").map(str::to_owned) else {
            let _ = child.kill();
            bail!("unexpected first line from trustdesk-central serve: {first:?}");
        };
        Ok(Central { child, url, token })
    }
}

impl Drop for Central {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the WebDriver tests against the real app window under Xvfb, with a
/// throwaway HOME and data directory so no real user data is touched.
fn e2e(files: &[String]) -> Result<()> {
    let tmp = root().join("target/e2e");
    let _ = std::fs::remove_dir_all(&tmp);
    let data = tmp.join("data");
    std::fs::create_dir_all(&data)?;
    let summary = seed::seed_local(&[
        "--data-dir".into(),
        data.display().to_string(),
        "--count".into(),
        "300".into(),
        "--e2e".into(),
    ])?;
    // The performance test's store: 100,000 reviews (seeded only when it runs).
    let perf = tmp.join("perf-data");
    if files.is_empty() || files.iter().any(|f| f == "perf.test.mjs") {
        std::fs::create_dir_all(&perf)?;
        let t = Instant::now();
        seed::seed_local(&[
            "--data-dir".into(),
            perf.display().to_string(),
            "--count".into(),
            "100000".into(),
        ])?;
        eprintln!("seeded the 100,000-review store in {:.1} s", t.elapsed().as_secs_f64());
    }
    let home = tmp.join("home");
    std::fs::create_dir_all(&home)?;
    // The sync test's peer: a real central service on loopback.
    let central = Central::start(
        &tmp.join("central"),
        &["--shops", "5", "--reviews", "150", "--audits", "0", "--disputes", "0"],
        "moderator",
    )?;
    // A hung window must fail the run, not stall CI.
    let mut cmd = Command::new("timeout");
    cmd.current_dir(root().join("tests/e2e"))
        .args([
            "--kill-after=10",
            "600",
            "xvfb-run",
            "-a",
            "-s",
            "-screen 0 1280x800x24 -nolisten tcp",
            "dbus-run-session",
            "--",
            "sh",
            "-c",
            // The app keeps its token in the Secret Service: a login keyring,
            // created and unlocked in this private session.
            "eval \"$(printf e2e | gnome-keyring-daemon --unlock --components=secrets)\" >/dev/null; \
             exec node --test --test-concurrency=1 \"$@\"",
            "e2e",
        ])
        // Only these test files (e.g. `cargo xtask e2e dispute.test.mjs`); all without.
        .args(files)
        .env("HOME", &home)
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("TRUSTDESK_DATA_DIR", &data)
        // TRUSTDESK_E2E_APP runs the tests on another build of the app (e.g. the
        // release build, for its cold start in perf.test.mjs).
        .env("TRUSTDESK_APP", std::env::var_os("TRUSTDESK_E2E_APP").map_or_else(app_binary, PathBuf::from))
        .env("TRUSTDESK_E2E_EXPECT", summary.to_string())
        .env("TRUSTDESK_E2E_OUT", root().join("tests/e2e/out"))
        .env("TRUSTDESK_E2E_SERVER", &central.url)
        .env("TRUSTDESK_E2E_TOKEN", &central.token)
        .env("TRUSTDESK_E2E_SYNC_DATA_DIR", tmp.join("sync-workstation"))
        .env("TRUSTDESK_E2E_TMP", &tmp)
        .env("TRUSTDESK_E2E_PERF_DATA_DIR", &perf)
        .env("TRUSTDESK_CENTRAL_BIN", central_binary())
        .env("PATH", deps::path_with_cargo_bin());
    run(&mut cmd)
}

/// Opens the app on demo data: a local central service seeded with realistic
/// data, which the app syncs from (and sends its decisions to).
fn demo() -> Result<()> {
    deps::ensure()?;
    let dir = root().join("target/demo-workstation");
    let central_dir = root().join("target/demo-central");
    let central = Central::start(
        &central_dir,
        &[
            "--shops",
            "40",
            "--reviews",
            "3000",
            "--audits",
            "30",
            "--disputes",
            "30",
            "--seed",
            "42",
            "--history",
        ],
        "moderator",
    )?;
    eprintln!("demo central service on {} (data in {})", central.url, central_dir.display());
    build_app()?;
    let mut app = if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        eprintln!("no display found: starting the app under xvfb-run (set DISPLAY to see it)");
        let mut x = Command::new("xvfb-run");
        // A private session bus with an unlocked keyring for the app's token.
        x.args(["-a", "dbus-run-session", "--", "sh", "-c"])
            .arg("eval \"$(printf demo | gnome-keyring-daemon --unlock --components=secrets)\" >/dev/null; exec \"$0\"")
            .arg(app_binary());
        x
    } else {
        Command::new(app_binary())
    };
    app.env("TRUSTDESK_DATA_DIR", &dir)
        .env("TRUSTDESK_SERVER", &central.url)
        .env("TRUSTDESK_TOKEN", &central.token);
    eprintln!("local store in {}; delete it and {} to start over", dir.display(), central_dir.display());
    run(&mut app)
}

/// `cargo xtask bench [store|filters|central] [criterion args]`: one group or all.
fn bench(args: &[String]) -> Result<()> {
    let groups = [
        ("store", "trustdesk-store", "store"),
        ("filters", "trustdesk-filters", "scan"),
        ("central", "trustdesk-central", "central"),
        ("sync", "trustdesk-sync", "sync"),
    ];
    let (only, extra) = match args.first().map(String::as_str) {
        Some(g) if groups.iter().any(|(name, ..)| *name == g) => (Some(g), &args[1..]),
        _ => (None, args),
    };
    for (name, package, bench) in groups {
        if only.is_none_or(|o| o == name) {
            run(cargo().args(["bench", "-p", package, "--bench", bench, "--"]).args(extra))?;
        }
    }
    Ok(())
}

/// Runs the filter evaluation on our corpus, and on GermEval 2018 when the
/// shared data folder is next to the checkout.
fn filter_eval() -> Result<()> {
    let mut cmd = cargo();
    cmd.args(["run", "--release", "-p", "trustdesk-filters", "--bin", "trustdesk-filter-eval", "--"]);
    let germeval = root().join("../shared/data/germeval2018/germeval2018.training.txt");
    if germeval.exists() {
        cmd.arg("--germeval").arg(germeval);
    }
    run(&mut cmd)
}

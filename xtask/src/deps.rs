//! Installs what a fresh Debian/Ubuntu machine lacks: system packages (as root),
//! tauri-driver, and the npm packages of the UI and the end-to-end tests.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Result};

use crate::{cargo, npm, root, run};

/// Debian packages the build, the app window, WebDriver, Xvfb and the Secret
/// Service need (see shared notes on desktop testing).
const APT_PACKAGES: &[&str] = &[
    "libwebkit2gtk-4.1-dev",
    "libgtk-3-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    "libsoup-3.0-dev",
    "libdbus-1-dev",
    "pkg-config",
    "build-essential",
    "file",
    "libxdo-dev",
    "xvfb",
    "xauth",
    "webkit2gtk-driver",
    "dbus-x11",
    "gnome-keyring",
    // Server binaries for the central service's PostgreSQL tests (the tests
    // start their own throwaway cluster on loopback).
    "postgresql",
    // Fonts the PDF reports embed (DejaVu Sans), and pdftoppm/pdftotext with
    // which their tests render and read the PDFs.
    "fonts-dejavu-core",
    "poppler-utils",
    // `import`, with which the end-to-end tests capture the Xvfb screen.
    "imagemagick",
    // Headless browser for the UI component tests (driven by playwright-core).
    "chromium",
];

fn missing_packages() -> Vec<&'static str> {
    APT_PACKAGES
        .iter()
        .copied()
        .filter(|p| {
            let out = Command::new("dpkg-query").args(["-W", "-f=${Status}", p]).output();
            !matches!(out, Ok(o) if String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        })
        .collect()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// PATH with ~/.cargo/bin in front, where `cargo install` puts tauri-driver.
pub fn path_with_cargo_bin() -> String {
    let home = std::env::var("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| dirs::home_dir().unwrap_or_default().join(".cargo"));
    let bin = home.join("bin").display().to_string();
    let path = std::env::var("PATH").unwrap_or_default();
    if path.split(':').any(|p| p == bin) {
        path
    } else {
        format!("{bin}:{path}")
    }
}

fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .env("PATH", path_with_cargo_bin())
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

pub fn ensure() -> Result<()> {
    if have("dpkg-query") {
        let missing = missing_packages();
        if !missing.is_empty() {
            let line = format!("apt-get install -y {}", missing.join(" "));
            if !is_root() {
                bail!("missing system packages; run:\n  sudo apt-get update && sudo {line}");
            }
            run(Command::new("apt-get").args(["update", "-qq"]))?;
            run(Command::new("apt-get")
                .args(["install", "-y", "-qq", "--no-install-recommends"])
                .args(&missing)
                .env("DEBIAN_FRONTEND", "noninteractive"))?;
        }
    }
    if !have("tauri-driver") {
        run(cargo().args(["install", "tauri-driver", "--locked"]))?;
    }
    if !have("npm") {
        bail!("Node.js 20.19 or newer with npm is required (https://nodejs.org or your distribution)");
    }
    for dir in ["ui", "tests/e2e"] {
        // npm records what it installed; reinstall when the lock file is newer.
        let installed = std::fs::metadata(root().join(dir).join("node_modules/.package-lock.json"))
            .and_then(|m| m.modified())
            .ok();
        let wanted =
            std::fs::metadata(root().join(dir).join("package-lock.json")).and_then(|m| m.modified())?;
        if installed.is_none_or(|i| i < wanted) {
            run(npm(dir).args(["ci", "--no-audit", "--no-fund"]))?;
        }
    }
    Ok(())
}

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // The workstation's UI is text, lists and a few SVG charts: WebKit's
    // accelerated compositing gives it nothing, and where there is no GPU (a
    // virtual desktop, Xvfb) it renders through software GL at ~150 MiB of
    // buffers. Measured with the e2e performance test: all processes 492 ->
    // 398 MiB PSS, next review p95 8 -> 4 ms. An explicit setting wins.
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        // Before any thread or WebKit starts (edition 2021: set_var is safe).
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
    trustdesk_app::run();
}

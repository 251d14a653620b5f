//! The desktop shell. Commands are thin adapters over the core crates: they parse
//! the request, call one core function and map the result to a transport type.
//! One module per domain; transport types live in `dto`.

mod activity;
mod audits;
mod complaints;
mod dashboard;
mod disputes;
mod dto;
mod error;
mod evidence;
mod reviews;
mod scan;
mod state;
mod sync;

use tauri::Manager;

pub use dto::*;
pub use error::IpcError;

/// Environment variable that overrides the data directory (tests, demos).
pub const DATA_DIR_ENV: &str = "TRUSTDESK_DATA_DIR";

pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();

    tauri::Builder::default()
        .setup(|app| {
            let dir = match std::env::var_os(DATA_DIR_ENV) {
                Some(d) => std::path::PathBuf::from(d),
                None => app.path().app_data_dir()?,
            };
            let opened = tauri::async_runtime::block_on(state::AppState::open(&dir));
            match &opened {
                Ok(s) => {
                    tauri::async_runtime::block_on(sync::sign_in_from_env(&s.store));
                    let sync_state = tauri::async_runtime::block_on(sync::SyncState::restore(&s.store));
                    scan::spawn_background_scan(app.handle().clone(), s.store.clone());
                    sync::spawn_loop(
                        app.handle().clone(),
                        s.store.clone(),
                        sync_state.clone(),
                        std::time::Duration::from_secs(60),
                    );
                    app.manage(sync_state);
                }
                Err(e) => {
                    tracing::error!(code = %e.code, "cannot open the local store: {}", e.message);
                    app.manage(sync::SyncState::detached());
                }
            }
            app.manage(opened);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            reviews::store_info,
            reviews::list_reviews,
            reviews::queue_counts,
            reviews::list_shops,
            reviews::decide_review,
            reviews::decide_reviews,
            reviews::undo_decision,
            reviews::review_context,
            reviews::evidence_message,
            reviews::resolve_decision,
            reviews::statement_preview,
            sync::sync_now,
            sync::sync_status,
            sync::session_info,
            sync::sign_in,
            sync::sign_out,
            audits::list_audits,
            audits::set_ui_language,
            audits::audit_detail,
            audits::set_audit_item,
            audits::add_audit_evidence_url,
            audits::attach_audit_evidence,
            audits::remove_audit_evidence,
            evidence::evidence_file,
            audits::confirm_audit,
            audits::resolve_audit_change,
            audits::export_audit_report,
            disputes::list_disputes,
            disputes::dispute_detail,
            disputes::apply_dispute_action,
            disputes::dispute_message_template,
            disputes::export_dispute_document,
            disputes::attach_dispute_file,
            disputes::save_dispute_attachment,
            reviews::save_review_evidence,
            disputes::resolve_dispute_change,
            dashboard::dashboard,
            dashboard::calibration_queue,
            dashboard::settle_calibration,
            activity::activity,
            complaints::list_complaints,
            complaints::complaint_detail,
            complaints::decide_complaint,
            complaints::accept_complaint_outcome
        ])
        .run(tauri::generate_context!())
        .expect("error while running the Trustdesk application");
}

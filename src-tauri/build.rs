fn main() {
    // Registering the commands in the app manifest makes Tauri generate one
    // permission per command; capabilities/default.json grants them explicitly.
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(
        tauri_build::AppManifest::new().commands(&[
            "store_info",
            "list_reviews",
            "queue_counts",
            "list_shops",
            "decide_review",
            "decide_reviews",
            "undo_decision",
            "review_context",
            "evidence_message",
            "resolve_decision",
            "statement_preview",
            "sync_now",
            "sync_status",
            "session_info",
            "sign_in",
            "sign_out",
            "list_audits",
            "audit_detail",
            "set_audit_item",
            "add_audit_evidence_url",
            "attach_audit_evidence",
            "remove_audit_evidence",
            "evidence_file",
            "confirm_audit",
            "resolve_audit_change",
            "export_audit_report",
            "list_disputes",
            "dispute_detail",
            "apply_dispute_action",
            "dispute_message_template",
            "export_dispute_document",
            "resolve_dispute_change",
            "dashboard",
            "calibration_queue",
            "settle_calibration",
        ]),
    ))
    .expect("tauri build script");
}

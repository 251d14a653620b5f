// Typed wrappers over the app's IPC commands. The types come from Rust (bindings/).
import { invoke } from '@tauri-apps/api/core';
import type { ActivityRow } from './bindings/ActivityRow';
import type { AuditDetail } from './bindings/AuditDetail';
import type { Author } from './bindings/Author';
import type { DisputeAction } from './bindings/DisputeAction';
import type { DisputeDetail } from './bindings/DisputeDetail';
import type { DisputeRow } from './bindings/DisputeRow';
import type { MessageTemplateId } from './bindings/MessageTemplateId';
import type { Party } from './bindings/Party';
import type { Recipient } from './bindings/Recipient';
import type { AuditRow } from './bindings/AuditRow';
import type { ChecklistStatus } from './bindings/ChecklistStatus';
import type { ExportedReport } from './bindings/ExportedReport';
import type { CalibrationItem } from './bindings/CalibrationItem';
import type { Dashboard } from './bindings/Dashboard';
import type { BulkDecideRequest } from './bindings/BulkDecideRequest';
import type { BulkDecideResult } from './bindings/BulkDecideResult';
import type { DecideRequest } from './bindings/DecideRequest';
import type { ComplaintDetail } from './bindings/ComplaintDetail';
import type { ComplaintOutcome } from './bindings/ComplaintOutcome';
import type { ComplaintRow } from './bindings/ComplaintRow';
import type { IllegalMarking } from './bindings/IllegalMarking';
import type { IpcError } from './bindings/IpcError';
import type { ReviewContext } from './bindings/ReviewContext';
import type { ReviewListQuery } from './bindings/ReviewListQuery';
import type { ReviewPage } from './bindings/ReviewPage';
import type { ReviewAction } from './bindings/ReviewAction';
import type { ReviewRow } from './bindings/ReviewRow';
import type { SessionInfo } from './bindings/SessionInfo';
import type { ShopOption } from './bindings/ShopOption';
import type { StateCount } from './bindings/StateCount';
import type { StoreInfo } from './bindings/StoreInfo';
import type { SyncStatus } from './bindings/SyncStatus';

export function isIpcError(e: unknown): e is IpcError {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as IpcError).code === 'string' &&
    typeof (e as IpcError).message === 'string'
  );
}

/** Normalises anything thrown by `invoke` into the `{code, message}` shape. */
export function toIpcError(e: unknown): IpcError {
  if (isIpcError(e)) return e;
  return { code: 'ipc', message: e instanceof Error ? e.message : String(e) };
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw toIpcError(e);
  }
}

export const api = {
  storeInfo: () => call<StoreInfo>('store_info'),
  listReviews: (query: ReviewListQuery) => call<ReviewPage>('list_reviews', { query }),
  syncNow: () => call<SyncStatus>('sync_now'),
  syncStatus: () => call<SyncStatus>('sync_status'),
  sessionInfo: () => call<SessionInfo>('session_info'),
  signIn: (server: string, token: string) => call<SyncStatus>('sign_in', { server, token }),
  signOut: () => call<SyncStatus>('sign_out'),
  listShops: () => call<ShopOption[]>('list_shops'),
  queueCounts: () => call<StateCount[]>('queue_counts'),
  decide: (request: DecideRequest) => call<ReviewRow>('decide_review', { request }),
  decideMany: (request: BulkDecideRequest) => call<BulkDecideResult>('decide_reviews', { request }),
  undo: (decisionId: string) => call<ReviewRow>('undo_decision', { decisionId }),
  resolve: (decisionId: string, keepMine: boolean) =>
    call<ReviewRow>('resolve_decision', { decisionId, keepMine }),
  reviewContext: (reviewId: string) => call<ReviewContext>('review_context', { reviewId }),
  statementPreview: (
    reviewId: string,
    action: ReviewAction,
    note: string | null,
    illegal: IllegalMarking | null = null,
  ) => call<string | null>('statement_preview', { reviewId, action, note, illegal }),
  listComplaints: () => call<ComplaintRow[]>('list_complaints'),
  complaintDetail: (complaintId: string) => call<ComplaintDetail>('complaint_detail', { complaintId }),
  decideComplaint: (complaintId: string, outcome: ComplaintOutcome, reasons: string) =>
    call<ComplaintDetail>('decide_complaint', { complaintId, outcome, reasons }),
  acceptComplaintOutcome: (complaintId: string, mutationId: string) =>
    call<ComplaintDetail>('accept_complaint_outcome', { complaintId, mutationId }),
  evidenceMessage: (reviewId: string, deadline: string) =>
    call<string>('evidence_message', { reviewId, deadline }),
  listAudits: () => call<AuditRow[]>('list_audits'),
  activity: (before: number | null) => call<ActivityRow[]>('activity', { before }),
  setUiLanguage: (language: string) => call<null>('set_ui_language', { language }),
  auditDetail: (auditId: string) => call<AuditDetail>('audit_detail', { auditId }),
  setAuditItem: (auditId: string, criterionId: string, status: ChecklistStatus, note: string) =>
    call<AuditDetail>('set_audit_item', { auditId, criterionId, status, note }),
  addAuditEvidenceUrl: (auditId: string, criterionId: string, url: string) =>
    call<AuditDetail>('add_audit_evidence_url', { auditId, criterionId, url }),
  removeAuditEvidence: (auditId: string, criterionId: string, index: number) =>
    call<AuditDetail>('remove_audit_evidence', { auditId, criterionId, index }),
  /** Raw bytes as the request body: no JSON round trip for screenshots. */
  attachAuditEvidence: async (auditId: string, criterionId: string, fileName: string, bytes: Uint8Array) => {
    try {
      return await invoke<AuditDetail>('attach_audit_evidence', bytes, {
        headers: {
          'audit-id': auditId,
          'criterion-id': encodeURIComponent(criterionId),
          'file-name': encodeURIComponent(fileName),
        },
      });
    } catch (e) {
      throw toIpcError(e);
    }
  },
  evidenceFile: (sha256: string) => call<ArrayBuffer>('evidence_file', { sha256 }),
  saveReviewEvidence: (reviewId: string, sha256: string) =>
    call<ExportedReport>('save_review_evidence', { reviewId, sha256 }),
  saveDisputeAttachment: (disputeId: string, sha256: string) =>
    call<ExportedReport>('save_dispute_attachment', { disputeId, sha256 }),
  attachDisputeFile: async (disputeId: string, from: Author, fileName: string, bytes: Uint8Array) => {
    try {
      return await invoke<DisputeDetail>('attach_dispute_file', bytes, {
        headers: { 'dispute-id': disputeId, from, 'file-name': encodeURIComponent(fileName) },
      });
    } catch (e) {
      throw toIpcError(e);
    }
  },
  confirmAudit: (auditId: string) => call<AuditDetail>('confirm_audit', { auditId }),
  resolveAuditChange: (auditId: string, mutationId: string, keepMine: boolean) =>
    call<AuditDetail>('resolve_audit_change', { auditId, mutationId, keepMine }),
  exportAuditReport: (auditId: string, format: 'pdf' | 'html') =>
    call<ExportedReport>('export_audit_report', { auditId, format }),
  listDisputes: () => call<DisputeRow[]>('list_disputes'),
  disputeDetail: (disputeId: string) => call<DisputeDetail>('dispute_detail', { disputeId }),
  applyDisputeAction: (disputeId: string, action: DisputeAction) =>
    call<DisputeDetail>('apply_dispute_action', { disputeId, action }),
  disputeMessageTemplate: (disputeId: string, template: MessageTemplateId, to: Recipient) =>
    call<string>('dispute_message_template', { disputeId, template, to }),
  resolveDisputeChange: (disputeId: string, mutationId: string, keepMine: boolean) =>
    call<DisputeDetail>('resolve_dispute_change', { disputeId, mutationId, keepMine }),
  exportDisputeDocument: (disputeId: string, document: 'decision' | 'case_file', party: Party) =>
    call<ExportedReport>('export_dispute_document', { disputeId, document, party }),
  dashboard: () => call<Dashboard>('dashboard'),
  calibrationQueue: () => call<CalibrationItem[]>('calibration_queue'),
  settleCalibration: (sampleId: string, decision: string) =>
    call<CalibrationItem>('settle_calibration', { sampleId, decision }),
};

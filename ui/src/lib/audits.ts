// Pure helpers of the auditor's workspace: flattening the checklist for
// keyboard movement, labels, and the audit key map (unit-tested).
import type { AuditDetail } from './bindings/AuditDetail';
import type { AuditKind } from './bindings/AuditKind';
import type { AuditOutcome } from './bindings/AuditOutcome';
import type { ChecklistRow } from './bindings/ChecklistRow';
import type { ChecklistStatus } from './bindings/ChecklistStatus';
import type { SpotCheckRecommendation } from './bindings/SpotCheckRecommendation';

export function flatItems(d: AuditDetail | null): ChecklistRow[] {
  return d ? d.groups.flatMap((g) => g.items) : [];
}

export function kindLabel(k: AuditKind): string {
  return { initial: 'Initial audit', re_audit: 'Re-audit', spot_check: 'Spot check' }[k];
}

export function stageLabel(s: string): string {
  return (
    { open: 'Not started', in_progress: 'In progress', ready: 'Ready to confirm', confirmed: 'Confirmed' }[s] ?? s
  );
}

export function statusLabel(s: ChecklistStatus): string {
  return { open: 'Open', pass: 'Pass', fail: 'Fail', not_applicable: 'Not applicable' }[s];
}

export function outcomeLabel(o: AuditOutcome): string {
  switch (o.outcome) {
    case 'certified':
      return 'Certified: every applicable criterion passes';
    case 'improvements_required':
      return `Improvements required: ${o.failed.length} failed criteri${o.failed.length === 1 ? 'on' : 'a'}`;
    case 'incomplete':
      return o.open.length > 0 ? `Incomplete: ${o.open.length} open` : 'Incomplete: nothing applicable checked';
  }
}

export function recommendationLabel(r: SpotCheckRecommendation): string {
  switch (r.action) {
    case 'keep':
      return 'Keep the trustmark';
    case 'warn':
      return `Warn the shop (${r.reasons.length} minor point${r.reasons.length === 1 ? '' : 's'})`;
    case 'suspend':
      return `Recommend suspending the trustmark (${r.reasons.map((x) => x.criterion_id).join(', ')})`;
    case 'revoke':
      return `Recommend revoking the trustmark (${r.reasons.map((x) => x.criterion_id).join(', ')})`;
  }
}

export type AuditCommand =
  | { kind: 'move'; delta: number }
  | { kind: 'set'; status: ChecklistStatus }
  | { kind: 'note' }
  | { kind: 'url' }
  | { kind: 'file' }
  | { kind: 'confirm' }
  | { kind: 'report' }
  | { kind: 'back' }
  | { kind: 'open' }
  | { kind: 'help' };

export const AUDIT_SHORTCUTS: { keys: string; what: string }[] = [
  { keys: 'j / ↓, k / ↑', what: 'next / previous criterion (or audit in the list)' },
  { keys: 'Enter', what: 'open the selected audit' },
  { keys: 'p', what: 'pass, then next' },
  { keys: 'f', what: 'fail (then write the note)' },
  { keys: 'n', what: 'not applicable, then next' },
  { keys: 'o', what: 'back to open' },
  { keys: 'e', what: 'edit the note (Ctrl+Enter saves)' },
  { keys: 'l', what: 'add a link as evidence' },
  { keys: 'a', what: 'attach a file as evidence (or paste a screenshot with Ctrl+V)' },
  { keys: 'c', what: 'confirm the outcome' },
  { keys: 'r', what: 'export the report (PDF and HTML)' },
  { keys: 'Esc', what: 'back to the audit list' },
  { keys: 'Shift+R / Shift+A / Shift+O', what: 'switch to reviews / audits / dashboard' },
];

export function auditCommandFor(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey'>): AuditCommand | null {
  if (e.altKey || e.ctrlKey || e.metaKey) return null;
  switch (e.key) {
    case 'j':
    case 'ArrowDown':
      return { kind: 'move', delta: 1 };
    case 'k':
    case 'ArrowUp':
      return { kind: 'move', delta: -1 };
    case 'p':
      return { kind: 'set', status: 'pass' };
    case 'f':
      return { kind: 'set', status: 'fail' };
    case 'n':
      return { kind: 'set', status: 'not_applicable' };
    case 'o':
      return { kind: 'set', status: 'open' };
    case 'e':
      return { kind: 'note' };
    case 'l':
      return { kind: 'url' };
    case 'a':
      return { kind: 'file' };
    case 'c':
      return { kind: 'confirm' };
    case 'r':
      return { kind: 'report' };
    case 'Enter':
      return { kind: 'open' };
    case 'Escape':
      return { kind: 'back' };
    case '?':
      return { kind: 'help' };
    default:
      return null;
  }
}

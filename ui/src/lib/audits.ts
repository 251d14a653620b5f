// Pure helpers of the auditor's workspace: flattening the checklist for
// keyboard movement, labels, and the audit key map (unit-tested).
import type { AuditDetail } from './bindings/AuditDetail';
import type { AuditKind } from './bindings/AuditKind';
import type { AuditOutcome } from './bindings/AuditOutcome';
import type { ChecklistRow } from './bindings/ChecklistRow';
import type { ChecklistStatus } from './bindings/ChecklistStatus';
import type { CriterionGroup } from './bindings/CriterionGroup';
import type { SpotCheckRecommendation } from './bindings/SpotCheckRecommendation';
import { t, tn, type MessageKey } from './i18n.svelte';

export function flatItems(d: AuditDetail | null): ChecklistRow[] {
  return d ? d.groups.flatMap((g) => g.items) : [];
}

export function kindLabel(k: AuditKind): string {
  return t(`auditKind.${k}`);
}

const STAGES = ['open', 'in_progress', 'ready', 'confirmed'] as const;

export function stageLabel(s: string): string {
  return (STAGES as readonly string[]).includes(s) ? t(`auditStage.${s as (typeof STAGES)[number]}`) : s;
}

/** A checklist group's heading: the topic's own title, or ours for the other kinds. */
export function groupTitle(g: Pick<CriterionGroup, 'kind' | 'title'>): string {
  if (g.kind === 'failed_before') return t('audit.failedBefore');
  if (g.kind === 'other') return t('audit.otherTopic');
  return g.title;
}

export function statusLabel(s: ChecklistStatus): string {
  return t(`check.${s}`);
}

export function outcomeLabel(o: AuditOutcome): string {
  switch (o.outcome) {
    case 'certified':
      return t('auditOutcome.certified');
    case 'improvements_required':
      return tn('auditOutcome.improvements', o.failed.length);
    case 'incomplete':
      return o.open.length > 0
        ? t('auditOutcome.incompleteOpen', { count: o.open.length })
        : t('auditOutcome.incompleteNothing');
  }
}

export function recommendationLabel(r: SpotCheckRecommendation): string {
  switch (r.action) {
    case 'keep':
      return t('recommendation.keep');
    case 'warn':
      return tn('recommendation.warn', r.reasons.length);
    case 'suspend':
      return t('recommendation.suspend', { criteria: r.reasons.map((x) => x.criterion_id).join(', ') });
    case 'revoke':
      return t('recommendation.revoke', { criteria: r.reasons.map((x) => x.criterion_id).join(', ') });
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

/** The audit key sheet; `what` is a message key, translated where it is shown. */
export const AUDIT_SHORTCUTS: { keys: string; what: MessageKey }[] = [
  { keys: 'j / ↓, k / ↑', what: 'auditShortcut.move' },
  { keys: 'Enter', what: 'auditShortcut.open' },
  { keys: 'p', what: 'auditShortcut.pass' },
  { keys: 'f', what: 'auditShortcut.fail' },
  { keys: 'n', what: 'auditShortcut.notApplicable' },
  { keys: 'o', what: 'auditShortcut.reopen' },
  { keys: 'e', what: 'auditShortcut.note' },
  { keys: 'l', what: 'auditShortcut.link' },
  { keys: 'a', what: 'auditShortcut.file' },
  { keys: 'c', what: 'auditShortcut.confirm' },
  { keys: 'r', what: 'auditShortcut.report' },
  { keys: 'Esc', what: 'auditShortcut.back' },
  { keys: 'Shift+R / Shift+A / Shift+O', what: 'auditShortcut.views' },
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

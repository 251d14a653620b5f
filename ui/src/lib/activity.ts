// Labels of the activity view (this workstation's journal); pure, unit-tested.
import type { ActivityRow } from './bindings/ActivityRow';
import { reasonLabel } from './format';
import { t } from './i18n.svelte';

const EVENTS = [
  'decision_recorded',
  'decision_synced',
  'decision_conflict',
  'decision_refused',
  'decision_undone',
  'conflict_kept_mine',
  'conflict_accepted_theirs',
  'audit_change',
  'dispute_change',
  'complaint_change',
  'case_synced',
  'case_conflict',
  'case_refused',
  'case_kept_mine',
  'case_accepted_theirs',
] as const;

/** What happened, in words; an event this version does not know shows its code. */
export function eventLabel(event: string): string {
  return (EVENTS as readonly string[]).includes(event) ? t(`activity.event.${event as (typeof EVENTS)[number]}`) : event;
}

/** What the entry is about: the decision taken, or the kind of case change. */
export function subjectLabel(row: Pick<ActivityRow, 'kind' | 'action' | 'change'>): string {
  if (row.action) {
    const what = t(`notice.action.${row.action.action}`);
    return row.action.action === 'reject' ? `${what}: ${reasonLabel(row.action.reason)}` : what;
  }
  const kind = ['audit', 'dispute', 'complaint'].includes(row.kind)
    ? t(`activity.kind.${row.kind as 'audit' | 'dispute' | 'complaint'}`)
    : row.kind;
  return row.change ? `${kind} · ${row.change.replaceAll('_', ' ')}` : kind;
}

/** Entries the user should look at: the server did not apply them. */
export function needsAttention(event: string): boolean {
  return event.endsWith('_conflict') || event.endsWith('_refused');
}

// Display helpers for reviewer complaints; pure so they are unit-tested.
import type { ComplaintCase } from './bindings/ComplaintCase';
import type { ComplaintStatus } from './bindings/ComplaintStatus';
import { t } from './i18n.svelte';

export function complaintStatusLabel(s: ComplaintStatus): string {
  return t(`complaint.status.${s}`);
}

/** One line of a review's history for a complaint against its decision. */
export function complaintHistoryLine(c: ComplaintCase, day: (iso: string) => string): string {
  const received = t('complaint.history.received', { date: day(c.received_at) });
  if (c.status === 'open') return t('complaint.history.open', { received });
  const when = c.decided_at ? ` ${day(c.decided_at)}` : '';
  return t(`complaint.history.${c.status}`, { received, when });
}

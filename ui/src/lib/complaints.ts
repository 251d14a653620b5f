// Display helpers for reviewer complaints; pure so they are unit-tested.
import type { ComplaintCase } from './bindings/ComplaintCase';
import type { ComplaintStatus } from './bindings/ComplaintStatus';

export function complaintStatusLabel(s: ComplaintStatus): string {
  switch (s) {
    case 'open':
      return 'Open';
    case 'upheld':
      return 'Upheld: review published';
    case 'dismissed':
      return 'Dismissed: decision stands';
  }
}

/** One line of a review's history for a complaint against its decision. */
export function complaintHistoryLine(c: ComplaintCase, day: (iso: string) => string): string {
  const received = `Complaint received ${day(c.received_at)}`;
  if (c.status === 'open') return `${received}; open`;
  const when = c.decided_at ? ` ${day(c.decided_at)}` : '';
  return `${received}; ${c.status === 'upheld' ? 'upheld' : 'dismissed'}${when}`;
}

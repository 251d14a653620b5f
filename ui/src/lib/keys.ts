// The keyboard map: one key per action. Pure, so it is unit-tested.
export type Command =
  | { kind: 'move'; delta: number }
  | { kind: 'publish' }
  | { kind: 'reject' }
  | { kind: 'request_evidence' }
  | { kind: 'accept_evidence' }
  | { kind: 'refuse_evidence' }
  | { kind: 'undo' }
  | { kind: 'mark' }
  | { kind: 'search' }
  | { kind: 'help' }
  | { kind: 'escape' };

export const SHORTCUTS: { keys: string; what: string }[] = [
  { keys: 'j / ↓', what: 'next review' },
  { keys: 'k / ↑', what: 'previous review' },
  { keys: 'PageDown / PageUp', what: 'ten reviews down / up' },
  { keys: 'p', what: 'publish' },
  { keys: 'r, then 1–9', what: 'reject for a reason' },
  { keys: 'e', what: 'request evidence' },
  { keys: 'a', what: 'accept received evidence (publish)' },
  { keys: 'x', what: 'refuse received evidence (delete)' },
  { keys: 'Space', what: 'mark / unmark for a bulk action (p and r then apply to all marked)' },
  { keys: 'u', what: 'undo the last decision on this review (until synced)' },
  { keys: '/', what: 'search' },
  { keys: '?', what: 'this sheet' },
  { keys: 'Esc', what: 'close a dialog, leave the search box, clear marks' },
  { keys: 'Shift+R / Shift+A / Shift+D / Shift+C / Shift+O', what: 'reviews / audits / disputes / complaints / dashboard' },
];

export function commandFor(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey'>): Command | null {
  if (e.altKey) return null;
  if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'z') return { kind: 'undo' };
  if (e.ctrlKey || e.metaKey) return null;
  switch (e.key) {
    case 'j':
    case 'ArrowDown':
      return { kind: 'move', delta: 1 };
    case 'k':
    case 'ArrowUp':
      return { kind: 'move', delta: -1 };
    case 'PageDown':
      return { kind: 'move', delta: 10 };
    case 'PageUp':
      return { kind: 'move', delta: -10 };
    case 'p':
      return { kind: 'publish' };
    case 'r':
      return { kind: 'reject' };
    case 'e':
      return { kind: 'request_evidence' };
    case 'a':
      return { kind: 'accept_evidence' };
    case 'x':
      return { kind: 'refuse_evidence' };
    case 'u':
      return { kind: 'undo' };
    case ' ':
      return { kind: 'mark' };
    case '/':
      return { kind: 'search' };
    case '?':
      return { kind: 'help' };
    case 'Escape':
      return { kind: 'escape' };
    default:
      return null;
  }
}

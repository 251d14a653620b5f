// The keyboard map: one key per action. Pure, so it is unit-tested.
import type { MessageKey } from './i18n.svelte';

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

/** The review key sheet; `what` is a message key, translated where it is shown. */
export const SHORTCUTS: { keys: string; what: MessageKey }[] = [
  { keys: 'j / ↓', what: 'shortcut.nextReview' },
  { keys: 'k / ↑', what: 'shortcut.previousReview' },
  { keys: 'PageDown / PageUp', what: 'shortcut.tenReviews' },
  { keys: 'p', what: 'shortcut.publish' },
  { keys: 'r, then 1–9', what: 'shortcut.reject' },
  { keys: 'e', what: 'shortcut.requestEvidence' },
  { keys: 'a', what: 'shortcut.acceptEvidence' },
  { keys: 'x', what: 'shortcut.refuseEvidence' },
  { keys: 'Space', what: 'shortcut.mark' },
  { keys: 'u', what: 'shortcut.undo' },
  { keys: '/', what: 'shortcut.search' },
  { keys: '?', what: 'shortcut.sheet' },
  { keys: 'Esc', what: 'shortcut.escape' },
  { keys: 'Shift+R / Shift+A / Shift+D / Shift+C / Shift+O / Shift+L', what: 'shortcut.views' },
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

/** Whether a key event goes to a field being typed in (keys are text there, not commands). */
export function isTyping(target: EventTarget | null): boolean {
  const tag = (target as HTMLElement | null)?.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT';
}

// Pure helpers of the mediator's workspace: labels, money, the timeline and the
// key map (unit-tested).
import type { DisputeCase } from './bindings/DisputeCase';
import type { DisputeOutcome } from './bindings/DisputeOutcome';
import type { DisputeStage } from './bindings/DisputeStage';
import type { MessageTemplateId } from './bindings/MessageTemplateId';
import type { Money } from './bindings/Money';
import type { Recipient } from './bindings/Recipient';
import type { Author } from './bindings/Author';
import { formatDate } from './format';
import { formatFixed, formatNumber, getLocale, inSentence, t, type MessageKey } from './i18n.svelte';

export function stageName(s: DisputeStage): string {
  return t(`disputeStage.${s}`);
}

export function outcomeName(o: DisputeOutcome): string {
  return t(`disputeOutcome.${o}`);
}

/** Who wrote a message, in running text ("consumer"). */
export function authorLabel(a: Author): string {
  return t(`author.${a}`);
}

/**
 * "EUR 25.00" in English (as the app always wrote it); the locale's currency
 * format otherwise ("25,00 €", "€ 25,00").
 */
export function money(m: Money): string {
  const l = getLocale();
  if (l !== 'en') {
    try {
      return formatNumber(m.minor_units / 100, { style: 'currency', currency: m.currency }, l);
    } catch {
      // An unknown currency code: the plain form below.
    }
  }
  const sign = m.minor_units < 0 ? '-' : '';
  const abs = Math.abs(m.minor_units);
  return `${m.currency} ${sign}${formatFixed(abs / 100, 2, l)}`;
}

/** "12.50" or "12,50" in the claim's currency to minor units; null if not a positive amount. */
export function parseAmount(text: string): number | null {
  const m = /^\s*(\d{1,9})(?:[.,](\d{1,2}))?\s*$/.exec(text);
  if (!m) return null;
  const cents = Number(m[1]) * 100 + Number((m[2] ?? '0').padEnd(2, '0'));
  return cents > 0 ? cents : null;
}

export type TimelineEntry = { at: string; who: string; title: string; body: string | null };

/** Messages and events of a case in time order; message texts are shown as text. */
export function timeline(c: DisputeCase): TimelineEntry[] {
  const out: TimelineEntry[] = c.messages.map((m) => ({
    at: m.sent_at,
    who: authorLabel(m.author),
    title: t(`timeline.from.${m.author}`),
    body: m.body,
  }));
  const sentTo = new Map<string, Recipient>();
  for (const e of c.events) if (e.what.event === 'message_sent') sentTo.set(e.what.message_id, e.what.to);
  for (const entry of out) {
    const m = c.messages.find((x) => x.sent_at === entry.at && x.body === entry.body);
    const to = m ? sentTo.get(m.id) : undefined;
    if (to) entry.title = t(`timeline.to.${to}`);
  }
  for (const e of c.events) {
    const w = e.what;
    let title: string | null = null;
    let body: string | null = null;
    switch (w.event) {
      case 'stage_moved':
        title = t('timeline.moved', { stage: inSentence(stageName(w.to)) });
        break;
      case 'deadline_set':
        title = t(w.previous ? 'timeline.deadlineMoved' : 'timeline.deadlineSet', { date: formatDate(w.due) });
        break;
      case 'proposed':
        title = t('timeline.proposed');
        break;
      case 'answer_recorded':
        title = t(`timeline.${w.party}${w.accepts ? 'Accepts' : 'Declines'}`);
        break;
      case 'decided':
        title = t('timeline.decided', { outcome: outcomeName(w.outcome) });
        break;
      case 'attached':
        title = t('timeline.attached', { from: authorLabel(w.from) });
        body = c.attachments.find((a) => a.sha256 === w.sha256)?.name ?? null;
        break;
      case 'message_sent':
        break;
    }
    if (title) out.push({ at: e.at, who: e.by, title, body });
  }
  return out.sort((a, b) => a.at.localeCompare(b.at));
}

export type DisputeCommand =
  | { kind: 'move'; delta: number }
  | { kind: 'open' }
  | { kind: 'back' }
  | { kind: 'message' }
  | { kind: 'deadline' }
  | { kind: 'stage' }
  | { kind: 'propose' }
  | { kind: 'refer' }
  | { kind: 'decide' }
  | { kind: 'documents' }
  | { kind: 'attach' }
  | { kind: 'help' };

/** The dispute key sheet; `what` is a message key, translated where it is shown. */
export const DISPUTE_SHORTCUTS: { keys: string; what: MessageKey }[] = [
  { keys: 'j / ↓, k / ↑', what: 'disputeShortcut.move' },
  { keys: 'Enter', what: 'disputeShortcut.open' },
  { keys: 'm', what: 'disputeShortcut.message' },
  { keys: 't', what: 'disputeShortcut.deadline' },
  { keys: 's', what: 'disputeShortcut.stage' },
  { keys: 'o', what: 'disputeShortcut.propose' },
  { keys: 'x', what: 'disputeShortcut.refer' },
  { keys: 'w', what: 'disputeShortcut.decide' },
  { keys: 'r', what: 'disputeShortcut.documents' },
  { keys: 'a', what: 'disputeShortcut.attach' },
  { keys: 'Esc', what: 'disputeShortcut.back' },
  { keys: 'Shift+R / Shift+A / Shift+D / Shift+O', what: 'disputeShortcut.views' },
];

export function disputeCommandFor(
  e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey'>,
): DisputeCommand | null {
  if (e.altKey || e.ctrlKey || e.metaKey) return null;
  const map: Record<string, DisputeCommand> = {
    j: { kind: 'move', delta: 1 },
    ArrowDown: { kind: 'move', delta: 1 },
    k: { kind: 'move', delta: -1 },
    ArrowUp: { kind: 'move', delta: -1 },
    Enter: { kind: 'open' },
    Escape: { kind: 'back' },
    m: { kind: 'message' },
    t: { kind: 'deadline' },
    s: { kind: 'stage' },
    o: { kind: 'propose' },
    x: { kind: 'refer' },
    w: { kind: 'decide' },
    r: { kind: 'documents' },
    a: { kind: 'attach' },
    '?': { kind: 'help' },
  };
  return map[e.key] ?? null;
}

/** A message being written, kept per case so it survives closing the dialog or the app. */
export type MessageDraft = { to: Recipient; template: MessageTemplateId | ''; body: string; savedAt: string };

const DRAFT_KEY = 'trustdesk.dispute-message-draft.';
const RECIPIENTS: Recipient[] = ['consumer', 'shop', 'both'];

/** The storage drafts live in: the WebView's localStorage, kept with the app's data. */
export type DraftStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export function saveDraft(storage: DraftStorage, caseId: string, draft: MessageDraft): void {
  try {
    storage.setItem(DRAFT_KEY + caseId, JSON.stringify(draft));
  } catch {
    // A full or unavailable storage loses the draft, never the message being typed.
  }
}

/** The saved draft of a case, or null when there is none or it is unreadable. */
export function loadDraft(storage: DraftStorage, caseId: string): MessageDraft | null {
  let raw: string | null = null;
  try {
    raw = storage.getItem(DRAFT_KEY + caseId);
  } catch {
    return null;
  }
  if (!raw) return null;
  try {
    const d = JSON.parse(raw) as Partial<MessageDraft>;
    if (typeof d.body !== 'string' || !d.body.trim() || !RECIPIENTS.includes(d.to as Recipient)) return null;
    return {
      to: d.to as Recipient,
      template: typeof d.template === 'string' ? (d.template as MessageTemplateId | '') : '',
      body: d.body,
      savedAt: typeof d.savedAt === 'string' ? d.savedAt : '',
    };
  } catch {
    return null;
  }
}

export function clearDraft(storage: DraftStorage, caseId: string): void {
  try {
    storage.removeItem(DRAFT_KEY + caseId);
  } catch {
    // Nothing to clear.
  }
}

import { describe, expect, it } from 'vitest';
import { clearDraft, disputeCommandFor, loadDraft, money, parseAmount, saveDraft, type DraftStorage } from './disputes';

describe('dispute helpers', () => {
  it('reads amounts as integer cents and never as floats', () => {
    expect(parseAmount('12.5')).toBe(1250);
    expect(parseAmount('12,05')).toBe(1205);
    expect(parseAmount('0')).toBeNull();
    expect(parseAmount('1e3')).toBeNull();
    expect(parseAmount('-4')).toBeNull();
    expect(money({ minor_units: 2500, currency: 'EUR' })).toBe('EUR 25.00');
  });
  it('maps one key per action', () => {
    const k = (key: string) => ({ key, ctrlKey: false, metaKey: false, altKey: false });
    expect(disputeCommandFor(k('w'))).toEqual({ kind: 'decide' });
    expect(disputeCommandFor(k('m'))).toEqual({ kind: 'message' });
    expect(disputeCommandFor({ ...k('m'), ctrlKey: true })).toBeNull();
    expect(disputeCommandFor(k('W'))).toBeNull();
  });
});

describe('message drafts', () => {
  /** Test double for the WebView's localStorage (node has none): a Map behind the same three calls. */
  function memoryStorage(): DraftStorage & { map: Map<string, string> } {
    const map = new Map<string, string>();
    return {
      map,
      getItem: (k) => map.get(k) ?? null,
      setItem: (k, v) => void map.set(k, v),
      removeItem: (k) => void map.delete(k),
    };
  }

  it('keeps a draft per case until it is cleared', () => {
    const s = memoryStorage();
    saveDraft(s, 'case-a', { to: 'shop', template: 'shop_statement_request', body: 'Bitte senden Sie', savedAt: '2026-11-26T10:00:00Z' });
    expect(loadDraft(s, 'case-a')).toEqual({
      to: 'shop',
      template: 'shop_statement_request',
      body: 'Bitte senden Sie',
      savedAt: '2026-11-26T10:00:00Z',
    });
    expect(loadDraft(s, 'case-b')).toBeNull();
    clearDraft(s, 'case-a');
    expect(loadDraft(s, 'case-a')).toBeNull();
  });

  it('ignores unreadable or empty drafts instead of failing', () => {
    const s = memoryStorage();
    s.map.set('trustdesk.dispute-message-draft.x', '{not json');
    expect(loadDraft(s, 'x')).toBeNull();
    s.map.set('trustdesk.dispute-message-draft.x', JSON.stringify({ to: 'nobody', body: 'hi' }));
    expect(loadDraft(s, 'x')).toBeNull();
    s.map.set('trustdesk.dispute-message-draft.x', JSON.stringify({ to: 'both', body: '   ' }));
    expect(loadDraft(s, 'x')).toBeNull();
    const broken: DraftStorage = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('quota');
      },
      removeItem: () => {},
    };
    expect(() => saveDraft(broken, 'x', { to: 'both', template: '', body: 'a', savedAt: '' })).not.toThrow();
    expect(loadDraft(broken, 'x')).toBeNull();
  });
});

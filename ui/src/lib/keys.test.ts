import { describe, expect, it } from 'vitest';
import { commandFor, isTyping, SHORTCUTS } from './keys';

const key = (k: string, mods: Partial<KeyboardEvent> = {}) =>
  commandFor({ key: k, ctrlKey: false, metaKey: false, altKey: false, ...mods });

describe('keyboard map', () => {
  it('maps one key per action', () => {
    expect(key('j')).toEqual({ kind: 'move', delta: 1 });
    expect(key('ArrowUp')).toEqual({ kind: 'move', delta: -1 });
    expect(key('PageDown')).toEqual({ kind: 'move', delta: 10 });
    expect(key('p')).toEqual({ kind: 'publish' });
    expect(key('r')).toEqual({ kind: 'reject' });
    expect(key('e')).toEqual({ kind: 'request_evidence' });
    expect(key('u')).toEqual({ kind: 'undo' });
    expect(key('z', { ctrlKey: true })).toEqual({ kind: 'undo' });
    expect(key('/')).toEqual({ kind: 'search' });
    expect(key('?')).toEqual({ kind: 'help' });
    expect(key(' ')).toEqual({ kind: 'mark' });
  });

  it('leaves modified and unknown keys alone', () => {
    expect(key('p', { ctrlKey: true })).toBeNull();
    expect(key('j', { altKey: true })).toBeNull();
    expect(key('q')).toBeNull();
  });

  it('documents every action key on the sheet', () => {
    for (const k of ['p', 'e', 'a', 'x', 'u', '/', '?']) {
      expect(SHORTCUTS.some((s) => s.keys.split(/[ ,/]+/).includes(k) || s.keys === k)).toBe(true);
    }
    for (const k of ['Shift+R', 'Shift+A', 'Shift+D', 'Shift+O']) {
      expect(SHORTCUTS.some((s) => s.keys.split(/[ ,/]+/).includes(k))).toBe(true);
    }
  });
});

describe('typing', () => {
  it('knows a field from the rest of the page', () => {
    for (const tagName of ['INPUT', 'TEXTAREA', 'SELECT']) expect(isTyping({ tagName } as unknown as EventTarget)).toBe(true);
    expect(isTyping({ tagName: 'DIV' } as unknown as EventTarget)).toBe(false);
    expect(isTyping(null)).toBe(false);
  });
});

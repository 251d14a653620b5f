import { describe, expect, it } from 'vitest';
import type { ArmHit } from './bindings/ArmHit';
import { segments } from './highlight';

const hit = (start: number, end: number, rule = 'r'): ArmHit => ({
  category: 'insult',
  rule,
  start: 0,
  end: 0,
  start_utf16: start,
  end_utf16: end,
  text: '',
  explanation: 'x',
});

describe('segments', () => {
  it('keeps the whole text, in order', () => {
    const text = 'You idiot, Herr Müller!';
    const segs = segments(text, [hit(16, 22), hit(4, 9)]);
    expect(segs.map((s) => s.text).join('')).toBe(text);
    expect(segs.filter((s) => s.hits.length > 0).map((s) => s.text)).toEqual(['idiot', 'Müller']);
  });

  it('uses UTF-16 offsets, so emoji before a hit do not shift it', () => {
    const text = '😀😀 bad';
    // Each emoji is two UTF-16 code units.
    const segs = segments(text, [hit(5, 8)]);
    expect(segs.at(-1)).toEqual({ text: 'bad', hits: [hit(5, 8)] });
  });

  it('merges overlapping hits and drops spans outside the text', () => {
    const segs = segments('abcdefgh', [hit(1, 4, 'a'), hit(3, 6, 'b'), hit(7, 99)]);
    expect(segs.map((s) => [s.text, s.hits.map((h) => h.rule)])).toEqual([
      ['a', []],
      ['bcdef', ['a', 'b']],
      ['gh', []],
    ]);
  });

  it('returns the plain text without hits', () => {
    expect(segments('plain', [])).toEqual([{ text: 'plain', hits: [] }]);
    expect(segments('', [])).toEqual([]);
  });
});

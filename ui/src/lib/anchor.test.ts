import { describe, expect, it } from 'vitest';
import { indexOfId } from './anchor';

const rows = (...ids: string[]) => ids.map((id) => ({ id }));

describe('the selection after a reload', () => {
  it('follows its review to the row it moved to', () => {
    // "c" was row 2; two rows above it were decided and left the tab
    expect(indexOfId({ 0: rows('c', 'd', 'e') }, 'c', 3)).toBe(0);
    // on a later page
    expect(indexOfId({ 1: rows('x', 'c', 'y') }, 'c', 3)).toBe(4);
  });

  it('finds nothing when the review left the tab or its page is not loaded', () => {
    expect(indexOfId({ 0: rows('a', 'b') }, 'c', 3)).toBeUndefined();
    expect(indexOfId({}, 'c', 3)).toBeUndefined();
  });
});

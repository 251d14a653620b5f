import { describe, expect, it } from 'vitest';
import { auditCommandFor, groupTitle, outcomeLabel, recommendationLabel } from './audits';
import { setLocale } from './i18n.svelte';

const key = (k: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; altKey: boolean }> = {}) => ({
  key: k,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  ...mods,
});

describe('audit keys', () => {
  it('maps one key per finding and leaves modified keys alone', () => {
    expect(auditCommandFor(key('p'))).toEqual({ kind: 'set', status: 'pass' });
    expect(auditCommandFor(key('f'))).toEqual({ kind: 'set', status: 'fail' });
    expect(auditCommandFor(key('n'))).toEqual({ kind: 'set', status: 'not_applicable' });
    expect(auditCommandFor(key('ArrowDown'))).toEqual({ kind: 'move', delta: 1 });
    expect(auditCommandFor(key('p', { ctrlKey: true }))).toBeNull();
    expect(auditCommandFor(key('A'))).toBeNull();
  });
});

describe('audit labels', () => {
  it('says what the outcome and recommendation mean', () => {
    expect(outcomeLabel({ outcome: 'certified' })).toContain('Certified');
    expect(outcomeLabel({ outcome: 'improvements_required', failed: ['a'] })).toBe(
      'Improvements required: 1 failed criterion',
    );
    expect(outcomeLabel({ outcome: 'incomplete', open: ['a', 'b'] })).toBe('Incomplete: 2 open');
    expect(
      recommendationLabel({
        action: 'suspend',
        reasons: [{ criterion_id: 'eu.prices.vat_included', severity: 'major', repeated: false }],
      }),
    ).toBe('Recommend suspending the trustmark (eu.prices.vat_included)');
  });
});

describe('checklist group titles', () => {
  it('name the topic, or ours for earlier failures and unknown criteria, in the UI language', () => {
    expect(groupTitle({ kind: 'topic', title: 'Prices' })).toBe('Prices');
    expect(groupTitle({ kind: 'failed_before', title: '' })).toBe('Failed in the previous audit');
    expect(groupTitle({ kind: 'other', title: '' })).toBe('Other');
    setLocale('de', false);
    try {
      expect(groupTitle({ kind: 'failed_before', title: '' })).toBe('Im vorigen Audit nicht erfüllt');
    } finally {
      setLocale('en', false);
    }
  });
});

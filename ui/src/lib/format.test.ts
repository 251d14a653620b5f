import { describe, expect, it } from 'vitest';
import {
  deadlineAfter,
  experienceNote,
  fakeSignalLabel,
  formatDate,
  ratingText,
  syncText,
  reasonLabel,
  sourceLabel,
  starsText,
  statusLabel,
} from './format';

describe('format', () => {
  it('labels every status', () => {
    expect(statusLabel({ state: 'pending' })).toBe('Pending');
    expect(statusLabel({ state: 'rejected', reason: 'personal_data' })).toBe('Rejected: personal data');
    expect(statusLabel({ state: 'evidence_requested', deadline: '2026-12-10T10:00:00Z' })).toBe(
      'Evidence requested (due 2026-12-10)',
    );
    expect(statusLabel({ state: 'deleted', cause: 'deadline_passed' })).toBe('Deleted: deadline passed');
    expect(statusLabel({ state: 'deleted', cause: 'evidence_refused' })).toBe('Deleted: evidence refused');
  });

  it('labels sources, reasons and signals', () => {
    expect(sourceLabel('imported')).toBe('Imported');
    expect(sourceLabel('direct_double_opt_in')).toBe('Direct (double opt-in)');
    expect(reasonLabel('experience_too_old')).toBe('Experience older than 6 months');
    expect(fakeSignalLabel({ kind: 'same_ip_burst', reviews: 4, window_minutes: 30, ip: '', review_ids: [] })).toBe(
      '4 reviews from one IP address within 30 minutes',
    );
    expect(
      fakeSignalLabel({ kind: 'same_ip_burst', reviews: 3, window_minutes: 20, ip: '203.0.113.9', review_ids: [] }),
    ).toBe('3 reviews from IP address 203.0.113.9 within 20 minutes');
    expect(fakeSignalLabel({ kind: 'disposable_email', domain: 'tempbox.example' })).toBe(
      "Reviewer's e-mail is on a throwaway domain (tempbox.example)",
    );
    expect(
      fakeSignalLabel({
        kind: 'daily_rate_burst',
        day: '2026-11-20',
        reviews: 14,
        usual_per_day_hundredths: 125,
        baseline_days: 28,
      }),
    ).toBe('14 reviews for this shop on 2026-11-20, against a usual 1.25 a day (28 days before)');
  });

  it('draws stars and clamps out-of-range input', () => {
    expect(starsText(4)).toBe('★★★★☆');
    expect(starsText(0)).toBe('☆☆☆☆☆');
    expect(starsText(9)).toBe('★★★★★');
  });

  it('formats dates and leaves garbage alone', () => {
    expect(formatDate('2026-11-26T23:59:59.123456Z')).toBe('2026-11-26');
    expect(formatDate('2026-11-26')).toBe('2026-11-26');
    expect(formatDate('<b>x</b>')).toBe('<b>x</b>');
  });

  it('explains the 6-month rule', () => {
    expect(experienceNote({ result: 'ok' })).toBeNull();
    expect(experienceNote({ result: 'too_old', earliest_allowed: '2026-05-26' })).toContain('2026-05-26');
    expect(experienceNote({ result: 'in_future' })).toContain('after submission');
  });

  it('computes evidence deadlines', () => {
    expect(deadlineAfter(new Date('2026-11-26T10:00:00Z'), 14)).toBe('2026-12-10T10:00:00.000Z');
  });
});

describe('rating', () => {
  it('shows two decimals and the band', () => {
    expect(ratingText(449, 'good')).toBe('4.49 Good');
    expect(ratingText(450, 'excellent')).toBe('4.50 Excellent');
    expect(ratingText(100, 'very_poor')).toBe('1.00 Very poor');
    expect(ratingText(null, null)).toBe('no rating yet');
  });
});

describe('sync status', () => {
  const base = {
    signed_in: true,
    phase: 'idle',
    last_success: null,
    last_error: null,
    pending_decisions: 0,
    conflicts: 0,
    retry_in_seconds: null,
  };
  it('says what the user needs to know', () => {
    expect(syncText({ ...base, signed_in: false, pending_decisions: 2 })).toBe(
      'Not signed in: working on local data · 2 waiting to sync',
    );
    expect(syncText({ ...base, last_error: 'offline', pending_decisions: 3, retry_in_seconds: 8 })).toBe(
      'Offline: decisions are kept and sent later, retrying in 8 s · 3 waiting to sync',
    );
    expect(syncText({ ...base, last_success: '2026-11-26T05:50:12Z' })).toBe('Synced 05:50 UTC');
    expect(syncText({ ...base, last_success: '2026-11-26T05:50:12Z', conflicts: 1 })).toBe(
      'Synced 05:50 UTC · 1 to resolve',
    );
    expect(syncText({ ...base, phase: 'syncing' })).toBe('Syncing…');
    expect(syncText({ ...base, last_error: 'unauthorized' })).toBe('Sign-in no longer valid: sign in again');
    expect(syncText({ ...base, last_error: 'server' })).toBe('Sync failed (server)');
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { money } from './disputes';
import { percent, utcText } from './dashboard';
import { setLocale } from './i18n.svelte';
import {
  deadlineAfter,
  experienceNote,
  fakeSignalLabel,
  formatDate,
  formatDateTime,
  formatTime,
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
    expect(formatDate('2026-11-26T23:59:59.123456Z', 'en')).toBe('2026-11-26');
    expect(formatDate('2026-11-26', 'en')).toBe('2026-11-26');
    expect(formatDate('<b>x</b>', 'en')).toBe('<b>x</b>');
    expect(formatTime('2026-11-26T05:50:12Z', 'en')).toBe('05:50');
    expect(formatDateTime('2026-11-26T05:50:12Z', 'en')).toBe('2026-11-26 05:50');
  });

  it('formats dates in German and Dutch, by the UTC day', () => {
    expect(formatDate('2026-11-26T23:59:59.123456Z', 'de')).toBe('26.11.2026');
    expect(formatDate('2026-03-01', 'de')).toBe('01.03.2026');
    expect(formatDate('2026-11-26T23:59:59Z', 'nl')).toBe('26-11-2026');
    expect(formatDate('<b>x</b>', 'de')).toBe('<b>x</b>');
    expect(formatTime('2026-11-26T17:05:00Z', 'de')).toBe('17:05');
    expect(formatTime('2026-11-26T17:05:00Z', 'nl')).toBe('17:05');
    expect(formatDateTime('2026-11-26T05:50:12Z', 'nl')).toBe('26-11-2026 05:50');
    expect(formatDateTime('garbage', 'de')).toBe('garbage');
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
    expect(syncText({ ...base, phase: 'syncing', pull_done: 5000, pull_total: 100250, pending_decisions: 1 })).toBe(
      'Syncing… 5000 of about 100250 changes · 1 waiting to sync',
    );
    expect(syncText({ ...base, last_error: 'unauthorized' })).toBe('Sign-in no longer valid: sign in again');
    expect(syncText({ ...base, last_error: 'server' })).toBe('Sync failed (server)');
  });
});

describe('in German and Dutch', () => {
  afterEach(() => setLocale('en', false));

  it('labels states, ratings and signals in German', () => {
    setLocale('de', false);
    expect(statusLabel({ state: 'pending' })).toBe('Offen');
    // German keeps the noun's capital inside the sentence.
    expect(statusLabel({ state: 'rejected', reason: 'personal_data' })).toBe('Abgelehnt: Personenbezogene Daten');
    expect(statusLabel({ state: 'evidence_requested', deadline: '2026-12-10T10:00:00Z' })).toBe(
      'Nachweis angefordert (fällig 10.12.2026)',
    );
    expect(ratingText(449, 'good')).toBe('4,49 Gut');
    expect(ratingText(null, null)).toBe('noch keine Bewertung');
    expect(sourceLabel('imported')).toBe('Importiert');
    expect(
      fakeSignalLabel({
        kind: 'daily_rate_burst',
        day: '2026-11-20',
        reviews: 14,
        usual_per_day_hundredths: 125,
        baseline_days: 28,
      }),
    ).toBe('14 Bewertungen für diesen Shop am 20.11.2026, gegenüber üblich 1,25 pro Tag (in den 28 Tagen davor)');
    expect(experienceNote({ result: 'too_old', earliest_allowed: '2026-05-26' })).toContain('26.05.2026');
  });

  it('labels states and ratings in Dutch', () => {
    setLocale('nl', false);
    expect(statusLabel({ state: 'rejected', reason: 'personal_data' })).toBe('Afgewezen: persoonsgegevens');
    expect(statusLabel({ state: 'evidence_requested', deadline: '2026-12-10T10:00:00Z' })).toBe(
      'Bewijs gevraagd (uiterlijk 10-12-2026)',
    );
    expect(ratingText(450, 'excellent')).toBe('4,50 Uitstekend');
    expect(reasonLabel('spam_duplicate')).toBe('Spam of duplicaat');
  });

  it('words the sync status', () => {
    const base = {
      signed_in: true,
      phase: 'idle',
      last_success: '2026-11-26T05:50:12Z',
      last_error: null,
      pending_decisions: 0,
      conflicts: 0,
      retry_in_seconds: null,
    };
    setLocale('de', false);
    expect(syncText(base)).toBe('Synchronisiert 05:50 UTC');
    expect(syncText({ ...base, last_error: 'offline', pending_decisions: 1200, retry_in_seconds: 8 })).toBe(
      'Offline: Entscheidungen werden gespeichert und später gesendet, neuer Versuch in 8 s · 1.200 warten auf Synchronisierung',
    );
    setLocale('nl', false);
    expect(syncText({ ...base, signed_in: false })).toBe('Niet aangemeld: werken met lokale gegevens');
  });

  it('writes money, shares and times the local way', () => {
    expect(money({ minor_units: 123456, currency: 'EUR' })).toBe('EUR 1234.56');
    expect(percent(0.45)).toBe('45 %');
    setLocale('de', false);
    expect(money({ minor_units: 123456, currency: 'EUR' })).toBe('1.234,56\u00a0€');
    expect(percent(0.045)).toBe('4,5 %');
    expect(utcText('2026-11-26T14:05:12Z')).toBe('26.11.2026, 14:05 UTC');
    setLocale('nl', false);
    expect(money({ minor_units: 2500, currency: 'EUR' })).toBe('€\u00a025,00');
    expect(percent(0.45)).toBe('45%');
    expect(utcText('2026-11-26T14:05:12Z')).toBe('26-11-2026 14:05 UTC');
  });
});

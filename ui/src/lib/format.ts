// Display helpers; pure so they are unit-tested without a window.
import type { ArmCategory } from './bindings/ArmCategory';
import type { ExperienceCheck } from './bindings/ExperienceCheck';
import type { FakeSignal } from './bindings/FakeSignal';
import type { RatingLabel } from './bindings/RatingLabel';
import type { RejectionReason } from './bindings/RejectionReason';
import type { ReviewSource } from './bindings/ReviewSource';
import type { ReviewStatus } from './bindings/ReviewStatus';
import { formatFixed, formatNumber, getLocale, inSentence, t, type Locale } from './i18n.svelte';

/** The ARM categories, in the seed's order; each is also a rejection reason. */
export const ARM_CATEGORIES: readonly ArmCategory[] = [
  'insult',
  'personal_data',
  'bank_details',
  'insurance_number',
  'product_reference',
  'tobacco_use',
  'drug_effect',
  'before_after',
  'mode_of_action',
  'alcohol_advertising',
];

/** Reason codes the app knows; their labels are in the catalogues as `reason.<code>`. */
export const REASON_CODES: readonly RejectionReason[] = [
  ...ARM_CATEGORIES,
  'experience_too_old',
  'not_real_experience',
  'spam_duplicate',
];

export function isReason(r: string): r is RejectionReason {
  return (REASON_CODES as readonly string[]).includes(r);
}

/** A reason or ARM category label; an unknown code as it came. */
export function reasonLabel(r: RejectionReason): string {
  return isReason(r) ? t(`reason.${r}`) : r;
}

export function statusLabel(s: ReviewStatus): string {
  switch (s.state) {
    case 'pending':
      return t('status.pending');
    case 'published':
      return t('status.published');
    case 'rejected':
      return t('status.rejected', { reason: inSentence(reasonLabel(s.reason)) });
    case 'evidence_requested':
      return t('status.evidence_requested', { date: formatDate(s.deadline) });
    case 'evidence_received':
      return t('status.evidence_received');
    case 'deleted':
      return s.cause === 'deadline_passed' ? t('status.deletedDeadline') : t('status.deletedRefused');
  }
}

export function sourceLabel(s: ReviewSource): string {
  return t(`source.${s}`);
}

export function fakeSignalLabel(s: FakeSignal): string {
  switch (s.kind) {
    case 'same_ip_burst':
      return s.ip
        ? t('signal.sameIp', { reviews: s.reviews, ip: s.ip, minutes: s.window_minutes })
        : t('signal.sameIpUnknown', { reviews: s.reviews, minutes: s.window_minutes });
    case 'no_confirmed_purchase':
      return t('signal.noPurchase');
    case 'duplicate_text':
      return t('signal.duplicate', { other: s.other });
    case 'disposable_email':
      return t('signal.disposable', { domain: s.domain });
    case 'daily_rate_burst': {
      // Grouped in English too, as this line always was.
      const usual = formatNumber(s.usual_per_day_hundredths / 100, { maximumFractionDigits: 2, useGrouping: true });
      return t('signal.dailyBurst', {
        reviews: s.reviews,
        day: formatDate(s.day),
        usual,
        days: s.baseline_days,
      });
    }
  }
}

/** Five stars as text, e.g. "★★★★☆"; pair it with the number for screen readers. */
export function starsText(n: number): string {
  const k = Math.max(0, Math.min(5, Math.round(n)));
  return '★'.repeat(k) + '☆'.repeat(5 - k);
}

const dateFormats = new Map<Locale, Intl.DateTimeFormat>();
const timeFormats = new Map<Locale, Intl.DateTimeFormat>();

function dateFormat(l: Locale): Intl.DateTimeFormat {
  let f = dateFormats.get(l);
  if (!f) {
    f = new Intl.DateTimeFormat(l, { timeZone: 'UTC', year: 'numeric', month: '2-digit', day: '2-digit' });
    dateFormats.set(l, f);
  }
  return f;
}

/**
 * The UTC date of an RFC 3339 timestamp or date: "2026-11-26" in English (ISO
 * 8601, as the app always showed it), "26.11.2026" in German, "26-11-2026" in
 * Dutch; the input unchanged if unparsable.
 */
export function formatDate(iso: string, l: Locale = getLocale()): string {
  const m = /^(\d{4}-\d{2}-\d{2})/.exec(iso);
  if (!m?.[1]) return iso;
  if (l === 'en') return m[1];
  const ms = Date.parse(`${m[1]}T00:00:00Z`);
  return Number.isNaN(ms) ? m[1] : dateFormat(l).format(ms);
}

/** The UTC time "14:05" of an RFC 3339 timestamp (24-hour clock in every language). */
export function formatTime(iso: string, l: Locale = getLocale()): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  if (l === 'en') return new Date(ms).toISOString().slice(11, 16);
  let f = timeFormats.get(l);
  if (!f) {
    f = new Intl.DateTimeFormat(l, { timeZone: 'UTC', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    timeFormats.set(l, f);
  }
  return f.format(ms);
}

/** "2026-11-26 14:05" (UTC) in English, the locale's date and time otherwise. */
export function formatDateTime(iso: string, l: Locale = getLocale()): string {
  if (Number.isNaN(Date.parse(iso))) return iso;
  return `${formatDate(iso, l)} ${formatTime(iso, l)}`;
}

export function experienceNote(c: ExperienceCheck): string | null {
  switch (c.result) {
    case 'ok':
      return null;
    case 'too_old':
      return t('experience.tooOld', { date: formatDate(c.earliest_allowed) });
    case 'in_future':
      return t('experience.inFuture');
  }
}

/** RFC 3339 deadline `days` whole days after `now`. */
export function deadlineAfter(now: Date, days: number): string {
  return new Date(now.getTime() + days * 86_400_000).toISOString();
}

/** "4.49 Good" from hundredths and label; "no rating yet" without reviews. */
export function ratingText(hundredths: number | null, label: RatingLabel | null): string {
  if (hundredths === null || label === null) return t('rating.none');
  return t('rating.text', { value: formatFixed(hundredths / 100, 2), label: t(`rating.${label}`) });
}

/** One line for the status bar about sync. */
export function syncText(s: {
  signed_in: boolean;
  phase: string;
  last_success: string | null;
  last_error: string | null;
  pending_decisions: number;
  conflicts: number;
  retry_in_seconds: number | null;
  pull_done?: number | null;
  pull_total?: number | null;
}): string {
  const waiting = s.pending_decisions > 0 ? ` · ${t('sync.waiting', { count: s.pending_decisions })}` : '';
  const conflicts = s.conflicts > 0 ? ` · ${t('sync.toResolve', { count: s.conflicts })}` : '';
  const tail = waiting + conflicts;
  if (!s.signed_in) return `${t('sync.notSignedIn')}${tail}`;
  if (s.phase === 'syncing' && s.pull_done != null && s.pull_total) {
    const of = t('sync.pulling', { done: formatNumber(s.pull_done), total: formatNumber(s.pull_total) });
    return `${t('sync.syncing')} ${of}${tail}`;
  }
  if (s.phase === 'syncing') return `${t('sync.syncing')}${tail}`;
  const retry = s.retry_in_seconds != null ? `, ${t('sync.retrying', { seconds: s.retry_in_seconds })}` : '';
  if (s.last_error === 'offline') return `${t('sync.offline')}${retry}${tail}`;
  if (s.last_error === 'unauthorized') return `${t('sync.unauthorized')}${tail}`;
  if (s.last_error) return `${t('sync.failed', { error: s.last_error })}${retry}${tail}`;
  if (s.last_success) return `${t('sync.synced', { time: formatTime(s.last_success) })}${tail}`;
  return `${t('sync.never')}${tail}`;
}

// Display helpers; pure so they are unit-tested without a window.
import type { ExperienceCheck } from './bindings/ExperienceCheck';
import type { FakeSignal } from './bindings/FakeSignal';
import type { RatingLabel } from './bindings/RatingLabel';
import type { RejectionReason } from './bindings/RejectionReason';
import type { ReviewSource } from './bindings/ReviewSource';
import type { ReviewStatus } from './bindings/ReviewStatus';

export const REASON_LABELS: Record<RejectionReason, string> = {
  insult: 'Insult or racist statement',
  personal_data: 'Personal data',
  bank_details: 'Bank details',
  insurance_number: 'Insurance number',
  product_reference: 'Product reference',
  tobacco_use: 'Tobacco or e-cigarette use',
  drug_effect: 'Effect of a drug',
  before_after: 'Before/after comparison',
  mode_of_action: 'Mode of action',
  alcohol_advertising: 'Alcohol advertising',
  experience_too_old: 'Experience older than 6 months',
  not_real_experience: 'Not based on a real experience',
  spam_duplicate: 'Spam or duplicate',
};

export function reasonLabel(r: RejectionReason): string {
  return REASON_LABELS[r] ?? r;
}

export function statusLabel(s: ReviewStatus): string {
  switch (s.state) {
    case 'pending':
      return 'Pending';
    case 'published':
      return 'Published';
    case 'rejected':
      return `Rejected: ${reasonLabel(s.reason).toLowerCase()}`;
    case 'evidence_requested':
      return `Evidence requested (due ${formatDate(s.deadline)})`;
    case 'evidence_received':
      return 'Evidence received';
    case 'deleted':
      return s.cause === 'deadline_passed' ? 'Deleted: deadline passed' : 'Deleted: evidence refused';
  }
}

export function sourceLabel(s: ReviewSource): string {
  switch (s) {
    case 'invitation':
      return 'Invitation';
    case 'consumer_account':
      return 'Consumer account';
    case 'direct_double_opt_in':
      return 'Direct (double opt-in)';
    case 'imported':
      return 'Imported';
  }
}

export function fakeSignalLabel(s: FakeSignal): string {
  switch (s.kind) {
    case 'same_ip_burst':
      return `${s.reviews} reviews from ${s.ip ? `IP address ${s.ip}` : 'one IP address'} within ${s.window_minutes} minutes`;
    case 'no_confirmed_purchase':
      return 'No confirmed purchase for the order reference';
    case 'duplicate_text':
      return `Text nearly identical to review ${s.other}`;
    case 'disposable_email':
      return `Reviewer's e-mail is on a throwaway domain (${s.domain})`;
    case 'daily_rate_burst': {
      const usual = (s.usual_per_day_hundredths / 100).toLocaleString('en', { maximumFractionDigits: 2 });
      return `${s.reviews} reviews for this shop on ${s.day}, against a usual ${usual} a day (${s.baseline_days} days before)`;
    }
  }
}

/** Five stars as text, e.g. "★★★★☆"; pair it with the number for screen readers. */
export function starsText(n: number): string {
  const k = Math.max(0, Math.min(5, Math.round(n)));
  return '★'.repeat(k) + '☆'.repeat(5 - k);
}

/** UTC date "2026-11-26" of an RFC 3339 timestamp or date; the input unchanged if unparsable. */
export function formatDate(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})/.exec(iso);
  return m?.[1] ?? iso;
}

export function experienceNote(c: ExperienceCheck): string | null {
  switch (c.result) {
    case 'ok':
      return null;
    case 'too_old':
      return `Experience older than 6 months (earliest allowed ${c.earliest_allowed})`;
    case 'in_future':
      return 'Experience dated after submission';
  }
}

/** RFC 3339 deadline `days` whole days after `now`. */
export function deadlineAfter(now: Date, days: number): string {
  return new Date(now.getTime() + days * 86_400_000).toISOString();
}

const RATING_LABELS: Record<RatingLabel, string> = {
  excellent: 'Excellent',
  good: 'Good',
  fair: 'Fair',
  poor: 'Poor',
  very_poor: 'Very poor',
};

/** "4.49 Good" from hundredths and label; "no rating yet" without reviews. */
export function ratingText(hundredths: number | null, label: RatingLabel | null): string {
  if (hundredths === null || label === null) return 'no rating yet';
  return `${Math.floor(hundredths / 100)}.${String(hundredths % 100).padStart(2, '0')} ${RATING_LABELS[label]}`;
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
}): string {
  const waiting = s.pending_decisions > 0 ? ` · ${s.pending_decisions} waiting to sync` : '';
  const conflicts = s.conflicts > 0 ? ` · ${s.conflicts} to resolve` : '';
  const tail = waiting + conflicts;
  if (!s.signed_in) return `Not signed in: working on local data${tail}`;
  if (s.phase === 'syncing') return `Syncing…${tail}`;
  const retry = s.retry_in_seconds != null ? `, retrying in ${s.retry_in_seconds} s` : '';
  if (s.last_error === 'offline') return `Offline: decisions are kept and sent later${retry}${tail}`;
  if (s.last_error === 'unauthorized') return `Sign-in no longer valid: sign in again${tail}`;
  if (s.last_error) return `Sync failed (${s.last_error})${retry}${tail}`;
  if (s.last_success) return `Synced ${s.last_success.slice(11, 16)} UTC${tail}`;
  return `Not synced yet${tail}`;
}

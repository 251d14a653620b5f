// Display helpers; pure so they are unit-tested without a window.
import type { ReviewStatus } from './bindings/ReviewStatus';
import type { ReviewSource } from './bindings/ReviewSource';
import type { ExperienceCheck } from './bindings/ExperienceCheck';

const REASONS: Record<string, string> = {
  insult: 'insult',
  personal_data: 'personal data',
  bank_details: 'bank details',
  insurance_number: 'insurance number',
  product_reference: 'product reference',
  tobacco_use: 'tobacco use',
  drug_effect: 'drug effect',
  before_after: 'before/after',
  mode_of_action: 'mode of action',
  alcohol_advertising: 'alcohol advertising',
  experience_too_old: 'experience too old',
  not_real_experience: 'not a real experience',
  spam_duplicate: 'spam / duplicate',
};

export function statusLabel(s: ReviewStatus): string {
  switch (s.state) {
    case 'pending':
      return 'Pending';
    case 'published':
      return 'Published';
    case 'rejected':
      return `Rejected: ${REASONS[s.reason] ?? s.reason}`;
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

/** Five stars as text, e.g. "★★★☆☆", with the number for screen readers elsewhere. */
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

import { describe, expect, it } from 'vitest';
import { eventLabel, needsAttention, subjectLabel } from './activity';

describe('activity labels', () => {
  it('names known events and shows unknown ones by their code', () => {
    expect(eventLabel('decision_recorded')).toBe('Decision saved');
    expect(eventLabel('decision_synced')).toBe('Applied on the server');
    expect(eventLabel('dispute_change')).toBe('Dispute change saved');
    expect(eventLabel('something_new')).toBe('something_new');
  });
  it('says what was decided, or which kind of change', () => {
    expect(subjectLabel({ kind: 'review', action: { action: 'publish' }, change: null })).toBe('publish');
    expect(subjectLabel({ kind: 'review', action: { action: 'reject', reason: 'spam_duplicate' }, change: null })).toBe(
      'reject: Spam or duplicate',
    );
    expect(subjectLabel({ kind: 'dispute', action: null, change: 'send_message' })).toBe('Dispute · send message');
  });
  it('marks what the server did not apply', () => {
    expect(needsAttention('decision_conflict')).toBe(true);
    expect(needsAttention('case_refused')).toBe(true);
    expect(needsAttention('decision_synced')).toBe(false);
  });
});

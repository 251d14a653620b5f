import { describe, expect, it } from 'vitest';
import type { ComplaintCase } from './bindings/ComplaintCase';
import { complaintHistoryLine, complaintStatusLabel } from './complaints';

const base: ComplaintCase = {
  id: 'c',
  decision_id: 'd',
  review_id: 'r',
  shop_id: 's',
  language: 'de',
  decision_by: 'u1',
  assigned_to: 'u2',
  text: '<b>not html</b>',
  received_at: '2026-11-02T10:00:00Z',
  entered_by: 'u3',
  status: 'open',
  decided_by: null,
  decided_at: null,
  reasons: null,
  publish_decision_id: null,
  version: 1,
};
const day = (iso: string) => iso.slice(0, 10);

describe('complaints', () => {
  it('labels every status', () => {
    expect(complaintStatusLabel('open')).toBe('Open');
    expect(complaintStatusLabel('upheld')).toContain('published');
    expect(complaintStatusLabel('dismissed')).toContain('stands');
  });
  it('describes a complaint in the review history', () => {
    expect(complaintHistoryLine(base, day)).toBe('Complaint received 2026-11-02; open');
    const upheld = { ...base, status: 'upheld' as const, decided_at: '2026-11-04T09:00:00Z' };
    expect(complaintHistoryLine(upheld, day)).toBe('Complaint received 2026-11-02; upheld 2026-11-04');
    expect(complaintHistoryLine({ ...base, status: 'dismissed' }, day)).toBe('Complaint received 2026-11-02; dismissed');
  });
});

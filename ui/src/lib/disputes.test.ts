import { describe, expect, it } from 'vitest';
import { disputeCommandFor, money, parseAmount } from './disputes';

describe('dispute helpers', () => {
  it('reads amounts as integer cents and never as floats', () => {
    expect(parseAmount('12.5')).toBe(1250);
    expect(parseAmount('12,05')).toBe(1205);
    expect(parseAmount('0')).toBeNull();
    expect(parseAmount('1e3')).toBeNull();
    expect(parseAmount('-4')).toBeNull();
    expect(money({ minor_units: 2500, currency: 'EUR' })).toBe('EUR 25.00');
  });
  it('maps one key per action', () => {
    const k = (key: string) => ({ key, ctrlKey: false, metaKey: false, altKey: false });
    expect(disputeCommandFor(k('w'))).toEqual({ kind: 'decide' });
    expect(disputeCommandFor(k('m'))).toEqual({ kind: 'message' });
    expect(disputeCommandFor({ ...k('m'), ctrlKey: true })).toBeNull();
    expect(disputeCommandFor(k('W'))).toBeNull();
  });
});

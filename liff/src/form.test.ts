import { describe, expect, it } from 'vitest';
import { choose } from './form';
import { tokenFromHash } from './identity';

const residence = { id: 1, kind: 'MUNICIPALITY', options: [{ id: 10 }, { id: 11 }] };
const interests = { id: 2, kind: 'MULTIPLE', options: [{ id: 20 }, { id: 21 }] };

describe('choosing options', () => {
  it('keeps one choice for single-choice items', () => {
    expect(choose([10, 20], residence, 11)).toEqual([20, 11]);
    expect(choose([10, 20], residence, null)).toEqual([20]);
  });
  it('ticks and unticks for multiple-choice items', () => {
    expect(choose([10], interests, 21)).toEqual([10, 21]);
    expect(choose([10, 21], interests, 21, false)).toEqual([10]);
  });
});

describe('sandbox login', () => {
  it('reads the ID token from the redirect fragment', () => {
    expect(tokenFromHash('#id_token=abc.def.ghi')).toBe('abc.def.ghi');
    expect(tokenFromHash('#state=x&id_token=t')).toBe('t');
    expect(tokenFromHash('')).toBeNull();
  });
});

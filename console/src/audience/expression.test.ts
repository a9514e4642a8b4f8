import { describe, expect, it } from 'vitest';
import { toExpression } from './expression';

describe('segment builder', () => {
  it('ands items and ors options within an item', () => {
    expect(toExpression({ 1: [11, 10], 2: [], 3: [30] })).toEqual({ and: [{ anyOf: [10, 11] }, { anyOf: [30] }] });
  });
  it('falls back to everyone registered', () => {
    expect(toExpression({})).toEqual({ registered: true });
  });
});

import { describe, expect, it } from 'vitest';
import { moved } from './MoveButtons';

describe('moved', () => {
  it('moves one entry up or down and leaves the input alone', () => {
    const ids = [1, 2, 3, 4];
    expect(moved(ids, 2, 1)).toEqual([1, 3, 2, 4]);
    expect(moved(ids, 0, 1)).toEqual([2, 1, 3, 4]);
    expect(moved(ids, 3, 0)).toEqual([4, 1, 2, 3]);
    expect(ids).toEqual([1, 2, 3, 4]);
  });
});

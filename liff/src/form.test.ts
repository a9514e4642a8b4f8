import { describe, expect, it } from 'vitest';
import { choose, coveredByParent, descendantCount, normalised, questionOf } from './form';
import { closeWay, tokenFromHash } from './identity';

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

describe('server errors at their questions', () => {
  const birth = { id: 3, kind: 'BIRTH_YEAR', options: [] };
  const attrs = [residence, interests, birth];
  it('puts each message at the question it is about', () => {
    expect(questionOf('input.attributes.2', attrs, [])).toBe('attr-2');
    expect(questionOf('input.freeText.7', attrs, [])).toBe('attr-7');
    expect(questionOf('input.birthYear', attrs, [])).toBe('attr-3');
    // optionIds[i] indexes what was sent, sorted and once each.
    expect(questionOf('input.optionIds[1]', attrs, normalised([11, 10, 10]))).toBe('attr-1');
    expect(questionOf('input.nodeIds[0]', attrs, [])).toBe('categories');
    expect(questionOf('input', attrs, [])).toBeNull();
    expect(questionOf('input.optionIds[5]', attrs, [10])).toBeNull();
  });
});

describe('receive items', () => {
  const tree = [
    { id: 1, parentId: null },
    { id: 2, parentId: 1 },
    { id: 3, parentId: 2 },
    { id: 4, parentId: null },
  ];
  it('shows children of a ticked parent as included, at every level', () => {
    expect(coveredByParent(3, [1], tree)).toBe(true);
    expect(coveredByParent(2, [1], tree)).toBe(true);
    expect(coveredByParent(1, [1], tree)).toBe(false);
    expect(coveredByParent(3, [4], tree)).toBe(false);
    expect(descendantCount(1, tree)).toBe(2);
    expect(descendantCount(4, tree)).toBe(0);
  });
});

describe('closing the page', () => {
  it('uses LINE inside the LINE app and the browser elsewhere', () => {
    expect(closeWay(true, true)).toBe('liff');
    expect(closeWay(true, false)).toBe('window');
    expect(closeWay(false, false)).toBe('window');
  });
});

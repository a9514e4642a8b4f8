import { describe, expect, it } from 'vitest';
import { itemsToOpen, matchingItems } from './catalogSearch';

const items = [
  { id: 1, name: '居住地域', options: [{ label: 'さいたま市' }, { label: '川口市' }] },
  { id: 2, name: '関心のある分野', options: [{ label: '防災' }, { label: 'ＩＴ' }] },
  { id: 3, name: '生まれ年', options: [] },
];

describe('catalogue search', () => {
  it('finds items by name or by any option', () => {
    expect(matchingItems(items, '川口').map((a) => a.id)).toEqual([1]);
    expect(matchingItems(items, '生まれ').map((a) => a.id)).toEqual([3]);
    expect(matchingItems(items, '').map((a) => a.id)).toEqual([1, 2, 3]);
    expect(matchingItems(items, '札幌')).toEqual([]);
  });
  it('ignores full- and half-width and case', () => {
    expect(matchingItems(items, 'it').map((a) => a.id)).toEqual([2]);
  });
  it('opens the items whose options matched, so the match is visible', () => {
    expect(itemsToOpen(items, '川口')).toEqual([1]);
    expect(itemsToOpen(items, '居住')).toEqual([]);
    expect(itemsToOpen(items, ' ')).toEqual([]);
  });
});

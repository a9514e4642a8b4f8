import { describe, expect, it } from 'vitest';
import { emptyGroup, fromExpression, toExpression, replaceChild, type Group, type SegmentExpr } from './expression';

describe('segment builder', () => {
  it('falls back to everyone registered', () => {
    expect(toExpression(emptyGroup())).toEqual({ registered: true });
  });

  it('drops half-finished conditions and unwraps single children', () => {
    const root: Group = {
      ...emptyGroup(),
      children: [
        { kind: 'options', attributeId: 1, mode: 'any', optionIds: [11, 10] },
        { kind: 'options', attributeId: 2, mode: 'all', optionIds: [] },
        { kind: 'birthYear', from: '19', to: '' },
      ],
    };
    expect(toExpression(root)).toEqual({ anyOf: [10, 11] });
  });

  it('nests and / or / not', () => {
    const root: Group = {
      kind: 'group',
      op: 'and',
      negate: false,
      children: [
        { kind: 'birthYear', from: '1980', to: '1999' },
        {
          kind: 'group',
          op: 'or',
          negate: true,
          children: [
            { kind: 'subscribed', nodeId: 7 },
            { kind: 'options', attributeId: 3, mode: 'all', optionIds: [31, 30] },
          ],
        },
        { kind: 'friendSince', date: '2026-04-01' },
      ],
    };
    expect(toExpression(root)).toEqual({
      and: [
        { birthYear: { from: 1980, to: 1999 } },
        { not: { or: [{ subscribedTo: 7 }, { allOf: [30, 31] }] } },
        { friendSince: '2026-04-01T00:00:00+09:00' },
      ],
    });
  });

  it('replaces and removes children without touching the original', () => {
    const inner: Group = { ...emptyGroup('or'), children: [{ kind: 'registered', value: false }] };
    const root: Group = { ...emptyGroup(), children: [{ kind: 'registered', value: true }, inner] };
    const edited = replaceChild(root, 1, replaceChild(inner, 0, { kind: 'subscribed', nodeId: 4 }));
    expect(toExpression(edited)).toEqual({ and: [{ registered: true }, { subscribedTo: 4 }] });
    expect(toExpression(replaceChild(edited, 0, null))).toEqual({ subscribedTo: 4 });
    expect(toExpression(root)).toEqual({ and: [{ registered: true }, { registered: false }] });
  });
});

describe('a saved expression back in the builder', () => {
  const owners = new Map([
    [1, 10],
    [2, 10],
    [3, 20],
  ]);
  it('gives the same expression back', () => {
    const saved: SegmentExpr = {
      and: [{ anyOf: [1, 2] }, { or: [{ birthYear: { from: 1980, to: 1989 } }, { subscribedTo: 7 }] }, { not: { registered: false } }],
    };
    expect(toExpression(fromExpression(saved, owners))).toEqual(saved);
  });
  it('splits options of several items by item', () => {
    const g = fromExpression({ anyOf: [1, 3] }, owners);
    expect(g.op).toBe('or');
    expect(g.children).toHaveLength(2);
    expect(toExpression(g)).toEqual({ or: [{ anyOf: [1] }, { anyOf: [3] }] });
  });
  it('reads a friend-since day in JST', () => {
    expect(fromExpression({ friendSince: '2026-04-01T00:00:00+09:00' }, owners).children[0]).toEqual({ kind: 'friendSince', date: '2026-04-01' });
  });
});

import { describe, expect, it } from 'vitest';
import { emptyGroup, toExpression, replaceChild, type Group } from './expression';

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

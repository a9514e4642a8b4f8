// The builder's selection as a segment expression: within an item any of the
// ticked options, across items all of them.

export type Selection = Record<number, number[]>;

export type SegmentExpr = { and: { anyOf: number[] }[] } | { registered: boolean };

export function toExpression(selection: Selection): SegmentExpr {
  const clauses = Object.values(selection)
    .filter((ids) => ids.length > 0)
    .map((ids) => ({ anyOf: [...ids].sort((a, b) => a - b) }));
  // Nothing ticked: everyone who registered.
  return clauses.length === 0 ? { registered: true } : { and: clauses };
}

// The segment builder's condition tree and its translation into the API's
// `SegmentExpr`. The tree keeps half-finished conditions (an item with no
// option ticked yet) so staff can build step by step; the translation drops
// them, so the live count always reflects what is complete.

export type Condition =
  | { kind: 'options'; attributeId: number; mode: 'any' | 'all'; optionIds: number[] }
  | { kind: 'birthYear'; from: string; to: string }
  | { kind: 'subscribed'; nodeId: number | null }
  | { kind: 'registered'; value: boolean }
  | { kind: 'friendSince'; date: string };

export type Group = { kind: 'group'; op: 'and' | 'or'; negate: boolean; children: BuilderNode[] };

export type BuilderNode = Group | Condition;

export type SegmentExpr =
  | { and: SegmentExpr[] }
  | { or: SegmentExpr[] }
  | { not: SegmentExpr }
  | { anyOf: number[] }
  | { allOf: number[] }
  | { birthYear: { from?: number; to?: number } }
  | { subscribedTo: number }
  | { registered: boolean }
  | { friendSince: string };

export const emptyGroup = (op: 'and' | 'or' = 'and'): Group => ({ kind: 'group', op, negate: false, children: [] });

const year = (text: string): number | undefined => (/^\d{4}$/.test(text.trim()) ? Number(text.trim()) : undefined);

function condition(c: Condition): SegmentExpr | null {
  switch (c.kind) {
    case 'options': {
      if (c.optionIds.length === 0) return null;
      const ids = [...c.optionIds].sort((a, b) => a - b);
      return c.mode === 'any' ? { anyOf: ids } : { allOf: ids };
    }
    case 'birthYear': {
      const range = { from: year(c.from), to: year(c.to) };
      return range.from === undefined && range.to === undefined ? null : { birthYear: range };
    }
    case 'subscribed':
      return c.nodeId === null ? null : { subscribedTo: c.nodeId };
    case 'registered':
      return { registered: c.value };
    case 'friendSince':
      // A JST calendar day: midnight in Tokyo.
      return /^\d{4}-\d{2}-\d{2}$/.test(c.date) ? { friendSince: `${c.date}T00:00:00+09:00` } : null;
  }
}

/** The node as an expression, or null when nothing in it is complete yet. */
export function nodeExpression(node: BuilderNode): SegmentExpr | null {
  if (node.kind !== 'group') return condition(node);
  const parts = node.children.map(nodeExpression).filter((e): e is SegmentExpr => e !== null);
  const [first] = parts;
  if (first === undefined) return null;
  const joined: SegmentExpr = parts.length === 1 ? first : node.op === 'and' ? { and: parts } : { or: parts };
  return node.negate ? { not: joined } : joined;
}

/** The whole builder as one expression; with nothing chosen, everyone registered. */
export function toExpression(root: Group): SegmentExpr {
  return nodeExpression(root) ?? { registered: true };
}

/** The group with child `index` replaced by `next`, or removed when `next` is null. */
export function replaceChild(group: Group, index: number, next: BuilderNode | null): Group {
  const children = [...group.children];
  if (next === null) children.splice(index, 1);
  else children[index] = next;
  return { ...group, children };
}

/** What `fromExpression` needs to know: which attribute each option belongs to. */
export type OptionOwners = ReadonlyMap<number, number>;

/** The option ids grouped by attribute, as conditions of the builder. */
function optionConditions(ids: readonly number[], mode: 'any' | 'all', owners: OptionOwners): Condition[] {
  const byAttribute = new Map<number, number[]>();
  for (const id of ids) {
    const attribute = owners.get(id) ?? -1;
    byAttribute.set(attribute, [...(byAttribute.get(attribute) ?? []), id]);
  }
  return [...byAttribute].map(([attributeId, optionIds]) => ({ kind: 'options', attributeId, mode, optionIds }));
}

/** A JST calendar day (yyyy-mm-dd) of an instant. */
function jstDate(iso: string): string {
  return new Date(new Date(iso).getTime() + 9 * 3600_000).toISOString().slice(0, 10);
}

function fromNode(e: SegmentExpr, owners: OptionOwners): BuilderNode[] {
  if ('and' in e) return [{ kind: 'group', op: 'and', negate: false, children: e.and.flatMap((x) => fromNode(x, owners)) }];
  if ('or' in e) return [{ kind: 'group', op: 'or', negate: false, children: e.or.flatMap((x) => fromNode(x, owners)) }];
  if ('not' in e) {
    const inner = fromNode(e.not, owners);
    const [only] = inner;
    if (inner.length === 1 && only?.kind === 'group') return [{ ...only, negate: !only.negate }];
    return [{ kind: 'group', op: 'and', negate: true, children: inner }];
  }
  // Options of several attributes: "any of" is any of the items, "all of" all of them.
  const options = (ids: readonly number[], mode: 'any' | 'all'): BuilderNode[] => {
    const parts = optionConditions(ids, mode, owners);
    return parts.length === 1 ? parts : [{ kind: 'group', op: mode === 'any' ? 'or' : 'and', negate: false, children: parts }];
  };
  if ('anyOf' in e) return options(e.anyOf, 'any');
  if ('allOf' in e) return options(e.allOf, 'all');
  const record = e as Record<string, unknown>;
  for (const key of ['genderIn', 'residenceIn', 'regionsOverlap']) {
    if (Array.isArray(record[key])) return options(record[key] as number[], 'any');
  }
  if ('birthYear' in e) return [{ kind: 'birthYear', from: e.birthYear.from?.toString() ?? '', to: e.birthYear.to?.toString() ?? '' }];
  if ('subscribedTo' in e) return [{ kind: 'subscribed', nodeId: e.subscribedTo }];
  if ('registered' in e) return [{ kind: 'registered', value: e.registered }];
  if ('friendSince' in e) return [{ kind: 'friendSince', date: jstDate(e.friendSince) }];
  return [];
}

/** A saved expression back in the builder, to be read and changed. */
export function fromExpression(e: SegmentExpr, owners: OptionOwners): Group {
  const nodes = fromNode(e, owners);
  const [only] = nodes;
  if (nodes.length === 1 && only?.kind === 'group') return only;
  return { kind: 'group', op: 'and', negate: false, children: nodes };
}

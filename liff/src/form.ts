// Choosing options: one per single-choice item, any number otherwise.

export type FormAttribute = { id: number; kind: string; options: { id: number }[] };

const SINGLE = new Set(['SINGLE', 'GENDER', 'MUNICIPALITY']);

export function isSingle(kind: string): boolean {
  return SINGLE.has(kind);
}

/** The chosen option ids after ticking or choosing `optionId` of `attr`. */
export function choose(chosen: readonly number[], attr: FormAttribute, optionId: number | null, on = true): number[] {
  const own = new Set(attr.options.map((o) => o.id));
  if (isSingle(attr.kind)) {
    const others = chosen.filter((id) => !own.has(id));
    return optionId === null ? others : [...others, optionId];
  }
  if (optionId === null) return [...chosen];
  return on ? [...new Set([...chosen, optionId])] : chosen.filter((id) => id !== optionId);
}

/** What is sent: option and node ids sorted and once each, as the server reads them. */
export function normalised(ids: readonly number[]): number[] {
  return [...new Set(ids)].sort((a, b) => a - b);
}

/**
 * The question a server error belongs to — `attr-<id>`, `categories`, or
 * null for the form as a whole — so the message is shown at that question.
 * `sentOptionIds` is what was sent (normalised), which `optionIds[i]` indexes.
 */
export function questionOf(path: string, attributes: readonly FormAttribute[], sentOptionIds: readonly number[]): string | null {
  const p = path.replace(/^input\./, '');
  const own = /^(?:attributes|freeText)\.(\d+)$/.exec(p);
  if (own) return `attr-${own[1]}`;
  if (p === 'birthYear') {
    const a = attributes.find((x) => x.kind === 'BIRTH_YEAR');
    return a ? `attr-${a.id}` : null;
  }
  const option = /^optionIds\[(\d+)\]$/.exec(p);
  if (option) {
    const id = sentOptionIds[Number(option[1])];
    const a = attributes.find((x) => x.options.some((o) => o.id === id));
    return a ? `attr-${a.id}` : null;
  }
  if (/^nodeIds\[\d+\]$/.test(p)) return 'categories';
  return null;
}

export type TreeNode = { id: number; parentId?: number | null };

/** Whether `id` is already included because one of its ancestors is ticked. */
export function coveredByParent(id: number, ticked: readonly number[], nodes: readonly TreeNode[]): boolean {
  const parent = new Map(nodes.map((n) => [n.id, n.parentId ?? null]));
  const seen = new Set<number>();
  for (let p = parent.get(id) ?? null; p !== null && !seen.has(p); p = parent.get(p) ?? null) {
    if (ticked.includes(p)) return true;
    seen.add(p);
  }
  return false;
}

/** How many items lie under `id` (all levels). */
export function descendantCount(id: number, nodes: readonly TreeNode[]): number {
  const below = nodes.filter((n) => n.parentId === id);
  return below.reduce((sum, n) => sum + 1 + descendantCount(n.id, nodes), 0);
}

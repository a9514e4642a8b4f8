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

// Finding an item on the 属性・受信項目 page: by the item's name or any of
// its options, ignoring width and case (ｶﾜｸﾞﾁ finds カワグチ, ＡＢＣ finds abc).

type Searchable = { id: number; name: string; options: { label: string }[] };

const fold = (s: string) => s.normalize('NFKC').toLowerCase().trim();

/** The items the query matches (all of them for an empty query). */
export function matchingItems<T extends Searchable>(items: readonly T[], query: string): T[] {
  const q = fold(query);
  if (q === '') return [...items];
  return items.filter((a) => fold(a.name).includes(q) || a.options.some((o) => fold(o.label).includes(q)));
}

/** The items to open for a query: those matched by an option (an item matched by its name stays as it is). */
export function itemsToOpen(items: readonly Searchable[], query: string): number[] {
  const q = fold(query);
  if (q === '') return [];
  return items.filter((a) => a.options.some((o) => fold(o.label).includes(q))).map((a) => a.id);
}

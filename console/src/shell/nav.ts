// What the navigation shows an account: the entries its permissions open
// (the route table in `routes.tsx` says which those are).

/** `permission`: the one that shows the entry; a list shows it for any of them. */
export type NavItem = { path: string; labelKey: string; permission: string | readonly string[] | null };

export function permitted(permission: NavItem['permission'], held: readonly string[]): boolean {
  if (permission === null) return true;
  return typeof permission === 'string' ? held.includes(permission) : permission.some((x) => held.includes(x));
}

export function visibleNav(items: readonly NavItem[], permissions: readonly string[]): NavItem[] {
  return items.filter((item) => permitted(item.permission, permissions));
}

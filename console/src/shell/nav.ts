// The navigation, each entry with the permission that shows it. The server
// enforces the same permissions; hiding only spares people dead ends.

/** `permission`: the one that shows the entry; a list shows it for any of them. */
export type NavItem = { path: string; labelKey: string; permission: string | string[] | null };

export const NAV: NavItem[] = [
  { path: '/', labelKey: 'nav.dashboard', permission: null },
  { path: '/staff', labelKey: 'nav.staff', permission: 'staff.manage' },
  { path: '/teams', labelKey: 'nav.teams', permission: 'staff.manage' },
  { path: '/service-accounts', labelKey: 'nav.serviceAccounts', permission: 'staff.manage' },
  { path: '/friends', labelKey: 'nav.friends', permission: 'friends.read' },
  { path: '/catalog', labelKey: 'nav.catalog', permission: 'segment.manage' },
  { path: '/forms', labelKey: 'nav.forms', permission: 'segment.manage' },
  { path: '/segments', labelKey: 'nav.segments', permission: 'segment.manage' },
  { path: '/deliveries', labelKey: 'nav.deliveries', permission: ['delivery.create', 'delivery.send', 'delivery.approve'] },
  { path: '/pass', labelKey: 'nav.pass', permission: 'pass.manage' },
  { path: '/card/settings', labelKey: 'nav.cardSettings', permission: 'card.settings' },
  { path: '/card/holders', labelKey: 'nav.cardHolders', permission: 'card.pii.read' },
  { path: '/audit', labelKey: 'nav.audit', permission: 'audit.read' },
];

export function visibleNav(permissions: readonly string[]): NavItem[] {
  return NAV.filter((item) => {
    const p = item.permission;
    if (p === null) return true;
    return Array.isArray(p) ? p.some((x) => permissions.includes(x)) : permissions.includes(p);
  });
}

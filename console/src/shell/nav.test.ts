import { describe, expect, it } from 'vitest';
import { NAV, ROUTES } from '../routes';
import { visibleNav } from './nav';

describe('visibleNav', () => {
  it('shows only what the permissions allow', () => {
    expect(visibleNav(NAV, []).map((i) => i.path)).toEqual(['/']);
    expect(visibleNav(NAV, ['audit.read']).map((i) => i.path)).toEqual(['/', '/audit']);
    expect(visibleNav(NAV, ['staff.manage', 'audit.read'])).toHaveLength(5);
  });

  it('lists each menu entry once, as a route, with the route\'s permission', () => {
    for (const item of NAV) {
      const route = ROUTES.find((r) => `/${r.path}` === item.path);
      expect(route?.permission).toEqual(item.permission);
    }
    expect(new Set(NAV.map((i) => i.path)).size).toBe(NAV.length);
  });
});

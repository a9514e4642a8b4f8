import { describe, expect, it } from 'vitest';
import { visibleNav } from './nav';

describe('visibleNav', () => {
  it('shows only what the permissions allow', () => {
    expect(visibleNav([]).map((i) => i.path)).toEqual(['/']);
    expect(visibleNav(['audit.read']).map((i) => i.path)).toEqual(['/', '/audit']);
    expect(visibleNav(['staff.manage', 'audit.read'])).toHaveLength(5);
  });
});

import { describe, expect, it } from 'vitest';
import { applyPreset, groupPermissions } from './permissions';

describe('permissions', () => {
  it('groups in catalogue order', () => {
    const g = groupPermissions([
      { name: 'a', group: 'X', description: '', requiresSecondFactor: false },
      { name: 'b', group: 'Y', description: '', requiresSecondFactor: false },
      { name: 'c', group: 'X', description: '', requiresSecondFactor: true },
    ]);
    expect(g.map(([k, v]) => [k, v.map((p) => p.name)])).toEqual([
      ['X', ['a', 'c']],
      ['Y', ['b']],
    ]);
  });
  it('presets add without removing', () => {
    expect(applyPreset(['a'], ['b', 'a'])).toEqual(['a', 'b']);
  });
});

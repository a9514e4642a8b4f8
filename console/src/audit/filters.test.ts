import { describe, expect, it } from 'vitest';
import { csvUrl, EMPTY_FILTER, toApiFilter } from './filters';

describe('audit filters', () => {
  it('turns JST days into an inclusive UTC range', () => {
    const f = toApiFilter({ ...EMPTY_FILTER, from: '2026-11-01', to: '2026-11-01' });
    expect(f.from).toBe('2026-10-31T15:00:00.000Z');
    expect(f.to).toBe('2026-11-01T15:00:00.000Z');
    expect(f.actor).toBeNull();
  });
  it('builds the CSV URL with the same filter', () => {
    expect(csvUrl({ ...EMPTY_FILTER, action: 'staff.' })).toBe('/exports/audit-log.csv?action=staff.');
  });
});

import { describe, expect, it } from 'vitest';
import { chartPoints, jstDate, lastDays, monthDay } from './chart';

describe('dashboard chart', () => {
  it('counts days in JST', () => {
    // 15:30 UTC on 30 November is 00:30 on 1 December in Japan.
    expect(jstDate(new Date('2026-11-30T15:30:00Z'))).toBe('2026-12-01');
    expect(lastDays(new Date('2026-11-30T15:30:00Z'), 30)).toEqual({ from: '2026-11-02', to: '2026-12-01' });
    expect(monthDay('2026-03-09')).toBe('3月9日');
  });

  it('scales the line between the lowest and highest count', () => {
    const p = chartPoints([10, 20, 15], 100, 50, 0);
    expect(p.map((q) => q.x)).toEqual([0, 50, 100]);
    expect(p.map((q) => q.y)).toEqual([50, 0, 25]);
    expect(chartPoints([7, 7], 100, 50, 0).map((q) => q.y)).toEqual([25, 25]);
    expect(chartPoints([], 100, 50)).toEqual([]);
  });
});

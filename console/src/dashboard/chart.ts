// The dashboard's friends chart, kept apart from drawing so its arithmetic
// (JST days, the scale) is unit-tested.

/** The JST calendar date of `now`, as yyyy-mm-dd. */
export function jstDate(now: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/** The JST days from `days - 1` days before `now` to today. */
export function lastDays(now: Date, days: number): { from: string; to: string } {
  const to = jstDate(now);
  const start = new Date(`${to}T00:00:00+09:00`);
  start.setUTCDate(start.getUTCDate() - (days - 1));
  return { from: jstDate(start), to };
}

/** `yyyy-mm-dd` → `M月D日`. */
export function monthDay(date: string): string {
  const [, m, d] = date.split('-');
  return `${Number(m)}月${Number(d)}日`;
}

export type Point = { x: number; y: number };

/**
 * The line's points in a `width` × `height` box: days spread evenly, values
 * scaled between the smallest and largest (a flat line sits in the middle,
 * so a steady count does not look like zero).
 */
export function chartPoints(values: readonly number[], width: number, height: number, pad = 8): Point[] {
  if (values.length === 0) return [];
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const span = hi - lo;
  const step = values.length > 1 ? (width - 2 * pad) / (values.length - 1) : 0;
  return values.map((v, i) => ({
    x: pad + i * step,
    y: span === 0 ? height / 2 : pad + (1 - (v - lo) / span) * (height - 2 * pad),
  }));
}

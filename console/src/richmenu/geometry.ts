// Areas on a menu image: what LINE refuses (outside the image), what
// staff should know at once (two areas overlapping: a tap goes to one of
// them), and the rectangle a drag on the scaled-down picture means.

export type Rect = { x: number; y: number; width: number; height: number };

export function inside(r: Rect, width: number, height: number): boolean {
  return r.x >= 0 && r.y >= 0 && r.width > 0 && r.height > 0 && r.x + r.width <= width && r.y + r.height <= height;
}

export function overlap(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/** For each area: is it outside the image, and which others does it overlap (indices). */
export function problems(areas: Rect[], width: number, height: number): { outside: boolean; overlaps: number[] }[] {
  return areas.map((a, i) => ({
    outside: !inside(a, width, height),
    overlaps: areas.flatMap((b, j) => (j !== i && overlap(a, b) ? [j] : [])),
  }));
}

/**
 * The image rectangle between two points of a drag on the picture as shown
 * (`scale` = shown width / image width), kept inside the image and in whole pixels.
 */
export function dragged(from: { x: number; y: number }, to: { x: number; y: number }, scale: number, width: number, height: number): Rect {
  const clamp = (v: number, max: number) => Math.min(Math.max(Math.round(v / scale), 0), max);
  const x1 = clamp(Math.min(from.x, to.x), width);
  const y1 = clamp(Math.min(from.y, to.y), height);
  const x2 = clamp(Math.max(from.x, to.x), width);
  const y2 = clamp(Math.max(from.y, to.y), height);
  return { x: x1, y: y1, width: x2 - x1, height: y2 - y1 };
}

/** A drag this small is a click, not an area. */
export const MIN_AREA = 20;

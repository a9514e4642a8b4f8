import { describe, expect, it } from 'vitest';
import { dragged, problems } from './geometry';

describe('rich-menu areas', () => {
  it('shows an area outside the image and which areas overlap, at once', () => {
    const areas = [
      { x: 0, y: 0, width: 1250, height: 843 },
      { x: 1200, y: 0, width: 1300, height: 843 },
      { x: 2400, y: 0, width: 200, height: 100 },
    ];
    expect(problems(areas, 2500, 843)).toEqual([
      { outside: false, overlaps: [1] },
      { outside: false, overlaps: [0, 2] },
      { outside: true, overlaps: [1] },
    ]);
  });

  it('turns a drag on the scaled picture into image pixels, either direction, clamped', () => {
    // Shown at 500 px wide: a fifth of the 2500 px image.
    expect(dragged({ x: 100, y: 50 }, { x: 20, y: 10 }, 0.2, 2500, 843)).toEqual({ x: 100, y: 50, width: 400, height: 200 });
    expect(dragged({ x: 480, y: 150 }, { x: 600, y: 400 }, 0.2, 2500, 843)).toEqual({ x: 2400, y: 750, width: 100, height: 93 });
  });
});

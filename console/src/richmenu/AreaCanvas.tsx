import { useRef, useState, type PointerEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { dragged, MIN_AREA, problems, type Rect } from './geometry';
import type { Page } from './model';

/**
 * The page's image with its areas: drag on it to draw a new area; areas
 * outside the image or overlapping another are outlined in red at once.
 */
export function AreaCanvas({ page, selected, onSelect, onDraw }: { page: Page; selected: number | null; onSelect: (i: number) => void; onDraw: (r: Rect) => void }) {
  const { t } = useTranslation();
  const box = useRef<HTMLDivElement>(null);
  const [start, setStart] = useState<{ x: number; y: number } | null>(null);
  const [drawing, setDrawing] = useState<Rect | null>(null);
  // A drag that ended on an area drew a new one: the click that follows is not a selection.
  const drew = useRef(false);
  const issues = problems(page.areas, page.width, page.height);
  const point = (e: PointerEvent) => {
    const r = box.current?.getBoundingClientRect();
    return { x: e.clientX - (r?.left ?? 0), y: e.clientY - (r?.top ?? 0) };
  };
  const scale = () => (box.current?.clientWidth ?? page.width) / page.width;
  const pct = (v: number, of: number) => `${(v * 100) / of}%`;
  return (
    <div
      ref={box}
      className="rm-canvas"
      data-testid="rm-canvas"
      role="group"
      aria-label={t('richmenu.canvas')}
      style={{ aspectRatio: `${page.width} / ${page.height}` }}
      onPointerDown={(e) => {
        drew.current = false;
        setStart(point(e));
      }}
      onPointerMove={(e) => {
        if (start) setDrawing(dragged(start, point(e), scale(), page.width, page.height));
      }}
      onPointerLeave={() => {
        setStart(null);
        setDrawing(null);
      }}
      onPointerUp={(e) => {
        if (start) {
          const r = dragged(start, point(e), scale(), page.width, page.height);
          if (r.width >= MIN_AREA && r.height >= MIN_AREA) {
            drew.current = true;
            onDraw(r);
          }
        }
        setStart(null);
        setDrawing(null);
      }}
    >
      {page.image && <img src={`/media/${page.image}`} alt="" draggable={false} />}
      {page.areas.map((a, i) => {
        const issue = issues[i];
        const bad = issue !== undefined && (issue.outside || issue.overlaps.length > 0);
        return (
          <button
            key={i}
            type="button"
            data-area={i}
            className={`rm-area${bad ? ' rm-area-bad' : ''}${selected === i ? ' rm-area-selected' : ''}`}
            style={{ left: pct(a.x, page.width), top: pct(a.y, page.height), width: pct(a.width, page.width), height: pct(a.height, page.height) }}
            aria-pressed={selected === i}
            onClick={() => {
              if (!drew.current) onSelect(i);
              drew.current = false;
            }}
          >
            {i + 1}
          </button>
        );
      })}
      {drawing && drawing.width >= MIN_AREA && <div className="rm-drawing" style={{ left: pct(drawing.x, page.width), top: pct(drawing.y, page.height), width: pct(drawing.width, page.width), height: pct(drawing.height, page.height) }} />}
    </div>
  );
}

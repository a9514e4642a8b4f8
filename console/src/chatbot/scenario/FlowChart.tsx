import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { caption, edges, layout, matches, type Graph } from './graph';

const W = 180;
const H = 64;

export type NodeFigures = Record<string, { visits: number; dropped: number }>;

/** The scenario as a graph: computed layout, zoom (buttons or wheel), pan (drag), search; a click selects a node. */
export function FlowChart({
  graph,
  selected,
  onSelect,
  figures,
  problems,
}: {
  graph: Graph;
  selected: string | null;
  onSelect: (id: string) => void;
  figures?: NodeFigures;
  problems: Set<string>;
}) {
  const { t } = useTranslation();
  const [zoom, setZoom] = useState(1);
  const [pan, setPan] = useState({ x: 0, y: 0 });
  const [search, setSearch] = useState('');
  const drag = useRef<{ x: number; y: number } | null>(null);
  const at = layout(graph);
  const found = graph.nodes.filter((n) => matches(n, search));
  const centre = (id: string) => {
    const p = at.get(id);
    if (p) setPan({ x: 200 - p.x * zoom, y: 120 - p.y * zoom });
  };
  const width = Math.max(...[...at.values()].map((p) => p.x + W + 40), 600);
  const height = Math.max(...[...at.values()].map((p) => p.y + H + 40), 320);
  return (
    <div className="flow-chart">
      <div className="flow-tools" role="toolbar" aria-label={t('scenario.chartTools')}>
        <button type="button" onClick={() => setZoom((z) => Math.min(2, z + 0.2))} aria-label={t('scenario.zoomIn')}>
          ＋
        </button>
        <button type="button" onClick={() => setZoom((z) => Math.max(0.4, z - 0.2))} aria-label={t('scenario.zoomOut')}>
          −
        </button>
        <button
          type="button"
          onClick={() => {
            setZoom(1);
            setPan({ x: 0, y: 0 });
          }}
        >
          {t('scenario.fit')}
        </button>
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (found[0]) {
              onSelect(found[0].id);
              centre(found[0].id);
            }
          }}
        >
          <label>
            {t('scenario.searchNodes')} <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
          </label>
          {search && <span className="help"> {t('scenario.found', { n: found.length })}</span>}
        </form>
      </div>
      <svg
        role="img"
        aria-label={t('scenario.chart')}
        data-testid="flow-chart"
        width="100%"
        height={Math.min(520, height)}
        onWheel={(e) => setZoom((z) => Math.min(2, Math.max(0.4, z - Math.sign(e.deltaY) * 0.1)))}
        onPointerDown={(e) => {
          if ((e.target as Element).closest('[data-node]')) return;
          drag.current = { x: e.clientX - pan.x, y: e.clientY - pan.y };
        }}
        onPointerMove={(e) => {
          if (drag.current) setPan({ x: e.clientX - drag.current.x, y: e.clientY - drag.current.y });
        }}
        onPointerUp={() => (drag.current = null)}
        onPointerLeave={() => (drag.current = null)}
      >
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" fill="#666" />
          </marker>
        </defs>
        <g transform={`translate(${pan.x} ${pan.y}) scale(${zoom})`} data-width={width}>
          {edges(graph).map((e, i) => {
            const a = at.get(e.from);
            const b = at.get(e.to);
            if (!a || !b) return null;
            const x1 = a.x + W;
            const y1 = a.y + H / 2;
            const x2 = b.x;
            const y2 = b.y + H / 2;
            // Back edges (to an earlier layer) curve below the boxes.
            const back = x2 <= a.x;
            const d = back
              ? `M ${a.x + W / 2} ${a.y + H} C ${a.x + W / 2} ${a.y + H + 60}, ${b.x + W / 2} ${b.y + H + 60}, ${b.x + W / 2} ${b.y + H}`
              : `M ${x1} ${y1} C ${x1 + 40} ${y1}, ${x2 - 40} ${y2}, ${x2} ${y2}`;
            return (
              <g key={i} className="flow-edge">
                <path d={d} fill="none" stroke="#666" markerEnd="url(#arrow)" />
                {e.label && (
                  <text x={(x1 + x2) / 2} y={(y1 + y2) / 2 - 4} fontSize="11" textAnchor="middle">
                    {e.label}
                  </text>
                )}
              </g>
            );
          })}
          {graph.nodes.map((n) => {
            const p = at.get(n.id)!;
            const f = figures?.[n.id];
            const cls = ['flow-node', `flow-${n.type}`, selected === n.id ? 'selected' : '', matches(n, search) ? 'found' : '', problems.has(n.id) ? 'problem' : ''].join(' ');
            return (
              <g
                key={n.id}
                data-node={n.id}
                className={cls}
                transform={`translate(${p.x} ${p.y})`}
                role="button"
                tabIndex={0}
                aria-label={`${t(`scenario.types.${n.type}`)}：${caption(n)}`}
                aria-pressed={selected === n.id}
                onClick={() => onSelect(n.id)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' || e.key === ' ') onSelect(n.id);
                }}
              >
                <rect width={W} height={H} rx="8" />
                <text x="10" y="18" fontSize="11" className="flow-kind">
                  {t(`scenario.types.${n.type}`)}
                  {graph.start === n.id ? `（${t('scenario.start')}）` : ''}
                </text>
                <text x="10" y="38" fontSize="13">
                  {caption(n)}
                </text>
                {f && (
                  <text x="10" y="56" fontSize="11" className="flow-figures">
                    {t('scenario.figures', { visits: f.visits, dropped: f.dropped })}
                  </text>
                )}
              </g>
            );
          })}
        </g>
      </svg>
    </div>
  );
}

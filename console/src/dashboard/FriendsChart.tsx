import { useTranslation } from 'react-i18next';
import { chartPoints, monthDay } from './chart';

type Day = { date: string; following: number; follows: number; unfollows: number };

const WIDTH = 640;
const HEIGHT = 160;

/** Friends at the end of each JST day: a line, and the same numbers as a table for those who cannot see it. */
export function FriendsChart({ days }: { days: Day[] }) {
  const { t } = useTranslation();
  if (days.length === 0) return <p className="help">{t('dashboard.noDays')}</p>;
  const points = chartPoints(
    days.map((d) => d.following),
    WIDTH,
    HEIGHT,
  );
  const first = days[0]!;
  const last = days[days.length - 1]!;
  const n = (x: number) => x.toLocaleString('ja-JP');
  const summary = t('dashboard.chartSummary', { from: monthDay(first.date), to: monthDay(last.date), first: n(first.following), last: n(last.following) });
  return (
    <figure className="chart" data-testid="friends-chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT + 24}`} role="img" aria-label={summary}>
        <line x1={0} y1={HEIGHT} x2={WIDTH} y2={HEIGHT} className="chart-axis" />
        <polyline points={points.map((p) => `${p.x},${p.y}`).join(' ')} className="chart-line" />
        {points.map((p, i) => (
          <circle key={days[i]!.date} cx={p.x} cy={p.y} r={3} className="chart-dot" />
        ))}
        <text x={4} y={HEIGHT + 18} className="chart-label">
          {monthDay(first.date)}
        </text>
        <text x={WIDTH - 4} y={HEIGHT + 18} textAnchor="end" className="chart-label">
          {monthDay(last.date)}
        </text>
      </svg>
      <figcaption>{summary}</figcaption>
      <details>
        <summary>{t('dashboard.chartTable')}</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('dashboard.day')}</th>
              <th scope="col">{t('dashboard.following')}</th>
              <th scope="col">{t('dashboard.follows')}</th>
              <th scope="col">{t('dashboard.unfollows')}</th>
            </tr>
          </thead>
          <tbody>
            {days.map((d) => (
              <tr key={d.date}>
                <td>{monthDay(d.date)}</td>
                <td>{n(d.following)}</td>
                <td>{n(d.follows)}</td>
                <td>{n(d.unfollows)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

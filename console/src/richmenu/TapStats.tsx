import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { request } from '../api/client';
import { keys } from '../api/keys';
import { Field } from '../ui/Field';
import { jstIsoDay } from '../ui/format';
import { waiting } from '../ui/QueryState';
import { TapsQuery } from './queries';

/** Taps per area and JST day of one menu (every version), with the CSV for Excel. */
export function TapStats({ menuId }: { menuId: number }) {
  const { t } = useTranslation();
  const [from, setFrom] = useState(jstIsoDay(new Date(Date.now() - 29 * 86400_000)));
  const [to, setTo] = useState(jstIsoDay(new Date()));
  const taps = useQuery({ queryKey: keys.richMenuTaps(menuId, from, to), queryFn: () => request(TapsQuery, { id: menuId, from, to }) });
  const rows = taps.data?.richMenuTaps ?? [];
  return (
    <section aria-labelledby="rm-stats-title">
      <h2 id="rm-stats-title">{t('richmenu.stats')}</h2>
      <div className="rm-bounds">
        <Field label={t('richmenu.from')} type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
        <Field label={t('richmenu.to')} type="date" value={to} onChange={(e) => setTo(e.target.value)} />
        <a className="button" href={`/exports/rich-menu-taps.csv?menu=${menuId}&from=${from}&to=${to}`} download>{t('richmenu.csv')}</a>
      </div>
      {waiting(t, taps)}
      {taps.data && rows.length === 0 && <p>{t('richmenu.noTaps')}</p>}
      {rows.length > 0 && (
        <table data-testid="rm-taps">
          <thead>
            <tr>
              <th scope="col">{t('richmenu.day')}</th>
              <th scope="col">{t('richmenu.versions')}</th>
              <th scope="col">{t('richmenu.area', { n: '' })}</th>
              <th scope="col">{t('richmenu.label')}</th>
              <th scope="col">{t('richmenu.taps')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={`${r.day}-${r.version}-${r.page}-${r.area}`}>
                <td>{r.day}</td>
                <td>{t('richmenu.version', { version: r.version })}</td>
                <td>{t('richmenu.tabArea', { page: r.page + 1, area: r.area + 1 })}</td>
                <td>{r.label}</td>
                <td className="number">{r.taps}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

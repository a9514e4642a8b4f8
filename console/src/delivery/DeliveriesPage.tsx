import { useState } from 'react';
import { Link } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { request } from '../api/client';
import { errorMessage } from '../api/errors';
import { useViewer } from '../auth/useViewer';
import { recipientsCell } from './recipients';
import type { DeliveryStatus } from '../gql/graphql';
import { Alert } from '../ui/Alert';
import { Pagination } from '../ui/Pagination';
import { formatDateTime } from '../ui/format';
import { DeliveriesQuery } from './queries';
import { keys } from '../api/keys';

const STATUSES: DeliveryStatus[] = ['DRAFT', 'SCHEDULED', 'SENDING', 'COMPLETED', 'CANCELLED'];
const PAGE = 20;

/** 配信一覧: every delivery with its state, progress and figures; totals and the CSV. */
export function DeliveriesPage() {
  const { t } = useTranslation();
  const canCreate = useViewer().data?.viewer?.account.permissions.includes('delivery.create') ?? false;
  const [status, setStatus] = useState<DeliveryStatus | ''>('');
  const [offset, setOffset] = useState(0);
  const filter = status === '' ? null : { status };
  const page = useQuery({
    queryKey: keys.deliveries(status, offset),
    queryFn: () => request(DeliveriesQuery, { filter, offset, limit: PAGE }),
    refetchInterval: (q) => (q.state.data?.deliveries.items.some((d) => d.status === 'SENDING' || d.status === 'SCHEDULED') ? 2000 : false),
  });
  const n = (x: number) => x.toLocaleString('ja-JP');
  const totals = page.data?.deliveryTotals;
  return (
    <section>
      <h1>{t('delivery.listTitle')}</h1>
      {canCreate && (
        <p>
          <Link className="button primary" to="/deliveries/new">
            {t('delivery.new')}
          </Link>
        </p>
      )}
      <div className="inline-form">
        <label>
          {t('delivery.statusFilter')}{' '}
          <select
            value={status}
            onChange={(e) => {
              setOffset(0);
              setStatus(e.target.value as DeliveryStatus | '');
            }}
          >
            <option value="">{t('delivery.statusAll')}</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`delivery.status.${s}`)}
              </option>
            ))}
          </select>
        </label>{' '}
        <a className="button" href={`/exports/deliveries.csv${status ? `?status=${status.toLowerCase()}` : ''}`} download>
          {t('delivery.csv')}
        </a>
      </div>
      {totals && (
        <p data-testid="delivery-totals">{t('delivery.totals', { deliveries: n(totals.deliveries), recipients: n(totals.recipients), accepted: n(totals.accepted), failed: n(totals.failed) })}</p>
      )}
      {page.error && <Alert kind="error">{errorMessage(page.error, t)}</Alert>}
      <table>
        <thead>
          <tr>
            <th scope="col">{t('delivery.title')}</th>
            <th scope="col">{t('delivery.statusLabel')}</th>
            <th scope="col">{t('delivery.when')}</th>
            <th scope="col">{t('delivery.recipients')}</th>
            <th scope="col">{t('delivery.accepted')}</th>
            <th scope="col">{t('delivery.failed')}</th>
          </tr>
        </thead>
        <tbody>
          {page.data?.deliveries.items.map((d) => (
            <tr key={d.id}>
              <td>
                <Link to={`/deliveries/${d.id}`}>{d.title}</Link>
              </td>
              <td>
                {t(`delivery.status.${d.status}`)}
                {d.status === 'SENDING' && d.batchesTotal > 0 && (
                  <>
                    {' '}
                    <progress value={d.batchesDone} max={d.batchesTotal} aria-label={t('delivery.progress')} />
                  </>
                )}
              </td>
              <td>{formatDateTime(d.finishedAt ?? d.startedAt ?? d.scheduledAt ?? d.createdAt)}</td>
              <td>{recipientsCell(d, t)}</td>
              <td>{n(d.accepted)}</td>
              <td>{n(d.failed)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {page.data && <Pagination offset={offset} limit={PAGE} total={page.data.deliveries.totalCount} onChange={setOffset} />}
    </section>
  );
}

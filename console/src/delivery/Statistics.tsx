import { useTranslation } from 'react-i18next';
import { formatDateTime } from '../ui/format';

type Stats = {
  status: string;
  recipients: number;
  accepted: number;
  failed: number;
  batchesTotal: number;
  batchesDone: number;
  startedAt?: string | null;
  finishedAt?: string | null;
  durationSeconds?: number | null;
};

/** Progress while a delivery goes out, its figures once done (seed コ). */
export function Statistics({ delivery: d }: { delivery: Stats }) {
  const { t } = useTranslation();
  const n = (x: number) => x.toLocaleString('ja-JP');
  return (
    <>
      {d.batchesTotal > 0 && d.status === 'SENDING' && (
        <p aria-live="polite">
          <progress value={d.batchesDone} max={d.batchesTotal} aria-label={t('delivery.progress')} /> {t('delivery.progressText', { done: n(d.batchesDone), total: n(d.batchesTotal) })}
        </p>
      )}
      <dl className="stats" data-testid="delivery-stats">
        <dt>{t('delivery.recipients')}</dt>
        <dd>{n(d.recipients)}</dd>
        <dt>{t('delivery.accepted')}</dt>
        <dd>{n(d.accepted)}</dd>
        <dt>{t('delivery.failed')}</dt>
        <dd>{n(d.failed)}</dd>
        <dt>{t('delivery.startedAt')}</dt>
        <dd>{formatDateTime(d.startedAt)}</dd>
        <dt>{t('delivery.finishedAt')}</dt>
        <dd>{formatDateTime(d.finishedAt)}</dd>
        <dt>{t('delivery.duration')}</dt>
        <dd>{d.durationSeconds == null ? '—' : t('delivery.seconds', { s: d.durationSeconds.toFixed(1) })}</dd>
      </dl>
    </>
  );
}

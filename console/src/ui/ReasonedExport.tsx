import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Alert } from './Alert';
import { fileName, readWithProgress, type Progress } from './exportProgress';

/**
 * A personal-data CSV download that needs a stated reason (kept in the audit
 * log by the server), with progress against `X-Total-Count`. `texts` names
 * the catalogue section holding its export* messages.
 */
export function ReasonedExport({ endpoint, params, fallbackName, texts }: { endpoint: string; params: Record<string, string>; fallbackName: string; texts: 'friends' | 'card' | 'survey' }) {
  const { t } = useTranslation();
  const [reason, setReason] = useState('');
  const [progress, setProgress] = useState<Progress | null>(null);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<number | null>(null);

  const start = async () => {
    setError(null);
    setDone(null);
    setRunning(true);
    setProgress({ rows: 0, total: null });
    try {
      const query = new URLSearchParams({ ...params, reason });
      const response = await fetch(`${endpoint}?${query.toString()}`, { credentials: 'same-origin' });
      if (!response.ok) {
        setError(response.status === 401 ? t('errors.UNAUTHENTICATED') : response.status === 403 ? t(`${texts}.exportForbidden`) : t(`${texts}.exportFailed`));
        return;
      }
      let last: Progress = { rows: 0, total: null };
      const blob = await readWithProgress(response, (p) => {
        last = p;
        setProgress(p);
      });
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = fileName(response, fallbackName);
      a.click();
      URL.revokeObjectURL(url);
      setDone(last.rows);
    } catch {
      setError(t(`${texts}.exportFailed`));
    } finally {
      setRunning(false);
    }
  };

  const percent = progress?.total ? Math.min(100, Math.round((progress.rows / progress.total) * 100)) : null;
  return (
    <fieldset className="export">
      <legend>{t(`${texts}.exportTitle`)}</legend>
      <p className="help">{t(`${texts}.exportHelp`)}</p>
      <label>
        {t(`${texts}.exportReason`)}{' '}
        <input value={reason} maxLength={200} onChange={(e) => setReason(e.target.value)} />
      </label>{' '}
      <button type="button" className="primary" disabled={running || reason.trim() === ''} onClick={() => void start()}>
        {t(`${texts}.export`)}
      </button>
      {running && progress && (
        <p aria-live="polite">
          <progress value={progress.rows} max={progress.total ?? undefined} aria-label={t(`${texts}.exportProgressLabel`)} />{' '}
          {t(`${texts}.exportProgress`, { rows: progress.rows.toLocaleString('ja-JP'), total: progress.total?.toLocaleString('ja-JP') ?? '?' })}
          {percent !== null && `（${percent}%）`}
        </p>
      )}
      {done !== null && <Alert kind="success">{t(`${texts}.exportDone`, { rows: done.toLocaleString('ja-JP') })}</Alert>}
      {error && <Alert kind="error">{error}</Alert>}
    </fieldset>
  );
}

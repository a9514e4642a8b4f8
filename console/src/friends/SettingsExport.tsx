import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Alert } from '../ui/Alert';
import { fileName, readWithProgress, type Progress } from './exportProgress';

/**
 * 受信設定のCSV出力 (seed 2.4(4)ク): residents' settings with their LINE user
 * ids, so it needs `friend.export` and a second factor; the server audits
 * every export with the reason given here.
 */
export function SettingsExport({ segmentId }: { segmentId: number | null }) {
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
      const params = new URLSearchParams({ reason });
      if (segmentId !== null) params.set('segmentId', String(segmentId));
      const response = await fetch(`/exports/friend-settings.csv?${params.toString()}`, { credentials: 'same-origin' });
      if (!response.ok) {
        setError(response.status === 401 ? t('errors.UNAUTHENTICATED') : response.status === 403 ? t('friends.exportForbidden') : t('friends.exportFailed'));
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
      a.download = fileName(response, 'friend-settings.csv');
      a.click();
      URL.revokeObjectURL(url);
      setDone(last.rows);
    } catch {
      setError(t('friends.exportFailed'));
    } finally {
      setRunning(false);
    }
  };

  const percent = progress?.total ? Math.min(100, Math.round((progress.rows / progress.total) * 100)) : null;
  return (
    <fieldset className="export">
      <legend>{t('friends.exportTitle')}</legend>
      <p className="help">{t('friends.exportHelp')}</p>
      <label>
        {t('friends.exportReason')}{' '}
        <input value={reason} maxLength={200} onChange={(e) => setReason(e.target.value)} />
      </label>{' '}
      <button type="button" className="primary" disabled={running || reason.trim() === ''} onClick={() => void start()}>
        {t('friends.export')}
      </button>
      {running && progress && (
        <p aria-live="polite">
          <progress value={progress.rows} max={progress.total ?? undefined} aria-label={t('friends.exportProgressLabel')} />{' '}
          {t('friends.exportProgress', { rows: progress.rows.toLocaleString('ja-JP'), total: progress.total?.toLocaleString('ja-JP') ?? '?' })}
          {percent !== null && `（${percent}%）`}
        </p>
      )}
      {done !== null && <Alert kind="success">{t('friends.exportDone', { rows: done.toLocaleString('ja-JP') })}</Alert>}
      {error && <Alert kind="error">{error}</Alert>}
    </fieldset>
  );
}

import { useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { request } from '../api/client';
import { errorMessage } from '../api/errors';
import { Alert } from '../ui/Alert';
import { ImportMutation } from './queries';
import type { ImportStaffAccountsMutation } from '../gql/graphql';
import { keys } from '../api/keys';

type Result = ImportStaffAccountsMutation['importStaffAccounts'];

export function ImportPage() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [csv, setCsv] = useState<string | null>(null);
  const [preview, setPreview] = useState<Result | null>(null);
  const [done, setDone] = useState<Result | null>(null);
  const [error, setError] = useState<unknown>(null);

  const run = async (dryRun: boolean) => {
    if (csv === null) return;
    setError(null);
    try {
      const r = (await request(ImportMutation, { csv, dryRun })).importStaffAccounts;
      if (dryRun) setPreview(r);
      else {
        setDone(r);
        setPreview(null);
        await queryClient.invalidateQueries({ queryKey: keys.staffAccountsAll });
      }
    } catch (e) {
      setError(e);
    }
  };

  return (
    <section>
      <h1>{t('import.title')}</h1>
      <p>{t('import.help')}</p>
      <div className="field">
        <label htmlFor="csv">{t('import.file')}</label>
        <input
          id="csv"
          type="file"
          accept=".csv,text/csv"
          onChange={async (e) => {
            const file = e.target.files?.[0];
            setPreview(null);
            setDone(null);
            setCsv(file ? await file.text() : null);
          }}
        />
      </div>
      <button type="button" className="primary" disabled={csv === null} onClick={() => void run(true)}>
        {t('import.preview')}
      </button>
      {error !== null && <Alert kind="error">{errorMessage(error, t)}</Alert>}
      {preview && (
        <>
          {preview.errorCount > 0 ? (
            <Alert kind="error">{t('import.errorCount', { count: preview.errorCount })}</Alert>
          ) : (
            <Alert kind="info">{t('import.ready', { count: preview.rows.length })}</Alert>
          )}
          {preview.newTeams.length > 0 && <p>{t('import.newTeams', { teams: preview.newTeams.join('、') })}</p>}
          <table>
            <thead>
              <tr>
                <th scope="col">{t('import.line')}</th>
                <th scope="col">{t('staff.loginId')}</th>
                <th scope="col">{t('staff.displayName')}</th>
                <th scope="col">{t('staff.team')}</th>
                <th scope="col">{t('staff.permissions')}</th>
                <th scope="col">{t('import.errors')}</th>
              </tr>
            </thead>
            <tbody>
              {preview.rows.map((r) => (
                <tr key={r.line} className={r.errors.length > 0 ? 'row-error' : undefined}>
                  <td>{r.line}</td>
                  <td>{r.loginId}</td>
                  <td>{r.displayName}</td>
                  <td>{r.team}</td>
                  <td>{r.permissions.join(' ')}</td>
                  <td>{r.errors.length === 0 ? t('import.ok') : r.errors.map((e) => e.message).join(' / ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <button type="button" className="primary" disabled={preview.errorCount > 0} onClick={() => void run(false)}>
            {t('import.apply')}
          </button>
        </>
      )}
      {done && (
        <>
          <Alert kind="success">{t('import.done', { count: done.created.length })}</Alert>
          <table>
            <thead>
              <tr>
                <th scope="col">{t('staff.loginId')}</th>
                <th scope="col">{t('staff.temporaryPassword')}</th>
              </tr>
            </thead>
            <tbody>
              {done.created.map((c) => (
                <tr key={c.loginId}>
                  <td>{c.loginId}</td>
                  <td>
                    <code>{c.temporaryPassword}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

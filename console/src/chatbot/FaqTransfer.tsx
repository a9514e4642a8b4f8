import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { request } from '../api/client';
import { graphql } from '../gql';
import { keys } from '../api/keys';
import { useAction } from '../ui/useAction';

const Import = graphql(`
  mutation ImportFaqEntries($file: String!, $dryRun: Boolean!) {
    importFaqEntries(fileBase64: $file, dryRun: $dryRun) { applied rows created updated problems { line column message } }
  }
`);

type Result = { applied: boolean; rows: number; created: number; updated: number; problems: { line: number; column: string; message: string }[] };

const base64 = (buf: ArrayBuffer) => {
  let s = '';
  const bytes = new Uint8Array(buf);
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
};

/** 一括取り込み・書き出し: CSV (Excel, UTF-8 or Shift_JIS) or JSON; checked first, then all or nothing. */
export function FaqTransfer() {
  const { t } = useTranslation();
  const [file, setFile] = useState<string | null>(null);
  const [result, setResult] = useState<Result | null>(null);
  const { run, pending } = useAction([keys.faqEntriesAll]);
  const send = (dryRun: boolean) =>
    run(async () => {
      const r = (await request(Import, { file: file ?? '', dryRun })).importFaqEntries;
      setResult(r);
      return r;
    }, (r) => (r.applied ? t('faq.imported', { created: r.created, updated: r.updated }) : r.problems.length ? t('faq.importProblems', { n: r.problems.length }) : t('faq.importChecked', { n: r.rows })));
  return (
    <section className="faq-transfer" aria-labelledby="faq-transfer-title">
      <h2 id="faq-transfer-title">{t('faq.transferTitle')}</h2>
      <p className="help">{t('faq.transferHelp')}</p>
      <p>
        <a className="button" href="/exports/faq.csv" download>
          {t('faq.exportCsv')}
        </a>{' '}
        <a className="button" href="/exports/faq.json" download>
          {t('faq.exportJson')}
        </a>
      </p>
      <p className="inline-form">
        <label>
          {t('faq.importFile')}{' '}
          <input
            type="file"
            accept=".csv,.json,text/csv,application/json"
            onChange={(e) => {
              setResult(null);
              const f = e.target.files?.[0];
              if (f) void f.arrayBuffer().then((b) => setFile(base64(b)));
            }}
          />
        </label>{' '}
        <button type="button" disabled={!file || pending} onClick={() => void send(true)}>
          {t('faq.importCheck')}
        </button>{' '}
        <button type="button" className="primary" disabled={!file || pending || !result || result.problems.length > 0 || result.applied} onClick={() => void send(false)}>
          {t('faq.importRun')}
        </button>
      </p>
      {result && result.problems.length > 0 && (
        <table data-testid="faq-import-problems">
          <thead>
            <tr>
              <th scope="col">{t('faq.importLine')}</th>
              <th scope="col">{t('faq.importColumn')}</th>
              <th scope="col">{t('faq.importMessage')}</th>
            </tr>
          </thead>
          <tbody>
            {result.problems.map((p, i) => (
              <tr key={i}>
                <td>{p.line}</td>
                <td>{p.column === 'row' ? t('faq.importWholeRow') : p.column}</td>
                <td>{p.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

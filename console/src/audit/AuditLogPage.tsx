import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { request } from '../api/client';
import { errorMessage } from '../api/errors';
import { graphql } from '../gql';
import { Alert } from '../ui/Alert';
import { Pagination } from '../ui/Pagination';
import { formatDateTime } from '../ui/format';
import { csvUrl, EMPTY_FILTER, toApiFilter, type AuditFilterForm } from './filters';
import { keys } from '../api/keys';

const AuditLogQuery = graphql(`
  query AuditLog($filter: AuditLogFilter, $offset: Int!, $limit: Int!) {
    auditLog(filter: $filter, offset: $offset, limit: $limit) {
      totalCount
      items { id occurredAt actorKind actorKindLabel actorLabel action actionLabel targetKind targetKindLabel targetId details result resultLabel ip }
    }
  }
`);

const PAGE = 50;

/** The details as 「項目：値」 lines rather than JSON. */
export function AuditLogPage() {
  const { t } = useTranslation();
  const [form, setForm] = useState<AuditFilterForm>(EMPTY_FILTER);
  const [applied, setApplied] = useState<AuditFilterForm>(EMPTY_FILTER);
  const [offset, setOffset] = useState(0);
  const log = useQuery({
    queryKey: keys.auditLog(applied, offset),
    queryFn: () => request(AuditLogQuery, { filter: toApiFilter(applied), offset, limit: PAGE }),
  });
  const input = (key: keyof AuditFilterForm, label: string, type = 'text') => (
    <label>
      {label} <input type={type} name={key} value={form[key]} onChange={(e) => setForm({ ...form, [key]: e.target.value })} />
    </label>
  );
  return (
    <section>
      <h1>{t('audit.title')}</h1>
      <form
        className="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setOffset(0);
          setApplied(form);
        }}
      >
        {input('actor', t('audit.actor'))}
        {input('action', t('audit.action'))}
        {input('targetKind', t('audit.targetKind'))}
        {input('targetId', t('audit.targetId'))}
        {input('from', t('audit.from'), 'date')}
        {input('to', t('audit.to'), 'date')}
        <button type="submit">{t('audit.filter')}</button>
        <a className="button" href={csvUrl(applied)} download>
          {t('audit.csv')}
        </a>
      </form>
      {log.error && <Alert kind="error">{errorMessage(log.error, t)}</Alert>}
      {log.data && (
        <>
          <table className="audit">
            <thead>
              <tr>
                <th scope="col">{t('audit.time')}</th>
                <th scope="col">{t('audit.actor')}</th>
                <th scope="col">{t('audit.action')}</th>
                <th scope="col">{t('audit.target')}</th>
                <th scope="col">{t('audit.result')}</th>
                <th scope="col">{t('audit.summary')}</th>
                <th scope="col">{t('audit.ip')}</th>
              </tr>
            </thead>
            <tbody>
              {log.data.auditLog.items.map((e) => (
                <tr key={e.id}>
                  <td>{formatDateTime(e.occurredAt)}</td>
                  <td>
                    {e.actorLabel} <span className="help">（{e.actorKindLabel}）</span>
                  </td>
                  <td>
                    {e.actionLabel} <code className="help">{e.action}</code>
                  </td>
                  <td>{e.targetKind ? `${e.targetKindLabel ?? e.targetKind}：${e.targetId ?? ''}` : '—'}</td>
                  <td>{e.resultLabel}</td>
                  <td className="audit-details">{e.details}</td>
                  <td>{e.ip ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pagination offset={offset} limit={PAGE} total={log.data.auditLog.totalCount} onChange={setOffset} />
        </>
      )}
    </section>
  );
}

import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { request } from '../api/client';
import { keys } from '../api/keys';
import type { InboundMailsQuery } from '../gql/graphql';
import { formatDateTime } from '../ui/format';
import { waiting } from '../ui/QueryState';
import { ja } from './ja';
import { InboundMailQuery } from './queries';

type Row = InboundMailsQuery['inboundMails'][number];

export function outcomeLabel(m: { outcome?: string | null; status: string }): string {
  const o = ja.mailin.outcomes;
  if (m.status === 'duplicate') return o.duplicate;
  return o[(m.outcome ?? 'waiting') as keyof typeof o] ?? m.outcome ?? '';
}

/** Received mails, newest first; one opens with its headers, text, the rules' verdicts and its delivery. */
export function Mails({ rows, onOlder }: { rows: Row[]; onOlder: (() => void) | null }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState<number | null>(null);
  return (
    <section aria-labelledby="mail-list-title">
      <h2 id="mail-list-title">{t('mailin.mails')}</h2>
      {rows.length === 0 && <p>{t('mailin.noMails')}</p>}
      {rows.length > 0 && (
        <table data-testid="mail-list">
          <thead>
            <tr>
              <th scope="col">{t('mailin.receivedAt')}</th>
              <th scope="col">{t('mailin.from')}</th>
              <th scope="col">{t('mailin.subject')}</th>
              <th scope="col">{t('mailin.outcome')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((m) => (
              <tr key={m.id}>
                <td>{formatDateTime(m.receivedAt)}</td>
                <td>{m.envelopeFrom}</td>
                <td><button type="button" className="link" onClick={() => setOpen(m.id)}>{m.subject || '（件名なし）'}</button></td>
                <td>{outcomeLabel(m)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {onOlder && <button type="button" onClick={onOlder}>{t('mailin.older')}</button>}
      {open !== null && <MailDetail id={open} onClose={() => setOpen(null)} />}
    </section>
  );
}

function MailDetail({ id, onClose }: { id: number; onClose: () => void }) {
  const { t } = useTranslation();
  const q = useQuery({ queryKey: keys.inboundMail(id), queryFn: () => request(InboundMailQuery, { id }), refetchInterval: 3000 });
  const wait = waiting(t, q);
  if (wait) return wait;
  const m = q.data?.inboundMail;
  if (!m) return null;
  const d = m.delivery;
  return (
    <article className="card" data-testid="mail-detail" aria-labelledby="mail-detail-title">
      <h3 id="mail-detail-title">{m.subject}</h3>
      <dl>
        <dt>{t('mailin.receivedAt')}</dt>
        <dd>{formatDateTime(m.receivedAt)}（{m.via}）</dd>
        <dt>{t('mailin.from')}</dt>
        <dd>{m.envelopeFrom}{m.fromHeader && m.fromHeader !== m.envelopeFrom ? ` / ${m.fromHeader}` : ''}</dd>
        <dt>SPF / DKIM</dt>
        <dd>{m.spf || m.dkim ? t('mailin.auth', { spf: m.spf ?? '—', dkim: m.dkim ?? '—' }) : t('mailin.authNone')}</dd>
        <dt>{t('mailin.outcome')}</dt>
        <dd data-testid="mail-outcome">{outcomeLabel(m)}</dd>
        {m.note && (
          <>
            <dt>{t('mailin.note')}</dt>
            <dd>{m.note}</dd>
          </>
        )}
        <dt>{t('mailin.ruleResults')}</dt>
        <dd>
          <ul data-testid="mail-rules">
            {m.rules.map((r, i) => (
              <li key={i}>
                <strong>{r.name}</strong>：{r.acted ? t('mailin.acted') : r.matched ? t('mailin.matchedOnly') : t('mailin.notMatchedRule')}
                <ul>{r.reasons.map((x, j) => <li key={j}>{x.matched ? '✓' : '✗'} {x.detail}</li>)}</ul>
              </li>
            ))}
          </ul>
        </dd>
        <dt>{t('mailin.found')}</dt>
        <dd data-testid="mail-municipalities">{m.municipalities.length ? m.municipalities.map((x) => x.municipality).join('、') : t('mailin.foundNone')}</dd>
        {m.text && (
          <>
            <dt>{t('mailin.message')}</dt>
            <dd><pre>{m.text}</pre></dd>
          </>
        )}
        {d && (
          <>
            <dt>{t('mailin.delivery')}</dt>
            <dd data-testid="mail-delivery">
              {t('mailin.deliveryFigures', { status: d.status, recipients: d.recipients ?? '—', accepted: d.accepted ?? '—', failed: d.failed ?? '—' })}{' '}
              <Link to={`/deliveries/${d.id}`}>{t('mailin.openDelivery')}</Link>
            </dd>
          </>
        )}
      </dl>
      <details>
        <summary>{t('mailin.body')}</summary>
        <pre>{m.body}</pre>
      </details>
      <details>
        <summary>{t('mailin.headers')}</summary>
        <pre>{m.headers}</pre>
      </details>
      <button type="button" onClick={onClose}>{t('mailin.close')}</button>
    </article>
  );
}

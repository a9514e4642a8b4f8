import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { request } from '../api/client';
import { errorMessage, fieldErrorMap } from '../api/errors';
import { useViewer } from '../auth/useViewer';
import { Alert } from '../ui/Alert';
import { Field } from '../ui/Field';
import { Pagination } from '../ui/Pagination';
import { ReasonedExport } from '../ui/ReasonedExport';
import { formatDateTime } from '../ui/format';
import { CardHolders, PushToHolders } from './queries';
import { keys } from '../api/keys';

const PAGE = 20;

/**
 * カード利用者 (seed 2.6(2)ア): personal data, so `card.pii.read` with a
 * second factor; the server audits every search and view. Export and push
 * need their own permissions.
 */
export function HoldersPage() {
  const { t } = useTranslation();
  const permissions = useViewer().data?.viewer?.account.permissions ?? [];
  const [typed, setTyped] = useState('');
  const [name, setName] = useState<string | null>(null);
  const [offset, setOffset] = useState(0);
  const [selected, setSelected] = useState<string[]>([]);
  const holders = useQuery({
    queryKey: keys.cardHolders(name, offset),
    queryFn: () => request(CardHolders, { name, first: PAGE, offset }),
  });
  const [title, setTitle] = useState('');
  const [text, setText] = useState('');
  const [pushError, setPushError] = useState<unknown>(null);
  const [sent, setSent] = useState<number | null>(null);
  const pushFields = fieldErrorMap(pushError);
  const toggle = (id: string) => setSelected(selected.includes(id) ? selected.filter((x) => x !== id) : [...selected, id]);
  const push = async () => {
    setPushError(null);
    setSent(null);
    try {
      setSent((await request(PushToHolders, { ids: selected, title, text })).pushToCardHolders);
    } catch (e) {
      setPushError(e);
    }
  };
  return (
    <section>
      <h1>{t('card.holdersTitle')}</h1>
      <p className="help">{t('card.holdersHelp')}</p>
      <form
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setOffset(0);
          setName(typed.trim() === '' ? null : typed);
        }}
      >
        <Field label={t('card.searchName')} value={typed} onChange={(e) => setTyped(e.target.value)} />
        <button type="submit" className="primary">
          {t('card.search')}
        </button>{' '}
        <button
          type="button"
          onClick={() => {
            setTyped('');
            setName(null);
            setOffset(0);
          }}
        >
          {t('card.showAll')}
        </button>
      </form>
      {holders.error && <Alert kind="error">{errorMessage(holders.error, t)}</Alert>}
      {holders.data && (
        <>
          <p aria-live="polite">{t('card.total', { n: holders.data.cardHolders.total.toLocaleString('ja-JP') })}</p>
          <table>
            <thead>
              <tr>
                <th scope="col">{t('card.select')}</th>
                <th scope="col">{t('card.holderName')}</th>
                <th scope="col">{t('card.relation')}</th>
                <th scope="col">{t('card.children')}</th>
                <th scope="col">{t('card.eligible')}</th>
                <th scope="col">{t('card.registeredAt')}</th>
              </tr>
            </thead>
            <tbody>
              {holders.data.cardHolders.items.map((h) => (
                <tr key={h.id}>
                  <td>
                    <input type="checkbox" checked={selected.includes(h.id)} onChange={() => toggle(h.id)} aria-label={t('card.selectRow', { name: h.holderName })} />
                  </td>
                  <td>{h.holderName}</td>
                  <td>{h.relation}</td>
                  <td>{h.children.map((c) => `${c.name}（${c.birthDate}）`).join('、')}</td>
                  <td>
                    {h.eligible ? t('card.eligibleYes') : t('card.eligibleNo')}
                    {h.eligibleUntil && `（${h.eligibleUntil}まで）`}
                  </td>
                  <td>{formatDateTime(h.registeredAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pagination total={holders.data.cardHolders.total} offset={offset} limit={PAGE} onChange={setOffset} />
        </>
      )}
      {permissions.includes('card.push') && (
        <fieldset>
          <legend>{t('card.pushTitle')}</legend>
          <p className="help">{t('card.pushHelp')}</p>
          <Field label={t('card.pushSubject')} value={title} onChange={(e) => setTitle(e.target.value)} error={pushFields.title} />
          <div className="field">
            <label htmlFor="push-text">{t('card.pushText')}</label>
            <textarea id="push-text" rows={3} value={text} onChange={(e) => setText(e.target.value)} aria-invalid={pushFields.text ? true : undefined} />
            {pushFields.text && <p className="field-error" role="alert">{pushFields.text}</p>}
          </div>
          <button type="button" className="primary" disabled={selected.length === 0} onClick={() => void push()}>
            {t('card.pushSend', { n: selected.length })}
          </button>
          {sent !== null && <Alert kind="success">{t('card.pushSent', { id: sent })}</Alert>}
          {pushError !== null && <Alert kind="error">{errorMessage(pushError, t)}</Alert>}
        </fieldset>
      )}
      {permissions.includes('card.pii.export') && <ReasonedExport endpoint="/exports/card-holders.csv" params={{}} fallbackName="card-holders.csv" texts="card" />}
    </section>
  );
}

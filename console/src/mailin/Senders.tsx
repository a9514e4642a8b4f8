import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { request } from '../api/client';
import { keys } from '../api/keys';
import type { MailPageQuery } from '../gql/graphql';
import { Field } from '../ui/Field';
import { formatDateTime } from '../ui/format';
import { useAction } from '../ui/useAction';
import { ja } from './ja';
import { AddMailSender, RemoveMailSender } from './queries';

/** The sender allow-list: only these addresses and domains may send alert mails. */
export function Senders({ senders }: { senders: MailPageQuery['mailSenders'] }) {
  const { t } = useTranslation();
  const [pattern, setPattern] = useState('');
  const [note, setNote] = useState('');
  const act = useAction([keys.mailPage]);
  const add = async () => {
    if (await act.run(() => request(AddMailSender, { pattern, note }), t('mailin.senderAdded'))) {
      setPattern('');
      setNote('');
    }
  };
  return (
    <section aria-labelledby="mail-senders-title">
      <h2 id="mail-senders-title">{t('mailin.senders')}</h2>
      <p className="help">{t('mailin.sendersHelp')}</p>
      <table data-testid="mail-senders">
        <thead>
          <tr>
            <th scope="col">{t('mailin.senderPattern')}</th>
            <th scope="col">{t('mailin.kind')}</th>
            <th scope="col">{t('mailin.senderNote')}</th>
            <th scope="col">{t('mailin.addedAt')}</th>
            <th scope="col"><span className="visually-hidden">{t('mailin.remove')}</span></th>
          </tr>
        </thead>
        <tbody>
          {senders.map((s) => (
            <tr key={s.id}>
              <td>{s.pattern}</td>
              <td>{ja.mailin.senderKinds[s.kind as keyof typeof ja.mailin.senderKinds] ?? s.kind}</td>
              <td>{s.note}</td>
              <td>{formatDateTime(s.createdAt)}</td>
              <td><button type="button" onClick={() => act.run(() => request(RemoveMailSender, { id: s.id }), t('mailin.senderRemoved'))}>{t('mailin.remove')}</button></td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="rm-bounds">
        <Field label={t('mailin.senderPattern')} value={pattern} onChange={(e) => setPattern(e.target.value)} error={act.fields['pattern']} placeholder="bousai@pref.example.jp" />
        <Field label={t('mailin.senderNote')} value={note} onChange={(e) => setNote(e.target.value)} error={act.fields['note']} />
        <button type="button" onClick={add} disabled={act.pending || pattern.trim() === ''}>{t('mailin.addSender')}</button>
      </div>
    </section>
  );
}

import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { request } from '../api/client';
import { keys } from '../api/keys';
import { Field } from '../ui/Field';
import { waiting } from '../ui/QueryState';
import { useAction } from '../ui/useAction';
import { ja } from './ja';
import { Mails } from './Mails';
import { blankRule, type Rule } from './model';
import { InboundMailsQuery, MailPageQuery, SetMailRetention } from './queries';
import { RuleEditor } from './RuleEditor';
import { Senders } from './Senders';

/** メール配信ルール (seed §2.4(4)シ): rules, the sender allow-list, received mails and what became of them. */
export function MailRulesPage() {
  const { t } = useTranslation();
  const page = useQuery({ queryKey: keys.mailPage, queryFn: () => request(MailPageQuery) });
  const [before, setBefore] = useState<number | null>(null);
  const mails = useQuery({ queryKey: keys.inboundMails(before), queryFn: () => request(InboundMailsQuery, { before }), refetchInterval: 5000 });
  const [editing, setEditing] = useState<Rule | null>(null);
  const [days, setDays] = useState<number | null>(null);
  const act = useAction([keys.mailPage]);
  const wait = waiting(t, page);
  if (wait) return wait;
  const data = page.data;
  if (!data) return null;
  const rows = mails.data?.inboundMails ?? [];
  const last = rows.at(-1);
  return (
    <section>
      <h1>{t('mailin.title')}</h1>
      <p className="help">{t('mailin.help')}</p>
      <h2>{t('mailin.rules')}</h2>
      {data.mailRules.length === 0 && <p>{t('mailin.noRules')}</p>}
      {data.mailRules.length > 0 && (
        <table data-testid="mail-rules-list">
          <thead>
            <tr>
              <th scope="col">{t('mailin.position')}</th>
              <th scope="col">{t('mailin.name')}</th>
              <th scope="col">{t('mailin.enabled')}</th>
              <th scope="col">{t('mailin.mode')}</th>
            </tr>
          </thead>
          <tbody>
            {data.mailRules.map((r) => (
              <tr key={r.id}>
                <td className="number">{r.position}</td>
                <td><button type="button" className="link" onClick={() => setEditing(r)}>{r.name}</button></td>
                <td>{r.enabled ? '✓' : '—'}</td>
                <td>{ja.mailin.modes[r.mode]}{r.disasterMode ? ' ＋ 災害時メニュー' : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing === null && <button type="button" className="primary" onClick={() => setEditing(blankRule())}>{t('mailin.newRule')}</button>}
      {editing !== null && <RuleEditor key={editing.id} initial={editing} choices={data.mailRuleChoices} mails={rows.map((m) => ({ id: m.id, subject: m.subject }))} onClose={() => setEditing(null)} />}
      <Senders senders={data.mailSenders} />
      <Mails rows={rows} onOlder={rows.length === 50 && last ? () => setBefore(last.id) : null} />
      <div className="rm-bounds">
        <Field label={t('mailin.retention')} type="number" min={7} max={3650} value={days ?? data.mailRetentionDays} onChange={(e) => setDays(Number(e.target.value))} error={act.fields['days']} />
        <button type="button" disabled={days === null || act.pending} onClick={() => act.run(() => request(SetMailRetention, { days: days ?? data.mailRetentionDays }), t('mailin.retentionSaved'))}>{t('mailin.save')}</button>
      </div>
    </section>
  );
}

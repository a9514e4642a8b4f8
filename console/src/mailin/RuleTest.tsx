import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { request } from '../api/client';
import type { TestMailRuleQuery, TestMailRuleQueryVariables } from '../gql/graphql';
import { Field } from '../ui/Field';
import { useAction } from '../ui/useAction';
import { Choice } from './Choice';
import { toInput, type Rule } from './model';
import { TestMailRule } from './queries';

type Stored = { id: number; subject: string };

/** Tries the rule as written on a pasted or a received mail; nothing is sent. */
export function RuleTest({ rule, mails }: { rule: Rule; mails: Stored[] }) {
  const { t } = useTranslation();
  const [source, setSource] = useState<'pasted' | 'stored'>('pasted');
  const [from, setFrom] = useState('');
  const [subject, setSubject] = useState('');
  const [body, setBody] = useState('');
  const [mailId, setMailId] = useState<number | null>(mails[0]?.id ?? null);
  const [result, setResult] = useState<TestMailRuleQuery['testMailRule'] | null>(null);
  const act = useAction();
  const run = async () => {
    const vars: TestMailRuleQueryVariables = source === 'pasted' ? { rule: toInput(rule), mail: { from, subject, body } } : { rule: toInput(rule), mailId };
    const r = await act.run(() => request(TestMailRule, vars));
    setResult(r ? r.testMailRule : null);
  };
  return (
    <section aria-labelledby="mail-test-title" className="mail-test">
      <h3 id="mail-test-title">{t('mailin.test')}</h3>
      <p className="help">{t('mailin.testHelp')}</p>
      <Choice label={t('mailin.storedMail')} value={source} options={[{ value: 'pasted', label: t('mailin.pasted') }, { value: 'stored', label: t('mailin.storedMail') }]} onChange={(v) => setSource(v as 'pasted' | 'stored')} />
      {source === 'pasted' ? (
        <>
          <Field label={t('mailin.pastedFrom')} value={from} onChange={(e) => setFrom(e.target.value)} />
          <Field label={t('mailin.pastedSubject')} value={subject} onChange={(e) => setSubject(e.target.value)} />
          <div className="field">
            <label htmlFor="mail-test-body">{t('mailin.pastedBody')}</label>
            <textarea id="mail-test-body" rows={6} value={body} onChange={(e) => setBody(e.target.value)} />
          </div>
        </>
      ) : (
        <Choice label={t('mailin.storedMail')} value={String(mailId ?? '')} options={mails.map((m) => ({ value: String(m.id), label: `#${m.id} ${m.subject}` }))} onChange={(v) => setMailId(Number(v))} />
      )}
      <button type="button" onClick={run} disabled={act.pending}>{t('mailin.run')}</button>
      {result && (
        <div data-testid="mail-test-result" role="status">
          <p className={result.matched ? 'ok' : 'warning'}><strong>{result.matched ? t('mailin.matched') : t('mailin.notMatched')}</strong></p>
          <ul>
            {result.reasons.map((r, i) => (
              <li key={i}>{r.matched ? '✓' : '✗'} {r.detail}</li>
            ))}
          </ul>
          {result.matched && (
            <dl>
              <dt>{t('mailin.found')}</dt>
              <dd>{result.municipalities.length ? result.municipalities.map((m) => (m.said === m.municipality ? m.municipality : `${m.municipality}（${m.said}）`)).join('、') : t('mailin.foundNone')}</dd>
              <dt>{t('mailin.rewritten')}</dt>
              <dd><pre>{result.body}</pre>{result.rewrites.join(' / ')}</dd>
              <dt>{t('mailin.message')}</dt>
              <dd><pre>{result.text}</pre></dd>
              <dt>{t('mailin.target')}</dt>
              <dd>{result.target ? `${result.target}（${t('mailin.recipients', { count: result.recipients ?? 0 })}）` : result.note}</dd>
            </dl>
          )}
        </div>
      )}
    </section>
  );
}

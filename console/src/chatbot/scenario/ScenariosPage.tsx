import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { request } from '../../api/client';
import { graphql } from '../../gql';
import { keys } from '../../api/keys';
import { waiting } from '../../ui/QueryState';
import { useAction } from '../../ui/useAction';
import { Handovers } from './Handovers';
import { ScenarioEditor } from './ScenarioEditor';

const ScenariosQuery = graphql(`
  query ChatbotScenarios { chatbotScenarios { id name description triggers liveVersion draftVersion } }
`);
const Create = graphql(`
  mutation CreateScenario($input: ScenarioInput!) { createScenario(input: $input) { id } }
`);

const firstGraph = {
  start: 'hello',
  nodes: [
    { id: 'hello', type: 'message', title: 'はじめ', text: 'ご案内します。', choices: [{ label: '終了する', next: 'bye' }] },
    { id: 'bye', type: 'end', title: '終了', text: 'ご利用ありがとうございました。' },
  ],
};

/** シナリオ: the list, a new one, and the flow chart editor of the chosen one. */
export function ScenariosPage() {
  const { t } = useTranslation();
  const list = useQuery({ queryKey: keys.scenariosAll, queryFn: () => request(ScenariosQuery) });
  const [open, setOpen] = useState<number | null>(null);
  const [name, setName] = useState('');
  const { run, fields, pending } = useAction([keys.scenariosAll]);
  return (
    <section>
      <h1>{t('scenario.title')}</h1>
      <p className="help">{t('scenario.help')}</p>
      {waiting(t, list) ?? (
        <table data-testid="scenarios">
          <thead>
            <tr>
              <th scope="col">{t('scenario.name')}</th>
              <th scope="col">{t('scenario.triggers')}</th>
              <th scope="col">{t('scenario.state')}</th>
              <th scope="col">{t('faq.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {list.data?.chatbotScenarios.map((s) => (
              <tr key={s.id}>
                <td>
                  {s.name}
                  <br />
                  <span className="help">{s.description}</span>
                </td>
                <td>{s.triggers.join('、')}</td>
                <td>
                  {s.liveVersion ? t('scenario.liveIs', { v: s.liveVersion }) : t('scenario.notLive')}
                  {s.draftVersion ? `・${t('scenario.draftIs', { v: s.draftVersion })}` : ''}
                </td>
                <td>
                  <button type="button" onClick={() => setOpen(s.id)} aria-label={t('scenario.openOf', { name: s.name })}>
                    {t('scenario.open')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            const r = await request(Create, { input: { name, graph: firstGraph } });
            setName('');
            setOpen(r.createScenario.id);
          }, t('scenario.created'));
        }}
      >
        <label>
          {t('scenario.newName')} <input value={name} maxLength={60} required onChange={(e) => setName(e.target.value)} />
        </label>{' '}
        <button type="submit" disabled={pending}>
          {t('scenario.create')}
        </button>
        {fields['input.name'] && <p className="field-error">{fields['input.name']}</p>}
      </form>
      {open !== null && <ScenarioEditor key={open} id={open} onClose={() => setOpen(null)} />}
      <Handovers />
    </section>
  );
}

import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { request } from '../api/client';
import { graphql } from '../gql';
import { keys } from '../api/keys';
import { waiting } from '../ui/QueryState';
import { useAction } from '../ui/useAction';
import { formatPercent, jstIsoDay as isoDay } from '../ui/format';
import { FaqEditor } from './FaqEditor';
import type { Editing } from './FaqPage';

const StatsQuery = graphql(`
  query ChatbotStatistics($from: NaiveDate!, $to: NaiveDate!) {
    chatbotStatistics(from: $from, to: $to) {
      questions answered unanswered answeredRate resolvedYes resolvedNo
      days { date questions answered suggested unanswered resolvedYes resolvedNo }
      faq { faqEntryId question hits resolvedYes resolvedNo }
      nodes { scenarioId nodeId visits dropped }
      unansweredGroups { example count questions lastAsked }
    }
    chatbotScenarios { id name }
  }
`);
const Nearest = graphql(`
  query NearestFaq($text: String!) { faqSearch(text: $text, limit: 1) { entry { id question variants answer category keywords enabled validFrom validTo } } }
`);
const AddVariant = graphql(`
  mutation AddFaqVariant($id: Int!, $input: FaqEntryInput!) { updateFaqEntry(id: $id, input: $input) { id } }
`);

/** 応答統計: how residents' questions were met, what is missing, and one click to fill it. */
export function StatsPage() {
  const { t } = useTranslation();
  const [from, setFrom] = useState(isoDay(new Date(Date.now() - 29 * 86400_000)));
  const [to, setTo] = useState(isoDay(new Date()));
  const [creating, setCreating] = useState<Editing | null>(null);
  const stats = useQuery({ queryKey: keys.chatbotStats(from, to), queryFn: () => request(StatsQuery, { from, to }) });
  const { run } = useAction([keys.faqEntriesAll, ['chatbotStats']]);
  const s = stats.data?.chatbotStatistics;
  const scenarioName = (id: number) => stats.data?.chatbotScenarios.find((x) => x.id === id)?.name ?? `#${id}`;
  return (
    <section>
      <h1>{t('stats.title')}</h1>
      <form className="inline-form" onSubmit={(e) => e.preventDefault()}>
        <label>
          {t('stats.from')} <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
        </label>{' '}
        <label>
          {t('stats.to')} <input type="date" value={to} onChange={(e) => setTo(e.target.value)} />
        </label>{' '}
        <a className="button" href={`/exports/chatbot-daily.csv?from=${from}&to=${to}`} download>
          {t('stats.csv')}
        </a>
      </form>
      {waiting(t, stats) ??
        (s && (
          <>
            <dl className="figures" data-testid="chatbot-totals">
              <dt>{t('stats.questions')}</dt>
              <dd>{Number(s.questions).toLocaleString('ja-JP')}</dd>
              <dt>{t('stats.answeredRate')}</dt>
              <dd>{s.answeredRate == null ? '—' : formatPercent(s.answeredRate)}</dd>
              <dt>{t('stats.unanswered')}</dt>
              <dd>{Number(s.unanswered).toLocaleString('ja-JP')}</dd>
              <dt>{t('stats.feedback')}</dt>
              <dd>{t('stats.feedbackOf', { yes: s.resolvedYes, no: s.resolvedNo })}</dd>
            </dl>
            <h2>{t('stats.unansweredTitle')}</h2>
            <p className="help">{t('stats.unansweredHelp')}</p>
            {creating && <FaqEditor entry={creating} onDone={() => setCreating(null)} />}
            {s.unansweredGroups.length === 0 ? (
              <p className="help">{t('stats.noUnanswered')}</p>
            ) : (
              <table data-testid="unanswered-groups">
                <thead>
                  <tr>
                    <th scope="col">{t('stats.question')}</th>
                    <th scope="col">{t('stats.count')}</th>
                    <th scope="col">{t('faq.actions')}</th>
                  </tr>
                </thead>
                <tbody>
                  {s.unansweredGroups.map((g) => (
                    <tr key={g.example}>
                      <td>
                        {g.example}
                        {g.questions.length > 1 && <div className="help">{g.questions.slice(1).join('／')}</div>}
                      </td>
                      <td>{g.count}</td>
                      <td>
                        <button type="button" onClick={() => setCreating({ id: null, question: g.example, variants: g.questions.slice(1), answer: '', category: '', keywords: [], enabled: true })}>
                          {t('stats.asNewFaq')}
                        </button>{' '}
                        <button
                          type="button"
                          onClick={() =>
                            void run(async () => {
                              const near = (await request(Nearest, { text: g.example })).faqSearch[0]?.entry;
                              if (!near) throw new Error(t('stats.noNearest'));
                              if (!window.confirm(t('stats.confirmVariant', { question: near.question }))) return '';
                              const { id, ...rest } = near;
                              await request(AddVariant, { id, input: { ...rest, variants: [...rest.variants, g.example] } });
                              return near.question;
                            }, (q) => (q ? t('stats.variantAdded', { question: q }) : t('common.cancel')))
                          }
                        >
                          {t('stats.asVariant')}
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            <h2>{t('stats.daily')}</h2>
            <table data-testid="chatbot-days">
              <thead>
                <tr>
                  <th scope="col">{t('stats.date')}</th>
                  <th scope="col">{t('stats.questions')}</th>
                  <th scope="col">{t('stats.answered')}</th>
                  <th scope="col">{t('stats.suggested')}</th>
                  <th scope="col">{t('stats.unanswered')}</th>
                </tr>
              </thead>
              <tbody>
                {s.days
                  .filter((d) => Number(d.questions) > 0)
                  .map((d) => (
                    <tr key={d.date}>
                      <td>{d.date.replaceAll('-', '/')}</td>
                      <td>{d.questions}</td>
                      <td>{d.answered}</td>
                      <td>{d.suggested}</td>
                      <td>{d.unanswered}</td>
                    </tr>
                  ))}
              </tbody>
            </table>
            <h2>{t('stats.faqHits')}</h2>
            <table data-testid="faq-hits">
              <thead>
                <tr>
                  <th scope="col">{t('stats.question')}</th>
                  <th scope="col">{t('stats.hits')}</th>
                  <th scope="col">{t('stats.feedback')}</th>
                </tr>
              </thead>
              <tbody>
                {s.faq.map((f) => (
                  <tr key={f.faqEntryId}>
                    <td>{f.question}</td>
                    <td>{f.hits}</td>
                    <td>{t('stats.feedbackOf', { yes: f.resolvedYes, no: f.resolvedNo })}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <h2>{t('stats.nodes')}</h2>
            <table data-testid="node-figures">
              <thead>
                <tr>
                  <th scope="col">{t('stats.scenario')}</th>
                  <th scope="col">{t('stats.node')}</th>
                  <th scope="col">{t('stats.visits')}</th>
                  <th scope="col">{t('stats.dropped')}</th>
                </tr>
              </thead>
              <tbody>
                {s.nodes.map((n) => (
                  <tr key={`${n.scenarioId}-${n.nodeId}`}>
                    <td>{scenarioName(n.scenarioId)}</td>
                    <td>{n.nodeId}</td>
                    <td>{n.visits}</td>
                    <td>{n.dropped}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        ))}
    </section>
  );
}

import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { request } from '../api/client';
import { keys } from '../api/keys';
import type { SurveyCrossBy, SurveyQuery as SurveyQueryType, SurveyFilter } from '../gql/graphql';
import { formatDateTime, jstDayStart } from '../ui/format';
import { waiting } from '../ui/QueryState';
import { ReasonedExport } from '../ui/ReasonedExport';
import { SurveyCrossTabQuery, SurveyResultsQuery, SurveyTextsQuery } from './queries';

type Survey = NonNullable<SurveyQueryType['survey']>;
const CLOSED = ['SINGLE', 'MULTIPLE', 'DROPDOWN', 'RATING', 'CONSENT', 'MUNICIPALITY'];
const TEXT = ['SHORT_TEXT', 'LONG_TEXT'];

function Bars({ title, counts }: { title: string; counts: { key: string; label: string; count: number }[] }) {
  const { t } = useTranslation();
  const top = Math.max(1, ...counts.map((c) => c.count));
  return (
    <table className="survey-bars" aria-label={t('survey.chart', { title })}>
      <tbody>
        {counts.map((c) => (
          <tr key={c.key}>
            <th scope="row">{c.label}</th>
            <td>
              <span className="bar" style={{ width: `${(c.count * 100) / top}%` }} />
            </td>
            <td className="number">{c.count}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Texts({ id, question }: { id: number; question: string }) {
  const { t } = useTranslation();
  const [search, setSearch] = useState('');
  const [shown, setShown] = useState('');
  const q = useQuery({ queryKey: keys.surveyTexts(id, question, shown, 0), queryFn: () => request(SurveyTextsQuery, { id, question, search: shown, offset: 0 }) });
  return (
    <div className="survey-texts">
      <form onSubmit={(e) => { e.preventDefault(); setShown(search); }}>
        <label>{t('survey.textsSearch')} <input value={search} onChange={(e) => setSearch(e.target.value)} /></label>{' '}
        <button type="submit">{t('common.search')}</button>
      </form>
      {q.data && (
        <>
          <p>{t('survey.textsTotal', { total: q.data.surveyTexts.total })}</p>
          <ul>
            {q.data.surveyTexts.items.map((x) => (
              <li key={x.answerId}>{x.text} <span className="help">{formatDateTime(x.submittedAt)}</span></li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

function CrossTab({ survey }: { survey: Survey }) {
  const { t } = useTranslation();
  const closed = survey.form.sections.flatMap((s) => s.questions).filter((q) => CLOSED.includes(q.kind) && q.kind !== 'MUNICIPALITY');
  const [question, setQuestion] = useState(closed[0]?.key ?? '');
  const [by, setBy] = useState<SurveyCrossBy>('AGE_BAND');
  const [asked, setAsked] = useState<{ question: string; by: SurveyCrossBy } | null>(null);
  const tab = useQuery({
    queryKey: keys.surveyCrossTab(survey.id, asked?.question ?? '', asked?.by ?? ''),
    queryFn: () => request(SurveyCrossTabQuery, { id: survey.id, question: asked?.question ?? '', by: asked?.by ?? 'AGE_BAND' }),
    enabled: asked !== null,
  });
  if (!survey.settings.identified) return <p>{t('survey.crossAnonymous')}</p>;
  const data = tab.data?.surveyCrossTab;
  return (
    <div>
      <label>{t('survey.crossQuestion')}{' '}
        <select value={question} onChange={(e) => setQuestion(e.target.value)}>
          {closed.map((q) => <option key={q.key} value={q.key}>{q.title}</option>)}
        </select>
      </label>{' '}
      <label>{t('survey.crossBy')}{' '}
        <select value={by} onChange={(e) => setBy(e.target.value as SurveyCrossBy)}>
          {(['AGE_BAND', 'GENDER', 'RESIDENCE'] as const).map((b) => <option key={b} value={b}>{t(`survey.crossBys.${b}`)}</option>)}
        </select>
      </label>{' '}
      <button type="button" onClick={() => setAsked({ question, by })} disabled={question === ''}>{t('survey.crossShow')}</button>
      {data && (
        <>
          <table className="survey-cross" data-testid="survey-cross-tab">
            <thead>
              <tr>
                <th scope="col">{t(`survey.crossBys.${asked?.by ?? 'AGE_BAND'}`)}</th>
                {data.columns.map((c) => <th key={c} scope="col">{c}</th>)}
                <th scope="col">計</th>
              </tr>
            </thead>
            <tbody>
              {data.rows.map((r) => (
                <tr key={r.group}>
                  <th scope="row">{r.group}</th>
                  {r.cells.map((c, i) => <td key={i} className="number">{c ?? '―'}</td>)}
                  <td className="number">{r.total ?? '―'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="help">{t('survey.crossHelp', { threshold: data.threshold, n: data.suppressed })}</p>
        </>
      )}
    </div>
  );
}

/** Counts while it runs, a chart per question, free texts, the cross-tabulation and the CSV. */
export function SurveyResults({ survey }: { survey: Survey }) {
  const { t } = useTranslation();
  const questions = survey.form.sections.flatMap((s) => s.questions);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [by, setBy] = useState('');
  const [value, setValue] = useState('');
  const [filter, setFilter] = useState<SurveyFilter | null>(null);
  const results = useQuery({
    queryKey: keys.surveyResults(survey.id, filter),
    queryFn: () => request(SurveyResultsQuery, { id: survey.id, filter }),
    // Each refresh reads and opens every answer: only while answers still come in.
    refetchInterval: survey.status === 'OPEN' ? 30_000 : false,
  });
  const wait = waiting(t, results);
  const r = results.data?.surveyResults;
  const filterQuestion = questions.find((q) => q.key === by);
  return (
    <div className="survey-results">
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter({
            from: from ? jstDayStart(from) : null,
            to: to ? new Date(new Date(jstDayStart(to)).getTime() + 86_400_000).toISOString() : null,
            question: by || null,
            anyOf: by && value ? [value] : [],
          });
        }}
      >
        <label>{t('survey.from')} <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} /></label>{' '}
        <label>{t('survey.to')} <input type="date" value={to} onChange={(e) => setTo(e.target.value)} /></label>{' '}
        <label>{t('survey.filterQuestion')}{' '}
          <select value={by} onChange={(e) => { setBy(e.target.value); setValue(''); }}>
            <option value="">{t('survey.filterNone')}</option>
            {questions.filter((q) => CLOSED.includes(q.kind) && q.kind !== 'MUNICIPALITY').map((q) => <option key={q.key} value={q.key}>{q.title}</option>)}
          </select>
        </label>
        {filterQuestion && (
          <select aria-label={filterQuestion.title} value={value} onChange={(e) => setValue(e.target.value)}>
            <option value="">—</option>
            {(filterQuestion.kind === 'RATING'
              ? Array.from({ length: filterQuestion.scale ?? 5 }, (_, i) => ({ key: String(i + 1), label: String(i + 1) }))
              : filterQuestion.kind === 'CONSENT' ? [{ key: 'true', label: '同意する' }] : filterQuestion.choices
            ).map((c) => <option key={c.key} value={c.key}>{c.label}</option>)}
          </select>
        )}{' '}
        <button type="submit">{t('survey.apply')}</button>
      </form>
      {wait}
      {r && (
        <>
          <p data-testid="survey-total">{t('survey.total', { total: r.total, liff: r.liff, chat: r.chat })}</p>
          {r.questions.map((q) => (
            <section key={q.key} className="survey-result" data-testid={`result-${q.key}`}>
              <h3>{q.title}</h3>
              <p className="help">
                {t('survey.answered', { n: q.answered })}
                {q.mean !== null && q.mean !== undefined && <> ・ {t('survey.mean', { mean: q.mean.toFixed(2) })}</>}
                {q.median !== null && q.median !== undefined && <> ・ {t('survey.median', { median: q.median })}</>}
              </p>
              {q.counts.length > 0 && <Bars title={q.title} counts={q.counts} />}
              {TEXT.includes(q.kind) && q.counts.length === 0 && <Texts id={survey.id} question={q.key} />}
            </section>
          ))}
        </>
      )}
      <h2>{t('survey.crossTab')}</h2>
      <CrossTab survey={survey} />
      <ReasonedExport endpoint={`/exports/surveys/${survey.id}/answers.csv`} params={{}} fallbackName="survey-answers.csv" texts="survey" />
    </div>
  );
}

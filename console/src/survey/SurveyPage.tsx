import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { request } from '../api/client';
import { keys } from '../api/keys';
import { waiting } from '../ui/QueryState';
import { SurveyBuilder } from './SurveyBuilder';
import { SurveyResults } from './SurveyResults';
import { SurveyQuery, SurveysQuery } from './queries';

type Tab = 'builder' | 'results';

/** One survey: its builder, settings and distribution (owners), and its results. */
export function SurveyPage() {
  const { t } = useTranslation();
  const id = Number(useParams().id);
  const navigate = useNavigate();
  const survey = useQuery({ queryKey: keys.survey(id), queryFn: () => request(SurveyQuery, { id }) });
  const lists = useQuery({ queryKey: keys.surveys, queryFn: () => request(SurveysQuery) });
  const [tab, setTab] = useState<Tab | null>(null);
  const wait = waiting(t, survey, lists);
  if (wait) return wait;
  const s = survey.data?.survey;
  if (!s) return null;
  const shown: Tab = tab ?? (s.mayEdit ? 'builder' : 'results');
  return (
    <section>
      <p><Link to="/surveys">{t('survey.back')}</Link></p>
      <h1>{s.title}</h1>
      <p>
        {t(`survey.statuses.${s.status}`)}
        {s.liveVersion !== null && s.liveVersion !== undefined && <> ・ {t('survey.live', { version: s.liveVersion })}</>}
        {' ・ '}{t('survey.answered', { n: s.answerCount })}
      </p>
      <div role="tablist" className="tabs">
        {s.mayEdit && (
          <button type="button" role="tab" aria-selected={shown === 'builder'} onClick={() => setTab('builder')}>{t('survey.builder')}</button>
        )}
        <button type="button" role="tab" aria-selected={shown === 'results'} onClick={() => setTab('results')}>{t('survey.results')}</button>
      </div>
      {shown === 'builder' && s.mayEdit && <SurveyBuilder key={s.updatedAt} survey={s} segments={lists.data?.surveySegments ?? []} onDeleted={() => void navigate('/surveys')} />}
      {shown === 'results' && <SurveyResults survey={s} />}
    </section>
  );
}

import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { request } from '../api/client';
import { keys } from '../api/keys';
import { formatDateTime } from '../ui/format';
import { waiting } from '../ui/QueryState';
import { useAction } from '../ui/useAction';
import { blankForm } from './model';
import { CreateSurvey, CreateSurveyFromTemplate, SurveysQuery } from './queries';

/** アンケート (seed §2.4(5)): the surveys this account may see, and new ones (blank or from a template). */
export function SurveysPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const page = useQuery({ queryKey: keys.surveys, queryFn: () => request(SurveysQuery) });
  const act = useAction([keys.surveys]);
  const wait = waiting(t, page);
  if (wait) return wait;
  const data = page.data;
  if (!data) return null;
  const open = (id: number | undefined) => id !== undefined && void navigate(`/surveys/${id}`);
  return (
    <section>
      <h1>{t('survey.title')}</h1>
      <p className="help">{t('survey.help')}</p>
      <h2>{t('survey.list')}</h2>
      {data.surveys.length === 0 && <p>{t('survey.none')}</p>}
      {data.surveys.length > 0 && (
        <table data-testid="survey-list">
          <thead>
            <tr>
              <th scope="col">{t('survey.name')}</th>
              <th scope="col">{t('survey.status')}</th>
              <th scope="col">{t('survey.answers')}</th>
              <th scope="col">{t('survey.updated')}</th>
            </tr>
          </thead>
          <tbody>
            {data.surveys.map((s) => (
              <tr key={s.id}>
                <td>
                  <Link to={`/surveys/${s.id}`}>{s.title}</Link>
                  {!s.mayEdit && <span className="badge">{t('survey.readOnly')}</span>}
                </td>
                <td>{t(`survey.statuses.${s.status}`)}</td>
                <td className="number">{s.answerCount}</td>
                <td>{formatDateTime(s.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p>
        <button
          type="button"
          className="primary"
          disabled={act.pending}
          onClick={() => void act.run(() => request(CreateSurvey, { input: { title: '新しいアンケート', form: blankForm(), settings: {} } })).then((r) => open(r?.createSurvey.id))}
        >
          {t('survey.newBlank')}
        </button>
      </p>
      <h2>{t('survey.fromTemplate')}</h2>
      <ul className="survey-templates">
        {data.surveyTemplates.map((tpl) => (
          <li key={tpl.key}>
            <button type="button" disabled={act.pending} onClick={() => void act.run(() => request(CreateSurveyFromTemplate, { key: tpl.key })).then((r) => open(r?.createSurveyFromTemplate.id))}>
              {tpl.title}
            </button>{' '}
            <span className="help">{tpl.description}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

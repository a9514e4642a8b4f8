import { useTranslation } from 'react-i18next';
import type { SurveyQuestionKind, SurveyTextFormat } from '../gql/graphql';
import { CHOICE_KINDS, CLOSED_KINDS, freshKey, optionsOf, type Question } from './model';

const KINDS: SurveyQuestionKind[] = ['SINGLE', 'MULTIPLE', 'DROPDOWN', 'SHORT_TEXT', 'LONG_TEXT', 'DATE', 'RATING', 'MUNICIPALITY', 'CONSENT', 'DESCRIPTION'];
const FORMATS: SurveyTextFormat[] = ['PLAIN', 'NUMBER', 'EMAIL', 'PHONE', 'POSTAL_CODE', 'KATAKANA'];

const num = (v: string) => (v.trim() === '' ? null : Number(v));

/** One question's fields; `earlier` are the questions before it (a condition may only look back). */
export function QuestionEditor({ q, earlier, onChange, errors, path }: { q: Question; earlier: Question[]; onChange: (q: Question) => void; errors: Record<string, string>; path: string }) {
  const { t } = useTranslation();
  const set = (patch: Partial<Question>) => onChange({ ...q, ...patch });
  const err = (f: string) => errors[`input.form.${path}.${f}`] ?? errors[`form.${path}.${f}`];
  const closedEarlier = earlier.filter((e) => CLOSED_KINDS.includes(e.kind));
  const target = closedEarlier.find((e) => e.key === q.showIf?.question);
  const setChoices = (text: string) => {
    const labels = text.split('\n');
    const keys: string[] = [];
    set({
      choices: labels.map((label, i) => {
        // Keep a choice's key while its line stays where it was: answers name keys.
        const key = q.choices[i]?.key ?? freshKey('c', [...q.choices.map((c) => c.key), ...keys]);
        keys.push(key);
        return { key, label };
      }),
    });
  };
  return (
    <div className="survey-question" data-testid={`question-${q.key}`}>
      <div className="row">
        <label>
          {t('survey.kind')}{' '}
          <select value={q.kind} onChange={(e) => set({ kind: e.target.value as SurveyQuestionKind, scale: e.target.value === 'RATING' ? (q.scale ?? 5) : q.scale })}>
            {KINDS.map((k) => (
              <option key={k} value={k}>{t(`survey.kinds.${k}`)}</option>
            ))}
          </select>
        </label>{' '}
        <label>
          <input type="checkbox" checked={q.required} onChange={(e) => set({ required: e.target.checked })} /> {t('survey.required')}
        </label>
      </div>
      <label className="block">
        {t('survey.questionTitle')}
        <input value={q.title} maxLength={200} onChange={(e) => set({ title: e.target.value })} aria-invalid={err('title') ? true : undefined} />
      </label>
      {err('title') && <p className="field-error" role="alert">{err('title')}</p>}
      <label className="block">
        {t('survey.questionHelp')}
        <textarea value={q.help} rows={2} onChange={(e) => set({ help: e.target.value })} />
      </label>
      {CHOICE_KINDS.includes(q.kind) && (
        <>
          <label className="block">
            {t('survey.choices')}
            <textarea rows={Math.max(3, q.choices.length)} value={q.choices.map((c) => c.label).join('\n')} onChange={(e) => setChoices(e.target.value)} />
          </label>
          {(err('choices') ?? Object.entries(errors).find(([k]) => k.includes(`${path}.choices[`))?.[1]) && (
            <p className="field-error" role="alert">{err('choices') ?? Object.entries(errors).find(([k]) => k.includes(`${path}.choices[`))?.[1]}</p>
          )}
          <label>
            <input type="checkbox" checked={q.shuffle} onChange={(e) => set({ shuffle: e.target.checked })} /> {t('survey.shuffle')}
          </label>
        </>
      )}
      {q.kind === 'MULTIPLE' && (
        <div className="row">
          <label>{t('survey.minPicks')} <input type="number" min={0} value={q.minPicks ?? ''} onChange={(e) => set({ minPicks: num(e.target.value) })} /></label>{' '}
          <label>{t('survey.maxPicks')} <input type="number" min={1} value={q.maxPicks ?? ''} onChange={(e) => set({ maxPicks: num(e.target.value) })} /></label>
          {err('maxPicks') && <p className="field-error" role="alert">{err('maxPicks')}</p>}
        </div>
      )}
      {q.kind === 'SHORT_TEXT' && (
        <div className="row">
          <label>
            {t('survey.format')}{' '}
            <select value={q.format} onChange={(e) => set({ format: e.target.value as SurveyTextFormat })}>
              {FORMATS.map((f) => (
                <option key={f} value={f}>{t(`survey.formats.${f}`)}</option>
              ))}
            </select>
          </label>
          {q.format === 'NUMBER' && (
            <>
              {' '}<label>{t('survey.min')} <input type="number" value={q.min ?? ''} onChange={(e) => set({ min: num(e.target.value) })} /></label>
              {' '}<label>{t('survey.max')} <input type="number" value={q.max ?? ''} onChange={(e) => set({ max: num(e.target.value) })} /></label>
            </>
          )}
        </div>
      )}
      {q.kind === 'RATING' && (
        <div className="row">
          <label>
            {t('survey.scale')}{' '}
            <select value={q.scale ?? 5} onChange={(e) => set({ scale: Number(e.target.value) })}>
              <option value={5}>1〜5</option>
              <option value={10}>1〜10</option>
            </select>
          </label>{' '}
          <label>{t('survey.lowLabel')} <input value={q.lowLabel} maxLength={20} onChange={(e) => set({ lowLabel: e.target.value })} /></label>{' '}
          <label>{t('survey.highLabel')} <input value={q.highLabel} maxLength={20} onChange={(e) => set({ highLabel: e.target.value })} /></label>
        </div>
      )}
      <fieldset className="survey-condition">
        <legend>{t('survey.condition')}</legend>
        <select
          aria-label={t('survey.condition')}
          value={q.showIf?.question ?? ''}
          onChange={(e) => set({ showIf: e.target.value === '' ? null : { question: e.target.value, anyOf: [] } })}
        >
          <option value="">{t('survey.conditionNone')}</option>
          {closedEarlier.map((e) => (
            <option key={e.key} value={e.key}>{t('survey.conditionWhen', { title: e.title || e.key })}</option>
          ))}
        </select>
        {target && q.showIf && (
          <span className="choices">
            {optionsOf(target).map((o) => (
              <label key={o.key}>
                <input
                  type="checkbox"
                  checked={q.showIf?.anyOf.includes(o.key) ?? false}
                  onChange={(e) => {
                    const anyOf = q.showIf?.anyOf ?? [];
                    set({ showIf: { question: target.key, anyOf: e.target.checked ? [...anyOf, o.key] : anyOf.filter((k) => k !== o.key) } });
                  }}
                />
                {o.label}
              </label>
            ))}
          </span>
        )}
        {(err('showIf.question') ?? err('showIf.anyOf')) && <p className="field-error" role="alert">{err('showIf.question') ?? err('showIf.anyOf')}</p>}
      </fieldset>
    </div>
  );
}

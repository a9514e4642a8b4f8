import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { optionsOf, visible, type Answers, type Form, type Question } from './model';

function Control({ q, values, onChange }: { q: Question; values: string[]; onChange: (v: string[]) => void }) {
  const one = values[0] ?? '';
  switch (q.kind) {
    case 'SINGLE':
    case 'RATING':
    case 'CONSENT':
      return (
        <div className={q.kind === 'RATING' ? 'scale' : undefined}>
          {optionsOf(q).map((o) => (
            <label key={o.key}>
              <input type={q.kind === 'CONSENT' ? 'checkbox' : 'radio'} name={`preview-${q.key}`} checked={one === o.key} onChange={(e) => onChange(e.target.checked ? [o.key] : [])} />
              {o.label}
            </label>
          ))}
        </div>
      );
    case 'MULTIPLE':
      return (
        <div>
          {q.choices.map((c) => (
            <label key={c.key}>
              <input type="checkbox" checked={values.includes(c.key)} onChange={(e) => onChange(e.target.checked ? [...values, c.key] : values.filter((v) => v !== c.key))} />
              {c.label}
            </label>
          ))}
        </div>
      );
    case 'DROPDOWN':
    case 'MUNICIPALITY':
      return (
        <select value={one} onChange={(e) => onChange(e.target.value ? [e.target.value] : [])} aria-label={q.title}>
          <option value="">選択してください</option>
          {q.choices.map((c) => (
            <option key={c.key} value={c.key}>{c.label}</option>
          ))}
        </select>
      );
    case 'LONG_TEXT':
      return <textarea rows={3} aria-label={q.title} value={one} onChange={(e) => onChange([e.target.value])} />;
    case 'DATE':
      return <input type="date" aria-label={q.title} value={one} onChange={(e) => onChange([e.target.value])} />;
    case 'DESCRIPTION':
      return null;
    default:
      return <input aria-label={q.title} value={one} onChange={(e) => onChange([e.target.value])} />;
  }
}

/** The form as a resident's phone shows it; answers here only drive the conditions. */
export function SurveyPreview({ title, form }: { title: string; form: Form }) {
  const { t } = useTranslation();
  const [answers, setAnswers] = useState<Answers>({});
  const shown = visible(form, answers);
  return (
    <figure className="phone survey-phone" aria-label={t('survey.preview')} data-testid="survey-preview">
      <h2>{title}</h2>
      <p className="help">{t('survey.previewHelp')}</p>
      {shown.map((q) => (
        <fieldset key={q.key}>
          <legend>
            {q.title}
            {q.required && <span className="required">必須</span>}
          </legend>
          {q.help && <p className="help">{q.help}</p>}
          <Control q={q} values={answers[q.key] ?? []} onChange={(v) => setAnswers({ ...answers, [q.key]: v })} />
        </fieldset>
      ))}
      <button type="button" disabled>回答する</button>
    </figure>
  );
}

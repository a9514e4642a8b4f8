import { useEffect, useRef, useState } from 'react';
import { ApiError, request } from './api';
import { CloseButton, FieldMessage, useFocusFirstError } from './feedback';
import { graphql } from './gql';
import { t } from './messages';
import { shuffled, toSend, visible, type Answers } from './survey';

const SurveyQuery = graphql(`
  query SurveyPage($id: Int!) {
    survey(id: $id) {
      id title version answerable code message identified onePerResident closesAt textLimit municipalities thankYou
      form { sections { key title description jumps { question anyOf to } questions { key kind title help required choices { key label } minPicks maxPicks format min max scale lowLabel highLabel shuffle showIf { question anyOf } } } }
      mine { version answers { question values } submittedAt updatedAt }
    }
    me { lineUserId }
  }
`);

const AnswerMutation = graphql(`
  mutation AnswerSurvey($input: AnswerSurveyInput!) { answerSurvey(input: $input) { answerId thankYou } }
`);

const ChangeMutation = graphql(`
  mutation ChangeSurveyAnswer($input: AnswerSurveyInput!) { changeSurveyAnswer(input: $input) { answerId thankYou } }
`);

type Data = Awaited<ReturnType<typeof load>>;
type Question = Data['survey']['form']['sections'][number]['questions'][number];
const load = (id: number) => request(SurveyQuery, { id });

function surveyId(): number {
  return Number(new URLSearchParams(window.location.search).get('id') ?? '0');
}

const INPUT_TYPE: Record<string, string> = { NUMBER: 'text', EMAIL: 'email', PHONE: 'tel', POSTAL_CODE: 'text', KATAKANA: 'text', PLAIN: 'text' };
const INPUT_MODE: Record<string, 'numeric' | 'email' | 'tel' | 'text'> = { NUMBER: 'numeric', EMAIL: 'email', PHONE: 'tel', POSTAL_CODE: 'numeric', KATAKANA: 'text', PLAIN: 'text' };

function Control({ q, values, set, seed, municipalities, limit, describedBy, invalid }: {
  q: Question; values: string[]; set: (v: string[]) => void; seed: string; municipalities: string[]; limit: number; describedBy: string; invalid: boolean;
}) {
  const one = values[0] ?? '';
  const aria = { 'aria-labelledby': `title-${q.key}`, 'aria-describedby': describedBy, 'aria-invalid': invalid || undefined };
  const choices = q.shuffle ? shuffled(q.choices, `${seed}:${q.key}`) : q.choices;
  switch (q.kind) {
    case 'SINGLE':
      return (
        <div role="radiogroup" {...aria}>
          {choices.map((c) => (
            <label key={c.key} className="choice">
              <input type="radio" name={q.key} checked={one === c.key} onChange={() => set([c.key])} /> {c.label}
            </label>
          ))}
        </div>
      );
    case 'MULTIPLE':
      return (
        <div {...aria}>
          {choices.map((c) => (
            <label key={c.key} className="choice">
              <input type="checkbox" checked={values.includes(c.key)} onChange={(e) => set(e.target.checked ? [...values, c.key] : values.filter((v) => v !== c.key))} /> {c.label}
            </label>
          ))}
        </div>
      );
    case 'DROPDOWN':
    case 'MUNICIPALITY': {
      const list = q.kind === 'MUNICIPALITY' ? municipalities.map((m) => ({ key: m, label: m })) : choices;
      return (
        <select value={one} onChange={(e) => set(e.target.value ? [e.target.value] : [])} {...aria}>
          <option value="">{t.select}</option>
          {list.map((c) => <option key={c.key} value={c.key}>{c.label}</option>)}
        </select>
      );
    }
    case 'RATING': {
      const n = q.scale ?? 5;
      return (
        <div className="scale" role="radiogroup" {...aria}>
          {q.lowLabel && <span className="scale-end">{q.lowLabel}</span>}
          {Array.from({ length: n }, (_, i) => String(i + 1)).map((v) => (
            <label key={v} className="scale-point">
              <input type="radio" name={q.key} checked={one === v} onChange={() => set([v])} />
              <span>{v}</span>
            </label>
          ))}
          {q.highLabel && <span className="scale-end">{q.highLabel}</span>}
        </div>
      );
    }
    case 'CONSENT':
      return (
        <label className="choice">
          <input type="checkbox" checked={one === 'true'} onChange={(e) => set(e.target.checked ? ['true'] : [])} aria-describedby={describedBy} aria-invalid={invalid || undefined} /> {t.surveyConsent}
        </label>
      );
    case 'DATE':
      return <input type="date" value={one} onChange={(e) => set([e.target.value])} {...aria} />;
    case 'LONG_TEXT':
      return <textarea rows={4} maxLength={limit} value={one} onChange={(e) => set([e.target.value])} {...aria} />;
    case 'DESCRIPTION':
      return null;
    default:
      return <input type={INPUT_TYPE[q.format] ?? 'text'} inputMode={INPUT_MODE[q.format] ?? 'text'} maxLength={limit} value={one} onChange={(e) => set([e.target.value])} {...aria} />;
  }
}

/** A survey on the resident's phone: answer it, see and change one's answer while allowed. */
export function SurveyPage() {
  const id = surveyId();
  const [data, setData] = useState<Data | null>(null);
  const [answers, setAnswers] = useState<Answers>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formErrors, setFormErrors] = useState<string[]>([]);
  const [status, setStatus] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [refused, setRefused] = useState(0);
  // Each section with a shown question is a page of its own.
  const [pageAt, setPageAt] = useState(0);
  const formRef = useRef<HTMLFormElement>(null);
  useFocusFirstError(formRef, refused);

  useEffect(() => {
    load(id)
      .then((d) => {
        setData(d);
        setAnswers(Object.fromEntries((d.survey.mine?.answers ?? []).map((a) => [a.question, a.values])));
      })
      .catch((e) => setStatus({ kind: 'error', text: e instanceof ApiError && e.code === 'UNAUTHENTICATED' ? t.authError : e instanceof ApiError && e.code === 'NOT_FOUND' ? t.surveyNotFound : t.error }));
  }, [id]);

  if (!data) return <main className="page">{status ? <p role="alert" className="error">{status.text}</p> : <p role="status">{t.loading}</p>}</main>;
  const s = data.survey;
  if (done) {
    return (
      <main className="page">
        <h1>{s.title}</h1>
        <p role="status" className="ok">{done}</p>
        <CloseButton />
      </main>
    );
  }
  const shown = visible(s.form.sections, answers);
  const shownKeys = new Set(shown.map((q) => q.key));
  const changing = s.mine !== null && s.mine !== undefined;
  const pages = s.form.sections.filter((section) => section.questions.some((q) => shownKeys.has(q.key)));
  const at = Math.min(pageAt, Math.max(0, pages.length - 1));
  const last = at === pages.length - 1;
  const turn = (to: number) => {
    setPageAt(to);
    window.scrollTo?.({ top: 0 });
  };

  const submit = async () => {
    setBusy(true);
    setStatus(null);
    setErrors({});
    setFormErrors([]);
    const sent = toSend(shown, answers);
    const input = { surveyId: s.id, version: s.version, answers: sent };
    try {
      const r = changing ? (await request(ChangeMutation, { input })).changeSurveyAnswer : (await request(AnswerMutation, { input })).answerSurvey;
      setDone(changing ? `${t.surveyChanged}${r.thankYou}` : r.thankYou);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'BAD_USER_INPUT') {
        const byQuestion: Record<string, string> = {};
        const rest: string[] = [];
        for (const f of e.fields) {
          // `input.answers[i].value` names the i-th sent answer; `input.answers.<key>` a required one left out.
          const m = /^input\.answers\[(\d+)\]/.exec(f.field);
          const missing = /^input\.answers\.(.+)$/.exec(f.field)?.[1];
          const q = m ? sent[Number(m[1])]?.question : missing;
          if (q) byQuestion[q] = f.message;
          else rest.push(f.message);
        }
        setErrors(byQuestion);
        setFormErrors(rest);
        // Back to the first page holding a refused answer.
        const first = pages.findIndex((section) => section.questions.some((q) => byQuestion[q.key]));
        if (first >= 0) setPageAt(first);
        setRefused((n) => n + 1);
      } else {
        setStatus({ kind: 'error', text: e instanceof ApiError ? e.message : t.error });
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="page">
      <h1>{s.title}</h1>
      {!s.answerable && <p role="alert" className="error" data-testid="survey-refused">{s.message}</p>}
      {s.answerable && changing && <p className="help">{t.surveyYourAnswer}</p>}
      {s.answerable && s.identified && <p className="help">{t.surveyIdentified}</p>}
      {s.answerable && (
        <form ref={formRef} noValidate onSubmit={(e) => { e.preventDefault(); if (last) void submit(); else turn(at + 1); }}>
          {pages.length > 1 && <p className="help">{t.surveyPage(at + 1, pages.length)}</p>}
          {pages.slice(at, at + 1).map((section) => {
            const qs = section.questions.filter((q) => shownKeys.has(q.key));
            if (qs.length === 0) return null;
            return (
              <section key={section.key}>
                {section.title && <h2>{section.title}</h2>}
                {section.description && <p>{section.description}</p>}
                {qs.map((q) => {
                  const msgId = `msg-${q.key}`;
                  if (q.kind === 'DESCRIPTION') {
                    return (
                      <div key={q.key} className="question">
                        {q.title && <h3>{q.title}</h3>}
                        <p>{q.help}</p>
                      </div>
                    );
                  }
                  return (
                    <fieldset key={q.key} className="question" data-invalid={errors[q.key] ? true : undefined}>
                      <legend>
                        <span id={`title-${q.key}`}>{q.title}</span>
                        <span className={q.required ? 'required' : 'optional'}>{q.required ? t.required : t.optional}</span>
                      </legend>
                      {q.help && <p className="help">{q.help}</p>}
                      <Control
                        q={q}
                        values={answers[q.key] ?? []}
                        set={(v) => setAnswers({ ...answers, [q.key]: v })}
                        seed={data.me?.lineUserId ?? ''}
                        municipalities={s.municipalities}
                        limit={s.textLimit}
                        describedBy={msgId}
                        invalid={Boolean(errors[q.key])}
                      />
                      <FieldMessage id={msgId} message={errors[q.key]} />
                    </fieldset>
                  );
                })}
              </section>
            );
          })}
          {formErrors.map((m) => <p key={m} role="alert" className="error">{m}</p>)}
          {status && <p role="alert" className="error">{status.text}</p>}
          {at > 0 && <button type="button" onClick={() => turn(at - 1)}>{t.surveyBack}</button>}{' '}
          {last ? (
            <button type="submit" className="primary" disabled={busy}>{busy ? t.surveySending : changing ? t.surveyChange : t.surveySend}</button>
          ) : (
            <button type="submit" className="primary">{t.surveyNext}</button>
          )}
        </form>
      )}
    </main>
  );
}

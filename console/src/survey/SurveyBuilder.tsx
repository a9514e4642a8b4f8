import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { request } from '../api/client';
import { keys } from '../api/keys';
import type { SurveyQuery as SurveyQueryType, SurveyQuestionKind } from '../gql/graphql';
import { CopyButton } from '../ui/CopyButton';
import { Field } from '../ui/Field';
import { isoToJstLocal, jstLocalToIso } from '../ui/format';
import { useAction } from '../ui/useAction';
import { CLOSED_KINDS, END, allQuestions, blankQuestion, freshKey, optionsOf, toInput, type Form, type Question, type Section } from './model';
import { CloseSurvey, DeleteSurvey, PublishSurvey, ReopenSurvey, SendSurvey, UpdateSurvey } from './queries';
import { QuestionEditor } from './QuestionEditor';
import { SurveyPreview } from './SurveyPreview';

type Survey = NonNullable<SurveyQueryType['survey']>;
type Settings = Survey['settings'];

function fromApi(form: Survey['form']): Form {
  return {
    sections: form.sections.map((s) => ({
      ...s,
      jumps: s.jumps.map((j) => ({ ...j })),
      questions: s.questions.map((q) => ({
        ...q,
        choices: q.choices.map((c) => ({ ...c })),
        minPicks: q.minPicks ?? null,
        maxPicks: q.maxPicks ?? null,
        min: q.min ?? null,
        max: q.max ?? null,
        scale: q.scale ?? null,
        showIf: q.showIf ? { ...q.showIf } : null,
      })),
    })),
  };
}

const ADDABLE: SurveyQuestionKind[] = ['SINGLE', 'MULTIPLE', 'DROPDOWN', 'SHORT_TEXT', 'LONG_TEXT', 'DATE', 'RATING', 'MUNICIPALITY', 'CONSENT', 'DESCRIPTION'];

/** The builder (sections, questions, conditions, jumps) beside a phone preview, the settings, and sending. */
export function SurveyBuilder({ survey, segments, onDeleted }: { survey: Survey; segments: { id: number; name: string }[]; onDeleted: () => void }) {
  const { t } = useTranslation();
  const [title, setTitle] = useState(survey.title);
  const [form, setForm] = useState<Form>(() => fromApi(survey.form));
  const [settings, setSettings] = useState<Settings>(survey.settings);
  const [adding, setAdding] = useState<SurveyQuestionKind>('SINGLE');
  const [sendText, setSendText] = useState<string>(t('survey.sendTextDefault'));
  const [sendTo, setSendTo] = useState<number | null>(null);
  const act = useAction([keys.surveys]);
  const input = () => ({
    title,
    form: toInput(form),
    settings: {
      opensAt: settings.opensAt ?? null, closesAt: settings.closesAt ?? null, identified: settings.identified, onePerResident: settings.onePerResident,
      segmentId: settings.segmentId ?? null, quota: settings.quota ?? null, thankYou: settings.thankYou, textLimit: settings.textLimit,
    },
  });
  const save = () => request(UpdateSurvey, { id: survey.id, input: input() });
  const setSection = (i: number, s: Section) => setForm({ sections: form.sections.map((x, j) => (j === i ? s : x)) });
  const setQuestion = (i: number, k: number, q: Question) => {
    const s = form.sections[i];
    if (s) setSection(i, { ...s, questions: s.questions.map((x, j) => (j === k ? q : x)) });
  };
  const move = (i: number, k: number, by: number) => {
    const s = form.sections[i];
    if (!s) return;
    const qs = [...s.questions];
    const [q] = qs.splice(k, 1);
    if (q) qs.splice(Math.max(0, Math.min(qs.length, k + by)), 0, q);
    setSection(i, { ...s, questions: qs });
  };
  const live = survey.liveVersion !== null && survey.liveVersion !== undefined;
  let seen: Question[] = [];
  return (
    <div className="survey-builder">
      <div className="survey-edit">
        <Field label={t('survey.name')} value={title} maxLength={100} onChange={(e) => setTitle(e.target.value)} error={act.fields['input.title']} />
        {survey.hasUnpublishedChanges && live && <p className="notice">{t('survey.unpublished')}</p>}
        {form.sections.map((s, i) => {
          const later = form.sections.slice(i + 1);
          const closedHere = s.questions.filter((q) => CLOSED_KINDS.includes(q.kind));
          const block = (
            <fieldset key={s.key} className="survey-section" data-testid={`section-${s.key}`}>
              <legend>{t('survey.section')} {i + 1}</legend>
              <Field label={t('survey.sectionTitle')} value={s.title} onChange={(e) => setSection(i, { ...s, title: e.target.value })} />
              <label className="block">
                {t('survey.sectionDescription')}
                <textarea rows={2} value={s.description} onChange={(e) => setSection(i, { ...s, description: e.target.value })} />
              </label>
              {s.questions.map((q, k) => {
                const earlier = [...seen];
                seen = [...seen, q];
                return (
                  <div key={q.key} className="survey-question-frame">
                    <QuestionEditor q={q} earlier={earlier} onChange={(nq) => setQuestion(i, k, nq)} errors={act.fields} path={`sections[${i}].questions[${k}]`} />
                    <div className="row">
                      <button type="button" onClick={() => move(i, k, -1)} disabled={k === 0}>{t('survey.moveUp')}</button>{' '}
                      <button type="button" onClick={() => move(i, k, 1)} disabled={k === s.questions.length - 1}>{t('survey.moveDown')}</button>{' '}
                      <button type="button" onClick={() => setSection(i, { ...s, questions: s.questions.filter((_, j) => j !== k) })}>{t('survey.remove')}</button>
                    </div>
                  </div>
                );
              })}
              <div className="row">
                <select aria-label={t('survey.kind')} value={adding} onChange={(e) => setAdding(e.target.value as SurveyQuestionKind)}>
                  {ADDABLE.map((k) => (
                    <option key={k} value={k}>{t(`survey.kinds.${k}`)}</option>
                  ))}
                </select>{' '}
                <button type="button" onClick={() => setSection(i, { ...s, questions: [...s.questions, blankQuestion(form, adding)] })}>{t('survey.addQuestion')}</button>
              </div>
              {closedHere.length > 0 && (later.length > 0 || s.jumps.length > 0) && (
                <fieldset>
                  <legend>{t('survey.jumps')}</legend>
                  {s.jumps.map((j, n) => {
                    const q = closedHere.find((x) => x.key === j.question);
                    const setJump = (patch: Partial<typeof j>) => setSection(i, { ...s, jumps: s.jumps.map((x, m) => (m === n ? { ...x, ...patch } : x)) });
                    return (
                      <div key={n} className="row">
                        <select aria-label={t('survey.condition')} value={j.question} onChange={(e) => setJump({ question: e.target.value, anyOf: [] })}>
                          {closedHere.map((x) => (
                            <option key={x.key} value={x.key}>{x.title || x.key}</option>
                          ))}
                        </select>
                        {q && optionsOf(q).map((o) => (
                          <label key={o.key}>
                            <input type="checkbox" checked={j.anyOf.includes(o.key)} onChange={(e) => setJump({ anyOf: e.target.checked ? [...j.anyOf, o.key] : j.anyOf.filter((x) => x !== o.key) })} />
                            {o.label}
                          </label>
                        ))}
                        <label>
                          {t('survey.jumpTo')}{' '}
                          <select value={j.to} onChange={(e) => setJump({ to: e.target.value })}>
                            {later.map((x, m) => (
                              <option key={x.key} value={x.key}>{t('survey.section')} {i + m + 2}{x.title ? `：${x.title}` : ''}</option>
                            ))}
                            <option value={END}>{t('survey.jumpEnd')}</option>
                          </select>
                        </label>
                        <button type="button" onClick={() => setSection(i, { ...s, jumps: s.jumps.filter((_, m) => m !== n) })}>{t('survey.remove')}</button>
                      </div>
                    );
                  })}
                  <button type="button" onClick={() => setSection(i, { ...s, jumps: [...s.jumps, { question: closedHere[0]?.key ?? '', anyOf: [], to: END }] })}>{t('survey.jumpAdd')}</button>
                </fieldset>
              )}
              {form.sections.length > 1 && (
                <button type="button" onClick={() => setForm({ sections: form.sections.filter((_, j) => j !== i) })}>{t('survey.removeSection')}</button>
              )}
            </fieldset>
          );
          return block;
        })}
        <button type="button" onClick={() => setForm({ sections: [...form.sections, { key: freshKey('s', form.sections.map((s) => s.key)), title: '', description: '', questions: [], jumps: [] }] })}>
          {t('survey.addSection')}
        </button>
        {allQuestions(form).length === 0 && <p className="help">{t('survey.addQuestion')}</p>}

        <h2>{t('survey.settings')}</h2>
        <div className="survey-settings">
          <Field label={t('survey.opensAt')} type="datetime-local" value={settings.opensAt ? isoToJstLocal(settings.opensAt) : ''} onChange={(e) => setSettings({ ...settings, opensAt: jstLocalToIso(e.target.value) })} />
          <Field label={t('survey.closesAt')} type="datetime-local" value={settings.closesAt ? isoToJstLocal(settings.closesAt) : ''} onChange={(e) => setSettings({ ...settings, closesAt: jstLocalToIso(e.target.value) })} error={act.fields['input.settings.closesAt']} />
          <label className="block"><input type="checkbox" checked={settings.identified} disabled={live} onChange={(e) => setSettings({ ...settings, identified: e.target.checked })} /> {t('survey.identified')}</label>
          <label className="block"><input type="checkbox" checked={settings.onePerResident} onChange={(e) => setSettings({ ...settings, onePerResident: e.target.checked })} /> {t('survey.onePerResident')}</label>
          <label className="block">
            {t('survey.audience')}{' '}
            <select value={settings.segmentId ?? ''} onChange={(e) => setSettings({ ...settings, segmentId: e.target.value === '' ? null : Number(e.target.value) })}>
              <option value="">{t('survey.everyone')}</option>
              {segments.map((g) => (
                <option key={g.id} value={g.id}>{g.name}</option>
              ))}
            </select>
          </label>
          <Field label={t('survey.quota')} type="number" min={1} value={settings.quota ?? ''} onChange={(e) => setSettings({ ...settings, quota: e.target.value === '' ? null : Number(e.target.value) })} error={act.fields['input.settings.quota']} />
          <label className="block">
            {t('survey.thankYou')}
            <textarea rows={2} value={settings.thankYou} maxLength={1000} onChange={(e) => setSettings({ ...settings, thankYou: e.target.value })} />
          </label>
          <Field label={t('survey.textLimit')} type="number" min={1} max={4000} value={settings.textLimit} onChange={(e) => setSettings({ ...settings, textLimit: Number(e.target.value) })} error={act.fields['input.settings.textLimit']} />
        </div>

        <div className="actions">
          <button type="button" disabled={act.pending} onClick={() => void act.run(save, t('survey.saved'))}>{t('survey.save')}</button>{' '}
          <button
            type="button"
            className="primary"
            disabled={act.pending}
            onClick={() => void act.run(async () => { await save(); return request(PublishSurvey, { id: survey.id }); }, (r) => t('survey.published', { version: r.publishSurvey.liveVersion }))}
          >
            {t('survey.publish')}
          </button>{' '}
          {live && survey.status !== 'CLOSED' && <button type="button" disabled={act.pending} onClick={() => void act.run(() => request(CloseSurvey, { id: survey.id }), t('survey.closed'))}>{t('survey.close')}</button>}
          {live && survey.status === 'CLOSED' && <button type="button" disabled={act.pending} onClick={() => void act.run(() => request(ReopenSurvey, { id: survey.id }), t('survey.reopened'))}>{t('survey.reopen')}</button>}{' '}
          <button type="button" className="danger" disabled={act.pending} onClick={() => window.confirm(t('survey.deleteConfirm')) && void act.run(() => request(DeleteSurvey, { id: survey.id }), t('survey.deleted')).then(onDeleted)}>
            {t('survey.delete')}
          </button>
        </div>

        {live && (
          <>
            <h2>{t('survey.distribute')}</h2>
            <p className="help">{t('survey.sendHelp')}</p>
            <p>
              {t('survey.liffUrl')}: <code data-testid="survey-liff-url">{survey.liffUrl}</code> <CopyButton text={survey.liffUrl} label={t('survey.liffUrl')} />
            </p>
            <p>{survey.chatAnswerable ? t('survey.chatOk') : t('survey.chatNo')}</p>
            <label className="block">
              {t('survey.sendText')}
              <textarea rows={2} maxLength={160} value={sendText} onChange={(e) => setSendText(e.target.value)} />
            </label>
            <label className="block">
              {t('survey.sendTo')}{' '}
              <select value={sendTo ?? ''} onChange={(e) => setSendTo(e.target.value === '' ? null : Number(e.target.value))}>
                <option value="">{settings.segmentId ? segments.find((g) => g.id === settings.segmentId)?.name ?? t('survey.everyone') : t('survey.everyone')}</option>
                {segments.map((g) => (
                  <option key={g.id} value={g.id}>{g.name}</option>
                ))}
              </select>
            </label>
            <button type="button" className="primary" disabled={act.pending || sendText.trim() === ''} onClick={() => void act.run(() => request(SendSurvey, { id: survey.id, input: { text: sendText, segmentId: sendTo } }), (r) => t('survey.sent', { id: r.sendSurvey }))}>
              {t('survey.send')}
            </button>
          </>
        )}
      </div>
      <SurveyPreview title={title} form={form} />
    </div>
  );
}

import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { request } from '../api/client';
import { keys } from '../api/keys';
import type { MailPageQuery } from '../gql/graphql';
import { Field } from '../ui/Field';
import { useAction } from '../ui/useAction';
import { Choice, optionsOf } from './Choice';
import { ConditionsEditor } from './ConditionsEditor';
import { ja } from './ja';
import { toInput, type Rule } from './model';
import { CreateMailRule, DeleteMailRule, UpdateMailRule } from './queries';
import { RewritesEditor } from './RewritesEditor';
import { RuleTest } from './RuleTest';

const T = ja.mailin;

type Props = { initial: Rule; choices: MailPageQuery['mailRuleChoices']; mails: { id: number; subject: string }[]; onClose: () => void };

/** One rule: what it looks for, how it rewrites, whom it reaches, what it sends — and its test. */
export function RuleEditor({ initial, choices, mails, onClose }: Props) {
  const { t } = useTranslation();
  const [rule, setRule] = useState<Rule>(initial);
  const act = useAction([keys.mailPage]);
  const f = act.fields;
  const none = { value: '', label: t('mailin.noneSelected') };
  const save = async () => {
    const input = toInput(rule);
    const r = await act.run<unknown>(() => (rule.id ? request(UpdateMailRule, { id: rule.id, input }) : request(CreateMailRule, { input })), t('mailin.saved'));
    if (r) onClose();
  };
  const remove = async () => {
    if (!window.confirm(t('mailin.confirmDelete', { name: rule.name }))) return;
    if (await act.run(() => request(DeleteMailRule, { id: rule.id }), t('mailin.deleted'))) onClose();
  };
  return (
    <section aria-labelledby="mail-rule-title" className="card" data-testid="mail-rule-editor">
      <h2 id="mail-rule-title">{rule.id ? rule.name : t('mailin.newRule')}</h2>
      <Field label={t('mailin.name')} value={rule.name} onChange={(e) => setRule({ ...rule, name: e.target.value })} error={f['name']} required />
      <label className="check"><input type="checkbox" checked={rule.enabled} onChange={(e) => setRule({ ...rule, enabled: e.target.checked })} /> {t('mailin.enabled')}</label>
      <Field label={t('mailin.position')} type="number" value={rule.position} onChange={(e) => setRule({ ...rule, position: Number(e.target.value) })} />
      <ConditionsEditor rule={rule} set={setRule} fields={f} />
      <RewritesEditor rule={rule} set={setRule} fields={f} />
      <fieldset>
        <legend>{t('mailin.audience')}</legend>
        <label className="check"><input type="checkbox" checked={rule.extractMunicipalities} onChange={(e) => setRule({ ...rule, extractMunicipalities: e.target.checked })} /> {t('mailin.extract')}</label>
        <Choice label={t('mailin.fallback')} value={rule.fallback} options={optionsOf(T.fallbacks)} onChange={(v) => setRule({ ...rule, fallback: v as Rule['fallback'] })} error={f['fallback']} />
        <Choice testId="mail-receive-item" label={t('mailin.receiveItem')} value={String(rule.receiveNodeId ?? '')} options={[none, ...choices.receiveItems.map((n) => ({ value: String(n.id), label: n.name }))]} onChange={(v) => setRule({ ...rule, receiveNodeId: v ? Number(v) : null })} error={f['receiveNodeId']} />
        <Choice label={t('mailin.baseSegment')} value={String(rule.baseSegmentId ?? '')} options={[none, ...choices.segments.map((s) => ({ value: String(s.id), label: s.name }))]} onChange={(v) => setRule({ ...rule, baseSegmentId: v ? Number(v) : null })} error={f['baseSegmentId']} />
        <Choice label={t('mailin.combine')} value={rule.combine} options={optionsOf(T.combines)} onChange={(v) => setRule({ ...rule, combine: v as Rule['combine'] })} />
      </fieldset>
      <div className="field">
        <label htmlFor="mail-template">{t('mailin.template')}</label>
        <textarea id="mail-template" rows={4} value={rule.template} onChange={(e) => setRule({ ...rule, template: e.target.value })} aria-invalid={f['template'] ? true : undefined} />
        <p className="help">{t('mailin.templateHelp')}</p>
        {f['template'] && <p className="field-error" role="alert">{f['template']}</p>}
      </div>
      <Choice label={t('mailin.mode')} value={rule.mode} options={optionsOf(T.modes)} onChange={(v) => setRule({ ...rule, mode: v as Rule['mode'] })} />
      <label className="check"><input type="checkbox" checked={rule.disasterMode} onChange={(e) => setRule({ ...rule, disasterMode: e.target.checked })} /> {t('mailin.disaster')}</label>
      <div className="actions">
        <button type="button" className="primary" onClick={save} disabled={act.pending}>{t('mailin.save')}</button>
        {rule.id !== 0 && <button type="button" className="danger" onClick={remove} disabled={act.pending}>{t('mailin.remove')}</button>}
        <button type="button" onClick={onClose}>{t('mailin.close')}</button>
      </div>
      <RuleTest rule={rule} mails={mails} />
    </section>
  );
}

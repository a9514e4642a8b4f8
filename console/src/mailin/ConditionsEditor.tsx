import { useTranslation } from 'react-i18next';
import { Field } from '../ui/Field';
import { Choice, optionsOf } from './Choice';
import { ja } from './ja';
import { blankCondition, splitWords, type Condition, type Rule } from './model';

const T = ja.mailin;

/** The rule's conditions on sender, subject and body, each with its field errors. */
export function ConditionsEditor({ rule, set, fields }: { rule: Rule; set: (r: Rule) => void; fields: Record<string, string> }) {
  const { t } = useTranslation();
  const change = (i: number, c: Partial<Condition>) => set({ ...rule, conditions: rule.conditions.map((x, j) => (j === i ? { ...x, ...c } : x)) });
  return (
    <fieldset>
      <legend>{t('mailin.conditions')}</legend>
      <Choice label={t('mailin.matchMode')} value={rule.matchMode} options={optionsOf(T.matchModes)} onChange={(v) => set({ ...rule, matchMode: v as Rule['matchMode'] })} error={fields['matchMode']} />
      {fields['conditions'] && <p className="field-error" role="alert">{fields['conditions']}</p>}
      {rule.conditions.map((c, i) => (
        <div className="mail-condition" key={i} data-testid={`mail-condition-${i}`}>
          <Choice label={t('mailin.field')} value={c.field} options={optionsOf(T.fields)} onChange={(v) => change(i, { field: v as Condition['field'] })} error={fields[`conditions[${i}].field`]} />
          <Choice label={t('mailin.kind')} value={c.kind} options={optionsOf(T.kinds)} onChange={(v) => change(i, { kind: v as Condition['kind'] })} />
          {c.kind === 'KEYWORDS' ? (
            <>
              <div className="field">
                <label htmlFor={`mail-words-${i}`}>{t('mailin.words')}</label>
                <textarea id={`mail-words-${i}`} rows={2} defaultValue={c.words.join('\n')} onChange={(e) => change(i, { words: splitWords(e.target.value) })} aria-invalid={fields[`conditions[${i}].words`] ? true : undefined} />
                {fields[`conditions[${i}].words`] && <p className="field-error" role="alert">{fields[`conditions[${i}].words`]}</p>}
              </div>
              <Choice label={t('mailin.wordMode')} value={c.mode} options={optionsOf(T.wordModes)} onChange={(v) => change(i, { mode: v as Condition['mode'] })} />
            </>
          ) : (
            <Field label={t('mailin.pattern')} help={t('mailin.patternHelp')} value={c.pattern} onChange={(e) => change(i, { pattern: e.target.value })} error={fields[`conditions[${i}].pattern`]} />
          )}
          <button type="button" onClick={() => set({ ...rule, conditions: rule.conditions.filter((_, j) => j !== i) })}>{t('mailin.remove')}</button>
        </div>
      ))}
      <button type="button" onClick={() => set({ ...rule, conditions: [...rule.conditions, blankCondition()] })}>{t('mailin.addCondition')}</button>
    </fieldset>
  );
}

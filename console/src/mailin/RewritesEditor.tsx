import { useTranslation } from 'react-i18next';
import { Field } from '../ui/Field';
import { Choice, optionsOf } from './Choice';
import { ja } from './ja';
import type { Rewrite, Rule } from './model';

/** The body's rewrites, applied in order before municipalities are read. */
export function RewritesEditor({ rule, set, fields }: { rule: Rule; set: (r: Rule) => void; fields: Record<string, string> }) {
  const { t } = useTranslation();
  const change = (i: number, w: Partial<Rewrite>) => set({ ...rule, rewrites: rule.rewrites.map((x, j) => (j === i ? { ...x, ...w } : x)) });
  return (
    <fieldset>
      <legend>{t('mailin.rewrites')}</legend>
      {rule.rewrites.map((w, i) => (
        <div className="mail-condition" key={i}>
          <Choice label={t('mailin.kind')} value={w.kind} options={optionsOf(ja.mailin.rewriteKinds)} onChange={(v) => change(i, { kind: v as Rewrite['kind'] })} error={fields[`rewrites[${i}].kind`]} />
          {w.kind !== 'STRIP_SIGNATURE' && <Field label={t('mailin.marker')} value={w.text} onChange={(e) => change(i, { text: e.target.value })} error={fields[`rewrites[${i}].text`]} />}
          {w.kind === 'KEEP_SECTION' && <Field label={t('mailin.end')} value={w.end} onChange={(e) => change(i, { end: e.target.value })} />}
          <button type="button" onClick={() => set({ ...rule, rewrites: rule.rewrites.filter((_, j) => j !== i) })}>{t('mailin.remove')}</button>
        </div>
      ))}
      <button type="button" onClick={() => set({ ...rule, rewrites: [...rule.rewrites, { kind: 'CUT_FROM', text: '', end: '' }] })}>{t('mailin.addRewrite')}</button>
    </fieldset>
  );
}

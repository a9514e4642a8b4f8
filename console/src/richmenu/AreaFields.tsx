import { useTranslation } from 'react-i18next';
import { Field } from '../ui/Field';
import type { Action, Area, Page } from './model';

const KINDS = ['LIFF', 'URI', 'MESSAGE', 'POSTBACK', 'SWITCH'] as const;
const LIFF_PAGES = ['SETTINGS', 'CARD', 'PASS'] as const;

/** One area: its bounds as numbers, what a tap does, and what is wrong with it. */
export function AreaFields({ index, area, pages, issue, errors, onChange, onRemove }: {
  index: number;
  area: Area;
  pages: Page[];
  issue: { outside: boolean; overlaps: number[] };
  /** The API's messages by field under this area (`x`, `action.uri` …). */
  errors: Record<string, string>;
  onChange: (a: Area) => void;
  onRemove: () => void;
}) {
  const { t } = useTranslation();
  const n = index + 1;
  const num = (k: 'x' | 'y' | 'width' | 'height') => (
    <Field label={t(`richmenu.${k}`)} type="number" value={area[k]} error={errors[k]} onChange={(e) => onChange({ ...area, [k]: Number(e.target.value) })} />
  );
  const act = (a: Partial<Action>) => onChange({ ...area, action: { ...area.action, ...a } });
  const a = area.action;
  return (
    <fieldset className="rm-area-fields" aria-label={t('richmenu.area', { n })}>
      <legend>{t('richmenu.area', { n })}</legend>
      <div className="rm-bounds">
        {num('x')}
        {num('y')}
        {num('width')}
        {num('height')}
      </div>
      {issue.outside && <p className="field-error" role="alert">{t('richmenu.outside')}</p>}
      {issue.overlaps.length > 0 && <p className="field-error" role="alert">{t('richmenu.overlapsWith', { list: issue.overlaps.map((o) => o + 1).join('・') })}</p>}
      <div className="field">
        <label htmlFor={`rm-kind-${index}`}>{t('richmenu.action')}</label>
        <select id={`rm-kind-${index}`} value={a.kind} onChange={(e) => act({ kind: e.target.value as Action['kind'] })}>
          {KINDS.map((k) => (
            <option key={k} value={k} disabled={k === 'SWITCH' && pages.length < 2}>
              {t(`richmenu.actions.${k}`)}
            </option>
          ))}
        </select>
      </div>
      {a.kind === 'LIFF' && (
        <div className="field">
          <label htmlFor={`rm-liff-${index}`}>{t('richmenu.actions.LIFF')}</label>
          <select id={`rm-liff-${index}`} value={a.liff ?? ''} onChange={(e) => act({ liff: e.target.value as Action['liff'] })}>
            <option value="" disabled>—</option>
            {LIFF_PAGES.map((p) => (
              <option key={p} value={p}>{t(`richmenu.liffPages.${p}`)}</option>
            ))}
          </select>
        </div>
      )}
      {a.kind === 'URI' && <Field label={t('richmenu.uri')} type="url" value={a.uri ?? ''} error={errors['action.uri']} onChange={(e) => act({ uri: e.target.value })} />}
      {a.kind === 'MESSAGE' && <Field label={t('richmenu.text')} value={a.text ?? ''} error={errors['action.text']} onChange={(e) => act({ text: e.target.value })} />}
      {a.kind === 'POSTBACK' && <Field label={t('richmenu.data')} value={a.data ?? ''} error={errors['action.data']} onChange={(e) => act({ data: e.target.value })} />}
      {a.kind === 'SWITCH' && (
        <div className="field">
          <label htmlFor={`rm-tab-${index}`}>{t('richmenu.tab')}</label>
          <select id={`rm-tab-${index}`} value={a.tab ?? ''} onChange={(e) => act({ tab: Number(e.target.value) })}>
            <option value="" disabled>—</option>
            {pages.map((p, i) => (
              <option key={i} value={i}>{p.name || t('richmenu.page', { n: i + 1 })}</option>
            ))}
          </select>
          {errors['action.tab'] && <p className="field-error" role="alert">{errors['action.tab']}</p>}
        </div>
      )}
      <Field label={t('richmenu.label')} value={a.label ?? ''} onChange={(e) => act({ label: e.target.value })} />
      <button type="button" className="danger" onClick={onRemove}>{t('richmenu.removeArea')}</button>
    </fieldset>
  );
}

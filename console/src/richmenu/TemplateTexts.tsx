import { useTranslation } from 'react-i18next';
import { request } from '../api/client';
import { Field } from '../ui/Field';
import type { Action as Running } from '../ui/useAction';
import { DrawImage } from './queries';
import type { Page, Template } from './model';

/** The texts the page's image was drawn from: edit them and draw the image again. */
export function TemplateTexts({ page, act, onChange }: { page: Page; act: Running; onChange: (p: Page) => void }) {
  const { t } = useTranslation();
  const tpl = page.template;
  if (!tpl) return null;
  const set = (next: Template) => onChange({ ...page, template: next });
  const redraw = async () => {
    const r = await act.run(
      () => request(DrawImage, { template: { ...tpl, tiles: tpl.tiles.map((x) => ({ label: x.label, icon: x.icon })) }, width: page.width, height: page.height }),
      t('richmenu.redrawn'),
    );
    if (r) onChange({ ...page, image: r.drawRichMenuImage.image as string });
  };
  return (
    <fieldset className="rm-template">
      <legend>{t('richmenu.templateTexts')}</legend>
      {tpl.tabs.map((name, i) => (
        <Field key={`tab-${i}`} label={t('richmenu.tabLabel', { n: i + 1 })} value={name} error={act.fields[`template.tabs[${i}]`]} onChange={(e) => set({ ...tpl, tabs: tpl.tabs.map((x, j) => (j === i ? e.target.value : x)) })} />
      ))}
      <div className="rm-tiles">
        {tpl.tiles.map((tile, i) => (
          <div key={`tile-${i}`} className="rm-tile">
            <div className="field">
              <label htmlFor={`rm-tile-${i}`}>{t('richmenu.tileLabel', { n: i + 1 })}</label>
              <textarea id={`rm-tile-${i}`} rows={2} value={tile.label} onChange={(e) => set({ ...tpl, tiles: tpl.tiles.map((x, j) => (j === i ? { ...x, label: e.target.value } : x)) })} />
              {act.fields[`template.tiles[${i}].label`] && <p className="field-error" role="alert">{act.fields[`template.tiles[${i}].label`]}</p>}
            </div>
            <Field label={t('richmenu.tileIcon', { n: i + 1 })} value={tile.icon} maxLength={2} onChange={(e) => set({ ...tpl, tiles: tpl.tiles.map((x, j) => (j === i ? { ...x, icon: e.target.value } : x)) })} />
          </div>
        ))}
      </div>
      <button type="button" onClick={() => void redraw()} disabled={act.pending}>{t('richmenu.redraw')}</button>
    </fieldset>
  );
}

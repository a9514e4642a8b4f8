import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { request } from '../api/client';
import { keys } from '../api/keys';
import { Field } from '../ui/Field';
import { waiting } from '../ui/QueryState';
import { useAction } from '../ui/useAction';
import { DisasterSwitch } from './DisasterSwitch';
import { MenuEditor } from './MenuEditor';
import { stateOf } from './model';
import { CreateFromTemplate, RichMenusQuery } from './queries';
import { TapStats } from './TapStats';

/** リッチメニュー (seed §2.4(1)): the menus and tab sets, their versions, the disaster switch. */
export function RichMenusPage() {
  const { t } = useTranslation();
  const menus = useQuery({ queryKey: keys.richMenus, queryFn: () => request(RichMenusQuery) });
  const [open, setOpen] = useState<number | null>(null);
  const [newName, setNewName] = useState('');
  const [withTabs, setWithTabs] = useState(true);
  const act = useAction([keys.richMenus]);
  const wait = waiting(t, menus);
  if (wait) return wait;
  const list = menus.data?.richMenus ?? [];
  const opened = list.find((m) => m.id === open);
  const create = async () => {
    const r = await act.run(() => request(CreateFromTemplate, { name: newName, withTabs }), t('richmenu.created'));
    if (r) {
      setOpen(r.createRichMenuFromTemplate.menu.id);
      setNewName('');
    }
  };
  return (
    <section>
      <h1>{t('richmenu.title')}</h1>
      <p className="help">{t('richmenu.help')}</p>
      <DisasterSwitch />
      <table data-testid="rm-list">
        <thead>
          <tr>
            <th scope="col">{t('richmenu.name')}</th>
            <th scope="col">{t('richmenu.audience')}</th>
            <th scope="col">{t('richmenu.versions')}</th>
            <th scope="col">{t('common.actions')}</th>
          </tr>
        </thead>
        <tbody>
          {list.map((m) => (
            <tr key={m.id}>
              <th scope="row">{m.name}</th>
              <td>
                {t(`richmenu.audiences.${m.audience}`)}
                {m.linkedResidents > 0 && <> {t('richmenu.linked', { count: m.linkedResidents })}</>}
              </td>
              <td>
                {m.versions.slice(0, 3).map((v) => (
                  <span key={v.version} className={`badge rm-${stateOf(v)}`}>
                    {t('richmenu.version', { version: v.version })} {t(`richmenu.state.${stateOf(v)}`)}
                  </span>
                ))}
              </td>
              <td>
                <button type="button" aria-label={t('richmenu.select', { name: m.name })} onClick={() => setOpen(m.id)}>
                  {t('richmenu.edit')}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="rm-new">
        <Field label={t('richmenu.newName')} value={newName} error={act.fields['input.name']} onChange={(e) => setNewName(e.target.value)} />
        <fieldset>
          <legend className="visually-hidden">{t('richmenu.createFromTemplate')}</legend>
          <label><input type="radio" name="rm-tabs" checked={withTabs} onChange={() => setWithTabs(true)} /> {t('richmenu.withTabs')}</label>
          <label><input type="radio" name="rm-tabs" checked={!withTabs} onChange={() => setWithTabs(false)} /> {t('richmenu.withoutTabs')}</label>
        </fieldset>
        <button type="button" onClick={() => void create()} disabled={act.pending}>{t('richmenu.createFromTemplate')}</button>
      </div>
      {opened && <MenuEditor key={opened.id} menu={opened} segments={menus.data?.segments ?? []} />}
      {opened && <TapStats menuId={opened.id} />}
    </section>
  );
}

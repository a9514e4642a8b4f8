import { useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { request } from '../api/client';
import { keys } from '../api/keys';
import { uploadMedia } from '../delivery/upload';
import { Field } from '../ui/Field';
import { FilePicker } from '../ui/FilePicker';
import { formatDateTime } from '../ui/format';
import { useAction } from '../ui/useAction';
import { AreaCanvas } from './AreaCanvas';
import { AreaFields } from './AreaFields';
import { problems } from './geometry';
import { blankAction, pagesInput, SIZES, stateOf, type Menu, type Page } from './model';
import { PhonePreview } from './PhonePreview';
import { PublishStatus } from './PublishStatus';
import { Publish, SaveDraft } from './queries';
import { TemplateTexts } from './TemplateTexts';

const AUDIENCES = ['NONE', 'DEFAULT', 'SEGMENT', 'DISASTER'] as const;

/** One menu: its pages (tabs), areas, preview, draft saving, publishing and rollback. */
export function MenuEditor({ menu, segments }: { menu: Menu; segments: { id: number; name: string }[] }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const newest = menu.versions[0];
  const [name, setName] = useState(menu.name);
  const [audience, setAudience] = useState(menu.audience);
  const [segmentId, setSegmentId] = useState<number | null>(menu.segmentId ?? null);
  const [pages, setPages] = useState<Page[]>(newest?.definition.pages ?? []);
  const [current, setCurrent] = useState(0);
  const [selected, setSelected] = useState<number | null>(null);
  const [publishing, setPublishing] = useState<number | null>(null);
  const act = useAction([keys.richMenus]);
  const page = pages[Math.min(current, pages.length - 1)];
  const base = `input.definition.pages[${current}]`;
  const setPage = (p: Page) => setPages((all) => all.map((x, i) => (i === current ? p : x)));
  const issues = page ? problems(page.areas, page.width, page.height) : [];
  const areaErrors = (i: number) =>
    Object.fromEntries(
      Object.entries(act.fields)
        .filter(([k]) => k.startsWith(`${base}.areas[${i}].`))
        .map(([k, v]) => [k.slice(`${base}.areas[${i}].`.length), v]),
    );
  const save = () =>
    act.run(
      () => request(SaveDraft, { id: menu.id, input: { name, audience, segmentId: audience === 'SEGMENT' ? segmentId : null, definition: { pages: pagesInput(pages) } } }),
      (r) => [t('richmenu.savedDraft', { version: r.saveRichMenuDraft.version }), ...r.saveRichMenuDraft.notices].join(' '),
    );
  const publish = async (version: number) => {
    const r = await act.run(() => request(Publish, { id: menu.id, version }));
    if (r) setPublishing(r.publishRichMenu.id);
  };
  const addPage = () => {
    const last = pages[pages.length - 1];
    if (!last) return;
    const copy: Page = { ...last, name: t('richmenu.page', { n: pages.length + 1 }), areas: [], template: null };
    setPages([...pages, copy]);
    setCurrent(pages.length);
  };
  if (!page) return null;
  return (
    <section className="rm-editor" aria-label={menu.name}>
      <h2>{menu.name}</h2>
      <div className="rm-settings">
        <Field label={t('richmenu.name')} value={name} error={act.fields['input.name']} onChange={(e) => setName(e.target.value)} />
        <div className="field">
          <label htmlFor="rm-audience">{t('richmenu.audience')}</label>
          <select id="rm-audience" value={audience} onChange={(e) => setAudience(e.target.value as Menu['audience'])}>
            {AUDIENCES.map((a) => (
              <option key={a} value={a}>{t(`richmenu.audiences.${a}`)}</option>
            ))}
          </select>
        </div>
        {audience === 'SEGMENT' && (
          <div className="field">
            <label htmlFor="rm-segment">{t('richmenu.segment')}</label>
            <select id="rm-segment" value={segmentId ?? ''} onChange={(e) => setSegmentId(Number(e.target.value))} aria-invalid={act.fields['input.segmentId'] ? true : undefined}>
              <option value="" disabled>{t('richmenu.chooseSegment')}</option>
              {segments.map((s) => (
                <option key={s.id} value={s.id}>{s.name}</option>
              ))}
            </select>
            {act.fields['input.segmentId'] && <p className="field-error" role="alert">{act.fields['input.segmentId']}</p>}
          </div>
        )}
      </div>
      <div role="tablist" aria-label={t('richmenu.pages')} className="rm-pages">
        {pages.map((p, i) => (
          <button key={i} type="button" role="tab" aria-selected={i === current} onClick={() => { setCurrent(i); setSelected(null); }}>
            {p.name || t('richmenu.page', { n: i + 1 })}
          </button>
        ))}
        {pages.length < 4 && <button type="button" onClick={addPage}>{t('richmenu.addPage')}</button>}
        {pages.length > 1 && (
          <button type="button" className="danger" onClick={() => { setPages(pages.filter((_, i) => i !== current)); setCurrent(0); }}>
            {t('richmenu.removePage')}
          </button>
        )}
      </div>
      <div className="rm-workspace">
        <div className="rm-page">
          <div className="rm-bounds">
            <Field label={t('richmenu.pageName')} value={page.name} error={act.fields[`${base}.name`]} onChange={(e) => setPage({ ...page, name: e.target.value })} />
            <Field label={t('richmenu.chatBarText')} value={page.chatBarText} error={act.fields[`${base}.chatBarText`]} onChange={(e) => setPage({ ...page, chatBarText: e.target.value })} />
            <div className="field">
              <label htmlFor="rm-size">{t('richmenu.size')}</label>
              <select id="rm-size" value={`${page.width}x${page.height}`} onChange={(e) => { const [w = page.width, h = page.height] = e.target.value.split('x').map(Number); setPage({ ...page, width: w, height: h }); }}>
                {SIZES.map((s) => (
                  <option key={s.key} value={`${s.width}x${s.height}`}>{t(s.key)}</option>
                ))}
              </select>
            </div>
          </div>
          <div className="rm-image-actions">
            <FilePicker accept="image/jpeg,image/png" onFile={(f) => void act.run(async () => setPage({ ...page, image: (await uploadMedia(f)).id }))}>
              {t('richmenu.uploadImage')}
            </FilePicker>
            {page.image && <a className="button" href={`/media/${page.image}`} download>{t('richmenu.downloadImage')}</a>}
            {act.fields[`${base}.image`] && <p className="field-error" role="alert">{act.fields[`${base}.image`]}</p>}
          </div>
          <h3>{t('richmenu.areas')}</h3>
          <p className="help">{t('richmenu.canvasHelp')}</p>
          <AreaCanvas
            page={page}
            selected={selected}
            onSelect={setSelected}
            onDraw={(r) => { setPage({ ...page, areas: [...page.areas, { ...r, action: blankAction() }] }); setSelected(page.areas.length); }}
          />
          {act.fields[`${base}.areas`] && <p className="field-error" role="alert">{act.fields[`${base}.areas`]}</p>}
          <ul className="rm-area-list" aria-label={t('richmenu.areas')}>
            {page.areas.map((a, i) => {
              const issue = issues[i];
              const bad = issue !== undefined && (issue.outside || issue.overlaps.length > 0);
              const apiError = Object.keys(areaErrors(i)).length > 0;
              return (
                <li key={i}>
                  <button type="button" aria-pressed={selected === i} className={bad || apiError ? 'rm-area-bad-chip' : undefined} onClick={() => setSelected(i)}>
                    {t('richmenu.area', { n: i + 1 })} {a.action.label ?? ''}
                    {(bad || apiError) && <span> ⚠ {issue?.outside ? t('richmenu.outside') : issue && issue.overlaps.length > 0 ? t('richmenu.overlapsWith', { list: issue.overlaps.map((o) => o + 1).join('・') }) : ''}</span>}
                  </button>
                </li>
              );
            })}
          </ul>
          {selected !== null && page.areas[selected] && (
            <AreaFields
              key={`${current}-${selected}`}
              index={selected}
              area={page.areas[selected]}
              pages={pages}
              issue={issues[selected] ?? { outside: false, overlaps: [] }}
              errors={areaErrors(selected)}
              onChange={(next) => setPage({ ...page, areas: page.areas.map((x, j) => (j === selected ? next : x)) })}
              onRemove={() => { setPage({ ...page, areas: page.areas.filter((_, j) => j !== selected) }); setSelected(null); }}
            />
          )}
          <TemplateTexts page={page} act={act} onChange={setPage} />
        </div>
        <div>
          <h3>{t('richmenu.preview')}</h3>
          <PhonePreview pages={pages} />
        </div>
      </div>
      <div className="rm-buttons">
        <button type="button" className="primary" onClick={() => void save()} disabled={act.pending}>{t('richmenu.saveDraft')}</button>
      </div>
      {publishing !== null && <PublishStatus id={publishing} onDone={() => void queryClient.invalidateQueries({ queryKey: keys.richMenus })} />}
      <h3>{t('richmenu.versions')}</h3>
      <table>
        <tbody>
          {menu.versions.map((v) => {
            const state = stateOf(v);
            return (
              <tr key={v.version}>
                <th scope="row">{t('richmenu.version', { version: v.version })}</th>
                <td><span className={`badge rm-${state}`}>{t(`richmenu.state.${state}`)}</span></td>
                <td>{formatDateTime(v.publishedAt ?? v.createdAt)}</td>
                <td>
                  {state !== 'live' && (
                    <button type="button" onClick={() => void publish(v.version)} disabled={act.pending}>
                      {state === 'past' ? t('richmenu.rollback') : t('richmenu.publish')}
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

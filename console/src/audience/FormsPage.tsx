import { useEffect, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { request } from '../api/client';
import { graphql } from '../gql';
import { MoveButtons, moved } from '../ui/MoveButtons';
import { FormPreview, type DraftItem } from './FormPreview';
import { keys } from '../api/keys';
import { useAction } from '../ui/useAction';
import { waiting } from '../ui/QueryState';

const FormsQuery = graphql(`
  query FormsPage {
    attributes { id name kind control helpText archived options { id label archived } }
    categoryTree { id parentId name level }
    registrationForms { version items { attributeId required helpText } categoryRootIds createdAt }
  }
`);
const Publish = graphql(`
  mutation PublishRegistrationForm($input: RegistrationFormInput!) { publishRegistrationForm(input: $input) { version } }
`);

const jst = new Intl.DateTimeFormat('ja-JP', { timeZone: 'Asia/Tokyo', dateStyle: 'medium', timeStyle: 'short' });

/** 登録フォーム: which items residents are asked, in which order, with which help; a live preview beside it. */
export function FormsPage() {
  const { t } = useTranslation();
  const page = useQuery({ queryKey: keys.formsPage, queryFn: () => request(FormsQuery) });
  const [items, setItems] = useState<DraftItem[] | null>(null);
  const [roots, setRoots] = useState<number[]>([]);
  const { run: act, fields } = useAction([keys.formsPage]);

  // Start from the published version once it has loaded.
  useEffect(() => {
    if (!page.data || items !== null) return;
    const latest = page.data.registrationForms[0];
    setItems(latest ? latest.items.map((i) => ({ attributeId: i.attributeId, required: i.required, helpText: i.helpText ?? '' })) : []);
    setRoots(latest?.categoryRootIds ?? []);
  }, [page.data, items]);

  const wait = waiting(t, page);
  if (wait || !page.data || items === null) return wait ?? <p role="status">{t('common.loading')}</p>;
  const attributes = page.data.attributes;
  const name = (id: number) => attributes.find((a) => a.id === id)?.name ?? String(id);
  const setItem = (index: number, change: Partial<DraftItem>) => setItems(items.map((it, i) => (i === index ? { ...it, ...change } : it)));
  const available = attributes.filter((a) => !a.archived && !items.some((i) => i.attributeId === a.id));
  const publish = () => {
    const input = { items: items.map((i) => ({ attributeId: i.attributeId, required: i.required, helpText: i.helpText.trim() || null })), categoryRootIds: roots };
    return act(
      () => request(Publish, { input }),
      (r) => t('forms.published', { version: r.publishRegistrationForm.version }),
    );
  };

  return (
    <section>
      <h1>{t('forms.title')}</h1>
      <p>{t('forms.help')}</p>
      <div className="builder">
        <div className="builder-conditions">
          <h2>{t('forms.items')}</h2>
          {fields['items'] && <p className="field-error">{fields['items']}</p>}
          <ol className="form-items">
            {items.map((item, i) => (
              <li key={item.attributeId} data-testid={`form-item-${name(item.attributeId)}`}>
                <strong>{name(item.attributeId)}</strong>{' '}
                <MoveButtons name={name(item.attributeId)} index={i} count={items.length} onMove={(to) => setItems(moved(items, i, to))} />{' '}
                <button type="button" onClick={() => setItems(items.filter((_, j) => j !== i))}>
                  {t('forms.remove')}
                </button>
                <label className="check">
                  <input type="checkbox" checked={item.required} onChange={(e) => setItem(i, { required: e.target.checked })} />
                  <span>{t('forms.requiredOf', { name: name(item.attributeId) })}</span>
                </label>
                <label>
                  {t('forms.helpTextOf', { name: name(item.attributeId) })}
                  <input value={item.helpText} maxLength={500} onChange={(e) => setItem(i, { helpText: e.target.value })} />
                </label>
                {fields[`items[${i}].helpText`] && <p className="field-error">{fields[`items[${i}].helpText`]}</p>}
                {fields[`items[${i}].attributeId`] && <p className="field-error">{fields[`items[${i}].attributeId`]}</p>}
              </li>
            ))}
          </ol>
          {available.length > 0 && (
            <label>
              {t('forms.addItem')}{' '}
              <select
                value=""
                onChange={(e) => e.target.value && setItems([...items, { attributeId: Number(e.target.value), required: false, helpText: '' }])}
              >
                <option value="">{t('segments.choose')}</option>
                {available.map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.name}
                  </option>
                ))}
              </select>
            </label>
          )}
          <h2>{t('forms.tree')}</h2>
          <div className="options">
            {page.data.categoryTree
              .filter((n) => n.level === 1)
              .map((n) => (
                <label key={n.id} className="check">
                  <input type="checkbox" checked={roots.includes(n.id)} onChange={(e) => setRoots(e.target.checked ? [...roots, n.id] : roots.filter((r) => r !== n.id))} />
                  <span>{n.name}</span>
                </label>
              ))}
          </div>
          <p>
            <button type="button" className="primary" onClick={() => void publish()}>
              {t('forms.publish')}
            </button>
          </p>
        </div>
        <aside className="form-preview" aria-label={t('forms.preview')}>
          <h2>{t('forms.preview')}</h2>
          <FormPreview items={items} roots={roots} attributes={attributes} tree={page.data.categoryTree} />
        </aside>
      </div>
      <h2>{t('forms.versions')}</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">{t('forms.version')}</th>
            <th scope="col">{t('forms.publishedAt')}</th>
            <th scope="col">{t('forms.items')}</th>
          </tr>
        </thead>
        <tbody>
          {page.data.registrationForms.map((v) => (
            <tr key={v.version}>
              <td>{t('forms.versionN', { version: v.version })}</td>
              <td>{jst.format(new Date(v.createdAt))}</td>
              <td>{v.items.map((i) => name(i.attributeId) + (i.required ? `（${t('common.required')}）` : '')).join('、')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { request } from '../api/client';
import { errorMessage } from '../api/errors';
import { graphql } from '../gql';
import type { AttributeKind } from '../gql/graphql';
import { Alert } from '../ui/Alert';
import { InlineRename } from '../ui/InlineRename';
import { MoveButtons, moved } from '../ui/MoveButtons';
import { keys } from '../api/keys';
import { useAction } from '../ui/useAction';
import { waiting } from '../ui/QueryState';

const CatalogQuery = graphql(`
  query CatalogPage {
    attributes { id name kind archived options { id label archived } }
    categoryTree { id parentId name level }
  }
`);
const CreateAttribute = graphql(`
  mutation CatalogCreateAttribute($input: AttributeInput!) { createAttribute(input: $input) { id } }
`);
const AddOption = graphql(`
  mutation CatalogAddOption($attributeId: Int!, $label: String!) { addAttributeOption(attributeId: $attributeId, label: $label) { id } }
`);
const DeleteOption = graphql(`
  mutation CatalogDeleteOption($id: Int!) { deleteAttributeOption(id: $id) }
`);
const ArchiveOption = graphql(`
  mutation CatalogArchiveOption($id: Int!, $archived: Boolean!) { updateAttributeOption(id: $id, input: {archived: $archived}) { id } }
`);
const RenameOption = graphql(`
  mutation CatalogRenameOption($id: Int!, $label: String!) { updateAttributeOption(id: $id, input: {label: $label}) { id } }
`);
const RenameAttribute = graphql(`
  mutation CatalogRenameAttribute($id: Int!, $name: String!) { updateAttribute(id: $id, input: {name: $name}) }
`);
const ReorderAttributes = graphql(`
  mutation CatalogReorderAttributes($ids: [Int!]!) { reorderAttributes(ids: $ids) }
`);
const ReorderOptions = graphql(`
  mutation CatalogReorderOptions($attributeId: Int!, $ids: [Int!]!) { reorderAttributeOptions(attributeId: $attributeId, ids: $ids) }
`);
const RenameNode = graphql(`
  mutation CatalogRenameNode($id: Int!, $name: String!) { renameCategoryNode(id: $id, name: $name) { id } }
`);
const DeleteAttribute = graphql(`
  mutation CatalogDeleteAttribute($id: Int!) { deleteAttribute(id: $id) }
`);
const CreateNode = graphql(`
  mutation CatalogCreateNode($parentId: Int, $name: String!) { createCategoryNode(parentId: $parentId, name: $name) { id } }
`);
const DeleteNode = graphql(`
  mutation CatalogDeleteNode($id: Int!) { deleteCategoryNode(id: $id) }
`);

const KINDS: AttributeKind[] = ['SINGLE', 'MULTIPLE', 'BIRTH_YEAR', 'GENDER', 'MUNICIPALITY', 'REGIONS', 'FREE_TEXT'];

export function CatalogPage() {
  const { t } = useTranslation();
  const catalog = useQuery({ queryKey: keys.catalogPage, queryFn: () => request(CatalogQuery) });
  const { run: act, error, notice } = useAction([keys.catalogPage, keys.segmentsPage]);
  const [name, setName] = useState('');
  const [kind, setKind] = useState<AttributeKind>('MULTIPLE');
  const [options, setOptions] = useState('');
  const [newOption, setNewOption] = useState<Record<number, string>>({});
  const [newNode, setNewNode] = useState<Record<string, string>>({});



  const wait = waiting(t, catalog);
  if (wait) return wait;
  const nodes = catalog.data?.categoryTree ?? [];
  const attributes = catalog.data?.attributes ?? [];
  const tree = (parent: number | null) => {
    const items = nodes.filter((n) => n.parentId === parent);
    const key = String(parent ?? 'root');
    const level = parent === null ? 1 : (nodes.find((n) => n.id === parent)?.level ?? 0) + 1;
    return (
      <ul className="tree-editor">
        {items.map((n) => (
          <li key={n.id}>
            <span>{n.name}</span> <InlineRename current={n.name} what={n.name} onRename={(name) => act(() => request(RenameNode, { id: n.id, name }))} />{' '}
            <button type="button" aria-label={`${n.name} ${t('common.delete')}`} onClick={() => window.confirm(t('catalog.confirmDeleteNode', { name: n.name })) && void act(() => request(DeleteNode, { id: n.id }))}>
              {t('common.delete')}
            </button>
            {n.level < 3 && tree(n.id)}
          </li>
        ))}
        {level <= 3 && (
          <li>
            <input aria-label={t('catalog.nodeName', { level: t(`catalog.levels.${level}`) })} value={newNode[key] ?? ''} onChange={(e) => setNewNode({ ...newNode, [key]: e.target.value })} />{' '}
            <button
              type="button"
              onClick={() =>
                void act(async () => {
                  await request(CreateNode, { parentId: parent, name: newNode[key] ?? '' });
                  setNewNode({ ...newNode, [key]: '' });
                })
              }
            >
              {t('catalog.newNode', { level: t(`catalog.levels.${level}`) })}
            </button>
          </li>
        )}
      </ul>
    );
  };

  return (
    <section>
      <h1>{t('catalog.title')}</h1>
      {error !== null && <Alert kind="error">{errorMessage(error, t)}</Alert>}
      {notice && <Alert kind="success">{notice}</Alert>}
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void act(async () => {
            await request(CreateAttribute, { input: { name, kind, options: options.split('\n').map((o) => o.trim()).filter(Boolean) } });
            setName('');
            setOptions('');
          }, t('catalog.created'));
        }}
      >
        <h2>{t('catalog.newAttribute')}</h2>
        <div className="field">
          <label htmlFor="attr-name">{t('catalog.name')}</label>
          <input id="attr-name" required value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="attr-kind">{t('catalog.kind')}</label>
          <select id="attr-kind" value={kind} onChange={(e) => setKind(e.target.value as AttributeKind)}>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {t(`catalog.kinds.${k}`)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="attr-options">{t('catalog.options')}</label>
          <textarea id="attr-options" rows={4} value={options} onChange={(e) => setOptions(e.target.value)} />
        </div>
        <button type="submit" className="primary">
          {t('common.create')}
        </button>
      </form>
      <h2>{t('catalog.attributes')}</h2>
      {attributes.map((a, i) => (
        <fieldset key={a.id} className="permission-group" data-testid={`attribute-${a.name}`}>
          <legend>
            {a.name}（{t(`catalog.kinds.${a.kind}`)}）{a.archived && <span className="badge">{t('catalog.archived')}</span>}
          </legend>
          <p>
            <InlineRename current={a.name} what={a.name} onRename={(name) => act(() => request(RenameAttribute, { id: a.id, name }))} />{' '}
            <MoveButtons name={a.name} index={i} count={attributes.length} onMove={(to) => void act(() => request(ReorderAttributes, { ids: moved(attributes.map((x) => x.id), i, to) }))} />
          </p>
          <ul>
            {a.options.map((o, j) => (
              <li key={o.id}>
                {o.label} {o.archived && <span className="badge">{t('catalog.archived')}</span>}{' '}
                <InlineRename current={o.label} what={o.label} onRename={(label) => act(() => request(RenameOption, { id: o.id, label }))} />{' '}
                <MoveButtons
                  name={o.label}
                  index={j}
                  count={a.options.length}
                  onMove={(to) => void act(() => request(ReorderOptions, { attributeId: a.id, ids: moved(a.options.map((x) => x.id), j, to) }))}
                />{' '}
                <button type="button" onClick={() => void act(() => request(ArchiveOption, { id: o.id, archived: !o.archived }))}>
                  {o.archived ? t('catalog.restore') : t('catalog.archive')}
                </button>{' '}
                <button
                  type="button"
                  aria-label={`${o.label} ${t('common.delete')}`}
                  onClick={() =>
                    window.confirm(t('catalog.confirmDeleteOption', { label: o.label })) &&
                    void act(
                      () => request(DeleteOption, { id: o.id }),
                      (r) => t('catalog.flagged', { count: r.deleteAttributeOption.length }),
                    )
                  }
                >
                  {t('common.delete')}
                </button>
              </li>
            ))}
          </ul>
          {!['BIRTH_YEAR', 'FREE_TEXT'].includes(a.kind) && (
            <p>
              <input aria-label={t('catalog.newOption', { name: a.name })} value={newOption[a.id] ?? ''} onChange={(e) => setNewOption({ ...newOption, [a.id]: e.target.value })} />{' '}
              <button
                type="button"
                onClick={() =>
                  void act(async () => {
                    await request(AddOption, { attributeId: a.id, label: newOption[a.id] ?? '' });
                    setNewOption({ ...newOption, [a.id]: '' });
                  })
                }
              >
                {t('catalog.add')}
              </button>
            </p>
          )}
          <button type="button" onClick={() => window.confirm(t('catalog.confirmDeleteAttribute', { name: a.name })) && void act(() => request(DeleteAttribute, { id: a.id }))}>
            {t('catalog.deleteAttribute')}
          </button>
        </fieldset>
      ))}
      <h2>{t('catalog.tree')}</h2>
      <p>{t('catalog.treeHelp')}</p>
      {tree(null)}
    </section>
  );
}

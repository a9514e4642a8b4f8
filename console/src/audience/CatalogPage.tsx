import { useEffect, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { request } from '../api/client';
import { graphql } from '../gql';
import type { AttributeKind } from '../gql/graphql';
import { InlineRename } from '../ui/InlineRename';
import { moved } from '../ui/MoveButtons';
import { AttributeItem } from './AttributeItem';
import { itemsToOpen, matchingItems } from './catalogSearch';
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
const ReorderAttributes = graphql(`
  mutation CatalogReorderAttributes($ids: [Int!]!) { reorderAttributes(ids: $ids) }
`);
const RenameNode = graphql(`
  mutation CatalogRenameNode($id: Int!, $name: String!) { renameCategoryNode(id: $id, name: $name) { id } }
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
  const { run: act } = useAction([keys.catalogPage, keys.segmentsPage]);
  const [name, setName] = useState('');
  const [kind, setKind] = useState<AttributeKind>('MULTIPLE');
  const [options, setOptions] = useState('');
  const [newNode, setNewNode] = useState<Record<string, string>>({});
  const [query, setQuery] = useState('');
  // Items are collapsed until opened: 63 municipalities would otherwise fill the page.
  const [expanded, setExpanded] = useState<Set<number>>(new Set());
  const [added, setAdded] = useState<number | null>(null);

  // A new item is opened, scrolled to and marked, so it is not lost at the end of a long list.
  const present = catalog.data?.attributes.some((a) => a.id === added) ?? false;
  useEffect(() => {
    if (added === null || !present) return;
    const el = document.getElementById(`attribute-${added}`);
    el?.scrollIntoView?.({ block: 'center' });
    el?.querySelector<HTMLElement>('summary')?.focus({ preventScroll: true });
  }, [added, present]);

  const wait = waiting(t, catalog);
  if (wait) return wait;
  const nodes = catalog.data?.categoryTree ?? [];
  const attributes = catalog.data?.attributes ?? [];
  const shown = matchingItems(attributes, query);
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
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void act(async () => {
            const id = (await request(CreateAttribute, { input: { name, kind, options: options.split('\n').map((o) => o.trim()).filter(Boolean) } })).createAttribute.id;
            setName('');
            setOptions('');
            setQuery('');
            setExpanded(new Set([...expanded, id]));
            setAdded(id);
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
      <p className="inline-form">
        <label>
          {t('catalog.search')}{' '}
          <input
            type="search"
            value={query}
            onChange={(e) => {
              setQuery(e.target.value);
              setExpanded(new Set(itemsToOpen(attributes, e.target.value)));
            }}
          />
        </label>{' '}
        <span className="help" aria-live="polite">
          {t('catalog.shown', { shown: shown.length, total: attributes.length })}
        </span>
      </p>
      {shown.map((a) => {
        const i = attributes.indexOf(a);
        return (
          <AttributeItem
            key={a.id}
            attribute={a}
            move={{ index: i, count: attributes.length, onMove: (to) => void act(() => request(ReorderAttributes, { ids: moved(attributes.map((x) => x.id), i, to) })) }}
            expanded={expanded.has(a.id)}
            onToggle={(open) => {
              const next = new Set(expanded);
              if (open) next.add(a.id);
              else next.delete(a.id);
              setExpanded(next);
            }}
            highlighted={added === a.id}
            act={act}
          />
        );
      })}
      <h2>{t('catalog.tree')}</h2>
      <p>{t('catalog.treeHelp')}</p>
      {tree(null)}
    </section>
  );
}

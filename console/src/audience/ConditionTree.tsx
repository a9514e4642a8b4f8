import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { BuilderNode, Condition, Group } from './expression';
import { emptyGroup, replaceChild } from './expression';

export type BuilderCatalog = {
  attributes: { id: number; name: string; kind: string; archived: boolean; options: { id: number; label: string }[] }[];
  categoryTree: { id: number; parentId?: number | null; name: string; level: number }[];
};

// Kinds a segment can test by option (free text and birth year are not option lists).
const OPTION_KINDS = new Set(['SINGLE', 'MULTIPLE', 'GENDER', 'MUNICIPALITY', 'REGIONS']);

type Props = { node: BuilderNode; catalog: BuilderCatalog; onChange: (next: BuilderNode | null) => void; depth: number };

/** One node of the condition tree: a group (with its children) or a single condition. */
export function ConditionTree(props: Props) {
  return props.node.kind === 'group' ? <GroupEditor {...props} group={props.node} /> : <ConditionEditor {...props} condition={props.node} />;
}

function GroupEditor({ group, catalog, onChange, depth }: Props & { group: Group }) {
  const { t } = useTranslation();
  const [adding, setAdding] = useState('');
  const add = (child: BuilderNode) => onChange({ ...group, children: [...group.children, child] });
  const addCondition = () => {
    if (adding === '') return;
    if (adding.startsWith('attr:')) add({ kind: 'options', attributeId: Number(adding.slice(5)), mode: 'any', optionIds: [] });
    else if (adding === 'birthYear') add({ kind: 'birthYear', from: '', to: '' });
    else if (adding === 'subscribed') add({ kind: 'subscribed', nodeId: null });
    else if (adding === 'registered') add({ kind: 'registered', value: true });
    else if (adding === 'friendSince') add({ kind: 'friendSince', date: '' });
    setAdding('');
  };
  const label = depth === 0 ? t('segments.rootGroup') : t('segments.group');
  return (
    <fieldset className={`condition-group depth-${depth % 2}`} data-testid={`group-${depth}`}>
      <legend>{label}</legend>
      <div className="group-controls">
        <label>
          {t('segments.combine')}{' '}
          <select value={group.op} onChange={(e) => onChange({ ...group, op: e.target.value as 'and' | 'or' })}>
            <option value="and">{t('segments.and')}</option>
            <option value="or">{t('segments.or')}</option>
          </select>
        </label>{' '}
        <label className="check">
          <input type="checkbox" checked={group.negate} onChange={(e) => onChange({ ...group, negate: e.target.checked })} />
          <span>{t('segments.not')}</span>
        </label>
        {depth > 0 && (
          <button type="button" onClick={() => onChange(null)}>
            {t('segments.removeGroup')}
          </button>
        )}
      </div>
      {group.children.length === 0 && <p className="help">{t('segments.emptyGroup')}</p>}
      {group.children.map((child, i) => (
        <ConditionTree
          key={i}
          node={child}
          catalog={catalog}
          depth={depth + 1}
          onChange={(next) => onChange(replaceChild(group, i, next))}
        />
      ))}
      <div className="group-add">
        <label>
          {t('segments.addCondition')}{' '}
          <select value={adding} onChange={(e) => setAdding(e.target.value)}>
            <option value="">{t('segments.choose')}</option>
            {catalog.attributes
              .filter((a) => OPTION_KINDS.has(a.kind) && !a.archived)
              .map((a) => (
                <option key={a.id} value={`attr:${a.id}`}>
                  {a.name}
                </option>
              ))}
            <option value="birthYear">{t('segments.birthYear')}</option>
            <option value="subscribed">{t('segments.subscribed')}</option>
            <option value="registered">{t('segments.registered')}</option>
            <option value="friendSince">{t('segments.friendSince')}</option>
          </select>
        </label>{' '}
        <button type="button" onClick={addCondition} disabled={adding === ''}>
          {t('segments.add')}
        </button>{' '}
        <button type="button" onClick={() => add(emptyGroup(group.op === 'and' ? 'or' : 'and'))}>
          {t('segments.addGroup')}
        </button>
      </div>
    </fieldset>
  );
}

function ConditionEditor({ condition, catalog, onChange }: Props & { condition: Condition }) {
  const { t } = useTranslation();
  const remove = (
    <button type="button" className="remove" onClick={() => onChange(null)}>
      {t('segments.removeCondition')}
    </button>
  );
  switch (condition.kind) {
    case 'options': {
      const attribute = catalog.attributes.find((a) => a.id === condition.attributeId);
      const toggle = (id: number, on: boolean) =>
        onChange({ ...condition, optionIds: on ? [...condition.optionIds, id] : condition.optionIds.filter((o) => o !== id) });
      return (
        <fieldset className="condition" data-testid={`condition-${attribute?.name ?? condition.attributeId}`}>
          <legend>{attribute?.name ?? t('segments.deletedItem')}</legend>
          <select aria-label={t('segments.mode', { name: attribute?.name ?? '' })} value={condition.mode} onChange={(e) => onChange({ ...condition, mode: e.target.value as 'any' | 'all' })}>
            <option value="any">{t('segments.anyOf')}</option>
            <option value="all">{t('segments.allOf')}</option>
          </select>
          <div className="options">
            {attribute?.options.map((o) => (
              <label key={o.id} className="check">
                <input type="checkbox" checked={condition.optionIds.includes(o.id)} onChange={(e) => toggle(o.id, e.target.checked)} />
                <span>{o.label}</span>
              </label>
            ))}
          </div>
          {remove}
        </fieldset>
      );
    }
    case 'birthYear':
      return (
        <fieldset className="condition">
          <legend>{t('segments.birthYear')}</legend>
          <input aria-label={t('segments.yearFrom')} inputMode="numeric" maxLength={4} size={5} value={condition.from} onChange={(e) => onChange({ ...condition, from: e.target.value })} />
          {' 〜 '}
          <input aria-label={t('segments.yearTo')} inputMode="numeric" maxLength={4} size={5} value={condition.to} onChange={(e) => onChange({ ...condition, to: e.target.value })} /> {t('segments.yearSuffix')} {remove}
        </fieldset>
      );
    case 'subscribed':
      return (
        <fieldset className="condition">
          <legend>{t('segments.subscribed')}</legend>
          <select aria-label={t('segments.subscribedNode')} value={condition.nodeId ?? ''} onChange={(e) => onChange({ ...condition, nodeId: e.target.value === '' ? null : Number(e.target.value) })}>
            <option value="">{t('segments.choose')}</option>
            {treeOrder(catalog.categoryTree).map(({ node, path }) => (
              <option key={node.id} value={node.id}>
                {path}
              </option>
            ))}
          </select>{' '}
          {remove}
        </fieldset>
      );
    case 'registered':
      return (
        <fieldset className="condition">
          <legend>{t('segments.registered')}</legend>
          <select aria-label={t('segments.registered')} value={String(condition.value)} onChange={(e) => onChange({ ...condition, value: e.target.value === 'true' })}>
            <option value="true">{t('segments.registeredYes')}</option>
            <option value="false">{t('segments.registeredNo')}</option>
          </select>{' '}
          {remove}
        </fieldset>
      );
    case 'friendSince':
      return (
        <fieldset className="condition">
          <legend>{t('segments.friendSince')}</legend>
          <input type="date" aria-label={t('segments.friendSince')} value={condition.date} onChange={(e) => onChange({ ...condition, date: e.target.value })} /> {t('segments.orLater')} {remove}
        </fieldset>
      );
  }
}

/** Tree nodes depth-first, each with its full path (防災 › 避難情報 › 川口市). */
function treeOrder(nodes: BuilderCatalog['categoryTree']) {
  const out: { node: BuilderCatalog['categoryTree'][number]; path: string }[] = [];
  const walk = (parent: number | null, prefix: string) => {
    for (const node of nodes.filter((n) => (n.parentId ?? null) === parent)) {
      const path = prefix ? `${prefix} › ${node.name}` : node.name;
      out.push({ node, path });
      walk(node.id, path);
    }
  };
  walk(null, '');
  return out;
}

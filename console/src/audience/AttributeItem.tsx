import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { request } from '../api/client';
import { graphql } from '../gql';
import type { CatalogPageQuery } from '../gql/graphql';
import type { Action } from '../ui/useAction';
import { ActionMenu } from '../ui/ActionMenu';
import { InlineRename, RenameInput } from '../ui/InlineRename';
import { MoveButtons, moved } from '../ui/MoveButtons';

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
const ReorderOptions = graphql(`
  mutation CatalogReorderOptions($attributeId: Int!, $ids: [Int!]!) { reorderAttributeOptions(attributeId: $attributeId, ids: $ids) }
`);
const DeleteAttribute = graphql(`
  mutation CatalogDeleteAttribute($id: Int!) { deleteAttribute(id: $id) }
`);

type Attribute = CatalogPageQuery['attributes'][number];
type Option = Attribute['options'][number];

type Props = {
  attribute: Attribute;
  /** Moves the item in the list of items. */
  move: { index: number; count: number; onMove: (to: number) => void };
  expanded: boolean;
  onToggle: (open: boolean) => void;
  /** Just created on this visit: scrolled to and marked. */
  highlighted: boolean;
  act: Action['run'];
};

/** One item of the catalogue, collapsed to its name and kind until opened. */
export function AttributeItem({ attribute: a, move, expanded, onToggle, highlighted, act }: Props) {
  const { t } = useTranslation();
  const [newOption, setNewOption] = useState('');
  const choice = !['BIRTH_YEAR', 'FREE_TEXT'].includes(a.kind);
  return (
    <details
      id={`attribute-${a.id}`}
      className={`catalog-item${highlighted ? ' just-added' : ''}`}
      data-testid={`attribute-${a.name}`}
      open={expanded}
      onToggle={(e) => {
        const open = e.currentTarget.open;
        if (open !== expanded) onToggle(open);
      }}
    >
      <summary>
        <strong>{a.name}</strong>（{t(`catalog.kinds.${a.kind}`)}）{choice && <span className="help">{t('catalog.optionCount', { count: a.options.length })}</span>}{' '}
        {a.archived && <span className="badge">{t('catalog.archived')}</span>}
      </summary>
      <p>
        <InlineRename current={a.name} what={a.name} onRename={(name) => act(() => request(RenameAttribute, { id: a.id, name }))} />{' '}
        <MoveButtons name={a.name} index={move.index} count={move.count} onMove={move.onMove} />{' '}
        <button type="button" onClick={() => window.confirm(t('catalog.confirmDeleteAttribute', { name: a.name })) && void act(() => request(DeleteAttribute, { id: a.id }))}>
          {t('catalog.deleteAttribute')}
        </button>
      </p>
      {choice && (
        <>
          <ul className="option-list">
            {a.options.map((o, j) => (
              <OptionRow key={o.id} option={o} index={j} options={a.options} attributeId={a.id} act={act} />
            ))}
          </ul>
          <form
            className="inline-form"
            onSubmit={(e) => {
              e.preventDefault();
              void act(async () => {
                await request(AddOption, { attributeId: a.id, label: newOption });
                setNewOption('');
              });
            }}
          >
            <input aria-label={t('catalog.newOption', { name: a.name })} value={newOption} onChange={(e) => setNewOption(e.target.value)} />{' '}
            <button type="submit">{t('catalog.add')}</button>
          </form>
        </>
      )}
    </details>
  );
}

/** One option: its label, and its actions in a menu. */
function OptionRow({ option: o, index, options, attributeId, act }: { option: Option; index: number; options: Option[]; attributeId: number; act: Action['run'] }) {
  const { t } = useTranslation();
  const [renaming, setRenaming] = useState(false);
  const reorder = (to: number) => void act(() => request(ReorderOptions, { attributeId, ids: moved(options.map((x) => x.id), index, to) }));
  return (
    <li>
      {renaming ? (
        <RenameInput current={o.label} what={o.label} onRename={(label) => act(() => request(RenameOption, { id: o.id, label }))} onDone={() => setRenaming(false)} />
      ) : (
        <span className={o.archived ? 'archived' : undefined}>{o.label}</span>
      )}{' '}
      {o.archived && <span className="badge">{t('catalog.archived')}</span>}{' '}
      <ActionMenu
        label={t('common.actionsOf', { name: o.label })}
        items={[
          { label: t('common.rename'), onSelect: () => setRenaming(true) },
          { label: t('common.moveUp'), onSelect: () => reorder(index - 1), disabled: index === 0 },
          { label: t('common.moveDown'), onSelect: () => reorder(index + 1), disabled: index === options.length - 1 },
          { label: o.archived ? t('catalog.restore') : t('catalog.archive'), onSelect: () => void act(() => request(ArchiveOption, { id: o.id, archived: !o.archived })) },
          {
            label: t('common.delete'),
            danger: true,
            onSelect: () =>
              window.confirm(t('catalog.confirmDeleteOption', { label: o.label })) &&
              void act(
                () => request(DeleteOption, { id: o.id }),
                (r) => t('catalog.flagged', { count: r.deleteAttributeOption.length }),
              ),
          },
        ]}
      />
    </li>
  );
}

import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { NODE_TYPES, type Card, type Choice, type Graph, type Link, type Node, type NodeType } from './graph';

const lines = (s: string) => s.split('\n').map((x) => x.trim()).filter(Boolean);
const parseLinks = (s: string): Link[] => lines(s).map((l) => ({ label: l.split('|')[0] ?? '', uri: l.split('|')[1] ?? '' }));
const showLinks = (links: Link[]) => links.map((l) => `${l.label}|${l.uri}`).join('\n');
const optional = (s: string) => (s.trim() ? s : undefined);

/** A carousel's cards: title, text, image and links each. */
function Cards({ cards, onChange }: { cards: Card[]; onChange: (c: Card[]) => void }) {
  const { t } = useTranslation();
  const patch = (i: number, p: Partial<Card>) => onChange(cards.map((c, j) => (j === i ? { ...c, ...p } : c)));
  return (
    <fieldset>
      <legend>{t('scenario.cards')}</legend>
      {cards.map((c, i) => (
        <fieldset key={i}>
          <legend>{t('scenario.card', { n: i + 1 })}</legend>
          <label className="field">
            {t('scenario.cardTitle')} <input value={c.title ?? ''} maxLength={40} onChange={(e) => patch(i, { title: optional(e.target.value) })} />
          </label>
          <label className="field">
            {t('scenario.cardText')} <textarea rows={2} value={c.text} onChange={(e) => patch(i, { text: e.target.value })} />
          </label>
          <label className="field">
            {t('scenario.cardImage')} <input value={c.image_url ?? ''} onChange={(e) => patch(i, { image_url: optional(e.target.value) })} />
          </label>
          <label className="field">
            {t('scenario.cardLinks')} <textarea rows={2} value={showLinks(c.links)} onChange={(e) => patch(i, { links: parseLinks(e.target.value) })} />
          </label>
          <button type="button" onClick={() => onChange(cards.filter((_, j) => j !== i))}>
            {t('scenario.removeCard')}
          </button>
        </fieldset>
      ))}
      {cards.length < 10 && (
        <button type="button" onClick={() => onChange([...cards, { text: '', links: [] }])}>
          {t('scenario.addCard')}
        </button>
      )}
    </fieldset>
  );
}

function Target({ graph, value, onChange, label }: { graph: Graph; value?: string; onChange: (v?: string) => void; label: string }) {
  const { t } = useTranslation();
  return (
    <label className="field">
      {label}{' '}
      <select value={value ?? ''} onChange={(e) => onChange(e.target.value || undefined)}>
        <option value="">{t('scenario.nowhere')}</option>
        {graph.nodes.map((n) => (
          <option key={n.id} value={n.id}>
            {n.id}
            {n.title ? `（${n.title}）` : ''}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Choices: a label per line, each with where it goes. */
function Choices({ graph, choices, onChange }: { graph: Graph; choices: Choice[]; onChange: (c: Choice[]) => void }) {
  const { t } = useTranslation();
  return (
    <fieldset>
      <legend>{t('scenario.choices')}</legend>
      {choices.map((c, i) => (
        <div key={i} className="inline-form">
          <label>
            {t('scenario.choiceLabel', { n: i + 1 })} <input value={c.label} maxLength={20} onChange={(e) => onChange(choices.map((x, j) => (j === i ? { ...x, label: e.target.value } : x)))} />
          </label>{' '}
          <Target graph={graph} label={t('scenario.goesTo')} value={c.next} onChange={(next) => onChange(choices.map((x, j) => (j === i ? { ...x, next } : x)))} />{' '}
          <button type="button" onClick={() => onChange(choices.filter((_, j) => j !== i))}>
            {t('scenario.removeChoice')}
          </button>
        </div>
      ))}
      {choices.length < 13 && (
        <button type="button" onClick={() => onChange([...choices, { label: '' }])}>
          {t('scenario.addChoice')}
        </button>
      )}
    </fieldset>
  );
}

/** The selected node's form; 反映 puts it into the graph (one undo step). */
export function NodePanel({
  graph,
  node,
  errors,
  onApply,
  onDelete,
  onAddAfter,
  onStart,
}: {
  graph: Graph;
  node: Node;
  errors: string[];
  onApply: (n: Node) => void;
  onDelete: () => void;
  onAddAfter: (type: NodeType) => void;
  onStart: () => void;
}) {
  const { t } = useTranslation();
  const [draft, setDraft] = useState<Node>(node);
  const [addType, setAddType] = useState<NodeType>('message');
  const set = (patch: Partial<Node>) => setDraft((d) => ({ ...d, ...patch }) as Node);
  return (
    <form
      className="node-panel"
      aria-label={t('scenario.nodePanel')}
      onSubmit={(e) => {
        e.preventDefault();
        onApply(draft);
      }}
    >
      <h3>
        {t(`scenario.types.${draft.type}`)}：{draft.id}
      </h3>
      {errors.map((e) => (
        <p key={e} className="field-error" role="alert">
          {e}
        </p>
      ))}
      <label className="field">
        {t('scenario.nodeId')} <input value={draft.id} maxLength={40} onChange={(e) => set({ id: e.target.value })} />
      </label>
      <label className="field">
        {t('scenario.nodeTitle')} <input value={draft.title ?? ''} maxLength={40} onChange={(e) => set({ title: e.target.value })} />
      </label>
      {'text' in draft && (
        <label className="field">
          {t('scenario.text')} <textarea rows={4} value={draft.text ?? ''} onChange={(e) => set({ text: e.target.value })} />
        </label>
      )}
      {(draft.type === 'question' || draft.type === 'branch') && (
        <label className="field">
          {t('scenario.key')} <input value={draft.key} maxLength={40} onChange={(e) => set({ key: e.target.value })} />
        </label>
      )}
      {(draft.type === 'message' || draft.type === 'question') && (
        <>
          <Choices graph={graph} choices={draft.choices ?? []} onChange={(choices) => set({ choices })} />
          <Target graph={graph} label={t('scenario.next')} value={draft.next} onChange={(next) => set({ next })} />
        </>
      )}
      {(draft.type === 'question' || draft.type === 'branch') && (
        <label className="field">
          {t(draft.type === 'question' ? 'scenario.questionAttribute' : 'scenario.branchAttribute')}{' '}
          <input value={draft.attribute ?? ''} maxLength={100} onChange={(e) => set({ attribute: optional(e.target.value) })} />
          <small>{t(draft.type === 'question' ? 'scenario.questionAttributeHelp' : 'scenario.branchAttributeHelp')}</small>
        </label>
      )}
      {draft.type === 'message' && (
        <>
          <label className="field">
            {t('scenario.links')} <textarea rows={2} value={showLinks(draft.links ?? [])} onChange={(e) => set({ links: parseLinks(e.target.value) })} />
          </label>
          <Cards cards={draft.cards ?? []} onChange={(cards) => set({ cards: cards.length ? cards : undefined })} />
        </>
      )}
      {draft.type === 'branch' && (
        <fieldset>
          <legend>{t('scenario.cases')}</legend>
          {draft.cases.map((c, i) => (
            <div key={i} className="inline-form">
              <label>
                {t('scenario.equals')} <input value={c.equals} onChange={(e) => set({ cases: draft.cases.map((x, j) => (j === i ? { ...x, equals: e.target.value } : x)) })} />
              </label>{' '}
              <Target graph={graph} label={t('scenario.goesTo')} value={c.next} onChange={(next) => set({ cases: draft.cases.map((x, j) => (j === i ? { ...x, next: next ?? '' } : x)) })} />
            </div>
          ))}
          <button type="button" onClick={() => set({ cases: [...draft.cases, { equals: '', next: '' }] })}>
            {t('scenario.addCase')}
          </button>
          <Target graph={graph} label={t('scenario.otherwise')} value={draft.otherwise} onChange={(otherwise) => set({ otherwise })} />
        </fieldset>
      )}
      {draft.type === 'jump' && (
        <div className="inline-form">
          <label>
            {t('scenario.jumpKind')}{' '}
            <select
              value={draft.target.kind}
              onChange={(e) => {
                const kind = e.target.value as 'faq' | 'scenario' | 'survey' | 'liff';
                set({ target: kind === 'liff' ? { kind, label: '開く', uri: 'https://' } : { kind, id: 0 } });
              }}
            >
              {(['faq', 'scenario', 'survey', 'liff'] as const).map((k) => (
                <option key={k} value={k}>
                  {t(`scenario.jumpKinds.${k}`)}
                </option>
              ))}
            </select>
          </label>{' '}
          {draft.target.kind === 'liff' ? (
            <>
              <label>
                {t('scenario.linkLabel')} <input value={draft.target.label} onChange={(e) => set({ target: { kind: 'liff', label: e.target.value, uri: (draft.target as { uri: string }).uri } })} />
              </label>{' '}
              <label>
                URL <input value={draft.target.uri} onChange={(e) => set({ target: { kind: 'liff', label: (draft.target as { label: string }).label, uri: e.target.value } })} />
              </label>
            </>
          ) : (
            <label>
              ID <input type="number" value={draft.target.id} onChange={(e) => set({ target: { kind: (draft.target as { kind: 'faq' }).kind, id: Number(e.target.value) } })} />
            </label>
          )}
        </div>
      )}
      <p>
        <button type="submit" className="primary">
          {t('scenario.apply')}
        </button>{' '}
        <button type="button" onClick={onStart} disabled={graph.start === node.id}>
          {t('scenario.makeStart')}
        </button>{' '}
        <button type="button" className="danger" onClick={onDelete}>
          {t('scenario.deleteNode')}
        </button>
      </p>
      <p className="inline-form">
        <label>
          {t('scenario.addAfterType')}{' '}
          <select value={addType} onChange={(e) => setAddType(e.target.value as NodeType)}>
            {NODE_TYPES.map((k) => (
              <option key={k} value={k}>
                {t(`scenario.types.${k}`)}
              </option>
            ))}
          </select>
        </label>{' '}
        <button type="button" onClick={() => onAddAfter(addType)}>
          {t('scenario.addAfter')}
        </button>
      </p>
    </form>
  );
}

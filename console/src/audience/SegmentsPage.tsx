import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { request } from '../api/client';
import { errorMessage } from '../api/errors';
import { graphql } from '../gql';
import { Field } from '../ui/Field';
import { emptyGroup, fromExpression, toExpression, type Group, type SegmentExpr } from './expression';
import { ConditionTree } from './ConditionTree';
import { keys } from '../api/keys';
import { useAction } from '../ui/useAction';
import { waiting } from '../ui/QueryState';

const SegmentsQuery = graphql(`
  query SegmentsPage {
    attributes { id name kind archived options { id label } }
    categoryTree { id parentId name level }
    segments { id name count description expression needsReview reviewReason updatedAt }
  }
`);

const CountQuery = graphql(`
  query AudienceCount($expression: SegmentExpr!) { audienceCount(expression: $expression) }
`);

const SaveSegmentMutation = graphql(`
  mutation SaveSegmentFromBuilder($id: Int, $input: SegmentInput!) { saveSegment(id: $id, input: $input) { id } }
`);

const DeleteSegmentMutation = graphql(`
  mutation DeleteSegment($id: Int!) { deleteSegment(id: $id) }
`);

export function SegmentsPage() {
  const { t } = useTranslation();
  const page = useQuery({ queryKey: keys.segmentsPage, queryFn: () => request(SegmentsQuery) });
  const [root, setRoot] = useState<Group>(emptyGroup());
  const [name, setName] = useState('');
  // The saved segment being changed (null: a new one).
  const [editing, setEditing] = useState<number | null>(null);
  const { run, fields } = useAction([keys.segmentsPage]);
  const expression = toExpression(root);
  // The count follows every tick; the query key is the expression itself.
  const count = useQuery({
    queryKey: keys.audienceCount(expression),
    queryFn: () => request(CountQuery, { expression }),
    placeholderData: (previous) => previous,
  });
  const wait = waiting(t, page);
  if (wait || !page.data) return wait;
  const data = page.data;
  const owners = new Map(data.attributes.flatMap((a) => a.options.map((o) => [o.id, a.id] as const)));
  const open = (s: (typeof data.segments)[number]) => {
    setEditing(s.id);
    setName(s.name);
    setRoot(fromExpression(s.expression as SegmentExpr, owners));
    document.getElementById('segment-builder')?.scrollIntoView({ block: 'start' });
  };
  const startNew = () => {
    setEditing(null);
    setName('');
    setRoot(emptyGroup());
  };
  const current = data.segments.find((s) => s.id === editing);
  return (
    <section>
      <h1>{t('segments.title')}</h1>
      <h2 id="segment-builder" tabIndex={-1}>
        {current ? t('segments.editing', { name: current.name }) : t('segments.newSegment')}
      </h2>
      <div className="builder">
        <div className="builder-conditions">
          <p>{t('segments.help')}</p>
          <ConditionTree node={root} catalog={data} depth={0} onChange={(next) => next?.kind === 'group' && setRoot(next)} />
        </div>
        <aside className="live-count" aria-live="polite">
          <p>{t('segments.count')}</p>
          <p className="count" data-testid="audience-count">
            {count.data ? count.data.audienceCount.toLocaleString('ja-JP') : '—'}
          </p>
          {count.error && <p className="field-error">{errorMessage(count.error, t)}</p>}
          <p>{t('segments.people')}</p>
        </aside>
      </div>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            const r = await request(SaveSegmentMutation, { id: editing, input: { name, expression } });
            setEditing(r.saveSegment.id);
          }, editing === null ? t('segments.saved') : t('segments.updated'));
        }}
      >
        <Field label={t('segments.name')} name="segmentName" required value={name} onChange={(e) => setName(e.target.value)} error={fields['name']} />
        <button type="submit" className="primary">
          {editing === null ? t('segments.save') : t('segments.update')}
        </button>{' '}
        {editing !== null && (
          <button type="button" onClick={startNew}>
            {t('segments.startNew')}
          </button>
        )}
      </form>
      <h2>{t('segments.saved_list')}</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">{t('segments.name')}</th>
            <th scope="col">{t('segments.conditions')}</th>
            <th scope="col">{t('segments.count')}</th>
            <th scope="col">{t('segments.review')}</th>
            <th scope="col">{t('segments.actions')}</th>
          </tr>
        </thead>
        <tbody>
          {data.segments.map((s) => (
            <tr key={s.id} className={s.needsReview ? 'row-error' : undefined} aria-current={s.id === editing ? 'true' : undefined}>
              <td>{s.name}</td>
              <td className="summary">{s.description}</td>
              <td>{s.count.toLocaleString('ja-JP')}</td>
              <td>{s.needsReview ? s.reviewReason : '—'}</td>
              <td>
                <button type="button" onClick={() => open(s)} aria-label={t('segments.openNamed', { name: s.name })}>
                  {t('segments.open')}
                </button>{' '}
                <button
                  type="button"
                  aria-label={t('segments.deleteNamed', { name: s.name })}
                  onClick={() =>
                    window.confirm(t('segments.confirmDelete', { name: s.name })) &&
                    void run(async () => {
                      await request(DeleteSegmentMutation, { id: s.id });
                      if (s.id === editing) startNew();
                    }, t('segments.deleted'))
                  }
                >
                  {t('common.delete')}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

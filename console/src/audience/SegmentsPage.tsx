import { useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { request } from '../api/client';
import { errorMessage, fieldErrorMap } from '../api/errors';
import { graphql } from '../gql';
import { Alert } from '../ui/Alert';
import { Field } from '../ui/Field';
import { emptyGroup, toExpression, type Group } from './expression';
import { ConditionTree } from './ConditionTree';
import { keys } from '../api/keys';

const SegmentsQuery = graphql(`
  query SegmentsPage {
    attributes { id name kind archived options { id label } }
    categoryTree { id parentId name level }
    segments { id name count needsReview reviewReason }
  }
`);

const CountQuery = graphql(`
  query AudienceCount($expression: SegmentExpr!) { audienceCount(expression: $expression) }
`);

const SaveSegmentMutation = graphql(`
  mutation SaveSegmentFromBuilder($input: SegmentInput!) { saveSegment(input: $input) { id } }
`);

export function SegmentsPage() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const page = useQuery({ queryKey: keys.segmentsPage, queryFn: () => request(SegmentsQuery) });
  const [root, setRoot] = useState<Group>(emptyGroup());
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const expression = toExpression(root);
  // The count follows every tick; the query key is the expression itself.
  const count = useQuery({
    queryKey: keys.audienceCount(expression),
    queryFn: () => request(CountQuery, { expression }),
    placeholderData: (previous) => previous,
  });
  const fields = fieldErrorMap(error);
  return (
    <section>
      <h1>{t('segments.title')}</h1>
      {error !== null && <Alert kind="error">{errorMessage(error, t)}</Alert>}
      {notice && <Alert kind="success">{notice}</Alert>}
      <div className="builder">
        <div className="builder-conditions">
          <p>{t('segments.help')}</p>
          {page.data && <ConditionTree node={root} catalog={page.data} depth={0} onChange={(next) => next?.kind === 'group' && setRoot(next)} />}
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
        onSubmit={async (e) => {
          e.preventDefault();
          setError(null);
          setNotice(null);
          try {
            await request(SaveSegmentMutation, { input: { name, expression } });
            setNotice(t('segments.saved'));
            setName('');
            await queryClient.invalidateQueries({ queryKey: keys.segmentsPage });
          } catch (err) {
            setError(err);
          }
        }}
      >
        <Field label={t('segments.name')} name="segmentName" required value={name} onChange={(e) => setName(e.target.value)} error={fields['name']} />
        <button type="submit" className="primary">
          {t('segments.save')}
        </button>
      </form>
      <h2>{t('segments.saved_list')}</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">{t('segments.name')}</th>
            <th scope="col">{t('segments.count')}</th>
            <th scope="col">{t('segments.review')}</th>
          </tr>
        </thead>
        <tbody>
          {page.data?.segments.map((s) => (
            <tr key={s.id} className={s.needsReview ? 'row-error' : undefined}>
              <td>{s.name}</td>
              <td>{s.count.toLocaleString('ja-JP')}</td>
              <td>{s.needsReview ? s.reviewReason : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

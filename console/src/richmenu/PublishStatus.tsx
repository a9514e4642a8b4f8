import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { request } from '../api/client';
import { keys } from '../api/keys';
import { Alert } from '../ui/Alert';
import { PublishProgress } from './queries';

/** A publish job's progress until it is done, then its outcome (LINE's refusals field by field). */
export function PublishStatus({ id, onDone }: { id: number; onDone: () => void }) {
  const { t } = useTranslation();
  const q = useQuery({
    queryKey: keys.richMenuPublish(id),
    queryFn: async () => {
      const r = await request(PublishProgress, { id });
      const state = r.richMenuPublish?.state;
      if (state === 'DONE' || state === 'FAILED') onDone();
      return r;
    },
    refetchInterval: (query) => {
      const s = query.state.data?.richMenuPublish?.state;
      return s === 'DONE' || s === 'FAILED' ? false : 500;
    },
  });
  const p = q.data?.richMenuPublish;
  if (!p || p.state === 'QUEUED' || p.state === 'RUNNING') {
    return <p role="status" className="rm-progress">{t('richmenu.publishing')} {p?.step}</p>;
  }
  if (p.state === 'DONE') return <Alert kind="success">{t('richmenu.published')}</Alert>;
  return (
    <Alert kind="error">
      {t('richmenu.publishFailed')}
      <ul>
        {p.problems.map((x, i) => (
          <li key={i}>
            <code>{x.field}</code> {x.message}
          </li>
        ))}
      </ul>
    </Alert>
  );
}

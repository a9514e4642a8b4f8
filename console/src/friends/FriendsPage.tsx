import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { request } from '../api/client';
import { errorMessage } from '../api/errors';
import { useViewer } from '../auth/useViewer';
import { graphql } from '../gql';
import { Alert } from '../ui/Alert';
import { Pagination } from '../ui/Pagination';
import { formatDateTime } from '../ui/format';
import { SettingsExport } from './SettingsExport';
import { keys } from '../api/keys';

const FriendsQuery = graphql(`
  query FriendsPage($segmentId: Int, $offset: Int!, $limit: Int!) {
    friends(segmentId: $segmentId, offset: $offset, limit: $limit) {
      totalCount
      items { id status followedAt blockedAt }
    }
  }
`);

const SegmentChoicesQuery = graphql(`
  query SegmentChoices { segments { id name } }
`);

const PAGE = 50;

export function FriendsPage() {
  const { t } = useTranslation();
  const permissions = useViewer().data?.viewer?.account.permissions ?? [];
  const canSegment = permissions.includes('segment.manage');
  const canExport = permissions.includes('friend.export');
  const [segmentId, setSegmentId] = useState<number | null>(null);
  const [offset, setOffset] = useState(0);
  const segments = useQuery({ queryKey: keys.segmentChoices, queryFn: () => request(SegmentChoicesQuery), enabled: canSegment });
  const friends = useQuery({
    queryKey: keys.friends(segmentId, offset),
    queryFn: () => request(FriendsQuery, { segmentId, offset, limit: PAGE }),
  });
  return (
    <section>
      <h1>{t('friends.title')}</h1>
      <p>{t('friends.help')}</p>
      {canSegment && (
        <label>
          {t('friends.segment')}{' '}
          <select
            value={segmentId ?? ''}
            onChange={(e) => {
              setOffset(0);
              setSegmentId(e.target.value === '' ? null : Number(e.target.value));
            }}
          >
            <option value="">{t('friends.all')}</option>
            {segments.data?.segments.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
      )}
      {canExport && <SettingsExport segmentId={segmentId} />}
      {friends.error && <Alert kind="error">{errorMessage(friends.error, t)}</Alert>}
      {friends.data && (
        <>
          <table>
            <thead>
              <tr>
                <th scope="col">{t('friends.id')}</th>
                <th scope="col">{t('friends.status')}</th>
                <th scope="col">{t('friends.followedAt')}</th>
                <th scope="col">{t('friends.blockedAt')}</th>
              </tr>
            </thead>
            <tbody>
              {friends.data.friends.items.map((f) => (
                <tr key={f.id}>
                  <td>{f.id}</td>
                  <td>{f.status === 'FOLLOWING' ? t('friends.following') : t('friends.blocked')}</td>
                  <td>{formatDateTime(f.followedAt)}</td>
                  <td>{formatDateTime(f.blockedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pagination offset={offset} limit={PAGE} total={friends.data.friends.totalCount} onChange={setOffset} />
        </>
      )}
    </section>
  );
}

import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { useLocation } from 'react-router';
import { request } from '../api/client';
import { errorMessage } from '../api/errors';
import { graphql } from '../gql';
import { useViewer } from '../auth/useViewer';
import { Alert } from '../ui/Alert';
import { formatPercent } from '../ui/format';
import { keys } from '../api/keys';

const FriendCountsQuery = graphql(`
  query FriendCounts {
    friendCounts { following blocked newLast7Days blockedLast7Days blockRate }
  }
`);

export function DashboardPage() {
  const { t } = useTranslation();
  const location = useLocation();
  const account = useViewer().data?.viewer?.account;
  const canSee = account?.permissions.includes('friends.read') ?? false;
  const counts = useQuery({ queryKey: keys.friendCounts, queryFn: () => request(FriendCountsQuery), enabled: canSee });
  const flash = (location.state as { flash?: string } | null)?.flash;
  const c = counts.data?.friendCounts;
  return (
    <section>
      <h1>{t('dashboard.title')}</h1>
      {flash && <Alert kind="success">{flash}</Alert>}
      <p>{t('dashboard.welcome', { name: account?.displayName ?? '' })}</p>
      {account && account.permissions.length === 0 && <Alert kind="info">{t('dashboard.noPermissions')}</Alert>}
      {counts.error && <Alert kind="error">{errorMessage(counts.error, t)}</Alert>}
      {c && (
        <dl className="stats">
          <Stat label={t('dashboard.following')} value={c.following.toLocaleString('ja-JP')} />
          <Stat label={t('dashboard.newThisWeek')} value={c.newLast7Days.toLocaleString('ja-JP')} />
          <Stat label={t('dashboard.blockedThisWeek')} value={c.blockedLast7Days.toLocaleString('ja-JP')} />
          <Stat label={t('dashboard.blocked')} value={c.blocked.toLocaleString('ja-JP')} />
          <Stat label={t('dashboard.blockRate')} value={formatPercent(c.blockRate)} />
        </dl>
      )}
    </section>
  );
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div className="stat">
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

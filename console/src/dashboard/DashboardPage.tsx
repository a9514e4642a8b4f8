import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useLocation } from 'react-router';
import { request } from '../api/client';
import { graphql } from '../gql';
import { useViewer } from '../auth/useViewer';
import { Alert } from '../ui/Alert';
import { formatDateTime, formatPercent } from '../ui/format';
import { waiting } from '../ui/QueryState';
import { keys } from '../api/keys';
import { FriendsChart } from './FriendsChart';
import { recipientsCell } from '../delivery/recipients';
import { lastDays } from './chart';

const FriendCountsQuery = graphql(`
  query FriendCounts {
    friendCounts { following blocked newLast7Days blockedLast7Days blockRate }
    registrationCounts { registered registeredLast7Days }
  }
`);

const FriendDaysQuery = graphql(`
  query DashboardFriendDays($from: NaiveDate!, $to: NaiveDate!) {
    friendDailyCounts(from: $from, to: $to) { date following follows unfollows }
  }
`);

const RecentDeliveriesQuery = graphql(`
  query DashboardDeliveries {
    deliveries(offset: 0, limit: 5) { items { id title status createdAt scheduledAt startedAt finishedAt recipients expectedRecipients accepted failed } }
  }
`);

const DELIVERY = ['delivery.create', 'delivery.send', 'delivery.approve'];

/** What a staff member wants on opening the console: friends, registrations and the latest deliveries, each as far as they may see it. */
export function DashboardPage() {
  const { t } = useTranslation();
  const location = useLocation();
  const account = useViewer().data?.viewer?.account;
  const held = account?.permissions ?? [];
  const friends = held.includes('friends.read');
  const deliveries = DELIVERY.some((p) => held.includes(p));
  const period = lastDays(new Date(), 30);
  const counts = useQuery({ queryKey: keys.friendCounts, queryFn: () => request(FriendCountsQuery), enabled: friends });
  const days = useQuery({ queryKey: keys.friendDays(period.from), queryFn: () => request(FriendDaysQuery, period), enabled: friends });
  const recent = useQuery({ queryKey: keys.recentDeliveries, queryFn: () => request(RecentDeliveriesQuery), enabled: deliveries });
  const flash = (location.state as { flash?: string } | null)?.flash;
  const c = counts.data?.friendCounts;
  const r = counts.data?.registrationCounts;
  const n = (x: number) => x.toLocaleString('ja-JP');
  return (
    <section>
      <h1>{t('dashboard.title')}</h1>
      {flash && <Alert kind="success">{flash}</Alert>}
      <p>{t('dashboard.welcome', { name: account?.displayName ?? '' })}</p>
      {account && held.length === 0 && <Alert kind="info">{t('dashboard.noPermissions')}</Alert>}
      {friends && (waiting(t, counts) ?? null)}
      {c && r && (
        <dl className="tiles">
          <Tile label={t('dashboard.following')} value={n(c.following)} />
          <Tile label={t('dashboard.newThisWeek')} value={n(c.newLast7Days)} />
          <Tile label={t('dashboard.blockedThisWeek')} value={n(c.blockedLast7Days)} />
          <Tile label={t('dashboard.blockRate')} value={formatPercent(c.blockRate)} />
          <Tile label={t('dashboard.registered')} value={n(r.registered)} note={c.following > 0 ? t('dashboard.registeredShare', { share: formatPercent(r.registered / c.following) }) : undefined} />
          <Tile label={t('dashboard.registeredThisWeek')} value={n(r.registeredLast7Days)} />
        </dl>
      )}
      {friends && (
        <>
          <h2>{t('dashboard.chartTitle')}</h2>
          {waiting(t, days) ?? <FriendsChart days={days.data?.friendDailyCounts ?? []} />}
        </>
      )}
      {deliveries && (
        <>
          <h2>{t('dashboard.recentTitle')}</h2>
          {waiting(t, recent) ??
            (recent.data && recent.data.deliveries.items.length === 0 ? (
              <p className="help">{t('dashboard.noDeliveries')}</p>
            ) : (
              <table data-testid="recent-deliveries">
                <thead>
                  <tr>
                    <th scope="col">{t('delivery.title')}</th>
                    <th scope="col">{t('delivery.statusLabel')}</th>
                    <th scope="col">{t('delivery.when')}</th>
                    <th scope="col">{t('delivery.recipients')}</th>
                    <th scope="col">{t('delivery.accepted')}</th>
                    <th scope="col">{t('delivery.failed')}</th>
                  </tr>
                </thead>
                <tbody>
                  {recent.data?.deliveries.items.map((d) => (
                    <tr key={d.id}>
                      <td>
                        <Link to={`/deliveries/${d.id}`}>{d.title}</Link>
                      </td>
                      <td>{t(`delivery.status.${d.status}`)}</td>
                      <td>{formatDateTime(d.finishedAt ?? d.startedAt ?? d.scheduledAt ?? d.createdAt)}</td>
                      <td>{recipientsCell(d, t)}</td>
                      <td>{n(d.accepted)}</td>
                      <td>{n(d.failed)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ))}
          <p>
            <Link to="/deliveries">{t('dashboard.allDeliveries')}</Link>
          </p>
        </>
      )}
    </section>
  );
}

function Tile({ label, value, note }: { label: string; value: string; note?: string }) {
  return (
    <div className="tile">
      <dt>{label}</dt>
      <dd>
        {value}
        {note && <span className="tile-note">{note}</span>}
      </dd>
    </div>
  );
}

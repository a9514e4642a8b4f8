import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { request } from '../api/client';
import { errorMessage } from '../api/errors';
import { Alert } from '../ui/Alert';
import { Pagination } from '../ui/Pagination';
import { formatDateTime } from '../ui/format';
import { CatalogueQuery, StaffAccountsQuery } from './queries';
import { keys } from '../api/keys';

const PAGE = 20;

export function StaffListPage() {
  const { t } = useTranslation();
  const [search, setSearch] = useState('');
  const [applied, setApplied] = useState('');
  const [teamId, setTeamId] = useState('');
  const [enabled, setEnabled] = useState('');
  const [offset, setOffset] = useState(0);
  const catalogue = useQuery({ queryKey: keys.catalogue, queryFn: () => request(CatalogueQuery) });
  const filter = {
    search: applied || null,
    teamId: teamId || null,
    enabled: enabled === '' ? null : enabled === 'true',
  };
  const list = useQuery({
    queryKey: keys.staffAccounts(filter, offset),
    queryFn: () => request(StaffAccountsQuery, { filter, offset, limit: PAGE }),
  });
  return (
    <section>
      <h1>{t('staff.title')}</h1>
      <p className="actions">
        <Link className="button primary" to="/staff/new">
          {t('staff.new')}
        </Link>{' '}
        <Link className="button" to="/staff/import">
          {t('staff.importLink')}
        </Link>
      </p>
      <form
        className="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setOffset(0);
          setApplied(search.trim());
        }}
      >
        <label>
          {t('staff.searchLabel')} <input type="search" name="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        </label>
        <label>
          {t('staff.teamFilter')}{' '}
          <select value={teamId} onChange={(e) => { setTeamId(e.target.value); setOffset(0); }}>
            <option value="">{t('staff.allTeams')}</option>
            {catalogue.data?.teams.map((tm) => (
              <option key={tm.id} value={tm.id}>
                {tm.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('staff.statusFilter')}{' '}
          <select value={enabled} onChange={(e) => { setEnabled(e.target.value); setOffset(0); }}>
            <option value="">{t('staff.all')}</option>
            <option value="true">{t('staff.enabled')}</option>
            <option value="false">{t('staff.disabled')}</option>
          </select>
        </label>
        <button type="submit">{t('common.search')}</button>
      </form>
      {list.error && <Alert kind="error">{errorMessage(list.error, t)}</Alert>}
      {list.data && (
        <>
          <table>
            <thead>
              <tr>
                <th scope="col">{t('staff.loginId')}</th>
                <th scope="col">{t('staff.displayName')}</th>
                <th scope="col">{t('staff.team')}</th>
                <th scope="col">{t('staff.status')}</th>
                <th scope="col">{t('staff.totp')}</th>
                <th scope="col">{t('staff.lastLogin')}</th>
              </tr>
            </thead>
            <tbody>
              {list.data.staffAccounts.items.map((a) => (
                <tr key={a.id}>
                  <td>
                    <Link to={`/staff/${a.id}`}>{a.loginId}</Link>
                  </td>
                  <td>{a.displayName}</td>
                  <td>{a.team?.name ?? t('staff.noTeam')}</td>
                  <td>
                    {a.enabled ? t('staff.enabled') : t('staff.disabled')}
                    {a.lockedUntil && <span className="badge">{t('staff.locked')}</span>}
                  </td>
                  <td>{a.totpEnrolled ? t('staff.totpOn') : t('staff.totpOff')}</td>
                  <td>{formatDateTime(a.lastLoginAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pagination offset={offset} limit={PAGE} total={list.data.staffAccounts.totalCount} onChange={setOffset} />
        </>
      )}
    </section>
  );
}

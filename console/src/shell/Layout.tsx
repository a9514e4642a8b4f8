import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { request, SESSION_EXPIRED_EVENT } from '../api/client';
import { LogoutMutation } from '../auth/queries';
import { useViewer, VIEWER_KEY } from '../auth/useViewer';
import { type NavItem, visibleNav } from './nav';

/** The signed-in frame: header, the navigation `nav` (filtered by the account's permissions) and the page. */
export function Layout({ nav }: { nav: readonly NavItem[] }) {
  const { t } = useTranslation();
  const viewer = useViewer().data?.viewer;
  const navigate = useNavigate();
  const location = useLocation();
  const queryClient = useQueryClient();

  // Any UNAUTHENTICATED answer means the session ended: sign in again, then come back here.
  useEffect(() => {
    const onExpired = () => {
      queryClient.clear();
      const here = location.pathname + location.search;
      navigate(`/signin?expired=1&next=${encodeURIComponent(here)}`, { replace: true });
    };
    window.addEventListener(SESSION_EXPIRED_EVENT, onExpired);
    return () => window.removeEventListener(SESSION_EXPIRED_EVENT, onExpired);
  }, [navigate, location, queryClient]);

  if (!viewer) return null;
  const account = viewer.account;
  return (
    <div className="shell">
      <a className="skip" href="#main">
        {t('app.skip')}
      </a>
      <header className="header">
        <span className="brand">{t('app.title')}</span>
        <span className="account" data-testid="account">
          {t('shell.signedInAs', { name: account.displayName, team: account.team?.name ?? t('shell.noTeam') })}
        </span>
        <NavLink to="/password">{t('shell.changePassword')}</NavLink>
        <button
          type="button"
          onClick={async () => {
            await request(LogoutMutation).catch(() => undefined);
            queryClient.removeQueries({ queryKey: VIEWER_KEY });
            navigate('/signin', { replace: true });
          }}
        >
          {t('shell.signOut')}
        </button>
      </header>
      <div className="body">
        <nav className="nav" aria-label={t('shell.nav')}>
          <ul>
            {visibleNav(nav, account.permissions).map((item) => (
              <li key={item.path}>
                <NavLink to={item.path} end={item.path === '/'}>
                  {t(item.labelKey)}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" className="main" tabIndex={-1}>
          <Outlet />
        </main>
      </div>
    </div>
  );
}

import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Navigate, useLocation } from 'react-router';
import { useViewer } from '../auth/useViewer';
import { permitted } from './nav';

/** Signed-in staff only; others go to sign-in and come back afterwards. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  const location = useLocation();
  const viewer = useViewer();
  if (viewer.isPending) return <p role="status">{t('common.loading')}</p>;
  const v = viewer.data?.viewer;
  const here = location.pathname + location.search;
  if (!v || v.stage !== 'SIGNED_IN') {
    return <Navigate to={`/signin?next=${encodeURIComponent(here)}`} replace />;
  }
  if (v.account.mustChangePassword && location.pathname !== '/password') {
    return <Navigate to="/password" replace />;
  }
  return <>{children}</>;
}

/** A page that needs a permission (or any of several); without it the page says so in Japanese. */
export function RequirePermission({ permission, children }: { permission: string | readonly string[]; children: ReactNode }) {
  const { t } = useTranslation();
  const viewer = useViewer();
  const held = viewer.data?.viewer?.account.permissions ?? [];
  if (!permitted(permission, held)) {
    return (
      <div className="alert alert-error" role="alert">
        {t('errors.FORBIDDEN')}
      </div>
    );
  }
  return <>{children}</>;
}

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { createBrowserRouter, RouterProvider } from 'react-router';
import './i18n';
import './styles.css';
import { ApiError } from './api/errors';
import { SignInPage } from './auth/SignInPage';
import { PasswordPage } from './auth/PasswordPage';
import { Layout } from './shell/Layout';
import { RequireAuth, RequirePermission } from './shell/RequireAuth';
import { DashboardPage } from './friends/DashboardPage';
import { StaffListPage } from './staff/StaffListPage';
import { StaffFormPage } from './staff/StaffFormPage';
import { ImportPage } from './staff/ImportPage';
import { TeamsPage } from './teams/TeamsPage';
import { ServiceAccountsPage } from './service-accounts/ServiceAccountsPage';
import { AuditLogPage } from './audit/AuditLogPage';
import { SegmentsPage } from './audience/SegmentsPage';
import { CatalogPage } from './audience/CatalogPage';
import { FormsPage } from './audience/FormsPage';
import { FriendsPage } from './friends/FriendsPage';
import { DeliveriesPage } from './delivery/DeliveriesPage';
import { ComposePage } from './delivery/ComposePage';
import { DeliveryDetailPage } from './delivery/DeliveryDetailPage';
import { PassPage } from './card/PassPage';
import { CardSettingsPage } from './card/CardSettingsPage';
import { HoldersPage } from './card/HoldersPage';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // Permission and input errors will not change by asking again.
      retry: (count, error) => !(error instanceof ApiError) && count < 2,
      refetchOnWindowFocus: false,
    },
  },
});

const guarded = (permission: string, element: React.ReactNode) => <RequirePermission permission={permission}>{element}</RequirePermission>;
const DELIVERY = ['delivery.create', 'delivery.send', 'delivery.approve'];
const guardedAny = (permissions: string[], element: React.ReactNode) => <RequirePermission permission={permissions}>{element}</RequirePermission>;

const router = createBrowserRouter(
  [
    { path: '/signin', element: <SignInPage /> },
    {
      element: (
        <RequireAuth>
          <Layout />
        </RequireAuth>
      ),
      children: [
        { index: true, element: <DashboardPage /> },
        { path: 'password', element: <PasswordPage /> },
        { path: 'staff', element: guarded('staff.manage', <StaffListPage />) },
        { path: 'staff/new', element: guarded('staff.manage', <StaffFormPage />) },
        { path: 'staff/import', element: guarded('staff.manage', <ImportPage />) },
        { path: 'staff/:id', element: guarded('staff.manage', <StaffFormPage />) },
        { path: 'teams', element: guarded('staff.manage', <TeamsPage />) },
        { path: 'service-accounts', element: guarded('staff.manage', <ServiceAccountsPage />) },
        { path: 'friends', element: guarded('friends.read', <FriendsPage />) },
        { path: 'catalog', element: guarded('segment.manage', <CatalogPage />) },
        { path: 'forms', element: guarded('segment.manage', <FormsPage />) },
        { path: 'segments', element: guarded('segment.manage', <SegmentsPage />) },
        { path: 'deliveries', element: guardedAny(DELIVERY, <DeliveriesPage />) },
        { path: 'deliveries/new', element: guarded('delivery.create', <ComposePage />) },
        { path: 'deliveries/:id', element: guardedAny(DELIVERY, <DeliveryDetailPage />) },
        { path: 'deliveries/:id/edit', element: guarded('delivery.create', <ComposePage />) },
        { path: 'pass', element: guarded('pass.manage', <PassPage />) },
        { path: 'card/settings', element: guarded('card.settings', <CardSettingsPage />) },
        { path: 'card/holders', element: guarded('card.pii.read', <HoldersPage />) },
        { path: 'audit', element: guarded('audit.read', <AuditLogPage />) },
      ],
    },
  ],
  { basename: '/console' },
);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  </StrictMode>,
);

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { createBrowserRouter, RouterProvider } from 'react-router';
import './catalogue';
import './styles.css';
import { ApiError } from './api/errors';
import { SignInPage } from './auth/SignInPage';
import { Layout } from './shell/Layout';
import { RequireAuth, RequirePermission } from './shell/RequireAuth';
import { NAV, ROUTES } from './routes';
import { ToastProvider } from './ui/Toasts';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // Permission and input errors will not change by asking again.
      retry: (count, error) => !(error instanceof ApiError) && count < 2,
      refetchOnWindowFocus: false,
    },
  },
});

const router = createBrowserRouter(
  [
    { path: '/signin', element: <SignInPage /> },
    {
      element: (
        <RequireAuth>
          <Layout nav={NAV} />
        </RequireAuth>
      ),
      children: ROUTES.map((r) => {
        const element = r.permission === null ? r.element : <RequirePermission permission={r.permission}>{r.element}</RequirePermission>;
        return r.path === '' ? { index: true, element } : { path: r.path, element };
      }),
    },
  ],
  { basename: '/console' },
);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <ToastProvider>
        <RouterProvider router={router} />
      </ToastProvider>
    </QueryClientProvider>
  </StrictMode>,
);

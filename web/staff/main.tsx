import '@mantine/core/styles.css';
import '../ui/global.css';
import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createBrowserRouter, RouterProvider } from 'react-router';
import { ApiError } from '../lib/api';
import { cssVariablesResolver, theme } from '../ui/theme';
import { AdminBillingRulesPage } from './routes/admin-billing-rules-page';
import { AdminConfigurationPage } from './routes/admin-configuration-page';
import { AdminSystemActivityPage } from './routes/admin-system-activity-page';
import { AdminUserManagementPage } from './routes/admin-user-management-page';
import { ForgottenPasswordPage } from './routes/forgotten-password-page';
import { StaffLayout } from './routes/layout';
import { PatientRecordPage } from './routes/patient-record-page';
import { PatientSearchPage } from './routes/patient-search-page';
import { SetPasswordPage } from './routes/set-password-page';
import { StartPage } from './routes/start-page';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      retry: (count, error) =>
        !(error instanceof ApiError && error.status >= 400 && error.status < 500) && count < 2,
    },
  },
});

const router = createBrowserRouter(
  [
    { path: '/forgotten-password', element: <ForgottenPasswordPage /> },
    { path: '/set-password', element: <SetPasswordPage /> },
    {
      path: '/',
      element: <StaffLayout />,
      children: [
        { index: true, element: <StartPage /> },
        { path: 'patients', element: <PatientSearchPage /> },
        { path: 'patients/:id', element: <PatientRecordPage /> },
        { path: 'patients/:id/conversations/:conversationId', element: <PatientRecordPage /> },
        { path: 'admin/configuration', element: <AdminConfigurationPage /> },
        { path: 'admin/billing-rules', element: <AdminBillingRulesPage /> },
        { path: 'admin/user-management', element: <AdminUserManagementPage /> },
        { path: 'admin/system-activity', element: <AdminSystemActivityPage /> },
        { path: '*', element: <StartPage /> },
      ],
    },
  ],
  { basename: '/staff' },
);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver}>
      <QueryClientProvider client={queryClient}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
);

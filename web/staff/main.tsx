import { mountApp } from '../ui/mount-app';
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

mountApp(
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
  '/staff',
);

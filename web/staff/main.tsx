import { ForgottenPasswordPage } from '../ui/forgotten-password-page';
import { mountApp } from '../ui/mount-app';
import { SetPasswordPage } from '../ui/set-password-page';
import { staffSession } from './features/session/api';
import { AdminBillingRulesPage } from './routes/admin-billing-rules-page';
import { AdminConfigurationPage } from './routes/admin-configuration-page';
import { AdminMessageReportsPage } from './routes/admin-message-reports-page';
import { AdminSystemActivityPage } from './routes/admin-system-activity-page';
import { AdminUserManagementPage } from './routes/admin-user-management-page';
import { StaffLayout } from './routes/layout';
import { MessagesPage } from './routes/messages-page';
import { PatientRecordPage } from './routes/patient-record-page';
import { PatientSearchPage } from './routes/patient-search-page';
import { StartPage } from './routes/start-page';
import { TwoStepPage } from './routes/two-step-page';

const app = { appName: 'Staff', api: staffSession };

mountApp(
  [
    { path: '/forgotten-password', element: <ForgottenPasswordPage {...app} /> },
    { path: '/set-password', element: <SetPasswordPage {...app} /> },
    {
      path: '/',
      element: <StaffLayout />,
      children: [
        { index: true, element: <StartPage /> },
        { path: 'messages', element: <MessagesPage /> },
        { path: 'messages/:conversationId', element: <MessagesPage /> },
        { path: 'patients', element: <PatientSearchPage /> },
        { path: 'patients/:id', element: <PatientRecordPage /> },
        { path: 'patients/:id/conversations/:conversationId', element: <PatientRecordPage /> },
        { path: 'two-step', element: <TwoStepPage /> },
        { path: 'admin/configuration', element: <AdminConfigurationPage /> },
        { path: 'admin/billing-rules', element: <AdminBillingRulesPage /> },
        { path: 'admin/user-management', element: <AdminUserManagementPage /> },
        { path: 'admin/system-activity', element: <AdminSystemActivityPage /> },
        { path: 'admin/message-reports', element: <AdminMessageReportsPage /> },
        { path: '*', element: <StartPage /> },
      ],
    },
  ],
  '/staff',
);

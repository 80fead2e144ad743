import { ForgottenPasswordPage } from '../ui/forgotten-password-page';
import { mountApp } from '../ui/mount-app';
import { SetPasswordPage } from '../ui/set-password-page';
import { ResetTrouble } from './features/clinic/components';
import { portalSession } from './features/session/api';
import { ConversationPage } from './routes/conversation-page';
import { DocumentsPage } from './routes/documents-page';
import { HomePage } from './routes/home-page';
import { InboxPage } from './routes/inbox-page';
import { PortalLayout } from './routes/layout';
import { MedicalDataPage } from './routes/medical-data-page';
import { NewMessagePage } from './routes/new-message-page';

const app = { appName: 'Patient Portal', api: portalSession };

mountApp(
  [
    {
      path: '/forgotten-password',
      element: (
        <ForgottenPasswordPage {...app} help={(chamber) => <ResetTrouble chamber={chamber} />} />
      ),
    },
    { path: '/set-password', element: <SetPasswordPage {...app} /> },
    {
      path: '/',
      element: <PortalLayout />,
      children: [
        { index: true, element: <HomePage /> },
        { path: 'inbox', element: <InboxPage /> },
        { path: 'inbox/new', element: <NewMessagePage /> },
        { path: 'inbox/:id', element: <ConversationPage /> },
        { path: 'documents', element: <DocumentsPage /> },
        { path: 'medical-data', element: <MedicalDataPage /> },
        { path: '*', element: <HomePage /> },
      ],
    },
  ],
  '/portal',
);

import { mountApp } from '../ui/mount-app';
import { ConversationPage } from './routes/conversation-page';
import { DocumentsPage } from './routes/documents-page';
import { MedicalDataPage } from './routes/medical-data-page';
import { ForgottenPasswordPage } from './routes/forgotten-password-page';
import { HomePage } from './routes/home-page';
import { InboxPage } from './routes/inbox-page';
import { PortalLayout } from './routes/layout';
import { NewMessagePage } from './routes/new-message-page';
import { SetPasswordPage } from './routes/set-password-page';

mountApp(
  [
    { path: '/forgotten-password', element: <ForgottenPasswordPage /> },
    { path: '/set-password', element: <SetPasswordPage /> },
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

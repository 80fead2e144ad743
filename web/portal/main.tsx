import { ForgottenPasswordPage } from '../ui/forgotten-password-page';
import { mountApp } from '../ui/mount-app';
import { SetPasswordPage } from '../ui/set-password-page';
import { ResetTrouble } from './features/clinic/components';
import { portalSession } from './features/session/api';
import {
  ClinicLinkForgottenPassword,
  ClinicLinkFrame,
  ClinicLinkHome,
  ClinicLinkRest,
} from './features/session/clinic-link-routes';
import { ConversationPage } from './routes/conversation-page';
import { DocumentsPage } from './routes/documents-page';
import { HomePage } from './routes/home-page';
import { InboxPage } from './routes/inbox-page';
import { PortalLayout } from './routes/layout';
import { MedicalDataPage } from './routes/medical-data-page';
import { NewMessagePage } from './routes/new-message-page';
import { ProxiesPage } from './routes/proxies-page';
import { ConfirmEmailPage } from './features/sign-up/confirm-email-page';
import { SignUpPage } from './features/sign-up/sign-up-page';

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
    { path: '/sign-up', element: <SignUpPage /> },
    { path: '/confirm-email', element: <ConfirmEmailPage /> },
    // A clinic link, `/portal/c/<clinic code>/`: not `/portal/<clinic code>/`, which could be a page.
    {
      path: '/c/:clinic',
      element: <ClinicLinkFrame />,
      children: [
        { index: true, element: <ClinicLinkHome /> },
        { path: 'forgotten-password', element: <ClinicLinkForgottenPassword /> },
        { path: 'set-password', element: <SetPasswordPage {...app} /> },
        { path: 'sign-up', element: <SignUpPage /> },
        { path: 'confirm-email', element: <ConfirmEmailPage /> },
        { path: '*', element: <ClinicLinkRest /> },
      ],
    },
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
        { path: 'who-can-act-for-you', element: <ProxiesPage /> },
        { path: '*', element: <HomePage /> },
      ],
    },
  ],
  '/portal',
);

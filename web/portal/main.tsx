import '@mantine/core/styles.css';
import '../ui/global.css';
import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createBrowserRouter, RouterProvider } from 'react-router';
import { ApiError } from '../lib/api';
import { cssVariablesResolver, theme } from '../ui/theme';
import { ConversationPage } from './routes/conversation-page';
import { DocumentsPage } from './routes/documents-page';
import { MedicalDataPage } from './routes/medical-data-page';
import { ForgottenPasswordPage } from './routes/forgotten-password-page';
import { HomePage } from './routes/home-page';
import { InboxPage } from './routes/inbox-page';
import { PortalLayout } from './routes/layout';
import { NewMessagePage } from './routes/new-message-page';
import { SetPasswordPage } from './routes/set-password-page';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      retry: (count, error) =>
        !(error instanceof ApiError && error.status >= 400 && error.status < 500) && count < 2,
      refetchOnWindowFocus: true,
    },
  },
});

const router = createBrowserRouter(
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
  { basename: '/portal' },
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

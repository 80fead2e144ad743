import { Alert, Stack, Text, Title } from '@mantine/core';
import { Navigate, useOutletContext } from 'react-router';
import type { PortalSession } from '../../../common/contract/auth.js';
import { Isolate } from '../../ui/isolate';
import { ClinicContact } from '../features/clinic/components';

/** Home: the Inbox when the patient may message; otherwise, in plain words, why not and whom to ask. */
export function HomePage() {
  const session = useOutletContext<PortalSession>();
  if (session.messaging.allowed) return <Navigate to="/inbox" replace />;
  return <MessagingUnavailable session={session} />;
}

/** Why the patient cannot message, in the server's words, and how to reach the clinic instead. */
export function MessagingUnavailable({ session }: { session: PortalSession }) {
  return (
    <Stack>
      <Title order={2}>
        Hello <Isolate>{session.account.name}</Isolate>
      </Title>
      <Alert color="blue" title="Online messaging is not available" role="status">
        <Stack gap="sm">
          <Text size="sm">
            {/* The server's sentence names the reason and whom to contact. */}
            {session.messaging.message ??
              `Online messaging is not available for your account. Please contact ${session.chamber.name} by phone, or visit the clinic.`}
          </Text>
          <ClinicContact />
        </Stack>
      </Alert>
    </Stack>
  );
}

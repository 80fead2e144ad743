import { Anchor, AppShell, Button, Container, Group, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, NavLink, Outlet } from 'react-router';
import { onUnauthenticated, get } from '../../lib/api';
import { IdleWarning } from '../../ui/idle-warning';
import { SessionExpired } from '../../ui/session-expired';
import { LABELS } from '../../../common/labels';
import { rememberClinic, signIn, usePortalSession, useSignOut } from '../features/session/api';
import { SignInPage } from './sign-in-page';
import { Loading, ErrorState } from '../../ui/states';

/** The portal frame: clinic name, Inbox (only when the patient may message), sign out. */
export function PortalLayout() {
  const session = usePortalSession();
  const signOut = useSignOut();
  const client = useQueryClient();
  const [expired, setExpired] = useState(false);
  useEffect(() => onUnauthenticated(() => setExpired(true)), []);

  if (session.isPending) return <Loading />;
  if (session.isError)
    return <ErrorState error={session.error} onRetry={() => void session.refetch()} />;
  if (!session.data) return <SignInPage />;
  const s = session.data;
  return (
    <AppShell header={{ height: 60 }} padding="md">
      <AppShell.Header>
        <Container size="md" h="100%">
          <Group h="100%" justify="space-between" wrap="nowrap">
            <Anchor component={Link} to="/" underline="never" c="inherit">
              <Title order={1} size="h4" lineClamp={1}>
                {s.chamber.name}
              </Title>
            </Anchor>
            <Group gap="xs" wrap="nowrap" component="nav" aria-label="Main">
              {s.messaging.allowed && (
                <Button component={NavLink} to="/inbox" variant="subtle" size="compact-md">
                  {LABELS.inbox}
                </Button>
              )}
              <Button variant="default" size="compact-md" onClick={() => void signOut()}>
                Sign out
              </Button>
            </Group>
          </Group>
        </Container>
      </AppShell.Header>
      <AppShell.Main>
        <Container size="md" px={0}>
          <Outlet context={s} />
        </Container>
      </AppShell.Main>
      <IdleWarning
        idleMinutes={expired ? undefined : s.sessionIdleMinutes}
        onStay={() => void get('/portal/session')}
        onSignOut={() => void signOut()}
      />
      <SessionExpired
        opened={expired}
        chamber={s.chamber.key}
        signIn={async (values) => {
          const next = await signIn(values);
          rememberClinic(values.chamber);
          // Another person signing in on this device must not see the previous one's data.
          if (next.patient.id !== s.patient.id) client.clear();
          client.setQueryData(['session'], next);
          await client.invalidateQueries();
          setExpired(false);
        }}
      />
    </AppShell>
  );
}

import { Anchor, AppShell, Button, Container, Group, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, NavLink, Outlet } from 'react-router';
import { onUnauthenticated, get } from '../../lib/api';
import { useLiveEvents } from '../../lib/live';
import { resetCache } from '../../lib/query';
import { IdleWarning } from '../../ui/idle-warning';
import { SkipLink } from '../../ui/skip-link';
import { SessionExpired } from '../../ui/session-expired';
import { LABELS } from '../../../common/labels';
import { rememberClinic, signIn, usePortalSession, useSignOut } from '../features/session/api';
import { SignInPage } from './sign-in-page';
import { Loading, ErrorState } from '../../ui/states';

/** The portal frame: clinic name, Inbox (only when the patient may message), sign out. */
/** Documents and Medical Data need portal access, not the messaging tick (SPEC rule 1). */
function portalAccess(s: { messaging: { allowed: boolean; reason: string | null } }): boolean {
  return s.messaging.allowed || s.messaging.reason === 'messaging_not_allowed';
}

export function PortalLayout() {
  const session = usePortalSession();
  const signOut = useSignOut();
  const client = useQueryClient();
  const [expired, setExpired] = useState(false);
  useLiveEvents({
    enabled: Boolean(session.data?.messaging.allowed) && !expired,
    as: 'patient',
    onMessage: () => {
      void client.invalidateQueries({ queryKey: ['inbox'] });
      void client.invalidateQueries({ queryKey: ['conversation'] });
    },
    onResync: () => void client.invalidateQueries(),
  });
  // A 401 means the session ended while signed in; answers arriving after sign-out do not count.
  useEffect(
    () =>
      onUnauthenticated(() => {
        if (client.getQueryData(['session'])) setExpired(true);
      }),
    [client],
  );

  if (session.isPending) return <Loading />;
  if (session.isError)
    return <ErrorState error={session.error} onRetry={() => void session.refetch()} />;
  if (!session.data) return <SignInPage />;
  const s = session.data;
  return (
    <AppShell header={{ height: 60 }}>
      <SkipLink />
      <AppShell.Header>
        <Container size="md" h="100%">
          <Group h="100%" justify="space-between" wrap="nowrap">
            <Anchor component={Link} to="/" underline="never" c="inherit">
              <Title order={1} size="h4" lineClamp={1}>
                {s.chamber.name}
              </Title>
            </Anchor>
            <Button variant="default" size="compact-md" onClick={() => void signOut()}>
              Sign out
            </Button>
          </Group>
        </Container>
      </AppShell.Header>
      <AppShell.Main id="main" tabIndex={-1}>
        {/* The same container as the header's, so the page lines up under the clinic name. */}
        <Container size="md" py="md">
          {portalAccess(s) && (
            <Group gap={4} component="nav" aria-label="Main" mb="md" wrap="wrap">
              {s.messaging.allowed && (
                <Button component={NavLink} to="/inbox" variant="subtle" size="compact-md">
                  {LABELS.inbox}
                </Button>
              )}
              <Button component={NavLink} to="/documents" variant="subtle" size="compact-md">
                {LABELS.documents}
              </Button>
              <Button component={NavLink} to="/medical-data" variant="subtle" size="compact-md">
                {LABELS.medicalData}
              </Button>
            </Group>
          )}
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
          if (next.patient.id !== s.patient.id) resetCache(client, next);
          else client.setQueryData(['session'], next);
          await client.invalidateQueries();
          setExpired(false);
        }}
      />
    </AppShell>
  );
}

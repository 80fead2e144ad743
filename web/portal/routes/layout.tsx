import { Anchor, AppShell, Button, Container, Group, Title } from '@mantine/core';
import { Link, NavLink, Outlet } from 'react-router';
import { SessionFrame, type Frame } from '../../ui/session-frame';
import { SkipLink } from '../../ui/skip-link';
import { LABELS } from '../../../common/labels';
import { useInboxLiveEvents } from '../features/inbox/api';
import type { PortalSession } from '../../../common/contract/auth.js';
import { portalSession } from '../features/session/api';
import { SignInTrouble } from '../features/clinic/components';

/** Documents and Medical Data need portal access, not the messaging tick (SPEC rule 1). */
function portalAccess(s: PortalSession): boolean {
  return s.messaging.allowed || s.messaging.reason === 'messaging_not_allowed';
}

const SIGN_IN = {
  title: 'Patient Portal',
  subtitle: 'Sign in to write to your clinic and read its replies.',
  help: (attempt: { chamber: string; error: unknown }) => <SignInTrouble {...attempt} />,
};

/** The portal: sign-in, or the frame with clinic name, Inbox (when the patient may message), sign out. */
export const PortalLayout = () => (
  <SessionFrame api={portalSession} signIn={SIGN_IN} shell={PortalShell} />
);

function PortalShell({ session: s, expired, signOut }: Frame<PortalSession>) {
  useInboxLiveEvents(s.messaging.allowed && !expired);
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
    </AppShell>
  );
}

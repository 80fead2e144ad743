import { Anchor, AppShell, Button, Container, Group, Title } from '@mantine/core';
import { Fragment, useMemo, useRef } from 'react';
import { Link, NavLink, Outlet } from 'react-router';
import { useFocusHeadingOnNavigate } from '../../ui/focus-on-navigate';
import { SessionFrame, type Frame } from '../../ui/session-frame';
import { SkipLink } from '../../ui/skip-link';
import { LABELS } from '../../../common/labels';
import { useInboxLiveEvents } from '../features/inbox/api';
import { PagePatientContext } from '../features/acting-for/api';
import { useActingFor } from '../features/acting-for/acting-for-changes';
import {
  AccountMenu,
  ACTING_FOR_STRIP_HEIGHT,
  ActingForBanner,
  ActingForChangeNotice,
  ActingForFailure,
  ActingForStrip,
  actingForOther,
  showsActingFor,
} from '../features/acting-for/components';
import type { PortalSession } from '../../../common/contract/auth.js';
import { portalSession } from '../features/session/api';
import { PortalSignInPage } from '../features/session/portal-sign-in-page';

/** Documents and Medical Data need portal access, not the messaging tick (SPEC rule 1). */
function portalAccess(s: PortalSession): boolean {
  return s.messaging.allowed || s.messaging.reason === 'messaging_not_allowed';
}

// The shared sign-in page's words, unused: the portal has its own (clinic links, the code's hint).
const SIGN_IN = { title: 'Patient Portal', subtitle: '' };

/**
 * The portal: sign-in (that of the clinic whose link was followed here, else the plain one),
 * or the frame with clinic name, the signed-in account, sign out, Acting for (rule 18: when
 * the account may act for someone else), Inbox (when the patient acted for may message).
 */
export const PortalLayout = () => (
  <SessionFrame
    api={portalSession}
    signIn={SIGN_IN}
    signInPage={PortalSignInPage}
    shell={PortalShell}
  />
);

/** The live events of the patient acted for: a new patient, a new stream. */
function LiveEvents({ enabled }: { enabled: boolean }) {
  useInboxLiveEvents(enabled);
  return null;
}

const HEADER_HEIGHT = 60;

function PortalShell({ session: s, expired, signOut }: Frame<PortalSession>) {
  const acting = useActingFor(s, expired);
  // Going to another page takes the focus to its heading, as a new page load would for a screen reader.
  const page = useRef<HTMLDivElement>(null);
  useFocusHeadingOnNavigate(page);
  const strip = showsActingFor(s);
  const other = actingForOther(s) !== undefined;
  const { id, name } = s.patient;
  const pagePatient = useMemo(() => ({ id, name, other }), [id, name, other]);
  return (
    <AppShell header={{ height: HEADER_HEIGHT + (strip ? ACTING_FOR_STRIP_HEIGHT : 0) }}>
      <SkipLink />
      <LiveEvents key={s.patient.id} enabled={s.messaging.allowed && !expired} />
      <AppShell.Header>
        <Container size="md" h={HEADER_HEIGHT}>
          <Group h="100%" justify="space-between" wrap="nowrap" gap="xs">
            <Anchor component={Link} to="/" underline="never" c="inherit" style={{ minWidth: 0 }}>
              <Title order={1} size="h4" lineClamp={1}>
                {s.chamber.name}
              </Title>
            </Anchor>
            <Group gap="xs" wrap="nowrap" style={{ flexShrink: 0 }}>
              <AccountMenu session={s} />
              <Button variant="default" size="compact-md" onClick={() => void signOut()}>
                Sign out
              </Button>
            </Group>
          </Group>
        </Container>
        {strip && (
          <ActingForStrip
            session={s}
            choosing={acting.choosing}
            onChoose={(id) => void acting.actFor(id)}
          />
        )}
      </AppShell.Header>
      <AppShell.Main id="main" tabIndex={-1}>
        {/* The same container as the header's, so the page lines up under the clinic name. */}
        <Container size="md" py="md">
          <ActingForBanner session={s} />
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
          <div ref={page}>
            {acting.failure !== null && (
              <ActingForFailure error={acting.failure} onDismiss={acting.dismissFailure} />
            )}
            {acting.change && (
              <ActingForChangeNotice
                change={acting.change}
                choosing={acting.choosing !== undefined}
                onReturn={() => {
                  const { was, path } = acting.change!;
                  void acting.actFor(was.id, path);
                }}
                onDismiss={acting.dismissChange}
              />
            )}
            {/* Each patient's pages are their own: another patient acted for builds them anew
                (drafts are kept per patient), and their writes say whom they were made for. */}
            <PagePatientContext.Provider value={pagePatient}>
              <Fragment key={s.patient.id}>
                <Outlet context={s} />
              </Fragment>
            </PagePatientContext.Provider>
          </div>
        </Container>
      </AppShell.Main>
    </AppShell>
  );
}

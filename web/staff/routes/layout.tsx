import {
  AppShell,
  Badge,
  Burger,
  Group,
  NavLink as MantineNavLink,
  Button,
  Text,
  Title,
  ScrollArea,
  VisuallyHidden,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { NavLink, Outlet, useLocation } from 'react-router';
import { get, onUnauthenticated } from '../../lib/api';
import { useLiveEvents } from '../../lib/live';
import { resetCache } from '../../lib/query';
import { IdleWarning } from '../../ui/idle-warning';
import { SkipLink } from '../../ui/skip-link';
import { SessionExpired } from '../../ui/session-expired';
import { ErrorState, Loading } from '../../ui/states';
import { LABELS } from '../../../common/labels';
import { useUnreadCount } from '../features/notifications/api';
import { rememberClinic, signIn, useSignOut, useStaffSession } from '../features/session/api';
import { SignInPage } from './sign-in-page';

/** The staff frame: Start Page, Patient, Admin (for administrators), unread count, sign out. */
export function StaffLayout() {
  const session = useStaffSession();
  const signOut = useSignOut();
  const client = useQueryClient();
  const [opened, { toggle, close }] = useDisclosure();
  const [expired, setExpired] = useState(false);
  const location = useLocation();
  const unread = useUnreadCount(Boolean(session.data) && !expired);
  const [announcement, setAnnouncement] = useState('');
  useLiveEvents<{ notification: { title: string; patientName: string } | null }>({
    enabled: Boolean(session.data) && !expired,
    as: 'staff',
    onMessage: (event) => {
      void client.invalidateQueries({ queryKey: ['notifications'] });
      void client.invalidateQueries({ queryKey: ['feed'] });
      void client.invalidateQueries({ queryKey: ['conversation'] });
      if (event.notification)
        setAnnouncement(`${event.notification.title} (about ${event.notification.patientName})`);
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
  useEffect(close, [location.pathname, close]);

  if (session.isPending) return <Loading />;
  if (session.isError)
    return <ErrorState error={session.error} onRetry={() => void session.refetch()} />;
  if (!session.data) return <SignInPage />;
  const s = session.data;
  const count = unread.data?.unreadCount ?? 0;
  const link = (to: string, label: string, extra?: React.ReactNode) => (
    <MantineNavLink
      component={NavLink}
      to={to}
      end={to === '/'}
      label={label}
      rightSection={extra}
    />
  );
  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 240, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="md"
    >
      <SkipLink />
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap" style={{ minWidth: 0 }}>
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Menu" />
            <Title order={1} size="h4" lineClamp={1}>
              {s.chamber.name}
            </Title>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <Badge
              component={NavLink}
              to="/"
              color={count > 0 ? 'red' : 'gray'}
              style={{ cursor: 'pointer', flexShrink: 0 }}
              aria-label={`${count} unread notifications`}
            >
              {count}
            </Badge>
            <Text size="sm" visibleFrom="sm">
              {s.user.name}
            </Text>
            <Button
              size="compact-sm"
              variant="default"
              onClick={() => void signOut()}
              style={{ flexShrink: 0 }}
            >
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" component="nav" aria-label="Main">
        <ScrollArea>
          {link(
            '/',
            LABELS.startPage,
            count > 0 ? (
              <Badge size="xs" color="red">
                {count}
              </Badge>
            ) : undefined,
          )}
          {link('/patients', LABELS.patient)}
          {s.user.isAdmin && (
            <>
              <Text
                size="xs"
                fw={700}
                tt="uppercase"
                c="dimmed"
                px="sm"
                pt="md"
                pb={4}
                id="admin-nav"
              >
                Admin
              </Text>
              <div role="group" aria-labelledby="admin-nav">
                {link('/admin/configuration', LABELS.configuration)}
                {link('/admin/billing-rules', LABELS.billingRules)}
                {link('/admin/user-management', LABELS.userManagement)}
                {link('/admin/system-activity', LABELS.systemActivity)}
              </div>
            </>
          )}
        </ScrollArea>
      </AppShell.Navbar>
      {/* New notifications are announced to screen readers as they arrive. */}
      <VisuallyHidden role="status" aria-live="polite">
        {announcement}
      </VisuallyHidden>
      <AppShell.Main id="main" tabIndex={-1}>
        <Outlet context={s} />
      </AppShell.Main>
      <IdleWarning
        idleMinutes={expired ? undefined : s.sessionIdleMinutes}
        onStay={() => void get('/staff/session')}
        onSignOut={() => void signOut()}
      />
      <SessionExpired
        opened={expired}
        chamber={s.chamber.key}
        email={s.user.email}
        signIn={async (values) => {
          const next = await signIn(values);
          rememberClinic(values.chamber);
          // Another person signing in on this device must not see the previous one's data.
          if (next.user.id !== s.user.id) resetCache(client, next);
          else client.setQueryData(['session'], next);
          await client.invalidateQueries();
          setExpired(false);
        }}
      />
    </AppShell>
  );
}

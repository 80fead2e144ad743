import {
  AppShell,
  Badge,
  Burger,
  Group,
  Menu,
  NavLink as MantineNavLink,
  Button,
  Text,
  Title,
  ScrollArea,
  VisuallyHidden,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useEffect, useState } from 'react';
import { Link, NavLink, Outlet, useLocation } from 'react-router';
import { ChevronIcon, PersonIcon } from '../../ui/icons';
import { Isolate } from '../../ui/isolate';
import { SessionFrame, type Frame } from '../../ui/session-frame';
import { SkipLink } from '../../ui/skip-link';
import { LABELS } from '../../../common/labels';
import { useFeedLiveEvents } from '../features/feed/api';
import { useUnreadCount } from '../features/notifications/api';
import { showDesktopAlert, useTabTitle } from '../features/notifications/desktop-alerts';
import type { StaffSession } from '../../../common/contract/auth.js';
import { staffSession } from '../features/session/api';
import { StaffSignInStep } from '../features/session/sign-in-step';
import { StaffSignInPage } from '../features/session/staff-sign-in-page';

const SIGN_IN = { title: 'Staff sign-in', subtitle: 'Patient messaging for clinic staff.' };

/**
 * The staff app: sign-in (with its second step, rule 19), or the frame with Start Page,
 * Messages, Patient, Admin, unread count, the user's own menu and sign out; the tab title and
 * desktop notifications tell of new messages in a background tab.
 */
export const StaffLayout = () => (
  <SessionFrame
    api={staffSession}
    signIn={SIGN_IN}
    signInPage={StaffSignInPage}
    pendingStep={StaffSignInStep}
    shell={StaffShell}
  />
);

function StaffShell({ session: s, expired, signOut }: Frame<StaffSession>) {
  const [opened, { toggle, close }] = useDisclosure();
  const location = useLocation();
  const unread = useUnreadCount(!expired);
  const [announcement, setAnnouncement] = useState('');
  useFeedLiveEvents(!expired, (n) => {
    setAnnouncement(`${n.title} (about ${n.patientName})`);
    showDesktopAlert(n, s.chamber.name);
  });
  useEffect(close, [location.pathname, close]);

  // The unread count is of conversations (one notification each).
  const count = unread.data?.unreadCount ?? 0;
  useTabTitle(count, s.chamber.name);
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
            <UserMenu name={s.user.name} />
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
          {link('/messages', LABELS.messages)}
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
                {link('/admin/message-reports', LABELS.messageReports)}
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
    </AppShell>
  );
}

/** The user's own menu, under their name: Two-step verification (rule 19). */
function UserMenu({ name }: { name: string }) {
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        {/* On a phone the name gives way to an icon; it stays the button's name. */}
        <Button
          variant="subtle"
          color="gray"
          size="compact-sm"
          px={6}
          aria-label={name}
          style={{ flexShrink: 0 }}
        >
          <Group gap={6} wrap="nowrap" c="var(--mantine-color-text)" style={{ minWidth: 0 }}>
            <PersonIcon width={18} height={18} />
            <Text size="sm" truncate="end" maw={220} visibleFrom="sm">
              <Isolate>{name}</Isolate>
            </Text>
            <ChevronIcon width={14} height={14} />
          </Group>
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Item component={Link} to="/two-step">
          {LABELS.twoStepVerification}
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}

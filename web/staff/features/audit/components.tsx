import { Anchor, Badge, Box, Button, Card, Group, Switch, Table, Text } from '@mantine/core';
import { Fragment, useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { formatDateTime } from '../../../lib/format';
import { CardList } from '../../../ui/card-list';
import { ScrollTable } from '../../../ui/scroll-table';
import { isViewAction } from '../../../../common/audit-actions.js';
import type { AuditEvent } from '../../../../common/contract/audit.js';
import { LABELS } from '../../../../common/labels';

/** What each recorded action means, in words; the stable code is shown beside it. */
const ACTIONS: Record<string, string> = {
  'staff.sign_in': 'Staff sign-in',
  'staff.sign_in_failed': 'Staff sign-in failed',
  'staff.sign_out': 'Staff sign-out',
  'staff.password_reset_requested': 'Staff password reset asked for',
  'staff.password_set': 'Staff password set',
  'message.searched': 'Messages searched',
  'staff.sign_in_started': 'Staff password accepted, second step due',
  'staff.second_factor_failed': 'Staff second step failed',
  'staff.second_factor_added': 'Two-step verification method added',
  'staff.second_factor_removed': 'Two-step verification method removed',
  'staff.second_factor_reset': 'Two-step verification reset',
  'staff.recovery_codes_created': 'Recovery codes created',
  'staff.sso_refused': 'Single sign-on refused',
  'settings.sso_updated': 'Single sign-on changed',
  'settings.sso_removed': 'Single sign-on removed',
  'portal.sign_in': 'Patient sign-in',
  'portal.sign_in_failed': 'Patient sign-in failed',
  'portal.sign_out': 'Patient sign-out',
  'portal.password_reset_requested': 'Patient password reset asked for',
  'portal.password_set': 'Patient password set',
  'portal_account.invited': 'Portal account invited',
  'portal_account.reset_sent': 'Portal login reset sent',
  'portal_account.unblocked': 'Portal user unblocked',
  'portal_account.blocked': 'Portal user blocked',
  'portal_account.disabled': 'Portal account disabled',
  'portal_account.enabled': 'Portal account enabled',
  'portal.signed_up': 'Signed up online',
  'portal.sign_up_refused': 'Online sign-up refused',
  'portal.sign_up_confirmed': 'Online sign-up confirmed',
  'portal.acting_for_changed': 'Acting for changed',
  'proxy.added': 'Proxy added',
  'proxy.removed': 'Proxy removed',
  'proxy.list_viewed': 'Proxies viewed',
  'settings.viewed': 'Settings viewed',
  'settings.updated': 'Settings changed',
  'document.created': 'Document added',
  'document.updated': 'Document changed',
  'document.list_viewed': 'Documents viewed',
  'document.downloaded': 'Document downloaded',
  'medical_item.created': 'Medical data added',
  'medical_item.updated': 'Medical data changed',
  'medical_item.list_viewed': 'Medical data viewed',
  'charge_band.created': 'Charge band added',
  'charge_band.updated': 'Charge band changed',
  'charge_band.online_access_changed': 'Online access changed',
  'role.created': 'Role added',
  'role.updated': 'Role renamed',
  'role.deleted': 'Role deleted',
  'role.member_added': 'Role member added',
  'role.member_removed': 'Role member removed',
  'user.created': 'User added',
  'user.updated': 'User changed',
  'patient.created': 'Patient added',
  'patient.updated': 'Patient changed',
  'patient.viewed': 'Patient Record viewed',
  'patient.searched': 'Patients searched',
  'feed.viewed': 'Feed viewed',
  'conversation.viewed': 'Conversation read',
  'conversation.created': 'Conversation started',
  'conversation.closed': 'Conversation closed',
  'conversation.reopened': 'Conversation reopened',
  'conversation.assigned': 'Conversation assigned',
  'conversation.unassigned': 'Conversation unassigned',
  'conversation.red_flag_cleared': 'Red flag cleared',
  'conversation.escalated': 'Overdue: Escalation role told',
  'message.red_flagged': 'Red flag phrase in a message',
  'message.out_of_hours_reply': 'Out-of-hours message sent',
  'reports.viewed': 'Message Reports viewed',
  'reports.exported': 'Message Reports exported',
  'message.created': 'Message written',
  'inbox.viewed': 'Inbox viewed',
  'inbox.team_viewed': 'Messages viewed',
  'notification.list_viewed': 'Notifications viewed',
  'topic.created': 'Message topic added',
  'topic.updated': 'Message topic changed',
  'topic.deleted': 'Message topic deleted',
  'quick_reply.created': 'Quick reply added',
  'quick_reply.updated': 'Quick reply changed',
  'quick_reply.deleted': 'Quick reply deleted',
  'audit.viewed': 'System Activity viewed',
  'audit.exported': 'System Activity exported',
  'activity.viewed': 'Activity viewed',
  'chamber.created': 'Chamber created (npm run chamber)',
  'integration.created': 'Integration client added',
  'integration.revoked': 'Integration client revoked',
  'integration.token_issued': 'Integration token issued',
  'integration.token_refused': 'Integration token refused',
  'fhir.read': 'FHIR read',
  'fhir.search': 'FHIR search',
  'fhir.refused': 'FHIR request refused',
};

export function describeAction(code: string): string {
  const known = ACTIONS[code];
  if (known) return known;
  const words = code.replace(/[._]/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The settings a `settings.updated` row names, in the words of the Configuration page. */
const SETTINGS: Record<string, string> = {
  patientPortalEnabled: LABELS.patientPortal,
  roleForNewMessagesId: LABELS.roleForNewMessages,
  sharedItemsEmailEnabled: LABELS.enableSharedItemsEmail,
  patientAttachmentsEnabled: 'Allow patient attachments',
  timeZone: 'Time zone',
};

/** The team inbox's views, as the `inbox.team_viewed` row names them. */
const VIEWS: Record<string, string> = {
  open: LABELS.viewOpen,
  mine: LABELS.viewMine,
  unassigned: LABELS.viewUnassigned,
  closed: LABELS.viewClosed,
};

/** What kind of thing each subject type is, in words. */
const SUBJECT_KINDS: Record<string, string> = {
  conversation: 'Conversation',
  message: 'Message',
  document: 'Document',
  medical_item: 'Medical data',
  role: 'Role',
  user: 'User',
  topic: 'Message topic',
  charge_band: 'Charge band',
  integration: 'Integration client',
  portal_account: 'Portal account',
};

type Details = Record<string, unknown> | null;

const detailsOf = (e: AuditEvent): Details =>
  e.details && typeof e.details === 'object' ? (e.details as Record<string, unknown>) : null;

/** Who a user id is, when the page knows the chamber's users. */
export type UserNames = ReadonlyMap<string, string>;

/**
 * What a row is about, in words: the conversation (its subject or topic), document, role,
 * setting, … and a link to the conversation when there is one.
 */
export function describeSubject(
  e: AuditEvent,
  users?: UserNames,
): { text: string; href?: string } | null {
  const details = detailsOf(e);
  const s = e.subject;
  if (!s) return null;
  const quoted = s.label ? ` “${s.label}”` : '';
  const conversationHref = (id: unknown) =>
    e.patientId && typeof id === 'string'
      ? `/patients/${e.patientId}/conversations/${id}`
      : undefined;
  switch (s.type) {
    case 'conversation': {
      const assignee =
        e.action === 'conversation.assigned' && typeof details?.assigneeId === 'string'
          ? users?.get(details.assigneeId)
          : undefined;
      return {
        text: `Conversation${quoted}${assignee ? `, to ${assignee}` : ''}`,
        href: conversationHref(s.id),
      };
    }
    case 'message':
      return {
        text: s.label ? `Message in “${s.label}”` : 'Message',
        href: conversationHref(details?.conversationId),
      };
    case 'chamber': {
      const changed = Object.keys(details ?? {})
        .map((k) => SETTINGS[k])
        .filter(Boolean);
      return { text: changed.length ? `Settings: ${changed.join(', ')}` : 'Settings' };
    }
    case 'inbox':
      return { text: `${LABELS.messages}: ${VIEWS[s.id ?? ''] ?? s.id ?? ''}` };
    case 'patient':
      // The Patient column names them already.
      return null;
    case 'user':
      // A sign-in or password change of the actor themself: the Who column says it.
      return s.id === e.actor.userId ? null : { text: `User${quoted}` };
    case 'role': {
      // A member added or removed: who, in words ("joined it" when the admin added themself).
      const memberId = typeof details?.userId === 'string' ? details.userId : undefined;
      if (!memberId || !e.action.startsWith('role.member_')) return { text: `Role${quoted}` };
      const added = e.action === 'role.member_added';
      if (memberId === e.actor.userId)
        return { text: `Role${quoted}: ${added ? 'joined it' : 'left it'}` };
      const member = users?.get(memberId) ?? 'a user';
      return { text: `Role${quoted}: ${member} ${added ? 'added' : 'removed'}` };
    }
    case 'integration':
      return {
        text: `Integration client${quoted}${e.privileged ? ': can read internal notes' : ''}`,
      };
    default:
      return { text: `${SUBJECT_KINDS[s.type] ?? s.type}${quoted}` };
  }
}

/**
 * Marks an admin act that opens a role's internal notes to someone new (joining a role,
 * adding a member, an integration with internal notes): allowed, but made to stand out.
 */
function PrivilegedBadge() {
  return (
    <Badge
      color="orange"
      variant="light"
      size="sm"
      title="Opens a role's internal notes to someone new"
    >
      Privileged
    </Badge>
  );
}

function PatientLink({ event }: { event: AuditEvent }) {
  if (!event.patientId) return null;
  const name = event.patientName ?? `Patient ${event.patientId.slice(0, 8)}`;
  return (
    <Anchor component={Link} to={`/patients/${event.patientId}`} size="xs">
      {name}
    </Anchor>
  );
}

function Subject({ event, users }: { event: AuditEvent; users?: UserNames }) {
  const about = describeSubject(event, users);
  if (!about) return null;
  return about.href ? (
    <Anchor component={Link} to={about.href} size="xs">
      {about.text}
    </Anchor>
  ) : (
    <Text span size="xs">
      {about.text}
    </Text>
  );
}

/** A row of the list: one event, or a run of views folded into one line. */
type Line =
  | { kind: 'event'; id: string; event: AuditEvent }
  | { kind: 'views'; id: string; events: AuditEvent[] };

/** Runs of two or more views in a row become one line, so the changes between them stand out. */
function foldViews(events: AuditEvent[], fold: boolean): Line[] {
  const lines: Line[] = [];
  for (const event of events) {
    const last = lines[lines.length - 1];
    if (fold && isViewAction(event.action)) {
      if (last?.kind === 'views') {
        last.events.push(event);
        continue;
      }
      if (last?.kind === 'event' && isViewAction(last.event.action)) {
        lines[lines.length - 1] = {
          kind: 'views',
          id: `views-${last.id}`,
          events: [last.event, event],
        };
        continue;
      }
    }
    lines.push({ kind: 'event', id: event.id, event });
  }
  return lines;
}

/** "4 views: Feed viewed, Conversation read (Rita Reception, Nina Nurse)". */
function viewsSummary(events: AuditEvent[]): string {
  const what = [...new Set(events.map((e) => describeAction(e.action)))];
  const who = [...new Set(events.map((e) => e.actor.label ?? e.actor.kind))];
  const list = (items: string[]) =>
    items.length > 3
      ? `${items.slice(0, 3).join(', ')} and ${items.length - 3} more`
      : items.join(', ');
  return `${events.length} views: ${list(what)} (${list(who)})`;
}

/** The "Hide views" switch of System Activity and the Activity tab. */
export function HideViewsSwitch(props: {
  checked: boolean;
  onChange: (checked: boolean) => void;
  description: string;
}) {
  return (
    <Switch
      label="Hide views"
      // The description sits inside the label: the name stays the label alone.
      aria-label="Hide views"
      description={props.description}
      checked={props.checked}
      onChange={(e) => props.onChange(e.currentTarget.checked)}
    />
  );
}

/**
 * Audit events: a table on a wide screen, a list of short cards on a phone (where a table
 * would have to scroll sideways). Each row names the patient and what it is about; with
 * `foldViews`, runs of views fold into one line that opens on request.
 */
export function AuditEvents(props: {
  events: AuditEvent[];
  timeZone: string;
  label: string;
  withPatient?: boolean;
  foldViews?: boolean;
  users?: UserNames;
}) {
  const { events, timeZone, withPatient, users } = props;
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const lines = foldViews(events, props.foldViews ?? false);
  const toggle = (id: string) =>
    setOpen((o) => {
      const next = new Set(o);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const columns = withPatient ? 6 : 5;
  const row = (e: AuditEvent, folded = false) => {
    const view = isViewAction(e.action);
    return (
      <Table.Tr
        key={e.id}
        c={view ? 'dimmed' : undefined}
        bg={folded ? 'var(--mantine-color-gray-0)' : undefined}
      >
        <Table.Td style={{ whiteSpace: 'nowrap' }}>
          <time dateTime={e.at}>{formatDateTime(e.at, timeZone)}</time>
        </Table.Td>
        <Table.Td>
          <Text span size="sm" fw={view ? 400 : 600}>
            {describeAction(e.action)}
          </Text>{' '}
          <Text span size="xs" c="dimmed" ff="monospace">
            {e.action}
          </Text>
          {e.privileged && (
            <>
              {' '}
              <PrivilegedBadge />
            </>
          )}
        </Table.Td>
        <Table.Td>{e.actor.label ?? e.actor.kind}</Table.Td>
        {withPatient && (
          <Table.Td>
            <PatientLink event={e} />
          </Table.Td>
        )}
        <Table.Td>
          <Subject event={e} users={users} />
        </Table.Td>
        <Table.Td>{e.ip ?? ''}</Table.Td>
      </Table.Tr>
    );
  };
  const card = (e: AuditEvent) => {
    const view = isViewAction(e.action);
    return (
      <Card withBorder padding="xs" key={e.id}>
        <Group gap={6} wrap="nowrap" justify="space-between">
          <Text size="sm" fw={view ? 400 : 600} c={view ? 'dimmed' : undefined}>
            {describeAction(e.action)}
          </Text>
          {e.privileged && <PrivilegedBadge />}
        </Group>
        <Text size="xs" c="dimmed">
          <time dateTime={e.at}>{formatDateTime(e.at, timeZone)}</time>
          {' · '}
          {e.actor.label ?? e.actor.kind}
          {e.ip ? ` · ${e.ip}` : ''}
        </Text>
        {(withPatient && e.patientId) || describeSubject(e, users) ? (
          <Text size="xs">
            {withPatient && <PatientLink event={e} />}
            {withPatient && e.patientId && describeSubject(e, users) ? ' · ' : ''}
            <Subject event={e} users={users} />
          </Text>
        ) : null}
      </Card>
    );
  };
  const foldButton = (id: string, count: number): ReactNode => (
    <Button
      size="compact-xs"
      variant="subtle"
      aria-expanded={open.has(id)}
      onClick={() => toggle(id)}
    >
      {open.has(id) ? `Hide ${count} views` : `Show ${count} views`}
    </Button>
  );
  return (
    <>
      <Box visibleFrom="sm">
        <ScrollTable label={props.label} minWidth={withPatient ? 880 : 720}>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>When</Table.Th>
                <Table.Th>What</Table.Th>
                <Table.Th>Who</Table.Th>
                {withPatient && <Table.Th>Patient</Table.Th>}
                <Table.Th>About</Table.Th>
                <Table.Th>Address</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {lines.map((line) =>
                line.kind === 'event' ? (
                  row(line.event)
                ) : (
                  <Fragment key={line.id}>
                    <Table.Tr>
                      <Table.Td colSpan={columns}>
                        <Group gap="xs" wrap="nowrap">
                          <Text size="xs" c="dimmed">
                            {viewsSummary(line.events)}
                          </Text>
                          {foldButton(line.id, line.events.length)}
                        </Group>
                      </Table.Td>
                    </Table.Tr>
                    {open.has(line.id) && line.events.map((e) => row(e, true))}
                  </Fragment>
                ),
              )}
            </Table.Tbody>
          </Table>
        </ScrollTable>
      </Box>
      <CardList label={props.label} items={lines} gap={6} hiddenFrom="sm">
        {(line) =>
          line.kind === 'event' ? (
            card(line.event)
          ) : (
            <Card withBorder padding="xs" bg="var(--mantine-color-gray-0)">
              <Text size="xs" c="dimmed">
                {viewsSummary(line.events)}
              </Text>
              <Group>{foldButton(line.id, line.events.length)}</Group>
              {open.has(line.id) && (
                <Box mt={6} style={{ display: 'grid', gap: 6 }}>
                  {line.events.map(card)}
                </Box>
              )}
            </Card>
          )
        }
      </CardList>
    </>
  );
}

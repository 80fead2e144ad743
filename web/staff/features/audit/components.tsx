import { Anchor, Box, Card, Table, Text } from '@mantine/core';
import { Link } from 'react-router';
import { formatDateTime } from '../../../lib/format';
import { CardList } from '../../../ui/card-list';
import { ScrollTable } from '../../../ui/scroll-table';
import type { AuditEvent } from '../../../../common/contract/audit.js';

/** What each recorded action means, in words; the stable code is shown beside it. */
const ACTIONS: Record<string, string> = {
  'staff.sign_in': 'Staff sign-in',
  'staff.sign_in_failed': 'Staff sign-in failed',
  'staff.sign_out': 'Staff sign-out',
  'staff.password_reset_requested': 'Staff password reset asked for',
  'staff.password_set': 'Staff password set',
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
  'message.created': 'Message written',
  'inbox.viewed': 'Inbox viewed',
  'notification.list_viewed': 'Notifications viewed',
  'audit.viewed': 'System Activity viewed',
  'audit.exported': 'System Activity exported',
};

export function describeAction(code: string): string {
  const known = ACTIONS[code];
  if (known) return known;
  const words = code.replace(/[._]/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function PatientLink({ id }: { id: string | null }) {
  if (!id) return null;
  return (
    <Anchor
      component={Link}
      to={`/patients/${id}`}
      size="xs"
      ff="monospace"
      aria-label={`Patient Record ${id.slice(0, 8)}`}
    >
      {id.slice(0, 8)}
    </Anchor>
  );
}

/**
 * Audit events: a table on a wide screen, a list of short cards on a phone (where a table
 * would have to scroll sideways).
 */
export function AuditEvents(props: {
  events: AuditEvent[];
  timeZone: string;
  label: string;
  withPatient?: boolean;
}) {
  const { events, timeZone, withPatient } = props;
  return (
    <>
      <Box visibleFrom="sm">
        <ScrollTable label={props.label} minWidth={withPatient ? 720 : 560}>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>When</Table.Th>
                <Table.Th>What</Table.Th>
                <Table.Th>Who</Table.Th>
                {withPatient && <Table.Th>Patient</Table.Th>}
                <Table.Th>Address</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {events.map((e) => (
                <Table.Tr key={e.id}>
                  <Table.Td>
                    <time dateTime={e.at}>{formatDateTime(e.at, timeZone)}</time>
                  </Table.Td>
                  <Table.Td>
                    {describeAction(e.action)}{' '}
                    <Text span size="xs" c="dimmed" ff="monospace">
                      {e.action}
                    </Text>
                  </Table.Td>
                  <Table.Td>{e.actor.label ?? e.actor.kind}</Table.Td>
                  {withPatient && (
                    <Table.Td>
                      <PatientLink id={e.patientId} />
                    </Table.Td>
                  )}
                  <Table.Td>{e.ip ?? ''}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollTable>
      </Box>
      <CardList label={props.label} items={events} gap={6} hiddenFrom="sm">
        {(e) => (
          <Card withBorder padding="xs">
            <Text size="sm" fw={600}>
              {describeAction(e.action)}
            </Text>
            <Text size="xs" c="dimmed">
              <time dateTime={e.at}>{formatDateTime(e.at, timeZone)}</time>
              {' · '}
              {e.actor.label ?? e.actor.kind}
              {e.ip ? ` · ${e.ip}` : ''}
            </Text>
            {withPatient && e.patientId && (
              <Text size="xs" c="dimmed">
                Patient: <PatientLink id={e.patientId} />
              </Text>
            )}
          </Card>
        )}
      </CardList>
    </>
  );
}

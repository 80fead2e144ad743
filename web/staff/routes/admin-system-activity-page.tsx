import { Button, Card, Group, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useOutletContext } from 'react-router';
import { get } from '../../lib/api';
import { formatDateTime } from '../../lib/format';
import { Empty, ErrorState, Loading } from '../../ui/states';
import { LABELS } from '../../../common/labels';
import { useUsers } from '../features/admin/api';
import type { AuditEvent } from '../features/patients/api';
import type { StaffSession } from '../features/session/api';

const TYPES = [
  { value: 'staff.', label: 'Staff sign-ins' },
  { value: 'portal.', label: 'Patient sign-ins' },
  { value: 'message.', label: 'Messages written' },
  { value: 'conversation.', label: 'Conversations' },
  { value: 'feed.', label: 'Feeds read' },
  { value: 'patient.', label: 'Patients' },
  { value: 'portal_account.', label: 'Portal accounts' },
  { value: 'settings.', label: 'Settings' },
  { value: 'charge_band.', label: 'Charge bands' },
  { value: 'role.', label: 'Roles' },
  { value: 'user.', label: 'Users' },
  { value: 'audit.', label: 'System Activity' },
];

/** Start Page > Admin > System Activity: the audit log, filtered, and as CSV. */
export function AdminSystemActivityPage() {
  const session = useOutletContext<StaffSession>();
  const users = useUsers();
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [action, setAction] = useState<string | null>(null);
  const [userId, setUserId] = useState<string | null>(null);
  const [patientId, setPatientId] = useState('');
  const params = new URLSearchParams();
  if (from) params.set('from', from);
  if (to) params.set('to', to);
  if (action) params.set('action', action);
  if (userId) params.set('userId', userId);
  if (/^[0-9a-f-]{36}$/i.test(patientId.trim())) params.set('patientId', patientId.trim());
  const query = params.toString();
  const events = useInfiniteQuery({
    queryKey: ['admin', 'audit', query],
    queryFn: ({ pageParam }) =>
      get<{ events: AuditEvent[]; nextCursor: string | null }>(
        `/admin/audit?${query}${pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : ''}`,
      ),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const rows = events.data?.pages.flatMap((p) => p.events) ?? [];
  return (
    <Stack>
      <Title order={2}>{LABELS.systemActivity}</Title>
      <Card withBorder>
        <Group align="flex-end" wrap="wrap">
          <TextInput
            label="From"
            type="date"
            value={from}
            onChange={(e) => setFrom(e.currentTarget.value)}
          />
          <TextInput
            label="To"
            type="date"
            value={to}
            onChange={(e) => setTo(e.currentTarget.value)}
          />
          <Select
            label="Type"
            data={TYPES}
            value={action}
            onChange={setAction}
            clearable
            placeholder="All"
          />
          <Select
            label="User"
            data={(users.data?.users ?? []).map((u) => ({ value: u.id, label: u.name }))}
            value={userId}
            onChange={setUserId}
            clearable
            searchable
            placeholder="Anyone"
          />
          <TextInput
            label="Patient id"
            value={patientId}
            onChange={(e) => setPatientId(e.currentTarget.value)}
            placeholder="from the Patient Record address"
          />
          <Button component="a" href={`/api/v1/admin/audit.csv?${query}`} variant="light" download>
            Export CSV
          </Button>
        </Group>
      </Card>
      {events.isPending ? (
        <Loading />
      ) : events.isError ? (
        <ErrorState error={events.error} onRetry={() => void events.refetch()} />
      ) : rows.length === 0 ? (
        <Empty>Nothing recorded for these filters.</Empty>
      ) : (
        <Table.ScrollContainer minWidth={720}>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>When</Table.Th>
                <Table.Th>What</Table.Th>
                <Table.Th>Who</Table.Th>
                <Table.Th>Patient</Table.Th>
                <Table.Th>Address</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((e) => (
                <Table.Tr key={e.id}>
                  <Table.Td>{formatDateTime(e.at, session.chamber.timeZone)}</Table.Td>
                  <Table.Td>{e.action}</Table.Td>
                  <Table.Td>{e.actor.label ?? e.actor.kind}</Table.Td>
                  <Table.Td>
                    <Text size="xs" ff="monospace">
                      {e.patientId ? e.patientId.slice(0, 8) : ''}
                    </Text>
                  </Table.Td>
                  <Table.Td>{e.ip ?? ''}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {events.hasNextPage && (
        <Button
          variant="default"
          onClick={() => void events.fetchNextPage()}
          loading={events.isFetchingNextPage}
        >
          Load more
        </Button>
      )}
    </Stack>
  );
}

import {
  Button,
  Card,
  Group,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  TextInput,
  Title,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useState } from 'react';
import { useOutletContext } from 'react-router';
import { formatDate } from '../../lib/format';
import { LoadMore, QueryState } from '../../ui/states';
import { LABELS } from '../../../common/labels';
import { useUsers } from '../features/admin/api';
import { useAuditEvents } from '../features/audit/api';
import { AuditEvents, HideViewsSwitch } from '../features/audit/components';
import { usePatientSearch } from '../features/patients/api';
import type { StaffSession } from '../../../common/contract/auth.js';

/** The Type filter: an action prefix and what it covers. */
const TYPES = Object.entries({
  'staff.': 'Staff sign-ins',
  'portal.': 'Patient sign-ins',
  'message.': 'Messages written',
  'conversation.': 'Conversations',
  'inbox.': 'Inboxes read',
  'feed.': 'Feeds read',
  'patient.': 'Patients',
  'portal_account.': 'Portal accounts',
  'document.': 'Documents',
  'medical_item.': 'Medical data',
  'settings.': 'Settings',
  'topic.': 'Message topics',
  'reports.': 'Message Reports',
  'charge_band.': 'Charge bands',
  'role.': 'Roles',
  'user.': 'Users',
  'integration.': 'Integrations',
  'fhir.': 'FHIR requests',
  'audit.': 'System Activity',
  'activity.': 'Activity tabs read',
  'chamber.': 'Chamber created',
}).map(([value, label]) => ({ value, label }));

/** Start Page > Admin > System Activity: the audit log, filtered, and as CSV. */
export function AdminSystemActivityPage() {
  const session = useOutletContext<StaffSession>();
  const users = useUsers();
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [action, setAction] = useState<string | null>(null);
  const [userId, setUserId] = useState<string | null>(null);
  const [patient, setPatient] = useState<{ value: string; label: string } | null>(null);
  const [patientSearch, setPatientSearch] = useState('');
  const [hideViews, setHideViews] = useState(true);
  const [privilegedOnly, setPrivilegedOnly] = useState(false);
  const [debouncedSearch] = useDebouncedValue(patientSearch.trim(), 250);
  const patients = usePatientSearch(patient ? '' : debouncedSearch);
  const patientOptions = [
    ...(patient ? [patient] : []),
    ...(patients.data?.patients ?? [])
      .filter((p) => p.id !== patient?.value)
      .map((p) => ({ value: p.id, label: `${p.name} (born ${formatDate(p.dateOfBirth)})` })),
  ];
  const params = new URLSearchParams();
  if (from) params.set('from', from);
  if (to) params.set('to', to);
  if (action) params.set('action', action);
  if (userId) params.set('userId', userId);
  if (patient) params.set('patientId', patient.value);
  if (hideViews) params.set('hideViews', 'true');
  if (privilegedOnly) params.set('privileged', 'true');
  const query = params.toString();
  const userNames = new Map((users.data?.users ?? []).map((u) => [u.id, u.name]));
  const events = useAuditEvents(query);
  const rows = events.data?.pages.flatMap((p) => p.events) ?? [];
  return (
    <Stack>
      <Title order={2}>{LABELS.systemActivity}</Title>
      <Card withBorder component="section" aria-label="Filters">
        <SimpleGrid cols={{ base: 2, md: 3, lg: 6 }} spacing="sm" verticalSpacing="xs">
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
          <Select
            label="Patient"
            placeholder="Search by name"
            searchable
            clearable
            data={patientOptions}
            value={patient?.value ?? null}
            onChange={(value) => setPatient(patientOptions.find((o) => o.value === value) ?? null)}
            searchValue={patientSearch}
            onSearchChange={setPatientSearch}
            // The server has already matched name, date of birth or email.
            filter={({ options }) => options}
            nothingFoundMessage={
              debouncedSearch.length >= 2 && !patients.isFetching ? 'No patient found' : undefined
            }
          />
          <Button
            component="a"
            href={`/api/v1/admin/audit.csv?${query}`}
            variant="light"
            download
            style={{ alignSelf: 'end' }}
          >
            Export CSV
          </Button>
        </SimpleGrid>
        <Group mt="sm">
          <HideViewsSwitch
            checked={hideViews}
            onChange={setHideViews}
            description="Leaves out reads (records, lists and conversations opened), so changes stand out."
          />
          <Switch
            label="Privileged only"
            // The description sits inside the label: the name stays the label alone.
            aria-label="Privileged only"
            description="Admin acts that open a role's internal notes: a member added to a role, an integration given internal notes."
            checked={privilegedOnly}
            onChange={(e) => setPrivilegedOnly(e.currentTarget.checked)}
          />
        </Group>
      </Card>
      <QueryState
        query={events}
        isEmpty={() => rows.length === 0}
        empty="Nothing recorded for these filters."
      >
        {() => (
          <AuditEvents
            events={rows}
            timeZone={session.chamber.timeZone}
            label="System Activity events"
            withPatient
            users={userNames}
          />
        )}
      </QueryState>
      <LoadMore query={events} />
    </Stack>
  );
}

import {
  Autocomplete,
  Badge,
  Button,
  Card,
  Group,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useRef, useState } from 'react';
import { fieldError } from '../../../lib/api';
import { formatDate, formatDateTime } from '../../../lib/format';
import { CardList } from '../../../ui/card-list';
import { useFocusOnError } from '../../../ui/focus-on-error';
import { FormAlert } from '../../../ui/form-alert';
import { ConfirmDeleteModal } from '../../../ui/confirm-delete-modal';
import { Isolate } from '../../../ui/isolate';
import { QueryState } from '../../../ui/states';
import { LABELS } from '../../../../common/labels';
import type { PatientRecord, PortalAccountState } from '../../../../common/contract/patients.js';
import type { NewProxy, Proxy } from '../../../../common/contract/proxies.js';
import { useAddProxy, useProxies, useRemoveProxy } from './api';

/** Offered as the Relationship is typed; any other words may be written. */
const RELATIONSHIPS = ['Parent', 'Carer', 'Guardian', 'Partner', 'Relative'];

const FIELDS = ['email', 'relationship', 'endsOn', 'name'];

const STATE: Record<PortalAccountState, { label: string; color: string }> = {
  invited: { label: 'Invited', color: 'blue' },
  active: { label: 'Active', color: 'teal' },
  blocked: { label: 'Blocked', color: 'red' },
  disabled: { label: 'Disabled', color: 'gray' },
};

/** Today in the clinic's time zone (rule 7), as `YYYY-MM-DD`: the earliest end date. */
function today(timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date());
}

/**
 * Proxy Access (rule 18): who may act for the patient in the Patient Portal (a parent, a
 * carer), Add Proxy by email (invited when new), and Remove Proxy, which ends their access at
 * once.
 */
export function ProxyAccessSection({
  patient,
  timeZone,
}: {
  patient: PatientRecord;
  timeZone: string;
}) {
  const list = useProxies(patient.id);
  const remove = useRemoveProxy(patient.id);
  const [removing, setRemoving] = useState<Proxy | null>(null);
  const [done, setDone] = useState('');
  return (
    <Stack>
      <Text size="sm" c="dimmed">
        A proxy signs in to the Patient Portal with their own account and acts for{' '}
        <Isolate>{patient.name}</Isolate>: reads and writes their messages and sees what is shared
        with them. Messages they write show who wrote them.
      </Text>
      {done && (
        <Text size="sm" c="teal.9" role="status">
          {done}
        </Text>
      )}
      <QueryState
        query={list}
        isEmpty={(d) => d.proxies.length === 0}
        empty={`No proxies: nobody else can act for ${patient.name}.`}
      >
        {(d) => (
          <CardList label="Proxies" items={d.proxies}>
            {(proxy) => (
              <ProxyCard
                proxy={proxy}
                timeZone={timeZone}
                onRemove={() => {
                  remove.reset();
                  setDone('');
                  setRemoving(proxy);
                }}
              />
            )}
          </CardList>
        )}
      </QueryState>
      <AddProxyForm patient={patient} timeZone={timeZone} onAdded={setDone} />
      <ConfirmDeleteModal
        opened={Boolean(removing)}
        title={`${LABELS.removeProxy}?`}
        confirmLabel={LABELS.removeProxy}
        error={remove.error}
        pending={remove.isPending}
        onCancel={() => setRemoving(null)}
        onConfirm={() => {
          if (!removing) return;
          remove.mutate(removing.id, {
            onSuccess: () => {
              setDone(`${removing.account.name} can no longer act for ${patient.name}.`);
              setRemoving(null);
            },
          });
        }}
      >
        <Isolate>{removing?.account.name}</Isolate> ({removing?.relationship}) will no longer be
        able to act for <Isolate>{patient.name}</Isolate>. This takes effect at once, even if they
        are signed in now. Their own portal account and what they wrote are kept.
      </ConfirmDeleteModal>
    </Stack>
  );
}

function ProxyCard({
  proxy,
  timeZone,
  onRemove,
}: {
  proxy: Proxy;
  timeZone: string;
  onRemove: () => void;
}) {
  const state = STATE[proxy.account.state];
  return (
    <Card withBorder padding="sm">
      <Group justify="space-between" align="flex-start" wrap="wrap" gap="xs">
        <Stack gap={2} style={{ minWidth: 0, flex: '1 1 16rem' }}>
          <Group gap="xs">
            <Text fw={600}>
              <Isolate>{proxy.account.name}</Isolate>
            </Text>
            <Badge variant="light" color="indigo">
              {proxy.relationship}
            </Badge>
            <Badge
              color={state.color}
              variant={proxy.account.state === 'active' ? 'filled' : 'light'}
            >
              {state.label}
            </Badge>
          </Group>
          <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
            {proxy.account.email}
            {proxy.account.isPatient ? '' : ' · not a patient of the clinic'}
          </Text>
          <Text size="xs" c="dimmed">
            {proxy.endsOn ? `Until ${formatDate(proxy.endsOn)}` : 'No end date'} · added by{' '}
            <Isolate>{proxy.addedBy}</Isolate>, {formatDateTime(proxy.createdAt, timeZone)}
          </Text>
          {proxy.account.state === 'invited' && (
            <Text size="xs" c="dimmed">
              Invited: they can act once they have set a password from the emailed link.
            </Text>
          )}
        </Stack>
        <Button size="xs" color="red" variant="light" onClick={onRemove}>
          {LABELS.removeProxy}
        </Button>
      </Group>
    </Card>
  );
}

function AddProxyForm({
  patient,
  timeZone,
  onAdded,
}: {
  patient: PatientRecord;
  timeZone: string;
  onAdded: (message: string) => void;
}) {
  const add = useAddProxy(patient.id);
  const [email, setEmail] = useState('');
  const [relationship, setRelationship] = useState('');
  const [endsOn, setEndsOn] = useState('');
  const [name, setName] = useState('');
  const form = useRef<HTMLFormElement>(null);
  useFocusOnError(form, add.error);
  const err = (field: string) => fieldError(add.error, field);
  const submit = () => {
    const proxy: NewProxy = {
      email: email.trim(),
      relationship: relationship.trim(),
      ...(endsOn ? { endsOn } : {}),
      ...(name.trim() ? { name: name.trim() } : {}),
    };
    onAdded('');
    add.mutate(proxy, {
      onSuccess: (added) => {
        setEmail('');
        setRelationship('');
        setEndsOn('');
        setName('');
        onAdded(
          added.account.state === 'invited'
            ? `${added.account.name} is a proxy for ${patient.name}. An invitation was emailed to ${added.account.email}.`
            : `${added.account.name} can now act for ${patient.name}.`,
        );
      },
    });
  };
  return (
    <Card withBorder component="section" aria-labelledby="add-proxy-title">
      <form
        ref={form}
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <Stack gap="sm">
          <Title order={3} size="h5" id="add-proxy-title">
            {LABELS.addProxy}
          </Title>
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            <TextInput
              label="Email"
              type="email"
              required
              autoComplete="off"
              value={email}
              onChange={(e) => setEmail(e.currentTarget.value)}
              error={err('email')}
              description="Their portal account's email; a new account is invited."
              inputWrapperOrder={['label', 'input', 'description', 'error']}
            />
            <Autocomplete
              label={LABELS.relationship}
              required
              data={RELATIONSHIPS}
              value={relationship}
              onChange={setRelationship}
              error={err('relationship')}
              description="Choose or type, e.g. Parent, Carer."
              inputWrapperOrder={['label', 'input', 'description', 'error']}
              maxLength={60}
            />
            <TextInput
              label="End date (optional)"
              type="date"
              min={today(timeZone)}
              value={endsOn}
              onChange={(e) => setEndsOn(e.currentTarget.value)}
              error={err('endsOn')}
              description={`The last day they may act for ${patient.name}. Empty: no end.`}
              inputWrapperOrder={['label', 'input', 'description', 'error']}
            />
            <TextInput
              // Shown as required once the server says this person has no account yet.
              label={err('name') ? 'Name' : 'Name (optional)'}
              required={Boolean(err('name'))}
              autoComplete="off"
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
              error={err('name')}
              description="Needed only for someone with no portal account yet."
              inputWrapperOrder={['label', 'input', 'description', 'error']}
            />
          </SimpleGrid>
          <FormAlert error={add.error} fields={FIELDS} />
          <Group>
            <Button type="submit" loading={add.isPending}>
              {LABELS.addProxy}
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

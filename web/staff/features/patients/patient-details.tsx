import { Badge, Button, Card, Grid, Group, Stack, Text } from '@mantine/core';
import { formatDate } from '../../../lib/format';
import { FormAlert } from '../../../ui/form-alert';
import { LABELS } from '../../../../common/labels';
import type { PatientRecord, PortalAccountState } from '../../../../common/contract/patients.js';
import { usePortalAccountAction } from './api';

const STATE_LABEL: Record<PortalAccountState, { label: string; color: string }> = {
  invited: { label: 'Invited', color: 'blue' },
  active: { label: 'Active', color: 'teal' },
  blocked: { label: 'Blocked', color: 'red' },
  disabled: { label: 'Disabled', color: 'gray' },
};

/** The portal account actions the patient's account allows now, in the order they are shown. */
function accountActions(p: PatientRecord) {
  const account = p.portalAccount;
  return [
    (!account || account.state === 'invited') &&
      p.email && {
        action: 'invite' as const,
        label: account ? 'Send invitation again' : 'Invite to Patient Portal',
      },
    account &&
      account.state !== 'disabled' && { action: 'reset' as const, label: LABELS.resetPortalLogin },
    account?.state === 'blocked' && {
      action: 'unblock' as const,
      label: LABELS.unblockPortalUser,
      color: 'red',
    },
  ].filter((a) => !!a);
}

/** The patient's details and portal account, with Invite, Reset Portal Login and Unblock. */
export function PatientDetails({ patient: p }: { patient: PatientRecord }) {
  const action = usePortalAccountAction(p.id);
  const state = p.portalAccount ? STATE_LABEL[p.portalAccount.state] : undefined;
  return (
    <Card withBorder padding="md">
      <Grid>
        <Grid.Col span={{ base: 12, sm: 6 }}>
          <Stack gap={4}>
            <Text size="sm">Born {formatDate(p.dateOfBirth)}</Text>
            <Text size="sm">Email: {p.email ?? '—'}</Text>
            <Text size="sm">Mobile: {p.mobile ?? '—'}</Text>
            <Text size="sm">Charge band: {p.chargeBand.name}</Text>
            <Text size="sm">Email consent: {p.emailConsent ? 'yes' : 'no'}</Text>
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, sm: 6 }}>
          <Stack gap="xs">
            <Group gap="xs">
              <Text size="sm" fw={600}>
                Portal account
              </Text>
              {state ? (
                <Badge color={state.color}>{state.label}</Badge>
              ) : (
                <Badge color="gray">None</Badge>
              )}
            </Group>
            <Text size="sm" c="dimmed">
              {p.messaging.allowed
                ? 'Can message the clinic online.'
                : `Cannot message online: ${p.messaging.message ?? ''}`}
            </Text>
            <FormAlert error={action.error} />
            {action.isSuccess && (
              <Text size="xs" c="teal.9" role="status">
                Done.
              </Text>
            )}
            <Group gap="xs">
              {accountActions(p).map(({ action: name, label, color }) => (
                <Button
                  key={name}
                  size="xs"
                  color={color}
                  variant="light"
                  loading={action.isPending}
                  onClick={() => action.mutate(name)}
                >
                  {label}
                </Button>
              ))}
            </Group>
          </Stack>
        </Grid.Col>
      </Grid>
    </Card>
  );
}

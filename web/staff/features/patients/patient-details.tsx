import { Badge, Button, Card, Grid, Group, Modal, Stack, Text, Title } from '@mantine/core';
import { useState, type ReactNode } from 'react';
import { formatDate, formatDateTime } from '../../../lib/format';
import { FormAlert } from '../../../ui/form-alert';
import { Isolate } from '../../../ui/isolate';
import { LABELS } from '../../../../common/labels';
import type { EligibilityCode } from '../../../../common/contract/messaging.js';
import type {
  PatientRecord,
  PortalAccountAction,
  PortalAccountState,
} from '../../../../common/contract/patients.js';
import { usePortalAccountAction } from './api';
import { PatientEditDialog } from './patient-edit-dialog';
import { SignedUpOnline } from './signed-up-online';

const STATE_LABEL: Record<PortalAccountState, { label: string; color: string }> = {
  invited: { label: 'Invited', color: 'blue' },
  active: { label: 'Active', color: 'teal' },
  blocked: { label: 'Blocked', color: 'red' },
  disabled: { label: 'Disabled', color: 'gray' },
};

/** Why the patient cannot message, in staff words (the API's message is written for the patient). */
function whyNot(code: EligibilityCode, p: PatientRecord): string {
  switch (code) {
    case 'portal_disabled':
      return 'The Patient Portal is switched off for the clinic.';
    case 'account_not_active':
      return p.portalAccount ? 'The portal account is not Active.' : 'There is no portal account.';
    case 'band_not_online':
      return `The charge band “${p.chargeBand.name}” has no online access.`;
    case 'messaging_not_allowed':
      return `The charge band “${p.chargeBand.name}” does not allow online messaging.`;
  }
}

interface AccountAction {
  action: PortalAccountAction;
  label: string;
  done: string;
  color?: string;
}

/** The portal account actions the patient's account allows now, in the order they are shown. */
function accountActions(p: PatientRecord): AccountAction[] {
  const account = p.portalAccount;
  const actions: (AccountAction | false | null | undefined | '')[] = [
    (!account || account.state === 'invited') &&
      p.email && {
        action: 'invite',
        label: account ? 'Send invitation again' : 'Invite to Patient Portal',
        done: `Invitation emailed to ${p.email}.`,
      },
    account &&
      account.state !== 'disabled' && {
        action: 'reset',
        label: LABELS.resetPortalLogin,
        done: 'A link to set a new password was emailed.',
      },
    account?.state === 'blocked' && {
      action: 'unblock',
      label: LABELS.unblockPortalUser,
      done: 'The portal account is Active again.',
      color: 'red',
    },
    account?.state === 'disabled' && {
      action: 'enable',
      label: LABELS.enablePortalLogin,
      done: 'Portal login enabled.',
    },
    account &&
      account.state !== 'disabled' && {
        action: 'disable',
        label: LABELS.disablePortalLogin,
        done: 'Portal login disabled: signed out everywhere.',
        color: 'red',
      },
  ];
  return actions.filter((a): a is AccountAction => Boolean(a));
}

/** One line of the details: a label and its value. */
function Detail({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Group gap={6} wrap="nowrap" align="baseline">
      <Text size="sm" c="dimmed" w={120} style={{ flexShrink: 0 }}>
        {label}
      </Text>
      <Text size="sm" style={{ minWidth: 0, overflowWrap: 'anywhere' }}>
        {children}
      </Text>
    </Group>
  );
}

/**
 * The patient's details (Edit for admins) and portal account, with the actions its state
 * allows: Invite, Reset Portal Login, Unblock Portal User, Disable and Enable Portal Login.
 */
export function PatientDetails({
  patient: p,
  timeZone,
  canEdit,
  onShowActivity,
}: {
  patient: PatientRecord;
  timeZone: string;
  canEdit: boolean;
  onShowActivity?: () => void;
}) {
  const action = usePortalAccountAction(p.id);
  const [editing, setEditing] = useState(false);
  const [confirmDisable, setConfirmDisable] = useState(false);
  const [done, setDone] = useState('');
  const account = p.portalAccount;
  const state = account ? STATE_LABEL[account.state] : undefined;
  const run = ({ action: name, done: message }: AccountAction) => {
    setDone('');
    action.mutate(name, {
      onSuccess: () => {
        setConfirmDisable(false);
        setDone(message);
      },
    });
  };
  const actions = accountActions(p);
  const disable = actions.find((a) => a.action === 'disable');
  return (
    <Card withBorder padding="md">
      <Grid>
        <Grid.Col span={{ base: 12, sm: 6 }}>
          <Stack gap={4} component="section" aria-labelledby="patient-details-title">
            <Group justify="space-between" gap="xs" mb={4}>
              <Title order={3} size="h5" id="patient-details-title">
                Details
              </Title>
              {canEdit && (
                <Button
                  size="xs"
                  variant="light"
                  onClick={() => {
                    setDone('');
                    setEditing(true);
                  }}
                >
                  Edit details
                </Button>
              )}
            </Group>
            <Detail label="Date of birth">{formatDate(p.dateOfBirth)}</Detail>
            <Detail label="Email">{p.email ?? '—'}</Detail>
            <Detail label="Mobile">{p.mobile ?? '—'}</Detail>
            <Detail label="Charge band">
              <Isolate>{p.chargeBand.name}</Isolate>
            </Detail>
            <Detail label="Email consent">{p.emailConsent ? 'Yes' : 'No'}</Detail>
            <SignedUpOnline patient={p} timeZone={timeZone} onShowActivity={onShowActivity} />
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, sm: 6 }}>
          <Stack gap="xs" component="section" aria-labelledby="portal-account-title">
            <Group gap="xs" mih={30}>
              <Title order={3} size="h5" id="portal-account-title">
                Portal account
              </Title>
              {state ? (
                <Badge color={state.color}>{state.label}</Badge>
              ) : (
                <Badge color="gray" variant="outline">
                  None
                </Badge>
              )}
            </Group>
            {account && (
              <Text size="xs" c="dimmed">
                User name {account.email}
                {account.activatedAt
                  ? ` · active since ${formatDateTime(account.activatedAt, timeZone)}`
                  : account.invitedAt
                    ? ` · invited ${formatDateTime(account.invitedAt, timeZone)}`
                    : ''}
              </Text>
            )}
            <Text size="sm">
              {p.messaging.allowed
                ? 'Can message the clinic online.'
                : p.messaging.reason === 'messaging_not_allowed'
                  ? `Can use the Patient Portal, but cannot message: ${whyNot(p.messaging.reason, p)}`
                  : `Cannot use the Patient Portal: ${p.messaging.reason ? whyNot(p.messaging.reason, p) : ''}`}
            </Text>
            {!confirmDisable && <FormAlert error={action.error} />}
            {done && (
              <Text size="sm" c="teal.9" role="status">
                {done}
              </Text>
            )}
            <Group gap="xs">
              {actions.map((a) => (
                <Button
                  key={a.action}
                  size="xs"
                  color={a.color}
                  variant="light"
                  loading={action.isPending && action.variables === a.action}
                  disabled={action.isPending && action.variables !== a.action}
                  onClick={() => {
                    if (a.action === 'disable') {
                      action.reset();
                      setConfirmDisable(true);
                    } else run(a);
                  }}
                >
                  {a.label}
                </Button>
              ))}
            </Group>
          </Stack>
        </Grid.Col>
      </Grid>
      <Modal
        opened={confirmDisable}
        onClose={() => setConfirmDisable(false)}
        title={`${LABELS.disablePortalLogin}?`}
        centered
      >
        <Stack>
          <Text size="sm">
            <Isolate>{p.name}</Isolate> will be signed out of the Patient Portal everywhere and
            cannot sign in until someone uses {LABELS.enablePortalLogin}. Nothing is deleted.
          </Text>
          <FormAlert error={action.error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirmDisable(false)} data-autofocus>
              Cancel
            </Button>
            <Button color="red" loading={action.isPending} onClick={() => disable && run(disable)}>
              {LABELS.disablePortalLogin}
            </Button>
          </Group>
        </Stack>
      </Modal>
      {editing && (
        <PatientEditDialog
          patient={p}
          onClose={() => setEditing(false)}
          onSaved={(message) => {
            setEditing(false);
            setDone(message);
          }}
        />
      )}
    </Card>
  );
}

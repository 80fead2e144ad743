import { Alert, Badge, Button, Card, Group, Modal, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { useOutletContext } from 'react-router';
import { ApiError } from '../../lib/api';
import { formatDateTime } from '../../lib/format';
import { FormAlert } from '../../ui/form-alert';
import { QueryState } from '../../ui/states';
import type { StaffSession } from '../../../common/contract/auth.js';
import type {
  FactorAdded,
  SecondFactor,
  SecondFactors,
} from '../../../common/contract/staff-identity.js';
import { LABELS } from '../../../common/labels';
import { useNewRecoveryCodes, useRemoveFactor, useSecondFactors } from '../features/two-step/api';
import {
  AddedNotice,
  AddPasskeyForm,
  RecoveryCodesShown,
  TotpSetUpPanel,
} from '../features/two-step/components';

const PASSKEYS_UNAVAILABLE =
  'Passkeys cannot be added here: this product is reached by an IP address, and browsers allow passkeys only on a domain name. Ask your IT administrator.';

/**
 * The staff user's own menu > Two-step verification (rule 19): their passkeys and authenticator
 * app (Add passkey, Set up authenticator app, Remove), and their recovery codes.
 */
export function TwoStepPage() {
  const session = useOutletContext<StaffSession>();
  const factors = useSecondFactors();
  const [added, setAdded] = useState<FactorAdded | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const onAdded = (result: FactorAdded) => {
    setAdded(result);
    if (result.recoveryCodes) setCodes(result.recoveryCodes);
  };
  return (
    <Stack maw={760}>
      <Title order={2}>{LABELS.twoStepVerification}</Title>
      <QueryState query={factors}>
        {(data) => (
          <>
            <Status data={data} />
            {added && <AddedNotice added={added} onClose={() => setAdded(null)} />}
            <PasskeysCard data={data} timeZone={session.chamber.timeZone} onAdded={onAdded} />
            <AuthenticatorCard data={data} timeZone={session.chamber.timeZone} onAdded={onAdded} />
            <RecoveryCodesCard data={data} onCreated={setCodes} />
          </>
        )}
      </QueryState>
      <Modal
        opened={codes !== null}
        onClose={() => undefined}
        withCloseButton={false}
        closeOnEscape={false}
        closeOnClickOutside={false}
        title="Save your recovery codes"
        size="md"
      >
        {codes && <RecoveryCodesShown codes={codes} onDone={() => setCodes(null)} />}
      </Modal>
    </Stack>
  );
}

/** On or off, and whether the clinic requires it. */
function Status({ data }: { data: SecondFactors }) {
  const on = data.factors.length > 0;
  return (
    <Card withBorder>
      <Group gap="xs" mb={4}>
        <Text fw={600}>Two-step verification is</Text>
        <Badge color={on ? 'teal' : 'gray'}>{on ? 'On' : 'Off'}</Badge>
      </Group>
      <Text size="sm" c="dimmed">
        {on
          ? 'After your password, signing in asks for one of your passkeys or a code from your authenticator app. A passkey can also sign you in on its own.'
          : 'Add a passkey or an authenticator app: then signing in asks for it after your password, so a stolen password alone cannot open patients’ messages.'}
      </Text>
      {data.required && (
        <Text size="sm" mt={4}>
          Your clinic requires two-step verification for staff: keep at least one passkey or
          authenticator app.
        </Text>
      )}
    </Card>
  );
}

/** A factor's line: name, when it was added and last used, Remove. */
function FactorRow(props: {
  factor: SecondFactor;
  timeZone: string;
  onRemove: (factor: SecondFactor) => void;
}) {
  const { factor, timeZone } = props;
  return (
    <Card withBorder padding="xs" component="li" aria-label={factor.name}>
      <Group justify="space-between" wrap="nowrap" align="flex-start" gap="xs">
        <div style={{ minWidth: 0 }}>
          <Text size="sm" fw={600} style={{ overflowWrap: 'anywhere' }}>
            {factor.name}
          </Text>
          <Text size="xs" c="dimmed">
            Added {formatDateTime(factor.createdAt, timeZone)}
          </Text>
          <Text size="xs" c="dimmed">
            Last used {factor.lastUsedAt ? formatDateTime(factor.lastUsedAt, timeZone) : 'never'}
          </Text>
        </div>
        <Button
          size="xs"
          color="red"
          variant="light"
          onClick={() => props.onRemove(factor)}
          aria-label={`Remove ${factor.name}`}
          style={{ flexShrink: 0 }}
        >
          Remove
        </Button>
      </Group>
    </Card>
  );
}

function FactorList(props: {
  label: string;
  factors: SecondFactor[];
  timeZone: string;
  required: boolean;
  total: number;
}) {
  const [removing, setRemoving] = useState<SecondFactor | null>(null);
  const remove = useRemoveFactor();
  if (props.factors.length === 0) return null;
  const last = props.required && props.total === 1;
  const lastRefused =
    remove.error instanceof ApiError && remove.error.code === 'last_factor_required';
  return (
    <>
      <Stack
        gap="xs"
        component="ul"
        aria-label={props.label}
        style={{ listStyle: 'none', padding: 0, margin: 0 }}
      >
        {props.factors.map((f) => (
          <FactorRow
            key={f.id}
            factor={f}
            timeZone={props.timeZone}
            onRemove={(factor) => {
              remove.reset();
              setRemoving(factor);
            }}
          />
        ))}
      </Stack>
      <Modal
        opened={removing !== null}
        onClose={() => setRemoving(null)}
        title={`Remove ${removing?.name ?? ''}?`}
      >
        {removing && (
          <Stack>
            <Text size="sm">
              {removing.kind === 'passkey'
                ? 'This passkey will no longer sign you in.'
                : 'Codes from this authenticator app will no longer sign you in.'}{' '}
              {props.total === 1 && !props.required
                ? 'It is your last second factor: two-step verification will be off.'
                : ''}
            </Text>
            {(last || lastRefused) && (
              <Alert color="orange" role="alert">
                Your clinic requires two-step verification for staff, and this is your only second
                factor. Add another passkey or authenticator app first, then remove this one.
              </Alert>
            )}
            {!lastRefused && <FormAlert error={remove.error} />}
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setRemoving(null)}>
                Cancel
              </Button>
              <Button
                color="red"
                loading={remove.isPending}
                disabled={last || lastRefused}
                onClick={() => remove.mutate(removing.id, { onSuccess: () => setRemoving(null) })}
              >
                Remove
              </Button>
            </Group>
          </Stack>
        )}
      </Modal>
    </>
  );
}

function PasskeysCard(props: {
  data: SecondFactors;
  timeZone: string;
  onAdded: (added: FactorAdded) => void;
}) {
  const { data } = props;
  const passkeys = data.factors.filter((f) => f.kind === 'passkey');
  return (
    <Card withBorder component="section" aria-labelledby="passkeys-title">
      <Title order={3} size="h5" id="passkeys-title" mb={4}>
        Passkeys
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        A passkey signs you in with your fingerprint, face or screen lock, or a security key.
        Nothing to type, and it cannot be phished.
      </Text>
      <Stack gap="md">
        <FactorList
          label="Passkeys"
          factors={passkeys}
          timeZone={props.timeZone}
          required={data.required}
          total={data.factors.length}
        />
        <AddPasskeyForm
          unavailable={data.passkeys.available ? null : PASSKEYS_UNAVAILABLE}
          onAdded={props.onAdded}
        />
      </Stack>
    </Card>
  );
}

function AuthenticatorCard(props: {
  data: SecondFactors;
  timeZone: string;
  onAdded: (added: FactorAdded) => void;
}) {
  const { data } = props;
  const totp = data.factors.filter((f) => f.kind === 'totp');
  return (
    <Card withBorder component="section" aria-labelledby="totp-title">
      <Title order={3} size="h5" id="totp-title" mb={4}>
        Authenticator app
      </Title>
      {totp.length > 0 ? (
        <Stack gap="xs">
          <Text size="sm" c="dimmed">
            Signing in can ask for the 6-digit code your app shows.
          </Text>
          <FactorList
            label="Authenticator app"
            factors={totp}
            timeZone={props.timeZone}
            required={data.required}
            total={data.factors.length}
          />
        </Stack>
      ) : (
        <TotpSetUpPanel onAdded={props.onAdded} />
      )}
    </Card>
  );
}

function RecoveryCodesCard(props: { data: SecondFactors; onCreated: (codes: string[]) => void }) {
  const [confirming, setConfirming] = useState(false);
  const create = useNewRecoveryCodes();
  const left = props.data.recoveryCodesLeft;
  const on = props.data.factors.length > 0;
  return (
    <Card withBorder component="section" aria-labelledby="recovery-title">
      <Title order={3} size="h5" id="recovery-title" mb={4}>
        {LABELS.recoveryCodes}
      </Title>
      <Text size="sm" c="dimmed" mb="xs">
        Single-use codes for when your passkey or authenticator app is not at hand.
      </Text>
      <Text size="sm" mb="sm">
        {on
          ? `${left} of 10 left.${left <= 3 ? ' Create new ones before you run out.' : ''}`
          : 'You get ten recovery codes when you add your first passkey or authenticator app.'}
      </Text>
      {on && (
        <Group>
          <Button
            variant="default"
            onClick={() => {
              create.reset();
              setConfirming(true);
            }}
          >
            Create new recovery codes
          </Button>
        </Group>
      )}
      <Modal
        opened={confirming}
        onClose={() => setConfirming(false)}
        title="Create new recovery codes?"
      >
        <Stack>
          <Text size="sm">
            You get ten new codes, shown once. Your old recovery codes stop working at once.
          </Text>
          <FormAlert error={create.error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirming(false)}>
              Cancel
            </Button>
            <Button
              loading={create.isPending}
              onClick={() =>
                create.mutate(undefined, {
                  onSuccess: (result) => {
                    setConfirming(false);
                    props.onCreated(result.codes);
                  },
                })
              }
            >
              Create new codes
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Card>
  );
}

import {
  Button,
  Card,
  Checkbox,
  Flex,
  Group,
  Modal,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useState } from 'react';
import { fieldError } from '../../../lib/api';
import { FormAlert } from '../../../ui/form-alert';
import type { ChargeBand, OnlineAccessMode } from '../../../../common/contract/charge-bands.js';
import { LABELS } from '../../../../common/labels';
import { setOnlineAccess, updateBand, useBandMutation } from './api';

const ACCESS: Record<OnlineAccessMode, string> = {
  none: 'No online access',
  allow_and_notify: 'Online access (patients invited by email)',
  allow_no_notifications: 'Online access (no invitations)',
};

/** A charge band: its patients and online access, Enable Online Booking, and Online Settings. */
export function BandCard({ band }: { band: ChargeBand }) {
  const [dialog, setDialog] = useState(false);
  const access = useBandMutation((mode: OnlineAccessMode) => setOnlineAccess(band.id, mode));
  const online = band.onlineAccess !== 'none';
  return (
    <Card withBorder component="section" aria-label={`Charge band ${band.name}`}>
      <Group justify="space-between" wrap="wrap">
        <div>
          <Title order={3} size="h4">
            {band.name}
          </Title>
          <Text size="sm" c="dimmed">
            {band.patientCount} {band.patientCount === 1 ? 'patient' : 'patients'} ·{' '}
            {ACCESS[band.onlineAccess]}
          </Text>
        </div>
        {online ? (
          <Button
            variant="default"
            size="xs"
            loading={access.isPending}
            onClick={() => access.mutate('none')}
          >
            Disable online access
          </Button>
        ) : (
          <Button size="xs" onClick={() => setDialog(true)}>
            {LABELS.enableOnlineBooking}
          </Button>
        )}
      </Group>
      <FormAlert error={access.error} mt="xs" />
      {online && <OnlineSettings band={band} />}
      <Modal
        opened={dialog}
        onClose={() => setDialog(false)}
        title={LABELS.allowingPatientAccess}
        size="lg"
        centered
      >
        <Stack>
          <Text size="sm">
            Give the patients on “{band.name}” access to the Patient Portal.{' '}
            <strong>{LABELS.allowAndNotify}</strong> emails an invitation to every patient on this
            band now and later; <strong>{LABELS.allowWithNoNotifications}</strong> gives access
            without sending email.
          </Text>
          <FormAlert error={access.error} />
          {/* Side by side on a wide screen; full-width, one under the other, on a phone. */}
          <Flex
            direction={{ base: 'column', xs: 'row' }}
            justify="flex-end"
            align={{ base: 'stretch', xs: 'center' }}
            gap="sm"
          >
            <Button variant="default" onClick={() => setDialog(false)}>
              Cancel
            </Button>
            <Button
              variant="light"
              loading={access.isPending}
              onClick={() =>
                access.mutate('allow_no_notifications', { onSuccess: () => setDialog(false) })
              }
            >
              {LABELS.allowWithNoNotifications}
            </Button>
            <Button
              loading={access.isPending}
              onClick={() =>
                access.mutate('allow_and_notify', { onSuccess: () => setDialog(false) })
              }
            >
              {LABELS.allowAndNotify}
            </Button>
          </Flex>
        </Stack>
      </Modal>
    </Card>
  );
}

function OnlineSettings({ band }: { band: ChargeBand }) {
  const [messaging, setMessaging] = useState(band.allowOnlineMessaging);
  const [code, setCode] = useState(band.onlineSignUpInviteCode);
  const save = useBandMutation(() =>
    updateBand(band.id, { allowOnlineMessaging: messaging, onlineSignUpInviteCode: code }),
  );
  return (
    <Card
      withBorder
      mt="sm"
      bg="var(--mantine-color-gray-0)"
      component="fieldset"
      style={{ border: undefined }}
    >
      <Text component="legend" fw={600} size="sm" px={4}>
        {LABELS.onlineSettings}
      </Text>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate(undefined);
        }}
      >
        <Stack gap="sm">
          <Checkbox
            label={LABELS.allowOnlineMessaging}
            checked={messaging}
            onChange={(e) => setMessaging(e.currentTarget.checked)}
            error={fieldError(save.error, 'allowOnlineMessaging')}
          />
          <TextInput
            label={LABELS.onlineSignUpInviteCode}
            value={code}
            onChange={(e) => setCode(e.currentTarget.value)}
            error={fieldError(save.error, 'onlineSignUpInviteCode')}
            maw={320}
          />
          <FormAlert
            error={save.error}
            fields={['allowOnlineMessaging', 'onlineSignUpInviteCode']}
          />
          <Group>
            <Button type="submit" size="xs" loading={save.isPending}>
              Save {LABELS.onlineSettings}
            </Button>
            {save.isSuccess && !save.isPending && (
              <Text size="xs" c="teal.9" role="status">
                Saved.
              </Text>
            )}
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

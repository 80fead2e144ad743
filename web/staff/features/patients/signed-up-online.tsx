import { Anchor, Badge, Group, Stack, Text } from '@mantine/core';
import { formatDateTime } from '../../../lib/format';
import { LABELS } from '../../../../common/labels';
import type { PatientRecord } from '../../../../common/contract/patients.js';

/**
 * "Signed up online" on the Patient Record (rule 17): when the patient signed up in the portal,
 * and whether the sign-up linked this existing record (by email and date of birth: staff should
 * check it is the same person) or made it. The sign-up's own row, with the name as typed, is in
 * the Activity tab; `onShowActivity` opens it. Nothing for a patient staff added.
 */
export function SignedUpOnline(props: {
  patient: Pick<PatientRecord, 'signedUpOnline'>;
  timeZone: string;
  onShowActivity?: () => void;
}) {
  const signedUp = props.patient.signedUpOnline;
  if (!signedUp) return null;
  return (
    <Stack gap={2} data-testid="signed-up-online">
      <Group gap="xs" wrap="wrap">
        <Badge color="grape" variant="light">
          {LABELS.signedUpOnline}
        </Badge>
        <Text size="sm">{formatDateTime(signedUp.at, props.timeZone)}</Text>
      </Group>
      <Text size="sm" c={signedUp.linked ? 'orange.9' : undefined}>
        {signedUp.linked
          ? 'Linked to this existing record by email and date of birth. Check it is the same person.'
          : 'New record made by the sign-up.'}
      </Text>
      {props.onShowActivity && (
        <Anchor component="button" type="button" size="xs" onClick={props.onShowActivity}>
          See the sign-up in the Activity tab
        </Anchor>
      )}
    </Stack>
  );
}

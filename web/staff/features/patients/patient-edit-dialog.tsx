import {
  Alert,
  Button,
  Checkbox,
  Group,
  Modal,
  Select,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
} from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import { ApiError, fieldError } from '../../../lib/api';
import { useFocusOnError } from '../../../ui/focus-on-error';
import { FormAlert } from '../../../ui/form-alert';
import { Isolate } from '../../../ui/isolate';
import type { ChargeBand } from '../../../../common/contract/charge-bands.js';
import type { PatientChanges, PatientRecord } from '../../../../common/contract/patients.js';
import { useBands } from '../admin/api';
import { useUpdatePatient } from './api';

const FIELDS = [
  'givenName',
  'familyName',
  'dateOfBirth',
  'email',
  'mobile',
  'chargeBandId',
  'emailConsent',
];

/** The fields in words, for the "Saved" message. */
const FIELD_NAMES: Record<keyof PatientChanges, string> = {
  givenName: 'given name',
  familyName: 'family name',
  dateOfBirth: 'date of birth',
  email: 'email',
  mobile: 'mobile',
  chargeBandId: 'charge band',
  emailConsent: 'email consent',
};

/** What a band gives its patients (rule 1), in words. */
function bandAccess(band: ChargeBand): string {
  if (band.onlineAccess === 'none') return 'No online access.';
  return band.allowOnlineMessaging
    ? 'Online access and messaging.'
    : 'Online access, without messaging.';
}

/**
 * What moving the patient to `band` takes away (rule 1), or null: the Patient Portal (the band
 * has no online access) or only messaging (the band does not allow it). Judged on what the
 * patient has now, so that a patient who cannot sign in anyway loses nothing.
 */
function bandMoveLoss(p: PatientRecord, band: ChargeBand): 'portal' | 'messaging' | null {
  const reason = p.messaging.reason;
  const usesPortal = reason === null || reason === 'messaging_not_allowed';
  if (usesPortal && band.onlineAccess === 'none') return 'portal';
  if (p.messaging.allowed && !band.allowOnlineMessaging) return 'messaging';
  return null;
}

/** The warning of a band move that takes access away, as one sentence. */
function bandMoveWarning(p: PatientRecord, loss: 'portal' | 'messaging'): string {
  if (loss === 'messaging') return `${p.name} will no longer be able to send messages.`;
  return p.messaging.allowed
    ? `${p.name} will no longer be able to use the Patient Portal or send messages.`
    : `${p.name} will no longer be able to use the Patient Portal.`;
}

/** Only the fields whose value differs from the record. */
function changesOf(p: PatientRecord, form: Required<PatientChanges>): PatientChanges {
  const trimmedOrNull = (v: string | null) => (v?.trim() ? v.trim() : null);
  const next: PatientChanges = {
    givenName: form.givenName.trim(),
    familyName: form.familyName.trim(),
    dateOfBirth: form.dateOfBirth,
    email: trimmedOrNull(form.email),
    mobile: trimmedOrNull(form.mobile),
    chargeBandId: form.chargeBandId,
    emailConsent: form.emailConsent,
  };
  const current: Required<PatientChanges> = {
    givenName: p.givenName,
    familyName: p.familyName,
    dateOfBirth: p.dateOfBirth,
    email: p.email,
    mobile: p.mobile,
    chargeBandId: p.chargeBand.id,
    emailConsent: p.emailConsent,
  };
  return Object.fromEntries(
    Object.entries(next).filter(([k, v]) => v !== current[k as keyof PatientChanges]),
  ) as PatientChanges;
}

/**
 * Edit details (admin): names, date of birth, email, mobile, charge band, email consent. A band
 * move that takes the Patient Portal or messaging away asks first, saying what will happen.
 */
export function PatientEditDialog({
  patient: p,
  onClose,
  onSaved,
}: {
  patient: PatientRecord;
  onClose: () => void;
  onSaved: (message: string) => void;
}) {
  const bands = useBands();
  const save = useUpdatePatient(p.id);
  const [form, setForm] = useState<Required<PatientChanges>>({
    givenName: p.givenName,
    familyName: p.familyName,
    dateOfBirth: p.dateOfBirth,
    email: p.email ?? '',
    mobile: p.mobile ?? '',
    chargeBandId: p.chargeBand.id,
    emailConsent: p.emailConsent,
  });
  const [confirming, setConfirming] = useState<'portal' | 'messaging' | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const backRef = useRef<HTMLButtonElement>(null);
  useFocusOnError(formRef, save.error);
  useEffect(() => {
    if (confirming) backRef.current?.focus();
  }, [confirming]);

  const set = <K extends keyof PatientChanges>(key: K, value: Required<PatientChanges>[K]) =>
    setForm((f) => ({ ...f, [key]: value }));
  const bandList = bands.data?.chargeBands ?? [];
  const band = bandList.find((b) => b.id === form.chargeBandId);
  const moving = band && band.id !== p.chargeBand.id ? band : undefined;
  const loss = moving ? bandMoveLoss(p, moving) : null;
  const invites =
    moving?.onlineAccess === 'allow_and_notify' &&
    !p.portalAccount &&
    Boolean((form.email ?? '').trim());

  const submit = (confirmed: boolean) => {
    const changes = changesOf(p, form);
    const names = Object.keys(changes).map((k) => FIELD_NAMES[k as keyof PatientChanges]);
    if (names.length === 0) {
      onClose();
      return;
    }
    if (loss && !confirmed && 'chargeBandId' in changes) {
      setConfirming(loss);
      return;
    }
    save.mutate(changes, {
      onSuccess: () => onSaved(`Saved: ${names.join(', ')}.`),
      // A refused change is shown next to its field, on the form.
      onError: () => setConfirming(null),
    });
  };

  const fieldErr = (name: string) => fieldError(save.error, name);
  return (
    <Modal
      opened
      onClose={onClose}
      title={confirming ? 'Change charge band?' : `Edit details of ${p.name}`}
      size="lg"
    >
      {confirming && moving ? (
        <Stack>
          <Alert color="orange" role="alert" title={bandMoveWarning(p, confirming)}>
            <Text size="sm">
              Moving <Isolate>{p.name}</Isolate> to “<Isolate>{moving.name}</Isolate>” (
              {bandAccess(moving).replace(/\.$/, '').toLowerCase()}) takes effect at once.
              {confirming === 'portal'
                ? ' They will not see their messages, documents or medical data online.'
                : ' They can still read what is shared with them in the Patient Portal.'}{' '}
              Nothing is deleted, staff still read every message, and moving them back restores
              access.
            </Text>
          </Alert>
          <FormAlert error={save.error} />
          <Group justify="flex-end">
            <Button variant="default" ref={backRef} onClick={() => setConfirming(null)}>
              Back
            </Button>
            <Button color="red" loading={save.isPending} onClick={() => submit(true)}>
              Move and save
            </Button>
          </Group>
        </Stack>
      ) : (
        <form
          ref={formRef}
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            submit(false);
          }}
        >
          <Stack gap="sm">
            <FormAlert error={save.error} fields={FIELDS} />
            <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
              <TextInput
                label="Given name"
                required
                data-autofocus
                value={form.givenName}
                onChange={(e) => set('givenName', e.currentTarget.value)}
                error={fieldErr('givenName')}
              />
              <TextInput
                label="Family name"
                required
                value={form.familyName}
                onChange={(e) => set('familyName', e.currentTarget.value)}
                error={fieldErr('familyName')}
              />
            </SimpleGrid>
            <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
              <TextInput
                label="Date of birth"
                type="date"
                required
                value={form.dateOfBirth}
                onChange={(e) => set('dateOfBirth', e.currentTarget.value)}
                error={fieldErr('dateOfBirth')}
              />
              <TextInput
                label="Mobile"
                type="tel"
                autoComplete="off"
                value={form.mobile ?? ''}
                onChange={(e) => set('mobile', e.currentTarget.value)}
                error={fieldErr('mobile')}
              />
            </SimpleGrid>
            <TextInput
              label="Email"
              type="email"
              autoComplete="off"
              value={form.email ?? ''}
              onChange={(e) => set('email', e.currentTarget.value)}
              error={fieldErr('email')}
              description={
                p.portalAccount ? 'Also the user name of their portal account.' : undefined
              }
              inputWrapperOrder={['label', 'input', 'description', 'error']}
            />
            <Select
              label="Charge band"
              required
              allowDeselect={false}
              data={bandList.map((b) => ({ value: b.id, label: b.name }))}
              value={form.chargeBandId}
              onChange={(v) => v && set('chargeBandId', v)}
              disabled={bands.isPending}
              error={
                fieldErr('chargeBandId') ??
                (bands.isError && bands.error instanceof ApiError ? bands.error.message : undefined)
              }
              description={
                band &&
                `${bandAccess(band)}${
                  loss ? ` ${bandMoveWarning(p, loss)}` : ''
                }${invites ? ' They will be emailed an invitation to the Patient Portal.' : ''}`
              }
              inputWrapperOrder={['label', 'input', 'description', 'error']}
              comboboxProps={{ withinPortal: true }}
            />
            <Checkbox
              label="Email consent"
              description="The patient agrees to be emailed when something new waits in the Patient Portal (never any clinical content)."
              checked={form.emailConsent}
              onChange={(e) => set('emailConsent', e.currentTarget.checked)}
              error={fieldErr('emailConsent')}
            />
            <Group justify="flex-end">
              <Button variant="default" onClick={onClose}>
                Cancel
              </Button>
              <Button type="submit" loading={save.isPending}>
                Save
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}

import { TextInput } from '@mantine/core';
import { fieldError } from '../../../lib/api';
import { CLINIC_PHONE_MAX, textLength } from '../../../../common/limits.js';
import { LABELS } from '../../../../common/labels';
import type { Settings, SettingsChanges } from '../../../../common/contract/settings.js';
import { useSaveSettings } from './api';
import { SettingsSection, useSettingsDraft } from './settings-section';

/** The characters a phone number may hold (the contract's pattern). */
const PHONE = /^[0-9+()\-. ]*$/;

function phoneProblem(phone: string): string | null {
  if (!PHONE.test(phone)) return 'Only digits, spaces and + - ( ) . can be used.';
  if (textLength(phone) > CLINIC_PHONE_MAX) return `At most ${CLINIC_PHONE_MAX} characters.`;
  return null;
}

/**
 * Admin > Configuration > Online Portal > Clinic Contact: the Clinic phone, shown to patients
 * wherever the portal cannot help them (and beside the emergency advice). Empty: none.
 */
export function ClinicContactSection({ settings }: { settings: Settings }) {
  const save = useSaveSettings();
  const [phone, setPhone] = useSettingsDraft(settings.clinicPhone);
  const problem = phoneProblem(phone.trim());
  const changes: SettingsChanges =
    phone.trim() !== settings.clinicPhone ? { clinicPhone: phone.trim() } : {};
  return (
    <SettingsSection
      title={LABELS.clinicContact}
      testId="clinic-contact"
      description="Patients see this number, with today's office hours, where the portal cannot help them (no online messaging, a blocked account, trouble signing in) and beside the emergency advice."
      save={save}
      changes={changes}
      invalid={problem !== null}
      fields={['clinicPhone']}
    >
      <TextInput
        label={LABELS.clinicPhone}
        type="tel"
        autoComplete="off"
        description="e.g. 020 7946 0000. Empty: no phone number is shown."
        value={phone}
        onChange={(e) => setPhone(e.currentTarget.value)}
        error={fieldError(save.error, 'clinicPhone') ?? problem}
        maw={320}
        inputWrapperOrder={['label', 'input', 'description', 'error']}
      />
    </SettingsSection>
  );
}

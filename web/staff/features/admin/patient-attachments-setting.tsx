import { Checkbox } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { get } from '../../../lib/api';
import { limitsInWords } from '../../../lib/attachments';
import { LABELS } from '../../../../common/labels';
import type { ClinicInfo } from '../../../../common/contract/clinic.js';

/**
 * The limits the Patient Portal publishes for attachments (what every upload is held to): read
 * from the portal's own answer for this clinic, so the admin sees exactly what patients see.
 */
function usePublishedLimits(chamberKey: string) {
  return useQuery({
    queryKey: ['admin', 'attachment-limits', chamberKey],
    queryFn: () => get<ClinicInfo>(`/portal/clinic?chamber=${encodeURIComponent(chamberKey)}`),
    select: (clinic) => clinic.attachments,
    staleTime: 5 * 60_000,
  });
}

/**
 * General Settings > **Allow patient attachments**: the tick, with the published types and
 * size limit beside it.
 */
export function PatientAttachmentsSetting({
  chamberKey,
  checked,
  onChange,
}: {
  chamberKey: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
}) {
  const limits = usePublishedLimits(chamberKey);
  return (
    <Checkbox
      label={LABELS.allowPatientAttachments}
      description={
        <>
          Patients may attach photos and documents to their messages
          {limits.data ? `: ${limitsInWords(limits.data)}` : '.'} Each file’s type is checked by its
          content; staff find the files on the message and under the patient’s Documents.
        </>
      }
      checked={checked}
      onChange={(e) => onChange(e.currentTarget.checked)}
      data-testid="allow-patient-attachments"
    />
  );
}

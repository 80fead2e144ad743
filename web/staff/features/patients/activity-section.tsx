import { Stack } from '@mantine/core';
import { LoadMore, QueryState } from '../../../ui/states';
import { AuditEvents } from '../audit/components';
import { usePatientActivity } from './api';

/** What was done to and by the patient: the audit events about them, newest first. */
export function ActivitySection({ patientId, timeZone }: { patientId: string; timeZone: string }) {
  const activity = usePatientActivity(patientId, true);
  const events = activity.data?.pages.flatMap((p) => p.events) ?? [];
  return (
    <QueryState query={activity} isEmpty={() => events.length === 0} empty="No activity recorded.">
      {() => (
        <Stack>
          <AuditEvents events={events} timeZone={timeZone} label="Activity events" />
          <LoadMore query={activity} size="xs" />
        </Stack>
      )}
    </QueryState>
  );
}

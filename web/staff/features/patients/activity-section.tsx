import { Stack } from '@mantine/core';
import { useState } from 'react';
import { LoadMore, QueryState } from '../../../ui/states';
import { AuditEvents, HideViewsSwitch } from '../audit/components';
import { usePatientActivity } from './api';

/**
 * What was done to and by the patient: the audit events about them, newest first, with runs
 * of views folded (unless Hide views is off) so that changes stand out.
 */
export function ActivitySection({ patientId, timeZone }: { patientId: string; timeZone: string }) {
  const activity = usePatientActivity(patientId, true);
  const [hideViews, setHideViews] = useState(true);
  const events = activity.data?.pages.flatMap((p) => p.events) ?? [];
  return (
    <QueryState query={activity} isEmpty={() => events.length === 0} empty="No activity recorded.">
      {() => (
        <Stack>
          <HideViewsSwitch
            checked={hideViews}
            onChange={setHideViews}
            description="Views in a row (records, lists and conversations read) fold into one line."
          />
          <AuditEvents
            events={events}
            timeZone={timeZone}
            label="Activity events"
            foldViews={hideViews}
          />
          <LoadMore query={activity} size="xs" />
        </Stack>
      )}
    </QueryState>
  );
}

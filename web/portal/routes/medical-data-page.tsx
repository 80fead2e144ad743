import { Anchor, Stack, Title } from '@mantine/core';
import { MedicalItemCard } from '../../ui/shared-item-cards';
import { QueryState } from '../../ui/states';
import { LABELS } from '../../../common/labels';
import { documentUrl, useMedicalData } from '../features/shared-items/api';

/** Medical Data: results and letters the clinic shared with the patient. */
export function MedicalDataPage() {
  const items = useMedicalData();
  return (
    <Stack>
      <Title order={2}>{LABELS.medicalData}</Title>
      <QueryState
        query={items}
        isEmpty={(d) => d.medicalData.length === 0}
        empty="No results or letters have been shared with you yet."
      >
        {(d) => (
          <Stack gap="xs">
            {d.medicalData.map((m) => (
              <MedicalItemCard key={m.id} item={m}>
                {m.document && (
                  <Anchor href={documentUrl(m.document.id)} download size="sm">
                    Download {m.document.title ?? 'the document'}
                  </Anchor>
                )}
              </MedicalItemCard>
            ))}
          </Stack>
        )}
      </QueryState>
    </Stack>
  );
}

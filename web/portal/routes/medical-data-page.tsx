import { Anchor, Badge, Card, Group, Stack, Text, Title } from '@mantine/core';
import { formatDate } from '../../lib/format';
import { MessageText } from '../../ui/message-text';
import { Empty, ErrorState, Loading } from '../../ui/states';
import { LABELS } from '../../../common/labels';
import { documentUrl, useMedicalData } from '../features/shared-items/api';

/** Medical Data: results and letters the clinic shared with the patient. */
export function MedicalDataPage() {
  const items = useMedicalData();
  return (
    <Stack>
      <Title order={2}>{LABELS.medicalData}</Title>
      {items.isPending ? (
        <Loading />
      ) : items.isError ? (
        <ErrorState error={items.error} onRetry={() => void items.refetch()} />
      ) : items.data.medicalData.length === 0 ? (
        <Empty>No results or letters have been shared with you yet.</Empty>
      ) : (
        <Stack gap="xs">
          {items.data.medicalData.map((m) => (
            <Card key={m.id} withBorder padding="sm" component="article" aria-label={m.title}>
              <Group justify="space-between" wrap="wrap" gap="xs" mb={4}>
                <Group gap="xs">
                  <Badge variant="light">{m.kind === 'result' ? 'Result' : 'Letter'}</Badge>
                  <Text fw={600}>{m.title}</Text>
                </Group>
                <Text size="xs" c="dimmed">
                  {formatDate(m.date)}
                </Text>
              </Group>
              {m.text && <MessageText text={m.text} />}
              {m.document && (
                <Anchor href={documentUrl(m.document.id)} download size="sm">
                  Download {m.document.title ?? 'the document'}
                </Anchor>
              )}
            </Card>
          ))}
        </Stack>
      )}
    </Stack>
  );
}

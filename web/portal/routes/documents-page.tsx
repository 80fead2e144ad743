import { Anchor, Card, Group, Stack, Text, Title } from '@mantine/core';
import { useOutletContext } from 'react-router';
import { formatDateTime } from '../../lib/format';
import { Empty, ErrorState, Loading } from '../../ui/states';
import { LABELS } from '../../../common/labels';
import { documentUrl, formatSize, useDocuments } from '../features/shared-items/api';
import type { PortalSession } from '../features/session/api';

/** Documents: what the clinic shared with the patient, to download. */
export function DocumentsPage() {
  const session = useOutletContext<PortalSession>();
  const documents = useDocuments();
  return (
    <Stack>
      <Title order={2}>{LABELS.documents}</Title>
      {documents.isPending ? (
        <Loading />
      ) : documents.isError ? (
        <ErrorState error={documents.error} onRetry={() => void documents.refetch()} />
      ) : documents.data.documents.length === 0 ? (
        <Empty>No documents have been shared with you yet.</Empty>
      ) : (
        <Stack
          gap="xs"
          component="ul"
          style={{ listStyle: 'none', padding: 0, margin: 0 }}
          aria-label={LABELS.documents}
        >
          {documents.data.documents.map((d) => (
            <li key={d.id}>
              <Card withBorder padding="sm">
                <Group justify="space-between" wrap="wrap" gap="xs">
                  <Anchor
                    href={documentUrl(d.id)}
                    download
                    fw={600}
                    style={{ overflowWrap: 'anywhere' }}
                  >
                    {d.title}
                  </Anchor>
                  <Text size="xs" c="dimmed">
                    {formatDateTime(d.createdAt, session.chamber.timeZone)} ·{' '}
                    {formatSize(d.sizeBytes)}
                  </Text>
                </Group>
              </Card>
            </li>
          ))}
        </Stack>
      )}
    </Stack>
  );
}

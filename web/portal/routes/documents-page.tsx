import { Card, Group, Stack, Text, Title } from '@mantine/core';
import { useOutletContext } from 'react-router';
import { formatDateTime } from '../../lib/format';
import { CardList } from '../../ui/card-list';
import { DocumentLink } from '../../ui/shared-item-cards';
import { QueryState } from '../../ui/states';
import type { PortalSession } from '../../../common/contract/auth.js';
import { LABELS } from '../../../common/labels';
import { documentUrl, formatSize, useDocuments } from '../features/shared-items/api';

/** Documents: what the clinic shared with the patient, to download. */
export function DocumentsPage() {
  const session = useOutletContext<PortalSession>();
  const documents = useDocuments();
  return (
    <Stack>
      <Title order={2}>{LABELS.documents}</Title>
      <QueryState
        query={documents}
        isEmpty={(d) => d.documents.length === 0}
        empty="No documents have been shared with you yet."
      >
        {(d) => (
          <CardList label={LABELS.documents} items={d.documents}>
            {(doc) => (
              <Card withBorder padding="sm">
                <Group justify="space-between" wrap="wrap" gap="xs">
                  <DocumentLink href={documentUrl(doc.id)} title={doc.title} />
                  <Text size="xs" c="dimmed">
                    {formatDateTime(doc.createdAt, session.chamber.timeZone)} ·{' '}
                    {formatSize(doc.sizeBytes)}
                  </Text>
                </Group>
              </Card>
            )}
          </CardList>
        )}
      </QueryState>
    </Stack>
  );
}

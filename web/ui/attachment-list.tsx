import { PaperclipIcon } from './icons';
import { Anchor, Group, Stack, Text } from '@mantine/core';
import type { Attachment } from '../../common/contract/messaging.js';
import { fileTypeName, formatFileSize } from '../lib/attachments';

/**
 * The files attached to a message, each a download link with its name, type and size (the
 * server sends it as an attachment: the browser never renders it). Nothing when none.
 */
export function AttachmentList({
  attachments,
  hrefOf,
}: {
  attachments: Attachment[];
  /** Where a file downloads from, for this app's session. */
  hrefOf: (id: string) => string;
}) {
  if (attachments.length === 0) return null;
  return (
    <Stack
      component="ul"
      gap={4}
      mt={6}
      p={0}
      m={0}
      style={{ listStyle: 'none' }}
      aria-label={attachments.length === 1 ? 'Attached file' : 'Attached files'}
      data-testid="message-attachments"
    >
      {attachments.map((a) => (
        <Group component="li" key={a.id} gap={6} wrap="nowrap" align="flex-start">
          <PaperclipIcon />
          <Text size="sm" style={{ minWidth: 0 }}>
            <Anchor href={hrefOf(a.id)} download fw={600} style={{ overflowWrap: 'anywhere' }}>
              {a.title}
            </Anchor>{' '}
            <Text span size="xs" c="dimmed">
              ({fileTypeName(a.contentType)}, {formatFileSize(a.sizeBytes)})
            </Text>
          </Text>
        </Group>
      ))}
    </Stack>
  );
}

import { Anchor, Group, Stack, Text } from '@mantine/core';
import type { SVGProps } from 'react';
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

/** A paperclip beside words that say "attached" already (hidden from screen readers). */
export function PaperclipIcon(props: SVGProps<SVGSVGElement>) {
  return (
    <svg
      width={16}
      height={16}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth={2}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
      style={{ flexShrink: 0, marginTop: 2 }}
      {...props}
    >
      <path d="m21.4 11.1-9.2 9.2a6 6 0 0 1-8.5-8.5l9.2-9.2a4 4 0 0 1 5.7 5.7l-9.2 9.2a2 2 0 0 1-2.8-2.8l8.5-8.5" />
    </svg>
  );
}

import { Alert, Badge, Box, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import type { ConversationListItem } from '../../../ui/conversation-list';
import { MessageCard } from '../../../ui/message-card';
import { MessageForm } from '../../../ui/message-form';
import type { InboxLine, PatientMessage } from '../../../../common/contract/messaging.js';
import { LABELS } from '../../../../common/labels';

export const EMERGENCY_NOTICE =
  'Not for emergencies: in an emergency call 999. Messages are read during opening hours.';

/** One message: the clinic's on the left with author name and role, the patient's own on the right. */
export function MessageBubble({
  message,
  timeZone,
}: {
  message: PatientMessage;
  timeZone: string;
}) {
  const mine = message.mine;
  return (
    <Box style={{ display: 'flex', justifyContent: mine ? 'flex-end' : 'flex-start' }}>
      <MessageCard
        label={mine ? 'Your message' : `Message from ${message.author.name}`}
        author={
          <Text size="xs" fw={600}>
            {mine ? 'You' : message.author.name}
            {!mine && message.author.role ? ` · ${message.author.role}` : ''}
          </Text>
        }
        createdAt={message.createdAt}
        timeZone={timeZone}
        text={message.text}
        maw="85%"
        bg={mine ? 'var(--mantine-color-teal-0)' : 'var(--mantine-color-gray-0)'}
      />
    </Box>
  );
}

/**
 * Compose box: the emergency notice, `before` (e.g. what the message is about), the text,
 * Send. The draft stays until it is sent.
 */
export function ComposeForm({
  before,
  ...props
}: {
  label: string;
  submitLabel: string;
  pending: boolean;
  error: unknown;
  onSend: (text: string) => Promise<unknown>;
  autoFocus?: boolean;
  before?: ReactNode;
  /** The fields of `before` that an error may name. */
  fields?: string[];
}) {
  return (
    <MessageForm
      {...props}
      notice={
        <>
          <Alert color="orange" variant="light" p="xs">
            <Text size="xs">{EMERGENCY_NOTICE}</Text>
          </Alert>
          {before}
        </>
      }
    />
  );
}

/**
 * An Inbox line for the conversation list: titled by its subject, else its topic, else the
 * preview (the list decides); the patient's own messages are "You"; a closed one says so.
 */
export function inboxItem(c: InboxLine): ConversationListItem {
  const { author } = c.lastMessage;
  return {
    id: c.id,
    href: `/inbox/${c.id}`,
    author: `${author.kind === 'patient' ? 'You' : author.name}${author.role ? ` · ${author.role}` : ''}`,
    preview: c.lastMessage.preview,
    at: c.lastMessage.createdAt,
    unread: c.unreadCount > 0,
    subject: c.subject,
    topic: c.topic,
    badges: c.unreadCount > 0 && (
      <Badge color="teal" size="sm">
        {c.unreadCount} new
      </Badge>
    ),
    tags: c.status === 'closed' && (
      <Badge color="gray" variant="light" size="sm">
        {LABELS.viewClosed}
      </Badge>
    ),
  };
}

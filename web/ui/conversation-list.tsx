import { Card, Group, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { formatShort } from '../lib/format';
import { conversationTitle } from '../../common/conversation-title.js';
import { CardList } from './card-list';
import { Isolate } from './isolate';

/** One conversation of a list, as its last message shows it. */
export interface ConversationListItem {
  id: string;
  /** Where the card leads. */
  href: string;
  /** Who wrote the last message, in the reader's words (names in it isolated: `Isolate`). */
  author: ReactNode;
  preview: string;
  /** When the last message was written. */
  at: string;
  unread: boolean;
  /** What the conversation is about (rule 9): its title is the subject, else the topic. */
  subject?: string | null;
  topic?: { name: string } | null;
  /** Beside the time, e.g. "2 new". */
  badges?: ReactNode;
  /** A row under the preview, e.g. "Awaiting reply". */
  tags?: ReactNode;
}

/**
 * Conversations newest first, each a card linking to it: its title (subject, else topic, else
 * the start of the text: `conversationTitle`), who wrote last, when, and the start of the text;
 * unread ones stand out. The open one (`selectedId`) is outlined.
 */
export function ConversationList(props: {
  items: ConversationListItem[];
  timeZone: string;
  selectedId?: string;
}) {
  return (
    <CardList label="Conversations" items={props.items}>
      {(c) => {
        const selected = c.id === props.selectedId;
        // Without a subject or topic the title would be the preview itself: shown once.
        const titled = Boolean(c.subject || c.topic);
        const title = conversationTitle({
          subject: c.subject || null,
          topic: c.topic ?? null,
          lastMessage: { preview: c.preview },
        });
        return (
          <Card
            component={Link}
            to={c.href}
            withBorder
            padding="sm"
            aria-current={selected ? 'true' : undefined}
            style={{
              textDecoration: 'none',
              color: 'inherit',
              outline: selected ? '2px solid var(--mantine-color-teal-7)' : undefined,
            }}
          >
            <Group justify="space-between" wrap="nowrap" gap="xs" align="flex-start">
              <Text size="sm" fw={c.unread ? 700 : 600} lineClamp={1}>
                <Isolate>{titled ? title : c.author}</Isolate>
              </Text>
              <Group gap={6} wrap="nowrap">
                {c.badges}
                <Text size="xs" c="dimmed" component="time" dateTime={c.at}>
                  {formatShort(c.at, props.timeZone)}
                </Text>
              </Group>
            </Group>
            <Text
              size="sm"
              c={c.unread ? undefined : 'dimmed'}
              fw={c.unread ? 600 : 400}
              lineClamp={2}
            >
              {titled ? (
                <>
                  <Isolate>{c.author}</Isolate>: <Isolate>{c.preview}</Isolate>
                </>
              ) : (
                <Isolate>{c.preview}</Isolate>
              )}
            </Text>
            {c.tags && (
              <Group gap={4} mt={4}>
                {c.tags}
              </Group>
            )}
          </Card>
        );
      }}
    </CardList>
  );
}

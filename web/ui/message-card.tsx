import { Card, Group, Text, type CardProps } from '@mantine/core';
import type { ReactNode } from 'react';
import { formatDateTime } from '../lib/format';
import { MessageText } from './message-text';

/**
 * One message as a card named for screen readers: who wrote it and when, then its text;
 * `children` comes under the text. The look (colours, border) is the caller's.
 */
export function MessageCard({
  label,
  author,
  createdAt,
  timeZone,
  text,
  children,
  ...card
}: {
  label: string;
  author: ReactNode;
  createdAt: string;
  timeZone: string;
  text: string;
  children?: ReactNode;
} & Omit<CardProps, 'children'>) {
  return (
    <Card component="article" withBorder padding="sm" aria-label={label} {...card}>
      <Group justify="space-between" gap="xs" mb={4} wrap="wrap">
        {author}
        <Text size="xs" c="dimmed" component="time" dateTime={createdAt}>
          {formatDateTime(createdAt, timeZone)}
        </Text>
      </Group>
      <MessageText text={text} />
      {children}
    </Card>
  );
}

import { Anchor, Badge, Card, Group, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { formatDate } from '../lib/format';
import { MessageText } from './message-text';
import type { PortalMedicalItem } from '../../common/contract/medical-data.js';

/** A document's title, linking to its download (an attachment: the browser never renders it). */
export function DocumentLink({ href, title }: { href: string; title: string }) {
  return (
    <Anchor href={href} download fw={600} style={{ overflowWrap: 'anywhere' }}>
      {title}
    </Anchor>
  );
}

/** A result or letter: kind, title, date and text; `badge`, `byline` and `children` add to it. */
export function MedicalItemCard(props: {
  item: PortalMedicalItem;
  /** Beside the title, e.g. "Not shared". */
  badge?: ReactNode;
  /** After the date, e.g. who added it. */
  byline?: string;
  /** Under the text, e.g. the document's download link. */
  children?: ReactNode;
}) {
  const m = props.item;
  return (
    <Card withBorder padding="sm" component="article" aria-label={m.title}>
      <Group justify="space-between" wrap="wrap" gap="xs" mb={4}>
        <Group gap="xs">
          <Badge variant="light">{m.kind === 'result' ? 'Result' : 'Letter'}</Badge>
          <Text fw={600}>{m.title}</Text>
          {props.badge}
        </Group>
        <Text size="xs" c="dimmed">
          {formatDate(m.date)}
          {props.byline !== undefined && ` · ${props.byline}`}
        </Text>
      </Group>
      {m.text && <MessageText text={m.text} />}
      {props.children}
    </Card>
  );
}

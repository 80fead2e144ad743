import { Box, Card, Group, Text } from '@mantine/core';
import { Link } from 'react-router';
import { formatDateTime } from '../../../lib/format';
import { CardList } from '../../../ui/card-list';
import { Isolate } from '../../../ui/isolate';
import { Snippet } from '../../../ui/snippet';
import type { Author } from '../../../../common/contract/messaging.js';
import type { SearchResult } from '../../../../common/contract/search.js';

/** Who wrote a message found, in staff's words. */
function AuthorLine({ author }: { author: Author }) {
  if (author.kind === 'clinic') return <>Automatic message</>;
  return (
    <>
      From <Isolate>{author.name}</Isolate>
      {author.kind === 'patient' ? (
        ' · Patient'
      ) : author.role ? (
        <>
          {' · '}
          <Isolate>{author.role}</Isolate>
        </>
      ) : null}
    </>
  );
}

/**
 * The messages Search messages found, best first: the patient, when (in the clinic's time
 * zone), who wrote it and the words around the match, marked. Each leads to its conversation
 * with the message in view; the one open is outlined.
 */
export function SearchResultList({
  results,
  timeZone,
  hrefOf,
  selectedMessageId,
}: {
  results: SearchResult[];
  timeZone: string;
  hrefOf: (result: SearchResult) => string;
  selectedMessageId: string | null;
}) {
  return (
    // Padded so that the outline of the result open is not cut by the scrolling column.
    <Box p={2}>
      <CardList label="Messages found" items={results.map((r) => ({ ...r, id: r.messageId }))}>
        {(r) => {
          const selected = r.messageId === selectedMessageId;
          return (
            <Card
              component={Link}
              to={hrefOf(r)}
              withBorder
              padding="sm"
              aria-current={selected ? 'true' : undefined}
              style={{
                textDecoration: 'none',
                color: 'inherit',
                outline: selected ? '2px solid var(--mantine-color-teal-7)' : undefined,
              }}
            >
              <Group justify="space-between" wrap="wrap" gap={4} align="baseline">
                <Text size="sm" fw={600} style={{ overflowWrap: 'anywhere' }}>
                  <Isolate>{r.patient.name}</Isolate>
                </Text>
                <Text size="xs" c="dimmed" component="time" dateTime={r.createdAt}>
                  {formatDateTime(r.createdAt, timeZone)}
                </Text>
              </Group>
              <Text size="xs" c="dimmed" mb={4}>
                <AuthorLine author={r.author} />
              </Text>
              <Snippet parts={r.snippet} lineClamp={4} />
            </Card>
          );
        }}
      </CardList>
    </Box>
  );
}

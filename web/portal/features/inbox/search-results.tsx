import { Box, Button, Card, Group, Text, TextInput } from '@mantine/core';
import { useEffect, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { fieldError } from '../../../lib/api';
import { formatDateTime } from '../../../lib/format';
import { CardList } from '../../../ui/card-list';
import { Isolate } from '../../../ui/isolate';
import { Snippet } from '../../../ui/snippet';
import { LABELS } from '../../../../common/labels';
import { MAX_SEARCH_LENGTH } from '../../../../common/search-text.js';
import type { SearchResult } from '../../../../common/contract/search.js';
import { useActingForOther } from '../acting-for/api';

const TOO_LONG = `Search for at most ${MAX_SEARCH_LENGTH} characters.`;

/**
 * Search in the Inbox: the words to find, run by Enter or Search. The field follows the
 * address (back, forward, reload); an error of the API about the words is shown at it.
 */
export function InboxSearchForm({
  q,
  error,
  onSearch,
}: {
  q: string | null;
  error: unknown;
  onSearch: (q: string) => void;
}) {
  const [words, setWords] = useState(q ?? '');
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    setWords(q ?? '');
    setProblem(null);
  }, [q]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const trimmed = words.trim();
    if (!trimmed) return setProblem('Type the words to find.');
    if ([...trimmed].length > MAX_SEARCH_LENGTH) return setProblem(TOO_LONG);
    setProblem(null);
    onSearch(trimmed);
  };
  return (
    <Box component="form" role="search" aria-label="Search your messages" onSubmit={submit}>
      <Group gap="xs" align="flex-start" wrap="nowrap">
        <TextInput
          label={LABELS.search}
          type="search"
          placeholder="Words in your messages"
          value={words}
          onChange={(e) => setWords(e.currentTarget.value)}
          error={problem ?? fieldError(error, 'q')}
          style={{ flex: 1, minWidth: 0 }}
        />
        <Button type="submit" variant="light" style={{ alignSelf: 'flex-start' }} mt={25}>
          {LABELS.search}
        </Button>
      </Group>
    </Box>
  );
}

/**
 * Who wrote a message found, in the patient's words: "You" (by name while acting for someone
 * else), or the clinic's author.
 */
function AuthorOf({ author }: { author: SearchResult['author'] }) {
  const named = useActingForOther();
  if (author.kind === 'patient' && !named) return <>You</>;
  return (
    <>
      <Isolate>{author.name}</Isolate>
      {author.kind === 'clinic' ? (
        ' · Automatic message'
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
 * The patient's messages that Search found, best first, one card each: who wrote it, when,
 * and the words around the match, marked. A card opens the conversation at that message.
 */
export function SearchResultCards({
  results,
  timeZone,
  hrefOf,
}: {
  results: SearchResult[];
  timeZone: string;
  hrefOf: (result: SearchResult) => string;
}) {
  return (
    <CardList label="Messages found" items={results.map((r) => ({ ...r, id: r.messageId }))}>
      {(r) => (
        <Card
          component={Link}
          to={hrefOf(r)}
          withBorder
          padding="sm"
          style={{ textDecoration: 'none', color: 'inherit' }}
        >
          <Group justify="space-between" wrap="wrap" gap={4} mb={4} align="baseline">
            <Text size="sm" fw={600} style={{ overflowWrap: 'anywhere' }}>
              <AuthorOf author={r.author} />
            </Text>
            <Text size="xs" c="dimmed" component="time" dateTime={r.createdAt}>
              {formatDateTime(r.createdAt, timeZone)}
            </Text>
          </Group>
          <Snippet parts={r.snippet} lineClamp={4} />
        </Card>
      )}
    </CardList>
  );
}

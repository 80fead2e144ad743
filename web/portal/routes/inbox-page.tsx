import { Affix, Button, Group, Stack, Text, Title } from '@mantine/core';
import { Link, useNavigate, useOutletContext, useSearchParams } from 'react-router';
import { ApiError } from '../../lib/api';
import { ConversationList } from '../../ui/conversation-list';
import { Empty, LoadMore, QueryState } from '../../ui/states';
import { LABELS } from '../../../common/labels';
import { useInbox, usePortalSearch } from '../features/inbox/api';
import { inboxItem } from '../features/inbox/components';
import { useActingForOther } from '../features/acting-for/api';
import { InboxSearchForm, SearchResultCards } from '../features/inbox/search-results';
import type { PortalSession } from '../../../common/contract/auth.js';
import { MessagingUnavailable } from './home-page';

/**
 * The Inbox: conversations newest first, unread ones marked, 20 at a time; Search (rule 16)
 * shows the patient's messages that match instead, the words kept in the address (`?q=`).
 */
export function InboxPage() {
  const session = useOutletContext<PortalSession>();
  if (!session.messaging.allowed) return <MessagingUnavailable session={session} />;
  return <Inbox session={session} />;
}

function Inbox({ session }: { session: PortalSession }) {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const q = params.get('q') || null;
  const inbox = useInbox();
  const conversations = inbox.data?.pages.flatMap((p) => p.conversations) ?? [];
  const found = usePortalSearch(q);
  const named = useActingForOther();
  return (
    <Stack pb={80}>
      <Group justify="space-between">
        <Title order={2}>{LABELS.inbox}</Title>
        <Button component={Link} to="/inbox/new" visibleFrom="sm">
          {LABELS.newMessage}
        </Button>
      </Group>
      <InboxSearchForm
        q={q}
        error={found.error}
        onSearch={(words) => void navigate(`/inbox?${new URLSearchParams({ q: words })}`)}
      />
      {q ? (
        <SearchResults q={q} found={found} timeZone={session.chamber.timeZone} />
      ) : (
        <>
          <QueryState
            query={inbox}
            isEmpty={() => conversations.length === 0}
            empty={`No messages yet. Use “${LABELS.newMessage}” to write to ${session.chamber.name}.`}
          >
            {() => (
              <ConversationList
                items={conversations.map((c) => inboxItem(c, named))}
                timeZone={session.chamber.timeZone}
              />
            )}
          </QueryState>
          <LoadMore query={inbox} />
        </>
      )}
      <Affix position={{ bottom: 16, right: 16 }} hiddenFrom="sm">
        <Button
          component={Link}
          to="/inbox/new"
          size="lg"
          radius="xl"
          aria-label={LABELS.newMessage}
        >
          {LABELS.newMessage}
        </Button>
      </Affix>
    </Stack>
  );
}

/** What Search found: how many, the cards, Load more, and the way back to the Inbox. */
function SearchResults({
  q,
  found,
  timeZone,
}: {
  q: string;
  found: ReturnType<typeof usePortalSearch>;
  timeZone: string;
}) {
  const results = found.data?.pages.flatMap((p) => p.results) ?? [];
  const count = results.length;
  const hrefOf = (r: { conversationId: string; messageId: string }) =>
    `/inbox/${r.conversationId}?${new URLSearchParams({ q, message: r.messageId })}`;
  return (
    <Stack gap="sm" data-testid="search-results">
      <Group justify="space-between" gap="xs" wrap="nowrap">
        <Text size="sm" role="status" style={{ minWidth: 0, overflowWrap: 'anywhere' }}>
          {found.isSuccess && count > 0 && (
            <>
              {count}
              {found.hasNextPage ? '+' : ''} message{count === 1 ? '' : 's'} found for “
              <bdi>{q}</bdi>”
            </>
          )}
        </Text>
        <Button component={Link} to="/inbox" variant="default" size="xs" style={{ flexShrink: 0 }}>
          Clear search
        </Button>
      </Group>
      {found.error instanceof ApiError && found.error.field === 'q' ? (
        <Empty>Change the words above and press {LABELS.search}.</Empty>
      ) : (
        <QueryState
          query={found}
          loadingLabel="Searching…"
          isEmpty={() => count === 0 && !found.hasNextPage}
          empty={
            <>
              No messages match “<bdi>{q}</bdi>”.
            </>
          }
        >
          {() =>
            count === 0 ? (
              <Empty>None among the most recent messages: load more to look further back.</Empty>
            ) : (
              <SearchResultCards results={results} timeZone={timeZone} hrefOf={hrefOf} />
            )
          }
        </QueryState>
      )}
      <LoadMore query={found} />
    </Stack>
  );
}

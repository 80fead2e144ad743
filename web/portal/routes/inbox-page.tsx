import { Affix, Button, Card, Group, Stack, Text, Title } from '@mantine/core';
import { Link, useOutletContext } from 'react-router';
import { formatShort } from '../../lib/format';
import { Empty, ErrorState, Loading } from '../../ui/states';
import { LABELS } from '../../../common/labels';
import { useInbox } from '../features/inbox/api';
import { UnreadBadge } from '../features/inbox/components';
import type { PortalSession } from '../features/session/api';
import { MessagingUnavailable } from './home-page';

/** The Inbox: conversations newest first, unread ones marked, 20 at a time. */
export function InboxPage() {
  const session = useOutletContext<PortalSession>();
  if (!session.messaging.allowed) return <MessagingUnavailable session={session} />;
  return <Inbox session={session} />;
}

function Inbox({ session }: { session: PortalSession }) {
  const inbox = useInbox();
  const conversations = inbox.data?.pages.flatMap((p) => p.conversations) ?? [];
  return (
    <Stack pb={80}>
      <Group justify="space-between">
        <Title order={2}>{LABELS.inbox}</Title>
        <Button component={Link} to="/inbox/new" visibleFrom="sm">
          {LABELS.newMessage}
        </Button>
      </Group>
      {inbox.isPending ? (
        <Loading />
      ) : inbox.isError ? (
        <ErrorState error={inbox.error} onRetry={() => void inbox.refetch()} />
      ) : conversations.length === 0 ? (
        <Empty>
          No messages yet. Use “{LABELS.newMessage}” to write to {session.chamber.name}.
        </Empty>
      ) : (
        <Stack
          gap="xs"
          component="ul"
          style={{ listStyle: 'none', padding: 0, margin: 0 }}
          aria-label="Conversations"
        >
          {conversations.map((c) => (
            <li key={c.id}>
              <Card
                component={Link}
                to={`/inbox/${c.id}`}
                withBorder
                padding="sm"
                style={{ textDecoration: 'none', color: 'inherit' }}
              >
                <Group justify="space-between" wrap="nowrap" gap="xs">
                  <Text size="sm" fw={c.unreadCount > 0 ? 700 : 500} lineClamp={1}>
                    {c.lastMessage.author.kind === 'patient' ? 'You' : c.lastMessage.author.name}
                    {c.lastMessage.author.role ? ` · ${c.lastMessage.author.role}` : ''}
                  </Text>
                  <Group gap={6} wrap="nowrap">
                    <UnreadBadge count={c.unreadCount} />
                    <Text size="xs" c="dimmed" component="time" dateTime={c.lastMessage.createdAt}>
                      {formatShort(c.lastMessage.createdAt, session.chamber.timeZone)}
                    </Text>
                  </Group>
                </Group>
                <Text
                  size="sm"
                  c={c.unreadCount > 0 ? undefined : 'dimmed'}
                  fw={c.unreadCount > 0 ? 600 : 400}
                  lineClamp={2}
                >
                  {c.lastMessage.preview}
                </Text>
              </Card>
            </li>
          ))}
        </Stack>
      )}
      {inbox.hasNextPage && (
        <Button
          variant="default"
          onClick={() => void inbox.fetchNextPage()}
          loading={inbox.isFetchingNextPage}
        >
          Load more
        </Button>
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

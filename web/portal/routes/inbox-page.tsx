import { Affix, Button, Group, Stack, Title } from '@mantine/core';
import { Link, useOutletContext } from 'react-router';
import { ConversationList } from '../../ui/conversation-list';
import { LoadMore, QueryState } from '../../ui/states';
import { LABELS } from '../../../common/labels';
import { useInbox } from '../features/inbox/api';
import { inboxItem } from '../features/inbox/components';
import type { PortalSession } from '../../../common/contract/auth.js';
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
      <QueryState
        query={inbox}
        isEmpty={() => conversations.length === 0}
        empty={`No messages yet. Use “${LABELS.newMessage}” to write to ${session.chamber.name}.`}
      >
        {() => (
          <ConversationList
            items={conversations.map(inboxItem)}
            timeZone={session.chamber.timeZone}
          />
        )}
      </QueryState>
      <LoadMore query={inbox} />
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

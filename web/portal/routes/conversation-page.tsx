import { Anchor, Divider, Stack, Text, Title } from '@mantine/core';
import { useEffect } from 'react';
import { Link, useOutletContext, useParams } from 'react-router';
import { ApiError } from '../../lib/api';
import { ErrorState, Loading } from '../../ui/states';
import { LABELS } from '../../../common/labels';
import { useConversation, useMarkRead, useSend } from '../features/inbox/api';
import { ComposeForm, MessageBubble } from '../features/inbox/components';
import type { PortalSession } from '../../../common/contract/auth.js';
import { MessagingUnavailable } from './home-page';

/** One conversation: its messages oldest first, and the reply box below. */
export function ConversationPage() {
  const session = useOutletContext<PortalSession>();
  const { id = '' } = useParams();
  if (!session.messaging.allowed) return <MessagingUnavailable session={session} />;
  return <Conversation id={id} session={session} />;
}

function Conversation({ id, session }: { id: string; session: PortalSession }) {
  const conversation = useConversation(id);
  const markRead = useMarkRead(id);
  const send = useSend(id);
  const newest = conversation.data?.messages.at(-1)?.id;
  useEffect(() => {
    if (newest) markRead.mutate();
    // Mark read whenever a newer message is shown.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [newest]);

  return (
    <Stack>
      <Anchor component={Link} to="/inbox" size="sm">
        ← {LABELS.inbox}
      </Anchor>
      <Title order={2}>Conversation</Title>
      {conversation.isPending ? (
        <Loading />
      ) : conversation.isError ? (
        conversation.error instanceof ApiError && conversation.error.status === 404 ? (
          <ErrorState error={new Error('This conversation was not found.')} />
        ) : (
          <ErrorState error={conversation.error} onRetry={() => void conversation.refetch()} />
        )
      ) : (
        <>
          <Stack gap="sm" aria-label="Messages" role="log">
            {conversation.data.messages.map((m) => (
              <MessageBubble key={m.id} message={m} timeZone={session.chamber.timeZone} />
            ))}
          </Stack>
          <Divider />
          {conversation.data.canReply ? (
            <ComposeForm
              label="Your reply"
              submitLabel="Send reply"
              pending={send.isPending}
              error={send.error}
              onSend={(text) => send.mutateAsync(text)}
            />
          ) : (
            <Text size="sm" c="dimmed">
              Replies to this conversation are closed. Use “{LABELS.newMessage}” to write again.
            </Text>
          )}
        </>
      )}
    </Stack>
  );
}

import { Alert, Anchor, Badge, Divider, Group, Stack, Text, Title } from '@mantine/core';
import { useEffect } from 'react';
import { Link, useOutletContext, useParams, useSearchParams } from 'react-router';
import { ApiError } from '../../lib/api';
import { formatReplyBy } from '../../lib/format';
import { Isolate } from '../../ui/isolate';
import { ErrorState, Loading } from '../../ui/states';
import { conversationTitle } from '../../../common/conversation-title.js';
import { LABELS } from '../../../common/labels';
import { useConversation, useMarkRead, useSend } from '../features/inbox/api';
import { ComposeForm, MessageBubble } from '../features/inbox/components';
import { AttachFiles, useAttachFiles } from '../features/inbox/attach-files';
import type { PortalSession } from '../../../common/contract/auth.js';
import type { PatientConversation } from '../../../common/contract/messaging.js';
import { MessagingUnavailable } from './home-page';

/**
 * One conversation: its messages oldest first, and the reply box below. Opened from Search
 * (`?q=&message=`), it shows the message found, outlined, and leads back to the results.
 */
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
  const attach = useAttachFiles(id);
  const newest = conversation.data?.messages.at(-1)?.id;
  useEffect(() => {
    if (newest) markRead.mutate();
    // Mark read whenever a newer message is shown.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [newest]);
  const [params] = useSearchParams();
  const q = params.get('q');
  const foundId = params.get('message');
  const shown = Boolean(foundId && conversation.data?.messages.some((m) => m.id === foundId));
  // The message a search led to: in view, with the cursor on it.
  useEffect(() => {
    if (!shown || !foundId) return;
    const el = document.getElementById(`message-${foundId}`);
    el?.scrollIntoView({ block: 'center' });
    el?.focus({ preventScroll: true });
  }, [shown, foundId]);

  const closed = conversation.data?.conversation.status === 'closed';
  return (
    <Stack>
      <Anchor component={Link} to={q ? `/inbox?${new URLSearchParams({ q })}` : '/inbox'} size="sm">
        ← {q ? 'Messages found' : LABELS.inbox}
      </Anchor>
      <Group gap="xs" wrap="wrap" align="center">
        <Title order={2} style={{ overflowWrap: 'anywhere' }}>
          {conversation.data ? <Isolate>{titleOf(conversation.data)}</Isolate> : 'Conversation'}
        </Title>
        {closed && (
          <Badge color="gray" variant="light">
            {LABELS.viewClosed}
          </Badge>
        )}
      </Group>
      {/* Rule 12: the promise stands until a reply comes. */}
      {conversation.data?.conversation.replyBy && (
        <Text size="sm" c="dimmed" data-testid="conversation-reply-by">
          Awaiting a reply: the clinic aims to reply by{' '}
          <Text
            span
            inherit
            fw={600}
            c="var(--mantine-color-text)"
            component="time"
            dateTime={conversation.data.conversation.replyBy}
          >
            {formatReplyBy(conversation.data.conversation.replyBy, session.chamber.timeZone)}
          </Text>
          .
        </Text>
      )}
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
          {foundId && !shown && (
            <Text size="sm" c="dimmed">
              The message found is older than the messages shown here.
            </Text>
          )}
          <Stack gap="sm" aria-label="Messages" role="log">
            {conversation.data.messages.map((m) => (
              <MessageBubble
                key={m.id}
                message={m}
                timeZone={session.chamber.timeZone}
                found={m.id === foundId}
              />
            ))}
          </Stack>
          <Divider />
          {closed && (
            <Alert color="gray" variant="light" p="xs" role="status">
              <Text size="sm">
                {session.chamber.name} closed this conversation. You can still reply: your message
                opens it again.
              </Text>
            </Alert>
          )}
          {conversation.data.canReply ? (
            <ComposeForm
              label="Your reply"
              submitLabel="Send reply"
              draftScope={`reply:${id}`}
              promise={!conversation.data.conversation.replyBy}
              pending={send.isPending || attach.uploading}
              error={send.error}
              onSend={async (text) => {
                const attachmentIds = await attach.upload();
                const sent = await send.mutateAsync({ text, attachmentIds });
                attach.reset();
                return sent;
              }}
            >
              <AttachFiles attach={attach} />
            </ComposeForm>
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

/** How long the first message's start may be when it titles the conversation. */
const TITLE_PREVIEW = 80;

/** The heading: the subject, else the topic, else the start of the first message shown. */
function titleOf({ conversation, messages, nextCursor }: PatientConversation): string {
  const first = nextCursor === null ? messages[0] : undefined;
  const flat = first?.text.replace(/\s+/g, ' ').trim() ?? '';
  const start = flat.length > TITLE_PREVIEW ? `${flat.slice(0, TITLE_PREVIEW).trimEnd()}…` : flat;
  return conversationTitle({
    subject: conversation.subject,
    topic: conversation.topic,
    ...(start ? { lastMessage: { preview: start } } : {}),
  });
}

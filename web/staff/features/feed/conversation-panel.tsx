import { Badge, Divider, Group, Stack, Text, Title } from '@mantine/core';
import { useEffect, useRef } from 'react';
import { ErrorState, Loading } from '../../../ui/states';
import { useConversation, useMarkConversationRead, useStaffSend } from './api';
import { ReplyForm, StaffMessageCard } from './components';

/** One conversation as the signed-in user sees it, with the reply form. */
export function ConversationPanel({
  id,
  timeZone,
  defaultRoleIds,
}: {
  id: string;
  timeZone: string;
  defaultRoleIds: string[];
}) {
  const conversation = useConversation(id);
  const markRead = useMarkConversationRead();
  const send = useStaffSend({ conversationId: id });
  const newest = conversation.data?.messages.at(-1)?.id;
  const heading = useRef<HTMLHeadingElement>(null);
  const loaded = Boolean(conversation.data);
  // Opening a conversation takes the reader to it: on a phone it is below the list.
  useEffect(() => {
    if (loaded) heading.current?.focus();
  }, [id, loaded]);
  useEffect(() => {
    if (newest) markRead.mutate(id);
    // Mark read whenever a newer message is shown.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [newest, id]);

  if (conversation.isPending) return <Loading />;
  if (conversation.isError)
    return <ErrorState error={conversation.error} onRetry={() => void conversation.refetch()} />;
  const c = conversation.data;
  return (
    <Stack gap="sm">
      <Group justify="space-between">
        <Title order={3} size="h4" ref={heading} tabIndex={-1}>
          Conversation with {c.conversation.patient.name}
        </Title>
        {c.conversation.awaitingReply && (
          <Badge color="orange" variant="light">
            Awaiting reply
          </Badge>
        )}
      </Group>
      <Stack gap="xs" role="log" aria-label="Messages">
        {c.messages.map((m) => (
          <StaffMessageCard key={m.id} message={m} timeZone={timeZone} />
        ))}
      </Stack>
      <Divider label="Reply" labelPosition="left" />
      {!c.conversation.patientCanSee && (
        <Text size="xs" c="dimmed">
          The patient cannot see this conversation yet.
        </Text>
      )}
      {c.canReply ? (
        <ReplyForm
          key={id}
          defaultShareWithPatient={c.shareWithPatientByDefault}
          defaultRoleIds={defaultRoleIds}
          pending={send.isPending}
          error={send.error}
          onSend={(input) => send.mutateAsync(input)}
        />
      ) : (
        <Text size="sm" c="dimmed">
          Replies to this conversation are closed.
        </Text>
      )}
    </Stack>
  );
}

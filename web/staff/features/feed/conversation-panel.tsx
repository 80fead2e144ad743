import { Anchor, Badge, Box, Group, Stack, Text, Title } from '@mantine/core';
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { formatDateTime } from '../../../lib/format';
import { Isolate, WithNames } from '../../../ui/isolate';
import { ErrorState, Loading } from '../../../ui/states';
import { conversationTitle } from '../../../../common/conversation-title.js';
import { LABELS } from '../../../../common/labels';
import type { StaffSession } from '../../../../common/contract/auth.js';
import type {
  ConversationState,
  StaffConversation,
  StaffMessageBody,
} from '../../../../common/contract/messaging.js';
import {
  useConversation,
  useMarkConversationRead,
  useStaffSend,
  useTypingColleagues,
  useTypingSignal,
} from './api';
import { ReplyForm, StaffMessageCard } from './components';
import {
  ActionNoticeAlert,
  AssignDialog,
  ConversationActionButtons,
  useConversationActions,
} from './conversation-actions';

/** The most characters of the first message shown as a title when there is no subject or topic. */
const TITLE_PREVIEW = 80;

/** A conversation's title (rule 9): subject, else topic, else the start of its first message. */
function titleOf(c: StaffConversation): string {
  const first = c.messages[0]?.text.replace(/\s+/g, ' ').trim();
  const preview =
    first && first.length > TITLE_PREVIEW ? `${first.slice(0, TITLE_PREVIEW)}…` : first;
  return conversationTitle({
    ...c.conversation,
    ...(preview ? { lastMessage: { preview } } : {}),
  });
}

/** Status, awaiting reply, overdue, red flag, reply-by and assignee: one line of badges. */
export function ConversationStateBadges({
  state,
  timeZone,
}: {
  state: ConversationState;
  timeZone: string;
}) {
  return (
    <Group gap={6} data-testid="conversation-state">
      <Badge color={state.status === 'open' ? 'blue' : 'gray'} variant="light">
        {state.status === 'open' ? LABELS.viewOpen : LABELS.viewClosed}
      </Badge>
      {state.redFlag && <Badge color="red">{LABELS.redFlag}</Badge>}
      {state.overdue && (
        <Badge color="red" variant="light">
          {LABELS.overdue}
        </Badge>
      )}
      {state.awaitingReply && (
        <Badge color="orange" variant="light">
          {LABELS.awaitingReply}
        </Badge>
      )}
      {state.replyBy && (
        <Text size="xs" c="dimmed">
          Reply by <time dateTime={state.replyBy}>{formatDateTime(state.replyBy, timeZone)}</time>
        </Text>
      )}
      <Text size="xs" c="dimmed" data-testid="conversation-assignee">
        {state.assignee ? (
          <>
            Assigned to <Isolate>{state.assignee.name}</Isolate>
          </>
        ) : (
          LABELS.viewUnassigned
        )}
      </Text>
    </Group>
  );
}

/**
 * One conversation as the signed-in user sees it: its heading (title, patient, state, and the
 * actions Assign to me, Assign, Close conversation, Reopen), the messages, "<name> is
 * replying…", and the reply form with Send and Send and close, which stays in view: in `fill`
 * the panel takes its parent's height and the messages scroll between the heading and the
 * form; in `inline` the form sticks to the bottom of the window while the messages scroll by.
 * Replies name the newest message shown (`afterMessageId`): a newer one refuses the send
 * (409), reloads the messages and keeps the draft.
 */
export function ConversationPanel({
  id,
  session,
  layout = 'inline',
  focusOnLoad = 'heading',
  via,
  markRead = true,
  patientLink = true,
  onSent,
  above,
}: {
  id: string;
  session: StaffSession;
  layout?: 'fill' | 'inline';
  /** Where the cursor goes once the conversation is shown: its heading, or the message box. */
  focusOnLoad?: 'heading' | 'composer';
  /** Reply through a notification (which marks it read) rather than to the conversation. */
  via?: { notificationId: string };
  /** Mark the conversation read when shown (not while replying from a notification). */
  markRead?: boolean;
  /** Link the patient's name to their Patient Record. */
  patientLink?: boolean;
  onSent?: (patientName: string) => void;
  /** Above the heading, e.g. the way back to the list on a phone. */
  above?: ReactNode;
}) {
  const conversation = useConversation(id);
  const read = useMarkConversationRead();
  const send = useStaffSend(
    via ? { notificationId: via.notificationId, conversationId: id } : { conversationId: id },
  );
  const typingSignal = useTypingSignal(id);
  const colleagues = useTypingColleagues(id);
  const actions = useConversationActions(session);
  const [assigning, setAssigning] = useState<ConversationState | null>(null);
  const newest = conversation.data?.messages.at(-1)?.id;
  const heading = useRef<HTMLHeadingElement>(null);
  const log = useRef<HTMLDivElement>(null);
  const loaded = Boolean(conversation.data);
  // Opening a conversation takes the reader to it: on a phone it is below the list.
  useEffect(() => {
    if (loaded && focusOnLoad === 'heading') heading.current?.focus();
  }, [id, loaded, focusOnLoad]);
  useEffect(() => {
    if (newest && markRead) read.mutate(id);
    // Mark read whenever a newer message is shown.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [newest, id, markRead]);
  // The newest message is at the bottom: keep it in view as messages arrive.
  useEffect(() => {
    if (log.current) log.current.scrollTop = log.current.scrollHeight;
  }, [newest, loaded]);

  if (conversation.isPending) return <Loading />;
  if (conversation.isError)
    return <ErrorState error={conversation.error} onRetry={() => void conversation.refetch()} />;
  const c = conversation.data;
  const state = c.conversation;
  const tz = session.chamber.timeZone;
  const fill = layout === 'fill';
  const seen = state.seenByPatient;
  const reply = async (input: StaffMessageBody, close = false) => {
    await send.mutateAsync({
      ...input,
      ...(newest ? { afterMessageId: newest } : {}),
      ...(close ? { close: true } : {}),
    });
    typingSignal.sent();
    onSent?.(state.patient.name);
  };
  return (
    <Stack
      gap="xs"
      h={fill ? '100%' : undefined}
      style={fill ? { minHeight: 0 } : undefined}
      data-testid="conversation-panel"
    >
      {above}
      <Stack gap={4} style={{ flexShrink: 0 }}>
        <Title order={3} size="h4" ref={heading} tabIndex={-1} lineClamp={2}>
          <Isolate>{titleOf(c)}</Isolate>
        </Title>
        <Text size="sm" c="dimmed">
          With{' '}
          {patientLink ? (
            <Anchor
              component={Link}
              to={`/patients/${state.patient.id}/conversations/${id}`}
              underline="always"
            >
              <Isolate>{state.patient.name}</Isolate>
            </Anchor>
          ) : (
            <Isolate>{state.patient.name}</Isolate>
          )}
          {state.subject && state.topic && (
            <>
              {' · '}
              <Isolate>{state.topic.name}</Isolate>
            </>
          )}
          {state.answeredBy && (
            <>
              {' · Answered by '}
              <Isolate>{state.answeredBy.name}</Isolate>
            </>
          )}
        </Text>
        <ConversationStateBadges state={state} timeZone={tz} />
        <ConversationActionButtons
          state={state}
          session={session}
          actions={actions}
          onAssign={setAssigning}
        />
        <ActionNoticeAlert actions={actions} />
      </Stack>
      <Stack
        ref={log}
        gap="xs"
        role="log"
        aria-label="Messages"
        // Scrolls by keyboard too.
        tabIndex={0}
        style={{
          overflowY: 'auto',
          ...(fill ? { flex: 1, minHeight: 120 } : { maxHeight: '60vh' }),
          padding: 2,
        }}
      >
        {c.messages.map((m) => (
          <StaffMessageCard
            key={m.id}
            message={m}
            timeZone={tz}
            seenByPatientAt={seen?.messageId === m.id ? seen.at : undefined}
          />
        ))}
      </Stack>
      <Box
        style={{
          flexShrink: 0,
          ...(fill
            ? {}
            : {
                position: 'sticky',
                bottom: 0,
                zIndex: 2,
                background: 'var(--mantine-color-body)',
                borderTop: '1px solid var(--mantine-color-gray-3)',
                paddingBottom: 'var(--mantine-spacing-xs)',
              }),
        }}
        pt={4}
      >
        <Text size="sm" c="teal.9" fs="italic" role="status" mih={fill ? undefined : 0}>
          {colleagues.length > 0 && (
            <>
              <WithNames text={colleagues.join(', ')} names={colleagues} />
              {colleagues.length > 1 ? ' are' : ' is'} replying…
            </>
          )}
        </Text>
        {!state.patientCanSee && (
          <Text size="xs" c="dimmed">
            The patient cannot see this conversation yet.
          </Text>
        )}
        {c.canReply ? (
          <ReplyForm
            key={id}
            patientName={state.patient.name}
            patientId={state.patient.id}
            defaultShareWithPatient={c.shareWithPatientByDefault}
            defaultRoleIds={session.user.roles.map((r) => r.id)}
            pending={send.isPending}
            error={send.error}
            minRows={fill ? 2 : 3}
            draftKey={`${session.user.id}:${id}`}
            autoFocus={focusOnLoad === 'composer'}
            onType={typingSignal.typing}
            onSend={(input) => reply(input)}
            onSendAndClose={state.status === 'open' ? (input) => reply(input, true) : undefined}
          />
        ) : (
          <Text size="sm" c="dimmed">
            Replies to this conversation are closed.
          </Text>
        )}
      </Box>
      <AssignDialog
        state={assigning}
        session={session}
        onClose={() => setAssigning(null)}
        actions={actions}
      />
    </Stack>
  );
}

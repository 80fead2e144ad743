import { Alert, Badge, Box, Group, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { ApiError } from '../../../lib/api';
import type { ConversationListItem } from '../../../ui/conversation-list';
import { Isolate } from '../../../ui/isolate';
import { MessageCard } from '../../../ui/message-card';
import { AttachmentList } from '../../../ui/attachment-list';
import { documentUrl } from '../shared-items/api';
import { MessageForm } from '../../../ui/message-form';
import { useAfterSend } from '../../../ui/after-send';
import type { InboxLine, PatientMessage } from '../../../../common/contract/messaging.js';
import { ELIGIBILITY_CODES, LABELS } from '../../../../common/labels';
import { useClinicInfo, useReplyTime } from '../clinic/api';
import { useActingForOther, usePagePatientInfo } from '../acting-for/api';
import {
  ClinicContact,
  RedFlagWarning,
  ReplyPromise,
  useRedFlagMatcher,
} from '../clinic/components';

export const EMERGENCY_NOTICE =
  'Not for emergencies: in an emergency call 999. Messages are read during opening hours.';

/**
 * One message: the clinic's on the left with author name and role, the patient's own on the
 * right ("You"; by name while acting for someone else, as "Carol Carter for Charlie Carter"
 * or the patient's own). The clinic's automatic message (rule 13) is written by no one: it
 * says so. The one a search led to (`found`) is outlined and can take the cursor.
 */
export function MessageBubble({
  message,
  timeZone,
  found = false,
}: {
  message: PatientMessage;
  timeZone: string;
  found?: boolean;
}) {
  const named = useActingForOther();
  const mine = message.mine && !named;
  const ours = message.mine;
  const automatic = message.author.kind === 'clinic';
  return (
    <Box
      id={`message-${message.id}`}
      tabIndex={found ? -1 : undefined}
      aria-current={found ? 'true' : undefined}
      style={{
        display: 'flex',
        justifyContent: ours ? 'flex-end' : 'flex-start',
        scrollMarginTop: 80,
        outline: 'none',
      }}
    >
      <MessageCard
        label={
          mine
            ? 'Your message'
            : automatic
              ? `Automatic message from ${message.author.name}`
              : `Message from ${message.author.name}`
        }
        author={
          <Text size="xs" fw={600}>
            {mine ? 'You' : <Isolate>{message.author.name}</Isolate>}
            {automatic ? ' · Automatic message' : ''}
            {!mine && !automatic && message.author.role && (
              <>
                {' · '}
                <Isolate>{message.author.role}</Isolate>
              </>
            )}
          </Text>
        }
        createdAt={message.createdAt}
        timeZone={timeZone}
        text={message.text}
        maw="85%"
        bg={
          ours
            ? 'var(--mantine-color-teal-0)'
            : automatic
              ? 'var(--mantine-color-blue-0)'
              : 'var(--mantine-color-gray-0)'
        }
        style={{
          ...(automatic ? { borderStyle: 'dashed' } : {}),
          ...(found
            ? { outline: '3px solid var(--mantine-color-yellow-6)', outlineOffset: 1 }
            : {}),
        }}
      >
        <AttachmentList attachments={message.attachments} hrefOf={documentUrl} />
      </MessageCard>
    </Box>
  );
}

/** A refusal of rule 1 (no portal, no messaging): the patient is told to contact the clinic. */
const mustContactClinic = (error: unknown) =>
  error instanceof ApiError && (ELIGIBILITY_CODES as readonly string[]).includes(error.code);

/**
 * Compose box: the emergency notice, `before` (e.g. what the message is about), the text, and
 * right above Send the clinic's Emergency advice while the text matches a red flag phrase
 * (rule 14: a warning, never a block) and when the clinic aims to reply (rule 12). The draft
 * stays until it is sent.
 */
export function ComposeForm({
  before,
  promise = true,
  ...props
}: {
  label: string;
  submitLabel: string;
  pending: boolean;
  error: unknown;
  onSend: (text: string) => Promise<unknown>;
  /**
   * Say when the clinic aims to reply to a message sent now; not in a conversation that awaits a
   * reply already (a new message does not move its promise, shown above).
   */
  promise?: boolean;
  autoFocus?: boolean;
  before?: ReactNode;
  /** Between the message box and Send, e.g. the attached files. */
  children?: ReactNode;
  /** The fields of `before` that an error may name. */
  fields?: string[];
  /**
   * What the draft is (`reply:<conversation>`, `new`): it is kept per patient while unsent, so a
   * page built again (another patient acted for meanwhile, and back) finds it.
   */
  draftScope?: string;
}) {
  const { draftScope, ...rest } = props;
  const page = usePagePatientInfo();
  const draftKey = draftScope && page ? `portal:${page.id}:${draftScope}` : undefined;
  const clinic = useClinicInfo();
  const replyTime = useReplyTime(promise);
  const redFlags = useRedFlagMatcher(clinic.data);
  // Send disables itself while sending: the cursor goes back to the box, "Message sent" is said.
  const sent = useAfterSend();
  return (
    <MessageForm
      {...rest}
      draftKey={draftKey}
      onSend={sent.after(props.onSend)}
      messageRef={sent.ref}
      notice={
        <>
          {page?.other && (
            <Text size="sm" fw={600} c="grape.9" data-testid="writing-for">
              You are writing for <Isolate>{page.name}</Isolate>.
            </Text>
          )}
          <Alert color="orange" variant="light" p="xs">
            <Text size="xs">{EMERGENCY_NOTICE}</Text>
          </Alert>
          {mustContactClinic(props.error) && <ClinicContact />}
          {before}
        </>
      }
      beforeSend={(text) => (
        <>
          {clinic.data && <RedFlagWarning clinic={clinic.data} matched={redFlags(text)} />}
          {promise && (
            <Group justify="flex-end">
              <ReplyPromise replyTime={replyTime.data} />
            </Group>
          )}
        </>
      )}
    />
  );
}

/**
 * An Inbox line for the conversation list: titled by its subject, else its topic, else the
 * preview (the list decides); the patient's own messages are "You" (by name while acting for
 * someone else: `named`); a closed one says so.
 */
export function inboxItem(c: InboxLine, named = false): ConversationListItem {
  const { author } = c.lastMessage;
  return {
    id: c.id,
    href: `/inbox/${c.id}`,
    author:
      author.kind === 'patient' && !named ? (
        'You'
      ) : (
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
      ),
    preview: c.lastMessage.preview,
    at: c.lastMessage.createdAt,
    unread: c.unreadCount > 0,
    subject: c.subject,
    topic: c.topic,
    badges: c.unreadCount > 0 && (
      <Badge color="teal" size="sm">
        {c.unreadCount} new
      </Badge>
    ),
    tags: c.status === 'closed' && (
      <Badge color="gray" variant="light" size="sm">
        {LABELS.viewClosed}
      </Badge>
    ),
  };
}

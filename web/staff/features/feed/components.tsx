import {
  Badge,
  Box,
  Button,
  Checkbox,
  Group,
  MultiSelect,
  Popover,
  Select,
  Stack,
  Text,
  TextInput,
  VisuallyHidden,
} from '@mantine/core';
import { useId, useState, type Ref } from 'react';
import { ApiError, fieldError } from '../../../lib/api';
import { formatDateTime } from '../../../lib/format';
import type { ConversationListItem } from '../../../ui/conversation-list';
import { ChevronIcon, EyeIcon, LockIcon } from '../../../ui/icons';
import { Isolate, WithNames } from '../../../ui/isolate';
import { MessageCard } from '../../../ui/message-card';
import { AttachmentList } from '../../../ui/attachment-list';
import { MessageForm } from '../../../ui/message-form';
import { useAfterSend } from '../../../ui/after-send';
import { QuickReplyMenu } from './quick-reply-menu';
import { LABELS } from '../../../../common/labels';
import { SUBJECT_MAX_LENGTH, textLength } from '../../../../common/limits.js';
import { useRoles } from '../session/api';
import type {
  Audience,
  FeedLine,
  StaffMessage,
  StaffReplyBody,
  StaffStartBody,
} from '../../../../common/contract/messaging.js';

/** Where staff download a document, a patient's attachment among them. */
const staffDocumentUrl = (id: string) => `/api/v1/documents/${id}/content`;

/** The "Shared with" line: Patient and role names, or that only the author sees it. */
export function sharedWithText(m: StaffMessage): string {
  const parts = [...(m.sharedWithPatient ? ['Patient'] : []), ...m.roles.map((r) => r.name)];
  return parts.length > 0 ? parts.join(', ') : 'only the author';
}

/**
 * A message in a conversation. An internal note (not shared with the patient) cannot be taken
 * for a message the patient sees: yellow, a padlock, and "Internal note: only <roles>". The
 * clinic's automatic out-of-hours message (rule 13) is written by no one: it says so. A red
 * flag (rule 14) is marked. `seenByPatientAt` puts "Seen by patient <time>" under it.
 */
export function StaffMessageCard({
  message,
  timeZone,
  seenByPatientAt,
}: {
  message: StaffMessage;
  timeZone: string;
  seenByPatientAt?: string;
}) {
  const note = message.internalNote;
  const patient = message.author.kind === 'patient';
  const automatic = message.author.kind === 'clinic';
  const noteRoles = message.roles.length
    ? message.roles.map((r) => r.name).join(', ')
    : 'the author';
  const accent = note ? 'yellow-6' : patient ? 'blue-6' : automatic ? 'gray-5' : 'teal-7';
  return (
    <MessageCard
      label={`${note ? 'Internal note' : automatic ? 'Automatic message' : 'Message'} from ${message.author.name}${message.redFlag ? ', red flag' : ''}`}
      author={
        <Group gap={6}>
          <Text size="sm" fw={600}>
            <Isolate>{message.author.name}</Isolate>
          </Text>
          <Text size="xs" c="dimmed">
            {patient ? (
              'Patient'
            ) : automatic ? (
              'Automatic message'
            ) : (
              <Isolate>{message.author.role ?? 'Staff'}</Isolate>
            )}
          </Text>
          {message.redFlag && (
            <Badge size="xs" color="red" data-testid="message-red-flag">
              {LABELS.redFlag}
            </Badge>
          )}
        </Group>
      }
      createdAt={message.createdAt}
      timeZone={timeZone}
      text={message.text}
      bg={
        note
          ? 'var(--mantine-color-yellow-0)'
          : patient
            ? 'var(--mantine-color-gray-0)'
            : automatic
              ? 'var(--mantine-color-gray-1)'
              : undefined
      }
      style={{
        // In a conversation taller than the panel the list scrolls; a card never shrinks.
        flexShrink: 0,
        borderLeft: `4px solid var(--mantine-color-${accent})`,
        ...(note ? { borderStyle: 'dashed', borderColor: 'var(--mantine-color-yellow-6)' } : {}),
      }}
    >
      <AttachmentList attachments={message.attachments} hrefOf={staffDocumentUrl} />
      {note ? (
        <Group gap={6} mt={6} wrap="nowrap" c="var(--mantine-color-yellow-light-color)">
          <LockIcon />
          <Text size="xs" fw={600}>
            Internal note: only{' '}
            <WithNames text={noteRoles} names={message.roles.map((r) => r.name)} />
          </Text>
        </Group>
      ) : (
        <Text size="xs" c="dimmed" mt={6}>
          {automatic && 'Sent automatically because the clinic was closed. '}
          Shared with:{' '}
          <WithNames text={sharedWithText(message)} names={message.roles.map((r) => r.name)} />
        </Text>
      )}
      {seenByPatientAt && (
        <Text size="xs" c="teal.9" mt={4} data-testid="seen-by-patient">
          Seen by patient{' '}
          <time dateTime={seenByPatientAt}>{formatDateTime(seenByPatientAt, timeZone)}</time>
        </Text>
      )}
    </MessageCard>
  );
}

type Mode = 'standard' | 'patient' | 'roles';

/** Who will see a message, in words: the patient's name and the roles' names. */
function audienceWords(audience: Audience, patientName: string, roleNames: string[]) {
  if (audience.shareWithPatient)
    return { kind: 'patient' as const, words: [patientName, ...roleNames].join(', ') };
  if (roleNames.length > 0)
    return { kind: 'note' as const, words: `Internal note: only ${roleNames.join(', ')}` };
  return { kind: 'nobody' as const, words: 'Nobody yet: choose the patient or a role' };
}

/**
 * The one audience control of SPEC rule 3: it says in words who will see the message ("Alice
 * Archer, Reception, Nurses", or "Internal note: only Nurses" on yellow) and opens, over the
 * form so that Send stays where it is, to change it: a tick "also share with the patient" with
 * a choice of roles, or, from the dropdown, exclusively with the patient or exclusively with
 * roles.
 */
function AudienceControl(props: {
  patientName: string;
  audience: Audience;
  mode: Mode;
  onMode: (mode: Mode) => void;
  alsoPatient: boolean;
  onAlsoPatient: (on: boolean) => void;
  roleIds: string[];
  onRoleIds: (ids: string[]) => void;
  error: unknown;
}) {
  const roles = useRoles();
  const errorId = useId();
  const titleId = useId();
  const roleError = fieldError(props.error, 'roleIds');
  const [opened, setOpened] = useState(false);
  const names = new Map((roles.data?.roles ?? []).map((r) => [r.id, r.name]));
  const roleNames = props.audience.roleIds.map((id) => names.get(id) ?? 'a role');
  const { kind, words } = audienceWords(props.audience, props.patientName, roleNames);
  const color = kind === 'patient' ? 'teal' : kind === 'note' ? 'yellow' : 'red';
  const sentence = kind === 'patient' ? `Who will see it: ${words}` : words;
  // The pickers open inside the dialog, so choosing in them does not close it.
  const inside = { withinPortal: false };
  return (
    <Box data-testid="audience-control">
      <Popover
        opened={opened}
        onChange={setOpened}
        position="top"
        width="target"
        trapFocus
        returnFocus
        // Escape is handled below: an open list of roles closes first, as in a modal dialog.
        closeOnEscape={false}
        shadow="md"
        withArrow
      >
        <Popover.Target>
          <Button
            variant="light"
            color={color}
            fullWidth
            justify="space-between"
            leftSection={kind === 'patient' ? <EyeIcon /> : <LockIcon />}
            rightSection={
              <Group gap={4} wrap="nowrap">
                <Text span size="xs" fw={600} inherit>
                  Change
                </Text>
                <ChevronIcon style={{ transform: opened ? 'rotate(180deg)' : undefined }} />
              </Group>
            }
            onClick={() => setOpened((o) => !o)}
            aria-describedby={roleError ? errorId : undefined}
            styles={{
              root: { height: 'auto', minHeight: 36, paddingBlock: 6 },
              label: { whiteSpace: 'normal', textAlign: 'left', flex: 1 },
            }}
          >
            <WithNames text={sentence} names={[props.patientName, ...roleNames]} />
          </Button>
        </Popover.Target>
        {/* Named by its title: Mantine would name it by the button that opens it. */}
        <Popover.Dropdown
          aria-labelledby={titleId}
          onKeyDown={(e) => {
            const target = e.target as HTMLElement;
            if (e.key === 'Escape' && !target.hasAttribute('data-mantine-stop-propagation'))
              setOpened(false);
          }}
        >
          <Stack gap="xs">
            <Text id={titleId} size="sm" fw={600}>
              Who will see the message
            </Text>
            <Select
              label="Share"
              value={props.mode}
              onChange={(v) => props.onMode((v as Mode | null) ?? 'standard')}
              allowDeselect={false}
              comboboxProps={inside}
              data={[
                { value: 'standard', label: 'Roles below, and the patient if ticked' },
                { value: 'patient', label: LABELS.exclusivelyWithPatient },
                { value: 'roles', label: LABELS.exclusivelyWithRoles },
              ]}
            />
            {props.mode === 'standard' && (
              <Checkbox
                label={LABELS.alsoShareWithPatient}
                checked={props.alsoPatient}
                onChange={(e) => props.onAlsoPatient(e.currentTarget.checked)}
              />
            )}
            {props.mode !== 'patient' && (
              <MultiSelect
                label="Roles"
                placeholder={props.roleIds.length ? undefined : 'Choose roles'}
                data={(roles.data?.roles ?? []).map((r) => ({ value: r.id, label: r.name }))}
                value={props.roleIds}
                onChange={props.onRoleIds}
                error={roleError}
                comboboxProps={inside}
                searchable
                clearable
              />
            )}
            <Text
              size="xs"
              fw={600}
              c={kind === 'note' ? 'var(--mantine-color-yellow-light-color)' : undefined}
            >
              <WithNames text={sentence} names={[props.patientName, ...roleNames]} />
            </Text>
            <Group justify="flex-end">
              <Button size="compact-sm" variant="default" onClick={() => setOpened(false)}>
                Done
              </Button>
            </Group>
          </Stack>
        </Popover.Dropdown>
      </Popover>
      {roleError && (
        <Text id={errorId} size="xs" c="red.9" mt={4}>
          {roleError}
        </Text>
      )}
      {/* Changes of audience are read out as they happen. */}
      <VisuallyHidden role="status">
        <WithNames text={sentence} names={[props.patientName, ...roleNames]} />
      </VisuallyHidden>
    </Box>
  );
}

/** What the writer is told when a newer message arrived before their send (rule 11). */
const CONVERSATION_CHANGED = 'A new message arrived: read it, then send again.';

/**
 * The reply form of SPEC rule 3 with its audience control; when starting a conversation, also
 * a Subject (seen by everyone who sees the conversation). With `onSendAndClose`, a "Send and
 * close" button beside Send. A send refused because a new message arrived keeps the draft and
 * says so.
 */
export function ReplyForm(props: {
  patientName: string;
  /** The patient written to: Insert quick reply fills its variables for them. */
  patientId: string;
  defaultShareWithPatient: boolean;
  defaultRoleIds: string[];
  pending: boolean;
  error: unknown;
  submitLabel?: string;
  onSend: (input: StaffStartBody) => Promise<unknown>;
  /** "Send and close" (rule 10), when replying in a conversation. */
  onSendAndClose?: (input: StaffReplyBody) => Promise<unknown>;
  /** Starting a conversation: offer a Subject. */
  withSubject?: boolean;
  /** Hears each keystroke (for "is replying…"). */
  onType?: () => void;
  /** The message box, for a caller that moves the cursor there. */
  messageRef?: Ref<HTMLTextAreaElement>;
  autoFocus?: boolean;
  minRows?: number;
  /** Keeps the unsent text when the form is built again (see web/lib/drafts.ts). */
  draftKey?: string;
}) {
  const [mode, setMode] = useState<Mode>('standard');
  const [alsoPatient, setAlsoPatient] = useState(props.defaultShareWithPatient);
  const [roleIds, setRoleIds] = useState<string[]>(props.defaultRoleIds);
  const [subject, setSubject] = useState('');
  const audience: Audience =
    mode === 'patient'
      ? { shareWithPatient: true, roleIds: [] }
      : mode === 'roles'
        ? { shareWithPatient: false, roleIds }
        : { shareWithPatient: alsoPatient, roleIds };
  const error =
    props.error instanceof ApiError && props.error.code === 'conversation_changed'
      ? new ApiError(409, 'conversation_changed', CONVERSATION_CHANGED)
      : props.error;
  const subjectError =
    fieldError(props.error, 'subject') ??
    // Counted as the server counts it: blanks folded, in code points.
    (textLength(subject.replace(/\s+/g, ' ').trim()) > SUBJECT_MAX_LENGTH
      ? `A subject can be at most ${SUBJECT_MAX_LENGTH} characters long.`
      : undefined);
  const { onSendAndClose } = props;
  // Send disables itself while sending: the cursor goes back to the box, "Message sent" is said.
  const sent = useAfterSend(props.messageRef);
  return (
    <MessageForm
      label="Message"
      submitLabel={props.submitLabel ?? LABELS.send}
      pending={props.pending}
      error={error}
      fields={['roleIds', ...(props.withSubject ? ['subject'] : [])]}
      messageRef={sent.ref}
      autoFocus={props.autoFocus}
      minRows={props.minRows}
      draftKey={props.draftKey}
      note={!audience.shareWithPatient}
      tools={(box) => <QuickReplyMenu patientId={props.patientId} {...box} />}
      onTextChange={(text) => {
        if (text.trim()) props.onType?.();
      }}
      onSend={sent.after((text: string) =>
        props.onSend({
          text,
          ...audience,
          ...(props.withSubject && subject.trim() ? { subject: subject.trim() } : {}),
        }),
      )}
      otherSend={
        onSendAndClose && {
          label: LABELS.sendAndClose,
          onSend: sent.after((text: string) => onSendAndClose({ text, ...audience, close: true })),
        }
      }
      before={
        props.withSubject && (
          <TextInput
            label={LABELS.subject}
            description="Optional. Everyone who sees this conversation sees its subject, the patient too once a message is shared with them."
            value={subject}
            onChange={(e) => setSubject(e.currentTarget.value)}
            error={subjectError}
          />
        )
      }
    >
      <AudienceControl
        patientName={props.patientName}
        audience={audience}
        mode={mode}
        onMode={setMode}
        alsoPatient={alsoPatient}
        onAlsoPatient={setAlsoPatient}
        roleIds={roleIds}
        onRoleIds={setRoleIds}
        error={props.error}
      />
    </MessageForm>
  );
}

/** A Feed line for the conversation list, with its state as tags. */
export function feedItem(patientId: string, c: FeedLine): ConversationListItem {
  const tags = [
    c.status === 'closed' && (
      <Badge key="closed" size="xs" color="gray" variant="light">
        {LABELS.viewClosed}
      </Badge>
    ),
    c.awaitingReply && (
      <Badge key="awaiting" size="xs" color="orange" variant="light">
        {LABELS.awaitingReply}
      </Badge>
    ),
    c.unreadCount > 0 && (
      <Badge key="unread" size="xs" color="teal">
        {c.unreadCount} unread
      </Badge>
    ),
    c.lastMessage.internalNote && (
      <Badge key="note" size="xs" color="yellow" variant="light">
        Internal note
      </Badge>
    ),
    c.assignee && (
      <Text key="assignee" size="xs" c="dimmed">
        Assigned to <Isolate>{c.assignee.name}</Isolate>
      </Text>
    ),
  ].filter(Boolean);
  return {
    id: c.id,
    href: `/patients/${patientId}/conversations/${c.id}`,
    author: c.lastMessage.author.name,
    preview: c.lastMessage.preview,
    at: c.lastMessage.createdAt,
    unread: c.unreadCount > 0,
    subject: c.subject,
    topic: c.topic,
    tags: tags.length > 0 ? tags : undefined,
  };
}

import { Badge, Checkbox, Group, MultiSelect, Select, Text } from '@mantine/core';
import { useState, type Ref } from 'react';
import { fieldError } from '../../../lib/api';
import type { ConversationListItem } from '../../../ui/conversation-list';
import { MessageCard } from '../../../ui/message-card';
import { MessageForm } from '../../../ui/message-form';
import { LABELS } from '../../../../common/labels';
import { useRoles } from '../session/api';
import type {
  Audience,
  FeedLine,
  StaffMessage,
  StaffMessageBody,
} from '../../../../common/contract/messaging.js';

/** The "Shared with" line: Patient and role names, or that only the author sees it. */
export function sharedWithText(m: StaffMessage): string {
  const parts = [...(m.sharedWithPatient ? ['Patient'] : []), ...m.roles.map((r) => r.name)];
  return parts.length > 0 ? parts.join(', ') : 'only the author';
}

/** A message in the Feed; internal notes (not shared with the patient) look distinct. */
export function StaffMessageCard({
  message,
  timeZone,
}: {
  message: StaffMessage;
  timeZone: string;
}) {
  const note = message.internalNote;
  const patient = message.author.kind === 'patient';
  return (
    <MessageCard
      label={`${note ? 'Internal note' : 'Message'} from ${message.author.name}`}
      author={
        <Group gap={6}>
          <Text size="sm" fw={600}>
            {message.author.name}
          </Text>
          <Text size="xs" c="dimmed">
            {patient ? 'Patient' : (message.author.role ?? 'Staff')}
          </Text>
          {note && (
            <Badge color="yellow" variant="light" size="sm">
              Internal note
            </Badge>
          )}
        </Group>
      }
      createdAt={message.createdAt}
      timeZone={timeZone}
      text={message.text}
      bg={
        note ? 'var(--mantine-color-yellow-0)' : patient ? 'var(--mantine-color-gray-0)' : undefined
      }
      style={{
        borderLeft: `4px solid var(--mantine-color-${note ? 'yellow-6' : patient ? 'blue-6' : 'teal-7'})`,
      }}
    >
      <Text size="xs" c="dimmed" mt={6}>
        Shared with: {sharedWithText(message)}
      </Text>
    </MessageCard>
  );
}

type Mode = 'standard' | 'patient' | 'roles';

/**
 * The reply form of SPEC rule 3: a tick "also share with the patient" with a choice of roles,
 * or, from the dropdown, exclusively with the patient or exclusively with roles.
 */
export function ReplyForm(props: {
  defaultShareWithPatient: boolean;
  defaultRoleIds: string[];
  pending: boolean;
  error: unknown;
  submitLabel?: string;
  onSend: (input: StaffMessageBody) => Promise<unknown>;
  /** The message box, for a caller that moves the cursor there. */
  messageRef?: Ref<HTMLTextAreaElement>;
}) {
  const roles = useRoles();
  const [mode, setMode] = useState<Mode>('standard');
  const [alsoPatient, setAlsoPatient] = useState(props.defaultShareWithPatient);
  const [roleIds, setRoleIds] = useState<string[]>(props.defaultRoleIds);
  const audience: Audience =
    mode === 'patient'
      ? { shareWithPatient: true, roleIds: [] }
      : mode === 'roles'
        ? { shareWithPatient: false, roleIds }
        : { shareWithPatient: alsoPatient, roleIds };
  return (
    <MessageForm
      label="Message"
      submitLabel={props.submitLabel ?? 'Send'}
      pending={props.pending}
      error={props.error}
      fields={['roleIds']}
      messageRef={props.messageRef}
      onSend={(text) => props.onSend({ text, ...audience })}
    >
      <Select
        label="Share"
        value={mode}
        onChange={(v) => setMode((v as Mode) ?? 'standard')}
        allowDeselect={false}
        data={[
          { value: 'standard', label: 'Roles below, and the patient if ticked' },
          { value: 'patient', label: LABELS.exclusivelyWithPatient },
          { value: 'roles', label: LABELS.exclusivelyWithRoles },
        ]}
      />
      {mode === 'standard' && (
        <Checkbox
          label={LABELS.alsoShareWithPatient}
          checked={alsoPatient}
          onChange={(e) => setAlsoPatient(e.currentTarget.checked)}
        />
      )}
      {mode !== 'patient' && (
        <MultiSelect
          label="Roles"
          placeholder={roleIds.length ? undefined : 'Choose roles'}
          data={(roles.data?.roles ?? []).map((r) => ({ value: r.id, label: r.name }))}
          value={roleIds}
          onChange={setRoleIds}
          error={fieldError(props.error, 'roleIds')}
          searchable
          clearable
        />
      )}
      <Text size="xs" c="dimmed" aria-live="polite">
        {audience.shareWithPatient
          ? 'The patient will see this message.'
          : 'Internal note: the patient will not see this message.'}
      </Text>
    </MessageForm>
  );
}

/** A Feed line for the conversation list, with its state as tags. */
export function feedItem(patientId: string, c: FeedLine): ConversationListItem {
  const tags = [
    c.awaitingReply && (
      <Badge key="awaiting" size="xs" color="orange" variant="light">
        Awaiting reply
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
  ].filter(Boolean);
  return {
    id: c.id,
    href: `/patients/${patientId}/conversations/${c.id}`,
    author: c.lastMessage.author.name,
    preview: c.lastMessage.preview,
    at: c.lastMessage.createdAt,
    unread: c.unreadCount > 0,
    tags: tags.length > 0 ? tags : undefined,
  };
}

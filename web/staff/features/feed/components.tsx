import {
  Alert,
  Badge,
  Button,
  Card,
  Checkbox,
  Group,
  MultiSelect,
  Select,
  Stack,
  Text,
  Textarea,
} from '@mantine/core';
import { useRef, useState, type FormEvent, type Ref } from 'react';
import { fieldError, formError, sessionEnded } from '../../../lib/api';
import { formatDateTime } from '../../../lib/format';
import { useFocusOnError } from '../../../ui/focus-on-error';
import { MessageText } from '../../../ui/message-text';
import { LABELS } from '../../../../common/labels';
import { useRoles } from '../session/api';
import type { Audience, StaffMessage } from './api';

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
  return (
    <Card
      component="article"
      withBorder
      padding="sm"
      aria-label={`${note ? 'Internal note' : 'Message'} from ${message.author.name}`}
      bg={
        note
          ? 'var(--mantine-color-yellow-0)'
          : message.author.kind === 'patient'
            ? 'var(--mantine-color-gray-0)'
            : undefined
      }
      style={
        note
          ? { borderLeft: '4px solid var(--mantine-color-yellow-6)' }
          : message.author.kind === 'patient'
            ? { borderLeft: '4px solid var(--mantine-color-blue-6)' }
            : { borderLeft: '4px solid var(--mantine-color-teal-7)' }
      }
    >
      <Group justify="space-between" gap="xs" mb={4} wrap="wrap">
        <Group gap={6}>
          <Text size="sm" fw={600}>
            {message.author.name}
          </Text>
          <Text size="xs" c="dimmed">
            {message.author.kind === 'patient' ? 'Patient' : (message.author.role ?? 'Staff')}
          </Text>
          {note && (
            <Badge color="yellow" variant="light" size="sm">
              Internal note
            </Badge>
          )}
        </Group>
        <Text size="xs" c="dimmed" component="time" dateTime={message.createdAt}>
          {formatDateTime(message.createdAt, timeZone)}
        </Text>
      </Group>
      <MessageText text={message.text} />
      <Text size="xs" c="dimmed" mt={6}>
        Shared with: {sharedWithText(message)}
      </Text>
    </Card>
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
  onSend: (input: { text: string } & Audience) => Promise<unknown>;
  /** The message box, for a caller that moves the cursor there. */
  messageRef?: Ref<HTMLTextAreaElement>;
}) {
  const roles = useRoles();
  const [text, setText] = useState('');
  const form = useRef<HTMLFormElement>(null);
  useFocusOnError(form, props.error);
  const [mode, setMode] = useState<Mode>('standard');
  const [alsoPatient, setAlsoPatient] = useState(props.defaultShareWithPatient);
  const [roleIds, setRoleIds] = useState<string[]>(props.defaultRoleIds);
  const audience: Audience =
    mode === 'patient'
      ? { shareWithPatient: true, roleIds: [] }
      : mode === 'roles'
        ? { shareWithPatient: false, roleIds }
        : { shareWithPatient: alsoPatient, roleIds };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await props.onSend({ text, ...audience });
      setText('');
    } catch {
      // Shown below; the draft is kept.
    }
  };
  const general = sessionEnded(props.error)
    ? undefined
    : formError(props.error, ['text', 'roleIds']);
  return (
    <form ref={form} onSubmit={submit} noValidate>
      <Stack gap="xs">
        {general && (
          <Alert color="red" role="alert">
            {general}
          </Alert>
        )}
        <Textarea
          ref={props.messageRef}
          label="Message"
          // In the New conversation dialog the cursor starts here.
          data-autofocus
          autosize
          minRows={3}
          maxRows={12}
          value={text}
          onChange={(e) => setText(e.currentTarget.value)}
          error={fieldError(props.error, 'text')}
        />
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
        <Group justify="flex-end">
          <Button type="submit" loading={props.pending} disabled={text.trim().length === 0}>
            {props.submitLabel ?? 'Send'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

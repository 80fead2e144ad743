import { Alert, Badge, Box, Button, Card, Group, Stack, Text, Textarea } from '@mantine/core';
import { useRef, useState, type FormEvent } from 'react';
import { fieldError, formError, sessionEnded } from '../../../lib/api';
import { formatDateTime } from '../../../lib/format';
import { useFocusOnError } from '../../../ui/focus-on-error';
import { MessageText } from '../../../ui/message-text';
import type { Message } from './api';

export const EMERGENCY_NOTICE =
  'Not for emergencies: in an emergency call 999. Messages are read during opening hours.';

/** One message: the clinic's on the left with author name and role, the patient's own on the right. */
export function MessageBubble({ message, timeZone }: { message: Message; timeZone: string }) {
  const mine = message.mine;
  return (
    <Box style={{ display: 'flex', justifyContent: mine ? 'flex-end' : 'flex-start' }}>
      <Card
        component="article"
        withBorder
        padding="sm"
        maw="85%"
        bg={mine ? 'var(--mantine-color-teal-0)' : 'var(--mantine-color-gray-0)'}
        aria-label={mine ? 'Your message' : `Message from ${message.author.name}`}
      >
        <Group justify="space-between" gap="xs" mb={4} wrap="wrap">
          <Text size="xs" fw={600}>
            {mine ? 'You' : message.author.name}
            {!mine && message.author.role ? ` · ${message.author.role}` : ''}
          </Text>
          <Text size="xs" c="dimmed" component="time" dateTime={message.createdAt}>
            {formatDateTime(message.createdAt, timeZone)}
          </Text>
        </Group>
        <MessageText text={message.text} />
      </Card>
    </Box>
  );
}

/** Compose box: the text, the emergency notice, Send. The draft stays until it is sent. */
export function ComposeForm(props: {
  label: string;
  submitLabel: string;
  pending: boolean;
  error: unknown;
  onSend: (text: string) => Promise<unknown>;
  autoFocus?: boolean;
}) {
  const [text, setText] = useState('');
  const form = useRef<HTMLFormElement>(null);
  useFocusOnError(form, props.error);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await props.onSend(text);
      setText('');
    } catch {
      // The error is shown below; the draft is kept.
    }
  };
  const general = sessionEnded(props.error) ? undefined : formError(props.error, ['text']);
  const tooLong = text.length > 5000;
  return (
    <form ref={form} onSubmit={submit} noValidate>
      <Stack gap="xs">
        <Alert color="orange" variant="light" p="xs">
          <Text size="xs">{EMERGENCY_NOTICE}</Text>
        </Alert>
        {general && (
          <Alert color="red" role="alert">
            {general}
          </Alert>
        )}
        <Textarea
          label={props.label}
          autosize
          minRows={3}
          maxRows={12}
          value={text}
          onChange={(e) => setText(e.currentTarget.value)}
          error={
            fieldError(props.error, 'text') ??
            (tooLong ? 'A message can be at most 5,000 characters long.' : undefined)
          }
          description={`${text.length.toLocaleString('en-GB')} / 5,000`}
          data-autofocus={props.autoFocus || undefined}
          autoFocus={props.autoFocus}
        />
        <Group justify="flex-end">
          <Button
            type="submit"
            loading={props.pending}
            disabled={text.trim().length === 0 || tooLong}
          >
            {props.submitLabel}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export function UnreadBadge({ count }: { count: number }) {
  if (count === 0) return null;
  return (
    <Badge color="teal" size="sm">
      {count} new
    </Badge>
  );
}

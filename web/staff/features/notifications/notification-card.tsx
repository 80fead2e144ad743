import { Anchor, Button, Card, Collapse, Group, Stack, Text } from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import { formatDateTime } from '../../../lib/format';
import type { StaffSession } from '../../../../common/contract/auth.js';
import type { Notification } from '../../../../common/contract/notifications.js';
import { useStaffSend } from '../feed/api';
import { ReplyForm } from '../feed/components';
import { useMarkNotificationRead } from './api';

/** One notification: its title opens the conversation; Reply answers in place; Mark read. */
export function NotificationCard({
  n,
  session,
  onReplied,
}: {
  n: Notification;
  session: StaffSession;
  onReplied: (to: string) => void;
}) {
  const [replying, setReplying] = useState(false);
  const mark = useMarkNotificationRead();
  const send = useStaffSend({ notificationId: n.id });
  const message = useRef<HTMLTextAreaElement>(null);
  // Reply opens the form and puts the cursor in it, ready to type.
  useEffect(() => {
    if (replying) message.current?.focus();
  }, [replying]);
  return (
    <Card
      withBorder
      padding="sm"
      style={n.read ? undefined : { borderLeft: '4px solid var(--mantine-color-red-7)' }}
    >
      <Group justify="space-between" wrap="wrap" gap="xs" align="baseline">
        {/* The title opens the conversation in the Patient Record. */}
        <Anchor
          component={Link}
          to={`/patients/${n.patient.id}/conversations/${n.conversationId}`}
          fw={n.read ? 500 : 700}
          size="sm"
        >
          {n.title}
        </Anchor>
        <Text size="xs" c="dimmed" component="time" dateTime={n.createdAt}>
          {formatDateTime(n.createdAt, session.chamber.timeZone)}
        </Text>
      </Group>
      {n.kind === 'staff_message' && (
        <Text size="xs" c="dimmed">
          About {n.patient.name}
        </Text>
      )}
      {n.preview && (
        <Text size="sm" c="dimmed" lineClamp={2} mt={4}>
          {n.preview}
        </Text>
      )}
      <Group gap="xs" mt="xs">
        <Button
          size="xs"
          variant="light"
          onClick={() => setReplying((r) => !r)}
          aria-expanded={replying}
        >
          Reply
        </Button>
        {mark.isError && (
          <Text size="xs" c="red.9" role="alert">
            {mark.error.message}
          </Text>
        )}
        {!n.read && (
          <Button
            size="xs"
            variant="default"
            loading={mark.isPending}
            onClick={() => mark.mutate(n.id)}
          >
            Mark read
          </Button>
        )}
      </Group>
      <Collapse expanded={replying}>
        <Stack mt="sm">
          <ReplyForm
            messageRef={message}
            defaultShareWithPatient={n.kind === 'patient_message'}
            defaultRoleIds={session.user.roles.map((r) => r.id)}
            pending={send.isPending}
            error={send.error}
            onSend={async (input) => {
              await send.mutateAsync(input);
              // The notification is read now and may leave the Unread list: confirm above it.
              onReplied(n.patient.name);
            }}
          />
        </Stack>
      </Collapse>
    </Card>
  );
}

import { Anchor, Badge, Button, Card, Group, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import { formatDateTime } from '../../../lib/format';
import { Isolate, WithNames } from '../../../ui/isolate';
import type { StaffSession } from '../../../../common/contract/auth.js';
import type { Notification } from '../../../../common/contract/notifications.js';
import { ConversationPanel } from '../feed/conversation-panel';
import { useMarkNotificationRead } from './api';

/**
 * One notification per conversation ("3 new messages from Alice Archer", "Overdue: message
 * from Alice Archer", "Red flag: New message from …"): its title opens the conversation and
 * says why it matters (a red flag also marks the card's edge); "Answered by <name>" once a
 * colleague replied to the patient; Reply shows the conversation's messages with the reply
 * form, the cursor in the message box; Mark read. A notification about no conversation has no
 * Reply: an access change ("Ada Admin joined Nurses") says who can now read the role's
 * internal notes, and links nowhere.
 */
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
  const { patient, conversationId } = n;
  const href =
    patient && conversationId ? `/patients/${patient.id}/conversations/${conversationId}` : null;
  return (
    <Card
      withBorder
      padding="sm"
      // Visible overflow lets the reply form stick to the bottom of the window (rule: Send in view).
      style={{
        overflow: 'visible',
        ...(n.read && !n.redFlag ? {} : { borderLeft: '4px solid var(--mantine-color-red-7)' }),
      }}
      data-testid="notification"
    >
      <Group justify="space-between" wrap="wrap" gap="xs" align="baseline">
        {href ? (
          // The title opens the conversation in the Patient Record.
          <Anchor component={Link} to={href} fw={n.read ? 500 : 700} size="sm">
            <WithNames text={n.title} names={[patient?.name]} />
          </Anchor>
        ) : (
          <Text fw={n.read ? 500 : 700} size="sm">
            <WithNames text={n.title} names={[patient?.name]} />
          </Text>
        )}
        <Text size="xs" c="dimmed" component="time" dateTime={n.createdAt}>
          {formatDateTime(n.createdAt, session.chamber.timeZone)}
        </Text>
      </Group>
      {/* Said once: "3 new messages about Alice Archer" names the patient already. */}
      {patient && n.kind !== 'patient_message' && !n.title.endsWith(patient.name) && (
        <Text size="xs" c="dimmed">
          About <Isolate>{patient.name}</Isolate>
        </Text>
      )}
      {n.kind === 'access_change' && (
        <Group gap="xs" mt={4} wrap="nowrap" align="baseline">
          <Badge color="orange" variant="light" size="sm">
            Access change
          </Badge>
          <Text size="xs" c="dimmed">
            Someone new can read internal notes of your role.
          </Text>
        </Group>
      )}
      {n.preview && (
        <Text size="sm" c="dimmed" lineClamp={2} mt={4}>
          <Isolate>{n.preview}</Isolate>
        </Text>
      )}
      {n.answeredBy && (
        <Badge color="teal" variant="light" mt={6} data-testid="answered-by">
          Answered by <Isolate>{n.answeredBy.name}</Isolate>
        </Badge>
      )}
      <Group gap="xs" mt="xs">
        {patient && conversationId && (
          <Button
            size="xs"
            variant="light"
            onClick={() => setReplying((r) => !r)}
            aria-expanded={replying}
          >
            Reply
          </Button>
        )}
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
      {replying && conversationId && (
        <Stack mt="sm">
          {/* The thread, not only the last message; the cursor goes to the message box. */}
          <ConversationPanel
            id={conversationId}
            session={session}
            via={{ notificationId: n.id }}
            markRead={false}
            focusOnLoad="composer"
            onSent={onReplied}
          />
        </Stack>
      )}
    </Card>
  );
}

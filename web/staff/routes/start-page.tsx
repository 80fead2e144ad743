import {
  Alert,
  Anchor,
  Badge,
  Button,
  Card,
  Collapse,
  Group,
  SegmentedControl,
  Stack,
  Text,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import { Link, useOutletContext } from 'react-router';
import { formatDateTime } from '../../lib/format';
import { Empty, ErrorState, Loading } from '../../ui/states';
import { LABELS } from '../../../common/labels';
import { useStaffSend } from '../features/feed/api';
import { ReplyForm } from '../features/feed/components';
import {
  useMarkNotificationRead,
  useNotifications,
  type Notification,
} from '../features/notifications/api';
import type { StaffSession } from '../features/session/api';

/** Start Page: Notifications, each openable, answerable in place, and markable read. */
export function StartPage() {
  const session = useOutletContext<StaffSession>();
  const [filter, setFilter] = useState<'unread' | 'all'>('unread');
  const [sent, setSent] = useState<{ to: string; at: number } | null>(null);
  const sentAlert = useRef<HTMLDivElement>(null);
  // The card replied from may leave the Unread list: the confirmation takes the focus.
  useEffect(() => {
    if (sent) sentAlert.current?.focus();
  }, [sent]);
  const list = useNotifications(filter === 'unread');
  const mark = useMarkNotificationRead();
  const items = list.data?.pages.flatMap((p) => p.notifications) ?? [];
  const unread = list.data?.pages[0]?.unreadCount ?? 0;
  return (
    <Stack>
      <Text size="sm" c="dimmed">
        {LABELS.startPage}
      </Text>
      <Group justify="space-between" mt={-12}>
        <Group gap="xs">
          <Title order={2}>{LABELS.notifications}</Title>
          <Badge color={unread > 0 ? 'red' : 'gray'}>
            {unread}
            <VisuallyHidden> unread</VisuallyHidden>
          </Badge>
        </Group>
        <Group gap="xs">
          <SegmentedControl
            size="xs"
            value={filter}
            onChange={(v) => setFilter(v as 'unread' | 'all')}
            data={[
              { value: 'unread', label: 'Unread' },
              { value: 'all', label: 'All' },
            ]}
            aria-label="Show"
          />
          <Button
            size="xs"
            variant="default"
            disabled={unread === 0}
            loading={mark.isPending && mark.variables === 'all'}
            onClick={() => mark.mutate('all')}
          >
            Mark all read
          </Button>
        </Group>
      </Group>
      {mark.isError && (
        <Alert color="red" role="alert">
          {mark.error.message}
        </Alert>
      )}
      {sent && (
        <Alert
          ref={sentAlert}
          tabIndex={-1}
          color="teal"
          role="status"
          withCloseButton
          onClose={() => setSent(null)}
          closeButtonLabel="Dismiss"
        >
          Reply sent to {sent.to}.
        </Alert>
      )}
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : items.length === 0 ? (
        <Empty>{filter === 'unread' ? 'No unread notifications.' : 'No notifications yet.'}</Empty>
      ) : (
        <Stack
          gap="xs"
          component="ul"
          style={{ listStyle: 'none', padding: 0, margin: 0 }}
          aria-label={LABELS.notifications}
        >
          {items.map((n) => (
            <li key={n.id}>
              <NotificationCard
                n={n}
                session={session}
                onReplied={(to) => setSent({ to, at: Date.now() })}
              />
            </li>
          ))}
        </Stack>
      )}
      {list.hasNextPage && (
        <Button
          variant="default"
          onClick={() => void list.fetchNextPage()}
          loading={list.isFetchingNextPage}
        >
          Load more
        </Button>
      )}
    </Stack>
  );
}

function NotificationCard({
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

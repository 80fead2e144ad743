import {
  Alert,
  Badge,
  Button,
  Group,
  SegmentedControl,
  Stack,
  Text,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import { useOutletContext } from 'react-router';
import { CardList } from '../../ui/card-list';
import { FormAlert } from '../../ui/form-alert';
import { LoadMore, QueryState } from '../../ui/states';
import type { StaffSession } from '../../../common/contract/auth.js';
import { LABELS } from '../../../common/labels';
import { useMarkNotificationRead, useNotifications } from '../features/notifications/api';
import { NotificationCard } from '../features/notifications/notification-card';

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
      <FormAlert error={mark.error} />
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
      <QueryState
        query={list}
        isEmpty={() => items.length === 0}
        empty={filter === 'unread' ? 'No unread notifications.' : 'No notifications yet.'}
      >
        {() => (
          <CardList label={LABELS.notifications} items={items}>
            {(n) => (
              <NotificationCard
                n={n}
                session={session}
                onReplied={(to) => setSent({ to, at: Date.now() })}
              />
            )}
          </CardList>
        )}
      </QueryState>
      <LoadMore query={list} />
    </Stack>
  );
}

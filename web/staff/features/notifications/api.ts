import { useInfiniteQuery, useMutation, useQuery } from '@tanstack/react-query';
import { get, pagedList, post } from '../../../lib/api';
import { POLL_UNREAD_COUNT, usePollInterval } from '../../../lib/live';
import { useInvalidate } from '../../../lib/query';
import { staffKeys } from '../feed/query-keys';
import type { NotificationList, UnreadCount } from '../../../../common/contract/notifications.js';

export function useNotifications(unreadOnly: boolean) {
  return useInfiniteQuery({
    queryKey: [...staffKeys.notifications, 'list', unreadOnly],
    ...pagedList<NotificationList>(`/notifications?unread=${unreadOnly}`),
    refetchInterval: usePollInterval(),
  });
}

export function useUnreadCount(enabled: boolean) {
  return useQuery({
    queryKey: [...staffKeys.notifications, 'count'],
    queryFn: () => get<UnreadCount>('/notifications/unread-count'),
    enabled,
    refetchInterval: POLL_UNREAD_COUNT,
  });
}

export function useMarkNotificationRead() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (id: string | 'all') =>
      id === 'all' ? post('/notifications/read-all') : post(`/notifications/${id}/read`),
    onSuccess: () => invalidate(staffKeys.notifications),
  });
}

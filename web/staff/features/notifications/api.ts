import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { get, post } from '../../../lib/api';

export interface Notification {
  id: string;
  kind: 'patient_message' | 'staff_message';
  title: string;
  patient: { id: string; name: string };
  conversationId: string;
  messageId: string;
  preview: string | null;
  createdAt: string;
  read: boolean;
}

export function useNotifications(unreadOnly: boolean) {
  return useInfiniteQuery({
    queryKey: ['notifications', 'list', unreadOnly],
    queryFn: ({ pageParam }) =>
      get<{ unreadCount: number; notifications: Notification[]; nextCursor: string | null }>(
        `/notifications?unread=${unreadOnly}${pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : ''}`,
      ),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    refetchInterval: 15_000,
  });
}

export function useUnreadCount(enabled: boolean) {
  return useQuery({
    queryKey: ['notifications', 'count'],
    queryFn: () => get<{ unreadCount: number }>('/notifications/unread-count'),
    enabled,
    refetchInterval: 15_000,
  });
}

export function useMarkNotificationRead() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string | 'all') =>
      id === 'all' ? post('/notifications/read-all') : post(`/notifications/${id}/read`),
    onSuccess: () => client.invalidateQueries({ queryKey: ['notifications'] }),
  });
}

import { useInfiniteQuery, useMutation, useQuery } from '@tanstack/react-query';
import { useRef } from 'react';
import { get, newIdempotencyKey, pagedList, post } from '../../../lib/api';
import { useLiveEvents, usePollInterval } from '../../../lib/live';
import { useInvalidate } from '../../../lib/query';
import { staffKeys } from './query-keys';
import type { EventNotification, StaffMessageEvent } from '../../../../common/contract/events.js';
import type {
  Feed,
  StaffConversation,
  StaffMessageBody,
  StaffSent,
} from '../../../../common/contract/messaging.js';

export function useFeed(patientId: string) {
  return useInfiniteQuery({
    queryKey: staffKeys.feed(patientId),
    ...pagedList<Feed>(`/patients/${patientId}/feed`),
    refetchInterval: usePollInterval(),
  });
}

export function useConversation(id: string | undefined) {
  return useQuery({
    queryKey: staffKeys.conversation(id),
    queryFn: () => get<StaffConversation>(`/conversations/${id}`),
    enabled: Boolean(id),
    refetchInterval: usePollInterval(),
  });
}

export function useMarkConversationRead() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (id: string) => post(`/conversations/${id}/read`),
    onSuccess: () => void invalidate(staffKeys.notifications, staffKeys.feed()),
  });
}

/**
 * A reply to a conversation, a new conversation with a patient, or a reply from a
 * notification; one Idempotency-Key per draft.
 */
export function useStaffSend(
  target: { conversationId: string } | { patientId: string } | { notificationId: string },
) {
  const invalidate = useInvalidate();
  const key = useRef(newIdempotencyKey());
  const path =
    'conversationId' in target
      ? `/conversations/${target.conversationId}/messages`
      : 'patientId' in target
        ? `/patients/${target.patientId}/conversations`
        : `/notifications/${target.notificationId}/reply`;
  return useMutation({
    mutationFn: (input: StaffMessageBody) =>
      post<StaffSent>(path, input, { 'idempotency-key': key.current }),
    onSuccess: async (result) => {
      key.current = newIdempotencyKey();
      await invalidate(
        staffKeys.conversation(result.conversation.id),
        staffKeys.feed(),
        staffKeys.notifications,
      );
    },
  });
}

/**
 * Live events: a new message refreshes its conversation, its patient's Feed, and the
 * notifications when it brought one or is our own (a reply from a notification, sent in
 * another tab, marks it read); after a resync (too much missed) every Feed, conversation and
 * notification list. `onNotification` hears of each new notification, to announce it.
 */
export function useFeedLiveEvents(
  enabled: boolean,
  onNotification: (notification: EventNotification) => void,
): void {
  const invalidate = useInvalidate();
  useLiveEvents<StaffMessageEvent>({
    enabled,
    as: 'staff',
    onMessage: (event) => {
      const touched = [
        staffKeys.conversation(event.conversationId),
        staffKeys.feed(event.patientId),
      ];
      if (event.notification || event.mine) touched.push(staffKeys.notifications);
      void invalidate(...touched);
      if (event.notification) onNotification(event.notification);
    },
    onResync: () =>
      void invalidate(staffKeys.conversation(), staffKeys.feed(), staffKeys.notifications),
  });
}

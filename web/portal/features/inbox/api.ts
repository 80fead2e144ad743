import { useInfiniteQuery, useMutation, useQuery } from '@tanstack/react-query';
import { useRef } from 'react';
import { get, newIdempotencyKey, pagedList, post } from '../../../lib/api';
import { useLiveEvents, usePollInterval } from '../../../lib/live';
import { useInvalidate } from '../../../lib/query';
import type { PatientMessageEvent } from '../../../../common/contract/events.js';
import type {
  Inbox,
  PatientConversation,
  PatientMessageBody,
  PatientSent,
} from '../../../../common/contract/messaging.js';

const inboxKey = ['inbox'];
const conversationKey = (id?: string) => (id ? ['conversation', id] : ['conversation']);

export function useInbox() {
  return useInfiniteQuery({
    queryKey: inboxKey,
    ...pagedList<Inbox>('/portal/conversations'),
    refetchInterval: usePollInterval(),
  });
}

export function useConversation(id: string) {
  return useQuery({
    queryKey: conversationKey(id),
    queryFn: () => get<PatientConversation>(`/portal/conversations/${id}`),
    refetchInterval: usePollInterval(),
  });
}

export function useMarkRead(id: string) {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: () => post(`/portal/conversations/${id}/read`),
    onSuccess: () => invalidate(inboxKey),
  });
}

/** Refreshes what a new message touches: the Inbox and its conversation (without id: all). */
function useRefreshConversation() {
  const invalidate = useInvalidate();
  return (conversationId?: string) => invalidate(inboxKey, conversationKey(conversationId));
}

/**
 * Sends a new message or a reply. One Idempotency-Key per draft: pressing Send again after a
 * lost answer cannot store the message twice.
 */
export function useSend(conversationId?: string) {
  const refresh = useRefreshConversation();
  const key = useRef(newIdempotencyKey());
  return useMutation({
    mutationFn: (text: string) =>
      post<PatientSent>(
        conversationId
          ? `/portal/conversations/${conversationId}/messages`
          : '/portal/conversations',
        { text } satisfies PatientMessageBody,
        { 'idempotency-key': key.current },
      ),
    onSuccess: async (result) => {
      key.current = newIdempotencyKey();
      await refresh(result.conversation.id);
    },
  });
}

/**
 * Live events: a new message refreshes the Inbox and its own conversation only; after a
 * resync (too much missed) every conversation.
 */
export function useInboxLiveEvents(enabled: boolean): void {
  const refresh = useRefreshConversation();
  useLiveEvents<PatientMessageEvent>({
    enabled,
    as: 'patient',
    onMessage: (event) => void refresh(event.conversationId),
    onResync: () => void refresh(),
  });
}

import { useInfiniteQuery, useMutation, useQuery } from '@tanstack/react-query';
import { useRef } from 'react';
import { ApiError, get, newIdempotencyKey, pagedList, post } from '../../../lib/api';
import { useLiveEvent, useLiveEvents, usePollInterval } from '../../../lib/live';
import { useInvalidate } from '../../../lib/query';
import type {
  PatientConversationEvent,
  PatientMessageEvent,
} from '../../../../common/contract/events.js';
import type {
  Inbox,
  PatientConversation,
  PatientMessageBody,
  PatientSent,
  PatientStartBody,
} from '../../../../common/contract/messaging.js';
import type { SearchResults } from '../../../../common/contract/search.js';
import type { PortalTopics } from '../../../../common/contract/topics.js';

const inboxKey = ['inbox'];
const conversationKey = (id?: string) => (id ? ['conversation', id] : ['conversation']);

export function useInbox() {
  return useInfiniteQuery({
    queryKey: inboxKey,
    ...pagedList<Inbox>('/portal/conversations'),
    refetchInterval: usePollInterval(),
  });
}

/**
 * Search in the Inbox (GET /portal/search, rule 16): the patient's own messages that match, a
 * page at a time. Each search is audited, so it runs when asked for, not on every focus.
 */
export function usePortalSearch(q: string | null) {
  return useInfiniteQuery({
    queryKey: ['portal-search', q],
    ...pagedList<SearchResults>(`/portal/search?${new URLSearchParams({ q: q ?? '' }).toString()}`),
    enabled: Boolean(q),
    staleTime: 60_000,
    refetchOnWindowFocus: false,
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

const topicsKey = ['portal', 'topics'];

/** What "What is your message about?" offers: the chamber's active topics (none: not asked). */
export function usePortalTopics() {
  return useQuery({
    queryKey: topicsKey,
    queryFn: () => get<PortalTopics>('/portal/topics'),
    staleTime: 60_000,
  });
}

/**
 * Sends a reply, or (without a conversation) starts a conversation with its topic and
 * subject. One Idempotency-Key per draft: pressing Send again after a lost answer cannot store
 * the message twice.
 */
export function useSend(conversationId?: string) {
  const refresh = useRefreshConversation();
  const invalidate = useInvalidate();
  const key = useRef(newIdempotencyKey());
  return useMutation({
    mutationFn: (body: PatientStartBody | PatientMessageBody) =>
      post<PatientSent>(
        conversationId
          ? `/portal/conversations/${conversationId}/messages`
          : '/portal/conversations',
        conversationId ? ({ text: body.text } satisfies PatientMessageBody) : body,
        { 'idempotency-key': key.current },
      ),
    // A topic made inactive meanwhile: offer the current list again.
    onError: (error) => {
      if (error instanceof ApiError && error.code === 'topic_not_found') void invalidate(topicsKey);
    },
    onSuccess: async (result) => {
      key.current = newIdempotencyKey();
      await refresh(result.conversation.id);
    },
  });
}

/**
 * Live events: a new message, or a conversation closed or reopened by the clinic, refreshes
 * the Inbox and that conversation only; after a resync (too much missed) every conversation.
 */
export function useInboxLiveEvents(enabled: boolean): void {
  const refresh = useRefreshConversation();
  useLiveEvents<PatientMessageEvent>({
    enabled,
    as: 'patient',
    onMessage: (event) => void refresh(event.conversationId),
    onResync: () => void refresh(),
  });
  useLiveEvent<PatientConversationEvent>(
    'conversation.updated',
    (event) => void refresh(event.conversationId),
  );
}

import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
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
import { actingForHeader, QUIET_WRITE, usePagePatient } from '../acting-for/api';

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
  const patientId = usePagePatient();
  return useMutation({
    // Not a message: refused as made for another patient, nothing is said to have been "sent".
    mutationKey: [QUIET_WRITE],
    mutationFn: () => post(`/portal/conversations/${id}/read`, {}, actingForHeader(patientId)),
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

/** A reply carries its text, attached files and patient only (a topic and subject start a conversation). */
function replyBody(body: PatientStartBody | PatientMessageBody): PatientMessageBody {
  return withoutEmpty({
    text: body.text,
    attachmentIds: body.attachmentIds,
    ...(body.patientId ? { patientId: body.patientId } : {}),
  });
}

/** The body without an empty list of attached files: a message without any sends none. */
function withoutEmpty<T extends PatientMessageBody>(body: T): T {
  const { attachmentIds, ...rest } = body;
  return (attachmentIds?.length ? { ...rest, attachmentIds } : rest) as T;
}

/**
 * Sends a reply, or (without a conversation) starts a conversation with its topic and
 * subject. One Idempotency-Key per draft: pressing Send again after a lost answer cannot store
 * the message twice. It names the patient the page was made for (rule 18): the server refuses
 * it when the session acts for someone else now.
 */
export function useSend(conversationId?: string) {
  const refresh = useRefreshConversation();
  const invalidate = useInvalidate();
  const patientId = usePagePatient();
  const key = useRef(newIdempotencyKey());
  return useMutation({
    mutationFn: (draft: PatientStartBody | PatientMessageBody) => {
      const body = { ...draft, ...(patientId ? { patientId } : {}) };
      return post<PatientSent>(
        conversationId
          ? `/portal/conversations/${conversationId}/messages`
          : '/portal/conversations',
        conversationId ? replyBody(body) : withoutEmpty(body),
        { 'idempotency-key': key.current },
      );
    },
    // A topic made inactive, or attachments switched off, meanwhile: show what is offered now.
    onError: (error) => {
      if (error instanceof ApiError && error.code === 'topic_not_found') void invalidate(topicsKey);
      if (error instanceof ApiError && error.code === 'attachments_not_allowed')
        void invalidate(['portal', 'clinic']);
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
 * The session is asked first: a stream reopened after another tab chose to act for someone
 * else hears that patient's events, and the page must change patient before it shows them.
 */
export function useInboxLiveEvents(enabled: boolean): void {
  const refreshConversation = useRefreshConversation();
  const client = useQueryClient();
  const refresh = async (conversationId?: string) => {
    await client.refetchQueries({ queryKey: ['session'] });
    await refreshConversation(conversationId);
  };
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

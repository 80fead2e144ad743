import {
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
  type QueryClient,
} from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, get, newIdempotencyKey, pagedList, patch, post } from '../../../lib/api';
import { useLiveEvent, useLiveEvents, usePollInterval } from '../../../lib/live';
import { useInvalidate, useInvalidateSoon } from '../../../lib/query';
import { staffKeys } from './query-keys';
import { TYPING_SECONDS } from '../../../../common/limits.js';
import type {
  EventNotification,
  StaffConversationEvent,
  StaffMessageEvent,
  StaffNotificationEvent,
  TypingEvent,
} from '../../../../common/contract/events.js';
import type {
  Assignees,
  ConversationChange,
  ConversationState,
  Feed,
  StaffConversation,
  StaffReplyBody,
  StaffSent,
  StaffStartBody,
} from '../../../../common/contract/messaging.js';

/** The refusal of a send or a change made on an older view of the conversation (rule 11). */
export function conversationChanged(error: unknown): boolean {
  return error instanceof ApiError && error.code === 'conversation_changed';
}

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
    onSuccess: () =>
      void invalidate(staffKeys.notifications, staffKeys.feed(), staffKeys.teamInbox),
  });
}

/**
 * A reply to a conversation, a new conversation with a patient, or a reply from a
 * notification; one Idempotency-Key per draft. A reply refused because a newer message
 * arrived (409 conversation_changed, nothing stored) reloads the conversation so the writer
 * reads it first; the draft stays in the form.
 */
export function useStaffSend(
  target:
    | { conversationId: string }
    | { patientId: string }
    | { notificationId: string; conversationId: string },
) {
  const invalidate = useInvalidate();
  const key = useRef(newIdempotencyKey());
  const path =
    'notificationId' in target
      ? `/notifications/${target.notificationId}/reply`
      : 'conversationId' in target
        ? `/conversations/${target.conversationId}/messages`
        : `/patients/${target.patientId}/conversations`;
  const conversationId = 'conversationId' in target ? target.conversationId : undefined;
  return useMutation({
    mutationFn: (input: StaffReplyBody | StaffStartBody) =>
      post<StaffSent>(path, input, { 'idempotency-key': key.current }),
    onSuccess: async (result) => {
      key.current = newIdempotencyKey();
      await invalidate(
        staffKeys.conversation(result.conversation.id),
        staffKeys.feed(),
        staffKeys.notifications,
        staffKeys.teamInbox,
      );
    },
    onError: async (error) => {
      if (!conversationChanged(error) || !conversationId) return;
      key.current = newIdempotencyKey();
      await invalidate(staffKeys.conversation(conversationId));
    },
  });
}

/** Puts a conversation's new state into its cached copy, so its heading shows it at once. */
function mergeConversationState(client: QueryClient, state: ConversationState): void {
  client.setQueryData<StaffConversation>(staffKeys.conversation(state.id), (old) =>
    old ? { ...old, conversation: { ...old.conversation, ...state } } : old,
  );
}

/**
 * Close conversation, Reopen, Assign to me, Assign (rule 10). An assignment names the
 * assignee its writer saw; when it changed meanwhile (409 conversation_changed) the lists and
 * the conversation are reloaded to show who has it now.
 */
export function useChangeConversation() {
  const client = useQueryClient();
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: ({ id, change }: { id: string; change: ConversationChange }) =>
      patch<ConversationState>(`/conversations/${id}`, change),
    onSuccess: async (state) => {
      mergeConversationState(client, state);
      await invalidate(staffKeys.teamInbox, staffKeys.feed(state.patient.id));
    },
    onError: async (error, { id }) => {
      if (error instanceof ApiError && error.status === 409)
        await invalidate(staffKeys.teamInbox, staffKeys.conversation(id));
    },
  });
}

/** Who a conversation may be assigned to (Assign): the Active users who can see it. */
export function useAssignees(conversationId: string | undefined) {
  return useQuery({
    queryKey: staffKeys.assignees(conversationId),
    queryFn: () => get<Assignees>(`/conversations/${conversationId}/assignees`),
    enabled: Boolean(conversationId),
    select: (answer) => answer.users,
  });
}

/** How often, at most, "is replying…" is renewed while the user types (rule 11). */
const TYPING_SIGNAL_MS = 3_000;
/** How long "is replying…" lasts after the last signal. */
const TYPING_LASTS_MS = TYPING_SECONDS * 1000;

/**
 * "Is replying…" for colleagues who have the conversation open: `typing` on each keystroke
 * tells the server at once, then at most every 3 seconds; `sent` makes the next keystroke
 * tell it again at once.
 */
export function useTypingSignal(conversationId: string | undefined) {
  const last = useRef(0);
  const typing = useCallback(() => {
    const now = Date.now();
    if (!conversationId || now - last.current < TYPING_SIGNAL_MS) return;
    last.current = now;
    // A lost signal only means colleagues do not see "is replying…"; nothing to tell the writer.
    post(`/conversations/${conversationId}/typing`).catch(() => undefined);
  }, [conversationId]);
  const sent = useCallback(() => {
    last.current = 0;
  }, []);
  return { typing, sent };
}

/**
 * The colleagues replying in a conversation now: each from their `conversation.typing` event
 * until it lapses (30 s, its `until`) or their message arrives. The lapse is counted from when
 * the event arrived, so a browser clock set differently from the server's does not hide or
 * prolong it.
 */
export function useTypingColleagues(conversationId: string): string[] {
  const [typing, setTyping] = useState<ReadonlyMap<string, { name: string; until: number }>>(
    () => new Map(),
  );
  useLiveEvent<TypingEvent>('conversation.typing', (e) => {
    if (e.conversationId !== conversationId) return;
    // The server's `until` is its clock + TYPING_SECONDS; counted here from arrival instead.
    const until = Date.now() + TYPING_LASTS_MS;
    setTyping((prev) => new Map(prev).set(e.user.id, { name: e.user.name, until }));
  });
  useLiveEvent<StaffMessageEvent>('message', (e) => {
    const author = e.authorId;
    if (e.conversationId !== conversationId || !author) return;
    setTyping((prev) => {
      if (!prev.has(author)) return prev;
      const next = new Map(prev);
      next.delete(author);
      return next;
    });
  });
  useEffect(() => {
    if (typing.size === 0) return undefined;
    const soonest = Math.min(...[...typing.values()].map((t) => t.until));
    const timer = setTimeout(
      () => setTyping((prev) => new Map([...prev].filter(([, t]) => t.until > Date.now() + 50))),
      Math.max(0, soonest - Date.now()),
    );
    return () => clearTimeout(timer);
  }, [typing]);
  return [...typing.values()].map((t) => t.name);
}

/**
 * Live events: a new message refreshes its conversation, its patient's Feed, Messages (the
 * team inbox), and the notifications when it brought one or is our own (a reply from a
 * notification, sent in another tab, marks it read); a change of a conversation (status,
 * assignee, an answer) updates its heading at once and refreshes the lists that show it; one
 * that brought a notification (overdue) refreshes the notifications and announces it, as does
 * the notification of a message to a large role, which follows its message by a moment. Lists
 * are refetched once per burst of events. After a resync (too much missed) everything.
 * `onNotification` hears of each new notification, to announce it.
 */
export function useFeedLiveEvents(
  enabled: boolean,
  onNotification: (notification: EventNotification) => void,
): void {
  const client = useQueryClient();
  const invalidate = useInvalidate();
  const soon = useInvalidateSoon();
  useLiveEvents<StaffMessageEvent>({
    enabled,
    as: 'staff',
    onMessage: (event) => {
      void invalidate(staffKeys.conversation(event.conversationId));
      soon(staffKeys.feed(event.patientId), staffKeys.teamInbox);
      if (event.notification || event.mine) void invalidate(staffKeys.notifications);
      if (event.notification) onNotification(event.notification);
    },
    onResync: () =>
      void invalidate(
        staffKeys.conversation(),
        staffKeys.feed(),
        staffKeys.notifications,
        staffKeys.teamInbox,
      ),
  });
  useLiveEvent<StaffConversationEvent>('conversation.updated', ({ conversation, notification }) => {
    mergeConversationState(client, conversation);
    // "Answered by" shows on the notifications of a conversation a colleague answered.
    soon(staffKeys.teamInbox, staffKeys.feed(conversation.patient.id), [
      ...staffKeys.notifications,
      'list',
    ]);
    // Overdue (rule 12): the Escalation role is told, and may now read the patient's messages.
    if (notification) {
      void invalidate(staffKeys.notifications, staffKeys.conversation(conversation.id));
      onNotification(notification);
    }
  });
  // A message to a large role: its notification follows the message by a moment.
  useLiveEvent<StaffNotificationEvent>('notification', ({ notification }) => {
    void invalidate(staffKeys.notifications);
    onNotification(notification);
  });
}
